import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Clock, hexId, isoNow } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import { tooManyRequests } from '../errors/app-error.js';
import { jobMarkerInvalid, jobNotFound } from '../errors/catalogue.js';
import {
  type JobProgressRow, type JobRepo, type JobResultRow, type JobRow, type JobStatus, RESULTS_PAGE,
} from '../repos/job-repo.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The ShowJob / ShowJobProgress body: `GET /v1/{project_id}/jobs/{job_id}`, `GET /v1/cloudimages/job/{job_id}`. */
export interface JobView {
  status: JobStatus;
  job_id: string;
  job_type: string;
  /** When the job was submitted, ISO-8601 with milliseconds. */
  begin_time: string;
  /** When it finished; "" while INIT or RUNNING. */
  end_time: string;
  /** Null unless FAIL. */
  error_code: string | null;
  fail_reason: string | null;
  entities: { results: { image_id: string; project_id: string; status: string }[] };
}

/**
 * A job as ListJobs shows it (`GET /v1/{project_id}/jobs`): ShowJob's view without its results, and its pairs:
 * `total` to do (never fewer than `done`), `done` (results written so far) and `failed` (of those, not a success).
 */
export interface JobSummary extends Omit<JobView, 'entities'> {
  pairs: { total: number; done: number; failed: number };
}

/**
 * The job as ShowJob shows it: the whole view for a job whose results fit in one page (RESULTS_PAGE); for a larger
 * one the view without its results and the results in pages, to be written out one page at a time.
 */
export type JobBody = { view: JobView } | { head: JobView; pages: () => AsyncGenerator<JobView['entities']['results']> };

const JOB_ID_RE = /^[0-9a-f]{32}$/;

/** Submitting asynchronous jobs and reading their status. */
export class JobService {
  private readonly listeners = new Set<() => void>();
  /** Views of finished jobs, by id and end time. */
  private readonly finished: Cache<JobView, string>;

  /**
   * `maxQueuedPairs`: the pairs a project's unfinished jobs may hold in all (`--max-queued-pairs`); a
   * submission beyond it is refused with IMG.0060. 0: no limit.
   */
  constructor(private readonly repo: JobRepo, private readonly clock: Clock, caches: CacheSpace,
    private readonly maxQueuedPairs = 0) {
    this.finished = caches.cache('finished-jobs');
  }

  /**
   * Creates an INIT job of the caller's project, of `pairs` pairs of work, and returns its id (32 hex). It is
   * refused with a 429 IMG.0060 when it would take the project's queued work over the limit. Pass the transaction
   * of the request's own writes so the job exists exactly when they do, and call `notify()` once it
   * has committed (without it a runner finds the job at its next poll). Outside a transaction the
   * runners are notified at once.
   */
  async submit(trx: Db, ctx: RequestContext, type: string, payload: unknown, pairs = 1): Promise<string> {
    if (this.maxQueuedPairs > 0) {
      const queued = await this.repo.queuedPairs(ctx.projectId, trx);
      if (queued + pairs > this.maxQueuedPairs) {
        // IMS answers IMG.0060 (the dialect's code for a 429).
        throw tooManyRequests(`The number of tasks exceeds the flow control limit: the project's unfinished jobs `
          + `hold ${queued} (image, project) pairs, this one ${pairs}, at most ${this.maxQueuedPairs}.`, 60_000);
      }
    }
    const id = hexId();
    await this.repo.insert({ id, projectId: ctx.projectId, type, payload, pairs, now: isoNow(this.clock) }, trx);
    if (!trx.isTransaction) this.notify();
    return id;
  }

  /** Tells the runners of this process that a job was submitted. */
  notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Registers a runner's nudge; returns the function that removes it. */
  onSubmitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /**
   * The job of the caller's project as the IMS wire shows it. Unknown ids and jobs of other
   * projects are the same 404, `IMG.0023`.
   */
  async show(ctx: RequestContext, jobId: string): Promise<JobBody> {
    // Job ids are 32 hex characters (hexId): anything else is no job, without a query.
    const job = JOB_ID_RE.test(jobId) ? await this.repo.byId(jobId, ctx.projectId) : undefined;
    if (!job) throw jobNotFound(jobId);
    // A finished job never changes again (until it is purged, and then the row above is gone).
    if (job.end_time !== null) {
      const kept = this.finished.get(job.id, job.end_time);
      if (kept) return { view: kept };
    }
    // One page of results is the whole view, as before; a full page streams the rest behind it.
    const first = await this.repo.resultsPage(job.id, 0);
    if (first.length === RESULTS_PAGE) {
      const { repo } = this;
      return {
        head: viewOf(job, []),
        pages: async function* pages() {
          for (let page = first; page.length > 0;) {
            yield page.map(wireResult);
            page = page.length < RESULTS_PAGE ? [] : await repo.resultsPage(job.id, page.at(-1)!.seq);
          }
        },
      };
    }
    const view = viewOf(job, first);
    if (job.end_time === null) return { view };
    for (const r of view.entities.results) Object.freeze(r);
    Object.freeze(view.entities.results);
    Object.freeze(view.entities);
    // The view and its rendered body: about 200 bytes a result.
    return { view: this.finished.set(job.id, job.end_time, Object.freeze(view), 512 + 200 * view.entities.results.length) };
  }

  /**
   * A page of the caller's project's jobs, newest first: `limit` of them after the job `marker` (the last of the
   * previous page), which must be a job of the project (else 400 IMG.0001). A purged job is in no page.
   */
  async list(ctx: RequestContext, limit: number, marker?: string): Promise<JobSummary[]> {
    let after: JobRow | undefined;
    if (marker !== undefined) {
      after = JOB_ID_RE.test(marker) ? await this.repo.byId(marker, ctx.projectId) : undefined;
      if (!after) throw jobMarkerInvalid(marker);
    }
    return (await this.repo.page(ctx.projectId, limit, after)).map(summaryOf);
  }
}

const wireResult = (r: JobResultRow) => ({ image_id: r.image_id, project_id: r.project_id, status: r.status });

type JobHead = Pick<JobRow, 'id' | 'type' | 'status' | 'begin_time' | 'end_time' | 'error_code' | 'fail_reason'>;

/** What ShowJob and ListJobs both show of a job. */
function headOf(job: JobHead): Omit<JobView, 'entities'> {
  const failed = job.status === 'FAIL';
  return {
    status: job.status as JobStatus,
    job_id: job.id,
    job_type: job.type,
    begin_time: job.begin_time,
    end_time: job.end_time ?? '',
    error_code: failed ? job.error_code : null,
    fail_reason: failed ? job.fail_reason : null,
  };
}

const viewOf = (job: JobRow, results: JobResultRow[]): JobView =>
  ({ ...headOf(job), entities: { results: results.map(wireResult) } });

/**
 * `total` is the `pairs` the job was submitted with (images times targets: an account or an organization node is
 * one target, one result); jobs submitted before that column was kept have 0, so it is never fewer than `done`.
 */
const summaryOf = (job: JobProgressRow): JobSummary => ({
  ...headOf(job), pairs: { total: Math.max(job.pairs, job.done), done: job.done, failed: job.failed },
});
