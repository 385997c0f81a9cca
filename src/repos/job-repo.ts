import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import type { Capabilities, Store } from '../db/database.js';
import type { Db } from '../db/prepared.js';
import type { Database, JobResultTable, JobTable } from '../db/schema.js';

export type JobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';
export type JobRow = Selectable<JobTable>;
export type JobResultRow = JobResultTable;

/** A job of a ListJobs page: what its summary shows, and how many results it has written and how many failed. */
export type JobProgressRow = Pick<JobRow, 'id' | 'type' | 'status' | 'begin_time' | 'end_time' | 'error_code'
  | 'fail_reason' | 'pairs'> & { done: number; failed: number };

/**
 * One claim of one job: the runner that holds it and the attempt number it got when claiming.
 * `attempts` is bumped by every claim, so it fences a runner that lost its lease and later re-claimed
 * the same job (same `locked_by`) from writing as if it still held the first claim.
 */
export interface Lease {
  jobId: string;
  owner: string;
  attempt: number;
}

export interface NewJob {
  id: string;
  projectId: string;
  type: string;
  /** Serialised as JSON. */
  payload: unknown;
  /** The pairs it has to do: its share of the project's queued work (default 1). */
  pairs?: number;
  /** ISO time of submission: `created_at` and the wire `begin_time`. */
  now: string;
}

export type JobOutcome =
  | { status: 'SUCCESS' }
  | { status: 'FAIL'; errorCode: string; failReason: string };

/** One (image, target) pair of a batch job, as it appears in `entities.results`. */
export interface JobResultInput {
  imageId: string;
  projectId: string;
  status: 'success' | 'failed';
  errorCode?: string | null;
}

/** The job row as long as `lease` holds: still RUNNING under the same runner and the same claim. */
const heldBy = (lease: Lease) => (eb: ExpressionBuilder<Database, 'jobs'>) =>
  eb.and({ id: lease.jobId, status: 'RUNNING', locked_by: lease.owner, attempts: lease.attempt });

/**
 * Jobs a runner may take at `now`: new ones, and RUNNING ones whose lease has lapsed (their runner died, or
 * they wait for their next time slice or retry), of a project none of whose jobs runs under a live lease:
 * a project's jobs run one at a time, so one project never holds every runner.
 */
const runnable = (types: readonly string[], now: string) => (eb: ExpressionBuilder<Database, 'jobs'>) => eb.and([
  eb('type', 'in', [...types]),
  eb.or([eb('status', '=', 'INIT'), eb.and([eb('status', '=', 'RUNNING'), eb('locked_until', '<', now)])]),
  eb.not(eb.exists(eb.selectFrom('jobs as running').select('running.id')
    .whereRef('running.project_id', '=', 'jobs.project_id')
    .where('running.status', '=', 'RUNNING').where('running.locked_by', 'is not', null)
    .where('running.locked_until', '>=', now))),
]);

/** Results per page when a job's results are read in pages. */
export const RESULTS_PAGE = 5000;

/** Rows per INSERT: far below PostgreSQL's 65,535 bind parameters and SQLite's 32,766. */
const INSERT_CHUNK = 500;
/** Jobs deleted per purge statement, so one purge never holds the write lock for long. */
const PURGE_BATCH = 100;

/** The job queries of the request path, compiled once. */
function queries(store: Store) {
  const { db } = store;
  const byId = (p: { id: string }) => db.selectFrom('jobs').selectAll().where('id', '=', p.id);
  return {
    byId: store.prepare(byId, { coalesce: true }),
    ofProject: store.prepare((p: { id: string; projectId: string }) => byId(p).where('project_id', '=', p.projectId),
      { coalesce: true }),
    results: store.prepare((p: { jobId: string }) => db.selectFrom('job_results').selectAll()
      .where('job_id', '=', p.jobId).orderBy('seq')),
    resultsPage: store.prepare((p: { jobId: string; afterSeq: number }) => db.selectFrom('job_results').selectAll()
      .where('job_id', '=', p.jobId).where('seq', '>', p.afterSeq).orderBy('seq').limit(RESULTS_PAGE)),
  };
}

/**
 * The durable job queue: `jobs` rows move INIT -> RUNNING -> SUCCESS | FAIL, and `job_results` holds
 * one row per processed pair. Claiming is a single atomic UPDATE; on engines with row locks the
 * candidate is picked with `FOR UPDATE SKIP LOCKED` so concurrent claimers never wait on each other,
 * on SQLite the single writer serialises them.
 */
