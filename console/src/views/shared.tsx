import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { answerShares, type Image, type MemberStatus, readAll, sharedPage } from '../api';
import { bytes, ErrorText, JobProgress, SelectBox, Status, usePages, useSelection } from '../components';
import type { Session } from '../session';

const TABS: MemberStatus[] = ['pending', 'accepted', 'rejected'];
/** Images per listing request. */
const PAGE = 500;
/** The most images one batch takes: the API's limit (MAX_IMAGES, src/http/ims/batch-input.ts), said before it refuses. */
const MAX_BATCH = 1000;

/** A full-ECS image made from a CBR backup: accepting it needs a vault. */
const needsVault = (i: Image) => i.__whole_image === 'true' && Boolean(i.__backup_id);

type Lists = Record<MemberStatus, Image[] | undefined>;

/** The share inbox: images other projects shared with this one, by member status; accept or reject many at once. */
export function SharedView({ session }: { session: Session }) {
  const [tab, setTab] = useState<MemberStatus>('pending');
  const [lists, setLists] = useState<Lists>({ pending: undefined, accepted: undefined, rejected: undefined });
  const [error, setError] = useState<unknown>();
  const [name, setName] = useState('');
  const [owner, setOwner] = useState('');
  const [vault, setVault] = useState('');
  const [job, setJob] = useState<{ id: string; total: number; status: string }>();
  const [loads, setLoads] = useState(0);
  const selection = useSelection();
  const tabs = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const stop = new AbortController();
    for (const status of TABS) {
      readAll((m) => sharedPage(session, status, PAGE, m), (items) => {
        if (!stop.signal.aborted) setLists((l) => ({ ...l, [status]: items }));
      }, stop.signal).catch(setError);
    }
    return () => stop.abort();
  }, [loads]);

  const rows = useMemo(() => {
    const n = name.trim().toLowerCase();
    const o = owner.trim().toLowerCase();
    return (lists[tab] ?? []).filter((i) => (!n || (i.name ?? '').toLowerCase().includes(n))
      && (!o || i.owner.toLowerCase().includes(o)));
  }, [lists, tab, name, owner]);
  const { rows: shown, pager, reset } = usePages(rows);
  const chosen = (lists[tab] ?? []).filter((i) => selection.has(i.id));
  const vaultNeeded = chosen.filter(needsVault).length;
  const tooMany = chosen.length > MAX_BATCH;
  const names = useMemo(() => Object.fromEntries(TABS.flatMap((t) => (lists[t] ?? []).map((i) => [i.id, i.name]))), [lists]);

  const choose = (t: MemberStatus) => { setTab(t); selection.clear(); reset(); };
  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const next = e.key === 'ArrowRight' ? TABS[(i + 1) % 3] : e.key === 'ArrowLeft' ? TABS[(i + 2) % 3] : undefined;
    if (!next) return;
    e.preventDefault();
    choose(next);
    tabs.current?.querySelector<HTMLElement>(`#tab-${next}`)?.focus();
  };
  const answer = async (status: 'accepted' | 'rejected') => {
    setError(undefined);
    try {
      const ids = chosen.map((i) => i.id);
      const id = await answerShares(session, ids, status, status === 'accepted' && vault.trim() ? vault.trim() : undefined);
      setJob({ id, total: ids.length, status });
      selection.clear();
    } catch (err) {
      setError(err);
    }
  };
  const allShown = shown.length > 0 && shown.every((i) => selection.has(i.id));

  return (
    <>
      <h1>Shared with me</h1>
      <div role="tablist" aria-label="Member status" ref={tabs} onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button type="button" role="tab" id={`tab-${t}`} key={t} aria-selected={tab === t} aria-controls="shared-panel"
            tabIndex={tab === t ? 0 : -1} onClick={() => choose(t)}>
            {t[0]!.toUpperCase() + t.slice(1)} (<span data-testid={`count-${t}`}>{lists[t]?.length ?? '…'}</span>)
          </button>
        ))}
      </div>
      <div id="shared-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        <div class="toolbar">
          <label>Filter by name <input type="search" value={name} onInput={(e) => { setName(e.currentTarget.value); reset(); }} /></label>
          <label>Filter by owner <input type="search" value={owner} onInput={(e) => { setOwner(e.currentTarget.value); reset(); }} /></label>
          <button type="button" onClick={() => selection.setAll(rows.map((i) => i.id), true)} disabled={rows.length === 0}>
            Select all {rows.length} matching
          </button>
          <button type="button" onClick={selection.clear} disabled={chosen.length === 0}>Clear selection</button>
        </div>
        <div class="toolbar" aria-label="Answer the selected shares" role="group">
          <span aria-live="polite">{chosen.length} selected{tooMany && `: a batch takes at most ${MAX_BATCH}`}</span>
          {tab !== 'accepted' && vaultNeeded > 0 && (
            <label>Vault ID (for {vaultNeeded} full-ECS image{vaultNeeded > 1 ? 's' : ''})
              <input value={vault} onInput={(e) => setVault(e.currentTarget.value)} required aria-describedby="vault-hint" />
              <span class="hint" id="vault-hint">A full-ECS image made from a CBR backup is accepted into a CBR vault.</span>
            </label>
          )}
          {tab !== 'accepted' && (
            <button type="button" class="primary" disabled={chosen.length === 0 || tooMany || (vaultNeeded > 0 && !vault.trim())}
              onClick={() => answer('accepted')}>
              Accept {chosen.length || ''}
            </button>
          )}
          {tab !== 'rejected' && (
            <button type="button" class="danger" disabled={chosen.length === 0 || tooMany} onClick={() => answer('rejected')}>
              Reject {chosen.length || ''}
            </button>
          )}
        </div>
        <ErrorText error={error} />
        {job && (
          <JobProgress key={job.id} session={session} jobId={job.id} total={job.total} names={names}
            onDone={() => setLoads((n) => n + 1)} onDismiss={() => setJob(undefined)} />
        )}
        <table>
          <caption>{rows.length} {tab} image{rows.length === 1 ? '' : 's'}{lists[tab] === undefined ? ' (loading…)' : ''}</caption>
          <thead>
            <tr>
              <th scope="col"><SelectBox label="Select all on this page" checked={allShown}
                onChange={(on) => selection.setAll(shown.map((i) => i.id), on)} /></th>
              <th scope="col">Name</th><th scope="col">Owner project</th><th scope="col">Status</th>
              <th scope="col" class="num">Size</th><th scope="col">Format</th><th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((i) => (
              <tr key={i.id}>
                <td><SelectBox label={`Select ${i.name ?? i.id}`} checked={selection.has(i.id)} onChange={(on) => selection.set(i.id, on)} /></td>
                <td>{i.name ?? <em>unnamed</em>}{needsVault(i) && <span class="hint"> (full-ECS: needs a vault)</span>}<br /><code>{i.id}</code></td>
                <td><code>{i.owner}</code></td>
                <td><Status value={i.status} /></td>
                <td class="num">{bytes(i.size)}</td>
                <td>{i.disk_format ?? '—'}</td>
                <td>{new Date(i.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {pager}
      </div>
    </>
  );
}
