import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { call, image as readImage, membersPage } from '../api';
import { bytes, ErrorText, JobProgress, SelectBox, Status, useApiPages, useLoad, useSelection } from '../components';
import { go } from '../route';
import type { Session } from '../session';
import { DeleteDialog } from './images';
import { ShareDialog, type Submitted } from './share-dialog';

/** Members per page. */
const PAGE = 100;
const SHOWN = ['status', 'visibility', 'owner', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'checksum',
  'protected', 'created_at', 'updated_at', '__imagetype'];

/** One image: its properties and members (with their statuses); share, remove members, delete. */
export function ImageDetail({ session, id }: { session: Session; id: string }) {
  const loaded = useLoad(() => readImage(session, id), [id]);
  const image = loaded.data;
  const list = useApiPages((limit, marker) => membersPage(session, id, limit, marker), 'Members', PAGE);
  const rows = list.items;
  const [error, setError] = useState<unknown>();
  const [dialog, setDialog] = useState<'share' | 'delete'>();
  const [job, setJob] = useState<Submitted>();
  const [removing, setRemoving] = useState<string>();
  const selection = useSelection();

  const reload = () => { selection.clear(); loaded.reload(); list.reload(); };
  const remove = async () => {
    const chosen = [...selection.selected];
    const failed: unknown[] = [];
    for (const [n, member] of chosen.entries()) {
      setRemoving(`Removing ${n + 1} of ${chosen.length}…`);
      await call(session, `/v2/images/${id}/members/${encodeURIComponent(member)}`, { method: 'DELETE' })
        .catch((err) => failed.push(err));
    }
    setRemoving(failed.length ? undefined : `Removed ${chosen.length} member${chosen.length === 1 ? '' : 's'}.`);
    if (failed.length) setError(failed[0]);
    reload();
  };
  if (!image) return <><h1>Image</h1><ErrorText error={loaded.error} />{!loaded.error && <p>Loading…</p>}</>;
  return (
    <>
      <p><a href="#/images">← My images</a></p>
      <h1>{image.name || image.id}</h1>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog('share')}>Share</button>
        <button type="button" class="danger" onClick={() => setDialog('delete')}>Delete image</button>
      </div>
      <ErrorText error={error ?? loaded.error ?? list.error} />
      {job && <JobProgress key={job.jobId} session={session} jobId={job.jobId} total={job.total} onDone={reload} onDismiss={() => setJob(undefined)} />}
      <dl class="props">
        <dt>ID</dt><dd><code>{image.id}</code></dd>
        <dt>Size</dt><dd>{bytes(image.size)}</dd>
        {SHOWN.filter((k) => image[k] !== undefined && image[k] !== null).map((k) => (
          <Fragment key={k}><dt>{k}</dt><dd>{k === 'status' ? <Status value={String(image[k])} /> : String(image[k])}</dd></Fragment>
        ))}
      </dl>
      <h2>Members</h2>
      <div class="toolbar">
        <button type="button" class="danger" disabled={selection.selected.size === 0} onClick={remove}>
          Remove {selection.selected.size || ''} selected
        </button>
        {removing && <span role="status">{removing}</span>}
      </div>
      <table>
        <caption>{list.loading && rows.length === 0 ? 'Members (loading…)' : `${rows.length} member${rows.length === 1 ? '' : 's'} on this page`}</caption>
        <thead>
          <tr>
            <th scope="col"><SelectBox label="Select all members on this page" checked={rows.length > 0 && rows.every((m) => selection.has(m.member_id))}
              onChange={(on) => selection.setAll(rows.map((m) => m.member_id), on)} /></th>
            <th scope="col">Member</th><th scope="col">Status</th><th scope="col">Shared</th><th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.member_id}>
              <td><SelectBox label={`Select member ${m.member_id}`} checked={selection.has(m.member_id)} onChange={(on) => selection.set(m.member_id, on)} /></td>
              <td><code>{m.member_id}</code></td>
              <td><Status value={m.status} /></td>
              <td>{new Date(m.created_at).toLocaleString()}</td>
              <td>{new Date(m.updated_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.pager}
      {dialog === 'share' && <ShareDialog session={session} images={[id]} onClose={() => setDialog(undefined)}
        onSubmitted={(s) => { setDialog(undefined); setJob(s); }} />}
      {dialog === 'delete' && <DeleteDialog session={session} images={[id]} onClose={() => setDialog(undefined)}
        onDeleted={() => go('images')} />}
    </>
  );
}