export class JobRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  private readonly q: ReturnType<typeof queries>;

  constructor(store: Store) {
    this.db = store.db;
    this.caps = store.caps;
    this.q = queries(store);
  }

  /** Inserts an INIT job; pass the transaction of the request that creates it so both commit together. */
  async insert(job: NewJob, trx: Db = this.db): Promise<void> {
    await trx.insertInto('jobs').values({
      id: job.id,
      project_id: job.projectId,
      type: job.type,
      status: 'INIT',
      payload: JSON.stringify(job.payload ?? null),
      error_code: null,
      fail_reason: null,
      attempts: 0,
      locked_by: null,
      locked_until: null,
      created_at: job.now,
      queued_at: job.now,
      pairs: job.pairs ?? 1,
      begin_time: job.now,
      end_time: null,
    }).execute();
  }

  /** The job, or undefined when it does not exist or (with `projectId`) belongs to another project. */
  byId(id: string, projectId?: string, trx?: Db): Promise<JobRow | undefined> {
    return projectId === undefined ? this.q.byId.first({ id }, trx) : this.q.ofProject.first({ id, projectId }, trx);
  }

  /**
   * Up to `limit` jobs of the project, newest first (submission time, then id, both descending), after the job
   * `after` of the same order, each with its progress, in one query. Results are numbered 1, 2, ... so the
   * highest `seq` is how many there are (an index look-up); the failures are counted on
   * `job_results_failed_idx`, which holds only them (its condition is spelled as a literal so both engines use it).
   */
  async page(projectId: string, limit: number, after?: Pick<JobRow, 'begin_time' | 'id'>): Promise<JobProgressRow[]> {
    const rows = await this.db.selectFrom('jobs')
      .select(['id', 'type', 'status', 'begin_time', 'end_time', 'error_code', 'fail_reason', 'pairs'])
      .select((eb) => [
        eb.selectFrom('job_results as r').select((r) => r.fn.max<number | null>('r.seq').as('n'))
          .whereRef('r.job_id', '=', 'jobs.id').as('done'),
        eb.selectFrom('job_results as r').select((r) => r.fn.countAll<number | string>().as('n'))
          .whereRef('r.job_id', '=', 'jobs.id').where('r.status', '<>', sql.lit('success')).as('failed'),
      ])
      .where('project_id', '=', projectId)
      .$if(after !== undefined, (q) => q.where((eb) =>
        eb(eb.refTuple('begin_time', 'id'), '<', eb.tuple(after!.begin_time, after!.id))))
      .orderBy('begin_time', 'desc').orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, done: Number(r.done ?? 0), failed: Number(r.failed ?? 0) }));
  }

  /**
   * Atomically takes the runnable job of one of `types` (see `runnable`) that has waited longest. Sets
   * RUNNING, `locked_by = owner`, the new lease end, and `attempts + 1`. Returns undefined when there is
   * nothing to do.
   */
  async claim(owner: string, types: readonly string[], now: string, leaseUntil: string, trx: Db = this.db)
    : Promise<JobRow | undefined> {
    if (types.length === 0) return undefined;
    return trx.updateTable('jobs')
      .set((eb) => ({ status: 'RUNNING', locked_by: owner, locked_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', (eb) => eb.selectFrom('jobs').select('id')
        .where(runnable(types, now))
        .orderBy('queued_at').orderBy('id')
        .limit(1)
        .$if(this.caps.rowLocks, (q) => q.forUpdate().skipLocked()))
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * Extends the lease if the claim still holds. Inside a transaction this also locks the job row
   * until commit (an UPDATE takes the row lock on PostgreSQL; SQLite transactions hold the only
   * write lock), so nobody can take the job over before that transaction ends.
   */
  async renew(lease: Lease, leaseUntil: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('jobs').set({ locked_until: leaseUntil }).where(heldBy(lease)).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  /** Whether a job of a project other than `projectId` is waiting for a runner at `now`. */
  async othersWaiting(projectId: string, types: readonly string[], now: string): Promise<boolean> {
    const row = await this.db.selectFrom('jobs').select('id').where(runnable(types, now))
      .where('project_id', '<>', projectId).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Ends a time slice, if the claim still holds: no owner, waiting again from `now` (behind the jobs that
   * waited meanwhile), the slice counted.
   */
  async endSlice(lease: Lease, now: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('jobs')
      .set((eb) => ({ locked_by: null, locked_until: now, queued_at: now, slices: eb('slices', '+', 1) }))
      .where(heldBy(lease)).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  /** The pairs of the project's unfinished jobs. */
  async queuedPairs(projectId: string, trx: Db = this.db): Promise<number> {
    const row = await trx.selectFrom('jobs').select((eb) => eb.fn.sum<number | string | null>('pairs').as('n'))
      .where('project_id', '=', projectId).where('status', 'in', ['INIT', 'RUNNING']).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Unfinished jobs of every project, waiting (INIT) and RUNNING (a lapsed lease included): how many, and their pairs. */
  async queue(): Promise<{ status: string; jobs: number; pairs: number }[]> {
    const rows = await this.db.selectFrom('jobs')
      .select((eb) => ['status', eb.fn.countAll<number | string>().as('jobs'), eb.fn.sum<number | string>('pairs').as('pairs')])
      .where('status', 'in', ['INIT', 'RUNNING']).groupBy('status').execute();
    return rows.map((r) => ({ status: r.status, jobs: Number(r.jobs), pairs: Number(r.pairs) }));
  }

  /** Whether the claim still holds (no lock taken). */
  async owns(lease: Lease, trx: Db = this.db): Promise<boolean> {
    const row = await trx.selectFrom('jobs').select('id').where(heldBy(lease)).executeTakeFirst();
    return row !== undefined;
  }

  /** Ends the job with its outcome, only if the claim still holds; returns whether it did. */
  async finish(lease: Lease, outcome: JobOutcome, now: string, trx: Db = this.db): Promise<boolean> {
    const failed = outcome.status === 'FAIL';
    const res = await trx.updateTable('jobs').set({
      status: outcome.status,
      error_code: failed ? outcome.errorCode : null,
      fail_reason: failed ? outcome.failReason : null,
      end_time: now,
      locked_by: null,
      locked_until: null,
    }).where(heldBy(lease)).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  /**
   * Gives the job up for now after a transient fault, if the claim still holds: no owner, `locked_until`
   * the time from which it may be claimed again, the retry counted and its reason kept.
   */
  async retryLater(lease: Lease, retry: { retries: number; lastError: string; runAt: string }, trx: Db = this.db)
    : Promise<boolean> {
    const res = await trx.updateTable('jobs').set({
      locked_by: null, locked_until: retry.runAt, retries: retry.retries, last_error: retry.lastError.slice(0, 1000),
    }).where(heldBy(lease)).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  /**
   * Appends results after the job's last one (seq 1, 2, ...). Callers serialise appends per job by
   * holding its claim in the same transaction (`renew` with `trx`).
   */
  async appendResults(jobId: string, results: readonly JobResultInput[], trx: Db = this.db): Promise<void> {
    if (results.length === 0) return;
    const last = await trx.selectFrom('job_results').select((eb) => eb.fn.max<number | null>('seq').as('seq'))
      .where('job_id', '=', jobId).executeTakeFirst();
    let seq = Number(last?.seq ?? 0);
    for (let i = 0; i < results.length; i += INSERT_CHUNK) {
      const rows = results.slice(i, i + INSERT_CHUNK).map((r) => ({
        job_id: jobId,
        seq: ++seq,
        image_id: r.imageId,
        project_id: r.projectId,
        status: r.status,
        error_code: r.errorCode ?? null,
      }));
      await trx.insertInto('job_results').values(rows).execute();
    }
  }

  /** Results in the order they were recorded. */
  results(jobId: string, trx?: Db): Promise<JobResultRow[]> {
    return this.q.results.all({ jobId }, trx);
  }

  /** The job's last result; results are numbered 1, 2, ... so its `seq` is how many there are. */
  async lastResult(jobId: string, trx: Db = this.db): Promise<JobResultRow | undefined> {
    return trx.selectFrom('job_results').selectAll().where('job_id', '=', jobId).orderBy('seq', 'desc').limit(1)
      .executeTakeFirst();
  }

  /** The first result that is not a success. */
  async firstFailure(jobId: string, trx: Db = this.db): Promise<JobResultRow | undefined> {
    return trx.selectFrom('job_results').selectAll().where('job_id', '=', jobId).where('status', '<>', 'success')
      .orderBy('seq').limit(1).executeTakeFirst();
  }

  /** Up to RESULTS_PAGE results after the one numbered `afterSeq` (0: from the first), in order. */
  resultsPage(jobId: string, afterSeq: number): Promise<JobResultRow[]> {
    return this.q.resultsPage.all({ jobId, afterSeq });
  }

  /** Deletes jobs that finished before `cutoff` (their results cascade); returns how many. */
  async purge(cutoff: string, trx: Db = this.db): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await trx.deleteFrom('jobs')
        .where('id', 'in', (eb) => eb.selectFrom('jobs').select('id').where('end_time', '<', cutoff).limit(PURGE_BATCH))
        .executeTakeFirst();
      const n = Number(res.numDeletedRows);
      total += n;
      if (n < PURGE_BATCH) return total;
    }
  }
}
