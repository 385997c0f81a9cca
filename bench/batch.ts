import { setTimeout as sleep } from 'node:timers/promises';
import type { Account } from './seed.js';

export interface BatchRun {
  jobId: string;
  /** Submit to the first poll that sees SUCCESS, measured by the client (performance.now()). */
  ms: number;
  /** The job's own end_time - begin_time (server clock, ms resolution). */
  jobMs: number;
  polls: number;
  /** How long the submit (POST) took to answer, and the slowest poll. */
  submitMs: number;
  slowestPollMs: number;
  /** The submit response and the final job body, as ims sent them (for the ceiling). */
  submit: { status: number; headers: Record<string, string>; body: string };
  final: { status: number; headers: Record<string, string>; body: string };
}

/** Response headers worth replaying from the ceiling: everything but the per-connection ones. */
export function replayHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of res.headers) {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)) out[k] = v;
  }
  return out;
}

const jsonHeaders = (account: Account) => ({
  accept: 'application/json', 'content-type': 'application/json', 'x-auth-token': account.token,
});

/**
 * IMS batch add (BatchAddMembers): submits `images` x `projects` and polls `GET /v1/{project_id}/jobs/{job_id}` every
 * `pollMs` until the job is SUCCESS. Any other final state, or a non-200 answer, is an error.
 */
export async function runBatch(baseUrl: string, owner: Account, images: string[], projects: string[], pollMs = 5)
  : Promise<BatchRun> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/v1/cloudimages/members`, {
    method: 'POST', headers: jsonHeaders(owner), body: JSON.stringify({ images, projects }),
  });
  const submitBody = await res.text();
  const submitMs = performance.now() - started;
  let slowestPollMs = 0;
  if (res.status !== 200) throw new Error(`batch submit: ${res.status} ${submitBody}`);
  const jobId = (JSON.parse(submitBody) as { job_id: string }).job_id;
  let polls = 0;
  for (;;) {
    const pollStart = performance.now();
    const poll = await fetch(`${baseUrl}/v1/${owner.projectId}/jobs/${jobId}`, { headers: jsonHeaders(owner) });
    const text = await poll.text();
    slowestPollMs = Math.max(slowestPollMs, performance.now() - pollStart);
    polls++;
    if (poll.status !== 200) throw new Error(`job query: ${poll.status} ${text}`);
    const job = JSON.parse(text) as { status: string; begin_time: string; end_time: string; fail_reason: string | null };
    if (job.status === 'SUCCESS') {
      return {
        jobId,
        ms: performance.now() - started,
        jobMs: Date.parse(job.end_time) - Date.parse(job.begin_time),
        polls,
        submitMs,
        slowestPollMs,
        submit: { status: res.status, headers: replayHeaders(res), body: submitBody },
        final: { status: poll.status, headers: replayHeaders(poll), body: text },
      };
    }
    if (job.status === 'FAIL') throw new Error(`batch job ${jobId} failed: ${job.fail_reason}`);
    await sleep(pollMs);
  }
}

/** The same submit-then-poll sequence against the ceiling, whose canned job is already SUCCESS. */
export async function runCeilingBatch(baseUrl: string, owner: Account, images: string[], projects: string[])
  : Promise<number> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/v1/cloudimages/members`, {
    method: 'POST', headers: jsonHeaders(owner), body: JSON.stringify({ images, projects }),
  });
  const { job_id: jobId } = (await res.json()) as { job_id: string };
  const poll = await fetch(`${baseUrl}/v1/${owner.projectId}/jobs/${jobId}`, { headers: jsonHeaders(owner) });
  const job = (await poll.json()) as { status: string };
  if (job.status !== 'SUCCESS') throw new Error('ceiling: canned job is not SUCCESS');
  return performance.now() - started;
}
