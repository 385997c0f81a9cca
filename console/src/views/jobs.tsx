import { useEffect, useState } from 'preact/hooks';
import { finished, job as readJob, type Job, jobsPage } from '../api';
import { ErrorText, JobProgress, Results, Status, useApiPages } from '../components';
import type { Session } from '../session';

/** Jobs per page (ListJobs' paging: limit and marker). */
const PAGE = 20;
const TYPES: Record<string, string> = {
  imsAddImageMembersJob: 'Share', imsUpdateImageMembersJob: 'Accept / reject', imsDelImageMembersJob: 'Stop sharing',
};

/** The project's recent jobs, newest first: status and progress; a job's results on demand, failures first. */
export function JobsView({ session }: { session: Session }) {
  const list = useApiPages((limit, marker) => jobsPage(session, limit, marker), 'Jobs', PAGE);
  const jobs = list.items;
  const [open, setOpen] = useState<string>();
  useEffect(() => {
    // While a job of the page runs, the page is read again every two seconds.
    if (!jobs.some((j) => !finished({ ...j, entities: {} }))) return;
    const t = setTimeout(list.reload, 2000);
    return () => clearTimeout(t);
  }, [jobs]);

  return (
    <>
      <h1>Jobs</h1>
      <div class="toolbar"><button type="button" onClick={list.reload}>Refresh</button></div>
      <ErrorText error={list.error} />
      <table>
        <caption>Jobs of {session.project.name}, newest first{list.loading ? ' (loading…)' : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Progress</th>
            <th scope="col">Submitted</th><th scope="col">Ended</th><th scope="col">Results</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.job_id}>
              <td><code>{j.job_id}</code></td>
              <td>{TYPES[j.job_type] ?? j.job_type}</td>
              <td><Status value={j.status} />{j.fail_reason && <div class="hint">{j.fail_reason} ({j.error_code})</div>}</td>
              <td>
                <progress max={Math.max(1, j.pairs.total)} value={j.pairs.done} aria-label={`Progress of job ${j.job_id}`} />
                <div>{j.pairs.done} of {j.pairs.total} pairs{j.pairs.failed > 0 && <strong>, {j.pairs.failed} failed</strong>}</div>
              </td>
              <td>{new Date(j.begin_time).toLocaleString()}</td>
              <td>{j.end_time ? new Date(j.end_time).toLocaleString() : '—'}</td>
              <td>
                <button type="button" aria-expanded={open === j.job_id} aria-controls="job-results"
                  onClick={() => setOpen(open === j.job_id ? undefined : j.job_id)}>
                  {open === j.job_id ? 'Hide' : 'Show'}<span class="visually-hidden"> results of job {j.job_id}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && jobs.length === 0 && <p>No jobs yet: sharing, accepting and rejecting run as jobs.</p>}
      {list.pager}
      <div id="job-results">{open && <JobDetail key={open} session={session} id={open} />}</div>
    </>
  );
}

/** One job's results: live while it runs, failed pairs first. */
function JobDetail({ session, id }: { session: Session; id: string }) {
  const [j, setJ] = useState<Job>();
  const [error, setError] = useState<unknown>();
  useEffect(() => { readJob(session, id).then(setJ, setError); }, [id]);
  if (error) return <ErrorText error={error} />;
  if (!j) return <p>Loading job {id}…</p>;
  if (!finished(j)) return <JobProgress session={session} jobId={id} />;
  return (
    <section class="job" aria-label={`Results of job ${id}`}>
      <h2>Job <code>{id}</code>: <Status value={j.status} /></h2>
      {j.fail_reason && <p class="error">{j.fail_reason} ({j.error_code})</p>}
      <Results results={j.entities.results ?? []} />
    </section>
  );
}
