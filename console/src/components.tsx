import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, finished, type Job, type JobResult, type Page, watchJob } from './api';
import type { Session } from './session';

/** An error as the API said it (its message and code), announced to screen readers. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.message} (${error.code})` : String((error as Error).message ?? error);
  return <p class="error" role="alert"><span aria-hidden="true">⚠ </span>{text}</p>;
}

/** A status in words with a symbol, never colour alone. */
export function Status({ value }: { value: string }) {
  const symbol: Record<string, string> = {
    accepted: '✔', active: '✔', SUCCESS: '✔', success: '✔', pending: '…', queued: '…', INIT: '…', RUNNING: '⟳',
    saving: '⟳', rejected: '✖', FAIL: '✖', failed: '✖', killed: '✖', deactivated: '⏸',
    enabled: '✔', disabled: '⏸', inactive: '⏸',
  };
  return <span class={`status status-${value.toLowerCase()}`}><span aria-hidden="true">{symbol[value] ?? '•'} </span>{value}</span>;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Client-side pages of rows already read: 100 rows in the page, Previous / Next buttons. */
export function usePages<T>(rows: T[], size = 100) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(page, pages - 1);
  return {
    rows: rows.slice(current * size, (current + 1) * size),
    pager: <Pager label="Rows" page={current} pages={pages} onPage={setPage} />,
    reset: () => setPage(0),
  };
}

/**
 * Previous / Next over pages: `pages` of them when all are known, or (`more` given) pages read from the API one at
 * a time, where `more` says whether there is a next one.
 */
export function Pager({ label, page, pages, onPage, more }: {
  label: string; page: number; pages: number; onPage: (p: number) => void; more?: boolean;
}) {
  const api = more !== undefined;
  if (api ? page === 0 && !more : pages <= 1) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>Previous</button>
      <span aria-live="polite">Page {page + 1}{api ? '' : ` of ${pages}`}</span>
      <button type="button" disabled={api ? !more : page >= pages - 1} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

/** A modal dialog (the browser's own: it keeps focus inside and closes on Escape). */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    d.showModal();
    return () => d.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={onClose}>
      <div class="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" class="link" onClick={onClose} aria-label="Close">✕</button>
      </div>
      {children}
    </dialog>
  );
}

/** A job as it runs: its status, a progress bar over `total` pairs (when known), then its results, failures first. */
export function JobProgress({ session, jobId, total, names, onDone, onDismiss }: {
  session: Session; jobId: string; total?: number; names?: Names; onDone?: (j: Job) => void; onDismiss?: () => void;
}) {
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const stop = new AbortController();
    watchJob(session, jobId, (j) => { if (!stop.signal.aborted) setJob(j); }, stop.signal)
      .then((j) => { if (!stop.signal.aborted && finished(j)) onDone?.(j); })
      .catch(setError);
    return () => stop.abort();
  }, [jobId]);
  const results = job?.entities.results ?? [];
  const failed = results.filter((r) => r.status !== 'success').length;
  const max = total ?? results.length;
  return (
    <section class="job" aria-label={`Job ${jobId}`} data-job={jobId}>
      <p aria-live="polite">
        Job <code>{jobId}</code>: <span data-testid="job-status">{job ? <Status value={job.status} /> : 'submitted'}</span>
        {' — '}<span data-testid="job-count">{results.length}{total !== undefined ? ` of ${total}` : ''} pairs done</span>
        {failed > 0 && <>, <strong>{failed} failed</strong></>}
      </p>
      <progress max={Math.max(1, max)} value={job && finished(job) ? Math.max(1, max) : results.length}
        aria-label="Job progress" />
      {job?.fail_reason && <p class="error" role="alert">{job.fail_reason} ({job.error_code})</p>}
      <ErrorText error={error} />
      {results.length > 0 && <Results results={results} names={names} />}
      {onDismiss && job && finished(job) && <button type="button" onClick={onDismiss}>Dismiss</button>}
    </section>
  );
}

/** Image names by id, where the page knows them. */
export type Names = Record<string, string | null>;

/** A job's (image, project) results, failed ones first, 100 to a page; folded unless some failed. */
export function Results({ results, names = {} }: { results: JobResult[]; names?: Names }) {
  const failed = results.filter((r) => r.status !== 'success');
  const ordered = [...failed, ...results.filter((r) => r.status === 'success')];
  const { rows, pager } = usePages(ordered);
  return (
    <details open={failed.length > 0}>
      <summary>Results: {results.length - failed.length} succeeded, {failed.length} failed</summary>
      <table class="results">
        <caption class="visually-hidden">Results, failed first</caption>
        <thead><tr><th scope="col">Image</th><th scope="col">Project</th><th scope="col">Result</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.image_id}/${r.project_id}`}>
              <td>{names[r.image_id] && <>{names[r.image_id]}<br /></>}<code>{r.image_id}</code></td>
              <td><code>{r.project_id}</code></td><td><Status value={r.status} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {pager}
    </details>
  );
}

/** A check box in a table row, named after what it selects. */
export function SelectBox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return <input type="checkbox" aria-label={label} checked={checked}
    onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />;
}

/** A set of selected ids, as state. */
export function useSelection() {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  return {
    selected,
    has: (id: string) => selected.has(id),
    set: (id: string, on: boolean) => setSelected((s) => { const n = new Set(s); if (on) n.add(id); else n.delete(id); return n; }),
    setAll: (ids: string[], on: boolean) => setSelected((s) => {
      const n = new Set(s);
      for (const id of ids) { if (on) n.add(id); else n.delete(id); }
      return n;
    }),
    clear: () => setSelected(new Set()),
  };
}

/**
 * What the API answered to `read`: the data, or its refusal, and whether a read is under way; read again when
 * `deps` change or on `reload()`.
 */
export function useLoad<T>(read: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [count, setCount] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    read().then((d) => { if (live) { setData(d); setError(undefined); setLoading(false); } },
      (e) => { if (live) { setData(undefined); setError(e); setLoading(false); } });
    return () => { live = false; };
  }, [...deps, count]);
  return { data, error, loading, reload: () => setCount((c) => c + 1) };
}

/** A listing the API pages with limit and marker, `size` to a page, with Previous / Next. */
export function useApiPages<T>(read: (limit: number, marker?: string) => Promise<Page<T>>, label: string, size = 50) {
  // The marker of each page known so far (the first page has none).
  const [markers, setMarkers] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const { data, error, loading, reload } = useLoad(() => read(size, markers[page]), [page]);
  useEffect(() => {
    if (!data) return;
    setMarkers((m) => (data.next && m[page + 1] === data.next ? m
      : [...m.slice(0, page + 1), ...(data.next ? [data.next] : [])]));
  }, [data]);
  return {
    items: data?.items ?? [], error, loading, reload, first: () => setPage(0),
    pager: <Pager label={label} page={page} pages={markers.length} more={markers.length > page + 1} onPage={setPage} />,
  };
}
