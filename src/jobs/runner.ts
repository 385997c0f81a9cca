/**
 * The durable job runner: claims jobs from the `jobs` table, runs the handler registered for the
 * job's type, and records the outcome. Several runners (threads, `ims serve` + `ims worker`
 * processes) may share one database; each job is claimed by one of them at a time.
 *
 * A handler is `(payload, ctx) => outcome`. A runner that dies (crash, kill -9, lost network) stops
 * renewing its lease; once the lease ends another runner takes the job over and runs the handler
 * again from the start. So a handler runs AT LEAST once, and its effects happen EXACTLY once only if
 * it keeps this contract:
 *
 * 1. Every write goes through `ctx.commitChunk(fn, results)`: `fn(trx)` makes the changes and the
 *    results describing them are inserted in the same transaction, which first checks (and locks)
 *    this runner's claim on the job. A runner that lost the claim gets `LeaseLostError` and nothing of
 *    that chunk is written. Inside `fn`, use only `trx` (the transaction rule: src/db/README.md).
 * 2. The handler first reads `ctx.recordedPairs()` and skips every (image_id, project_id) pair that
 *    already has a result: an earlier attempt committed it, together with its changes. (A handler that
 *    records its pairs in one fixed order may instead skip as many as `ctx.lastResult()` numbers.)
 * 3. The outcome is computed from all recorded results (`ctx.results()`), not only this attempt's.
 * 4. A handler may let `LeaseLostError` (or any error once `ctx.signal` is aborted) propagate: the
 *    runner then leaves the job to its new owner instead of finishing it.
 * 5. Chunks stay small (e.g. the pairs of one image): a chunk's transaction holds the job row, and on
 *    SQLite the only writer, until it commits.
 *
 * Leases are wall-clock times written by each runner, so the clocks of processes sharing a database
 * must agree to well within the lease (NTP does; the default lease is 30 s).
 *
 * A handler error that is transient (the database was down, unreachable, locked or too slow: see
 * `transientReason`) does not fail the job: the runner releases it with `retries + 1`, `last_error` and a
 * later run time (`locked_until`, no owner), with backoff, and a runner (this one or another) runs it again
 * from then on; by the contract above it resumes where it stopped. While the database cannot even take the
 * release, the runner keeps the job and tries again. After `maxRetries` such attempts the job fails.
 *
 * Fairness: a project's jobs run one at a time (see `runnable` in the job repo), and runners take the job
 * that has waited longest. A long job gives its runner up between chunks once it has run for a time slice
 * while another project's job waits (`ctx.sliceOver()` true, then the handler throws `SliceOverError`): it
 * waits again behind that job, and resumes where it stopped as after a takeover.
 *
 * Any other exception fails the job with `INTERNAL_FAILURE` and is logged. A job taken over from dead
 * runners more than `maxAttempts` times (it keeps killing its runner) is failed without running it again.
 *
 * Log lines about a job carry its id, type and attempt, and, when its payload has a `request_id` (the id of
 * the request that submitted it), that id as `reqId`, as the request's own log lines do.
 */
import { hostname } from 'node:os';
import type { Transaction } from 'kysely';
import type { Store } from '../db/database.js';
import { transientReason } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import { type Clock, hexId, systemClock } from '../domain/clock.js';
import { img } from '../errors/catalogue.js';
import type { JobMetrics } from '../metrics.js';
import {
  JobRepo, type JobOutcome, type JobResultInput, type JobResultRow, type JobRow, type Lease,
} from '../repos/job-repo.js';

export type { JobOutcome, JobResultInput } from '../repos/job-repo.js';

/** What the runner logs with; a pino or Fastify logger fits. */
export interface JobLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The job as a handler sees it. */
export interface JobInfo {
  id: string;
  type: string;
  projectId: string;
  /** 1 on the first run, 2 after one takeover, ... */
  attempt: number;
  createdAt: string;
}

/** (image_id, project_id) pairs that already have a result. */
export class PairSet {
  private readonly keys = new Set<string>();
  add(imageId: string, projectId: string): void {
    this.keys.add(`${imageId}\u0000${projectId}`);
  }
  has(imageId: string, projectId: string): boolean {
    return this.keys.has(`${imageId}\u0000${projectId}`);
  }
  get size(): number {
    return this.keys.size;
  }
}

export interface JobContext {
  job: JobInfo;
  logger: JobLogger;
  /** Aborted when a lease renewal finds that another runner took the job over. */
  signal: AbortSignal;
  /** Pairs recorded by this or an earlier attempt; skip them. */
  recordedPairs(): Promise<PairSet>;
  /** Every result recorded so far, in order. */
  results(): Promise<JobResultRow[]>;
  /** The last result recorded, whose `seq` is how many there are. */
  lastResult(): Promise<JobResultRow | undefined>;
  /** The first result recorded that is not a success. */
  firstFailure(): Promise<JobResultRow | undefined>;
  /** True when this run has had its time slice and a job of another project waits: throw SliceOverError. */
  sliceOver(): Promise<boolean>;
  /**
   * Runs `fn(trx)` and appends `results` in one transaction that first re-checks and locks this
   * runner's claim. Throws `LeaseLostError` (writing nothing) when another runner took the job over.
   */
  commitChunk<T>(fn: (trx: Transaction<Database>) => Promise<T>, results: readonly JobResultInput[]): Promise<T>;
  /** Extends the lease now (the runner also does so on a timer); false when it is lost. */
  renewLease(): Promise<boolean>;
  isStillOwner(): Promise<boolean>;
}

export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => Promise<JobOutcome>;

/** Thrown by a handler to give its runner up at the end of a time slice (`ctx.sliceOver()`). */
export class SliceOverError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} gave its runner up for another project's job`);
    this.name = 'SliceOverError';
  }
}

export class LeaseLostError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} was taken over by another runner`);
    this.name = 'LeaseLostError';
  }
}

/** The outcome recorded when a handler throws: no internals reach the job's `fail_reason`. */
export const INTERNAL_FAILURE = Object.freeze({
  status: 'FAIL',
  errorCode: img('jobFailed'),
  failReason: 'An internal error occurred while running the job.',
} as const);

/** The handler of each job type, by type (graphile-worker's `taskList` shape): the runner claims only these types. */
export type TaskList = Readonly<Record<string, JobHandler<never>>>;

export interface JobRunnerOptions {
  logger: JobLogger;
  taskList: TaskList;
  clock?: Clock;
  /** A claim lasts this long unless renewed; a dead runner's jobs are taken over after it. */
  leaseSeconds: number;
  /** Finished jobs older than this are purged. */
  retentionSeconds: number;
  /** Idle wait between polls (default 200 ms); `notify()` cuts it short. */
  pollIntervalMs?: number;
  /** Lease renewal period while a handler runs (default a third of the lease). */
  renewIntervalMs?: number;
  /** Purge period (default one minute); 0 disables purging. */
  purgeIntervalMs?: number;
  /** Claims, not counting retries, after which a job is failed instead of run again (default 5). */
  maxAttempts?: number;
  /** Transient failures after which a job is failed instead of retried (default 25). */
  maxRetries?: number;
  /** Wait before the n-th retry (n from 1); default 1 s doubling up to 60 s. */
  retryDelayMs?: (retry: number) => number;
  /** Jobs run at the same time by this runner (default 1). */
  concurrency?: number;
  /** A job runs this long before it gives way to another project's waiting job (default 1 s). */
  sliceMs?: number;
  /** Written to `locked_by`; default host:pid:random. */
  workerId?: string;
  /** Told of each job this runner finishes. */
  metrics?: JobMetrics;
}

export class JobRunner {
  readonly workerId: string;
  private readonly repo: JobRepo;
  private readonly handlers: ReadonlyMap<string, JobHandler<never>>;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly renewMs: number;
  private readonly purgeMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetries: number;
  private readonly retryDelayMs: (retry: number) => number;
  private readonly concurrency: number;
  private readonly sliceMs: number;
  /** Claims that failed in a row: the poll backs off while the database does not answer. */
  private claimFailures = 0;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private nudged = false;
  private wakers = new Set<() => void>();
  /** Waits that only `stop()` cuts short. */
  private stoppers = new Set<() => void>();
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;

  constructor(private readonly store: Store, private readonly options: JobRunnerOptions) {
    this.repo = new JobRepo(store);
    this.handlers = new Map(Object.entries(options.taskList));
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseSeconds * 1000;
    this.pollMs = options.pollIntervalMs ?? 200;
    this.renewMs = options.renewIntervalMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
    this.purgeMs = options.purgeIntervalMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRetries = options.maxRetries ?? 25;
    this.retryDelayMs = options.retryDelayMs ?? ((n) => Math.min(60_000, 1000 * 2 ** (n - 1)));
    this.concurrency = options.concurrency ?? 1;
    this.sliceMs = options.sliceMs ?? 1000;
    this.workerId = (options.workerId ?? `${hostname()}:${process.pid}:${hexId().slice(0, 8)}`).slice(0, 64);
  }

  /** The job types this runner claims: those of its task list. */
  get types(): string[] {
    return [...this.handlers.keys()];
  }

  get started(): boolean {
    return this.loops.length > 0;
  }

  start(): void {
    if (this.started) throw new Error('job runner already started');
    this.stopping = false;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop());
    if (this.purgeMs > 0) {
      this.purgeTimer = setInterval(() => this.purgeInBackground(), this.purgeMs);
      this.purgeInBackground();
    }
    this.options.logger.info({ workerId: this.workerId, types: this.types }, 'job runner started');
  }

  /** Wakes idle loops now, e.g. right after this process submitted a job. */
  notify(): void {
    this.nudged = true;
    for (const wake of this.wakers) wake();
  }

  /** Stops claiming and waits until every running job has finished. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    for (const wake of [...this.wakers, ...this.stoppers]) wake();
    await Promise.all(this.loops);
    await this.purging;
    this.loops = [];
    this.options.logger.info({ workerId: this.workerId }, 'job runner stopped');
  }

  /** Purges finished jobs past the retention now; returns how many were deleted. */
  purgeNow(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.options.retentionSeconds * 1000).toISOString();
    return this.repo.purge(cutoff);
  }

  private purgeInBackground(): void {
    if (this.purging) return;
    this.purging = this.purgeNow().then(
      (n) => { if (n > 0) this.options.logger.info({ purged: n }, 'purged finished jobs'); },
      (err) => {
        if (transientReason(err) === undefined) this.options.logger.error({ err }, 'purging finished jobs failed');
      },
    ).finally(() => { this.purging = undefined; });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let job: JobRow | undefined;
      try {
        this.nudged = false;
        job = await this.claim();
        this.claimFailures = 0;
      } catch (err) {
        // A database fault is logged once per episode by the store; the poll backs off meanwhile.
        if (transientReason(err) === undefined) this.options.logger.error({ err }, 'claiming a job failed');
        this.claimFailures++;
      }
      if (job) await this.run(job);
      else await this.idle(this.claimFailures === 0 ? this.pollMs : Math.min(5000, this.pollMs * 2 ** this.claimFailures));
    }
  }

  /** Waits for `ms`, a `notify()` (unless `wakeOnNotify` is false) or `stop()`. */
  private idle(ms: number, wakeOnNotify = true): Promise<void> {
    if ((wakeOnNotify && this.nudged) || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        this.stoppers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeOnNotify) this.wakers.add(done);
      else this.stoppers.add(done);
    });
  }

  private claim(): Promise<JobRow | undefined> {
    const now = this.clock.now();
    return this.repo.claim(this.workerId, this.types, now.toISOString(), this.leaseEnd(now));
  }

  private leaseEnd(now = this.clock.now()): string {
    return new Date(now.getTime() + this.leaseMs).toISOString();
  }

  private async run(row: JobRow): Promise<void> {
    const lease: Lease = { jobId: row.id, owner: this.workerId, attempt: row.attempts };
    const log = logFields(row);
    const { logger } = this.options;
    if (row.attempts - row.retries - row.slices > this.maxAttempts) {
      logger.error(log, 'job abandoned: its runner died on every attempt');
      await this.finish(row, lease, log, { ...INTERNAL_FAILURE });
      return;
    }
    const aborter = new AbortController();
    const renewal = setInterval(() => {
      this.repo.renew(lease, this.leaseEnd()).then(
        (held) => { if (!held) aborter.abort(new LeaseLostError(row.id)); },
        (err) => { logger.debug({ ...log, err }, 'renewing a job lease failed; retrying'); },
      );
    }, this.renewMs);
    logger.debug(log, 'job started');
    let outcome: JobOutcome;
    try {
      const handler = this.handlers.get(row.type)!;
      outcome = checkOutcome(await handler(JSON.parse(row.payload) as never, this.context(row, lease, aborter)));
    } catch (err) {
      if (err instanceof LeaseLostError || aborter.signal.aborted) {
        logger.warn(log, 'job taken over by another runner; leaving it to that runner');
        return;
      }
      if (err instanceof SliceOverError) {
        await this.endSlice(lease, log);
        return;
      }
      const reason = transientReason(err);
      if (reason !== undefined && row.retries < this.maxRetries) {
        await this.retryLater(row, lease, log, reason, aborter.signal);
        return;
      }
      logger.error({ ...log, err }, reason === undefined ? 'job handler failed' : 'job failed: too many retries');
      outcome = { ...INTERNAL_FAILURE };
    } finally {
      clearInterval(renewal);
    }
    await this.finish(row, lease, log, outcome, aborter.signal);
  }

  /**
   * Releases the job to run again after a backoff, recording why. While the database cannot take even
   * that, keeps the job (its lease is still renewed) and tries again, until the lease is lost or the
   * runner stops.
   */
  private async retryLater(row: JobRow, lease: Lease, fields: JobLogFields, reason: string, lost: AbortSignal)
    : Promise<void> {
    const retries = row.retries + 1;
    const log = { ...fields, retries, reason };
    for (let tries = 1; ; tries++) {
      const runAt = new Date(this.clock.now().getTime() + this.retryDelayMs(retries)).toISOString();
      try {
        if (await this.repo.retryLater(lease, { retries, lastError: reason, runAt })) {
          this.options.logger.warn({ ...log, runAt }, 'job interrupted by a database fault; it will resume');
        }
        return;
      } catch {
        if (lost.aborted || this.stopping) return;
        await this.idle(Math.min(5000, this.pollMs * 2 ** tries), false);
      }
    }
  }

  /** Puts the job back in the queue after its time slice; if that fails, its lease lapses and it is taken over. */
  private async endSlice(lease: Lease, log: JobLogFields): Promise<void> {
    try {
      if (await this.repo.endSlice(lease, this.clock.now().toISOString())) this.options.logger.debug(log, 'job slice over');
    } catch (err) {
      this.options.logger.warn({ ...log, err }, 'ending a job slice failed; the job resumes when its lease lapses');
    }
  }

  private async finish(row: JobRow, lease: Lease, log: JobLogFields, outcome: JobOutcome, lost?: AbortSignal)
    : Promise<void> {
    try {
      const done = await this.repo.finish(lease, outcome, this.clock.now().toISOString());
      if (done) {
        this.options.logger.info({ ...log, status: outcome.status }, 'job finished');
        const seconds = (this.clock.now().getTime() - Date.parse(row.begin_time)) / 1000;
        this.options.metrics?.finished(row.type, outcome.status, seconds, row.pairs);
      }
      else this.options.logger.warn(log, 'job taken over by another runner before it finished here');
    } catch (err) {
      // Run again later: every pair is recorded, so the run only computes the outcome again.
      const reason = transientReason(err);
      if (reason !== undefined && lost) await this.retryLater(row, lease, log, reason, lost);
      else this.options.logger.error({ ...log, err }, 'recording a job outcome failed');
    }
  }

  private context(row: JobRow, lease: Lease, aborter: AbortController): JobContext {
    const { repo, store } = this;
    /** When to ask the database (again) whether another project waits: from the end of the slice on. */
    let nextCheck = this.clock.now().getTime() + this.sliceMs;
    return {
      job: { id: row.id, type: row.type, projectId: row.project_id, attempt: row.attempts, createdAt: row.created_at },
      logger: this.options.logger,
      signal: aborter.signal,
      recordedPairs: async () => {
        const pairs = new PairSet();
        for (const r of await repo.results(row.id)) pairs.add(r.image_id, r.project_id);
        return pairs;
      },
      results: () => repo.results(row.id),
      lastResult: () => repo.lastResult(row.id),
      firstFailure: () => repo.firstFailure(row.id),
      sliceOver: async () => {
        const now = this.clock.now();
        if (now.getTime() < nextCheck) return false;
        nextCheck = now.getTime() + Math.max(50, this.sliceMs / 4);
        return repo.othersWaiting(row.project_id, this.types, now.toISOString());
      },
      commitChunk: (fn, results) => store.transaction(async (trx) => {
        if (!(await repo.renew(lease, this.leaseEnd(), trx))) {
          aborter.abort(new LeaseLostError(row.id));
          throw new LeaseLostError(row.id);
        }
        const value = await fn(trx);
        await repo.appendResults(row.id, results, trx);
        return value;
      }),
      renewLease: async () => {
        const held = await repo.renew(lease, this.leaseEnd());
        if (!held) aborter.abort(new LeaseLostError(row.id));
        return held;
      },
      isStillOwner: () => repo.owns(lease),
    };
  }
}

interface JobLogFields {
  jobId: string;
  type: string;
  attempt: number;
  reqId?: string;
}

/** What each log line about the job carries (see the top of this file). */
function logFields(row: JobRow): JobLogFields {
  const fields = { jobId: row.id, type: row.type, attempt: row.attempts };
  let reqId: unknown;
  try {
    reqId = (JSON.parse(row.payload) as { request_id?: unknown } | null)?.request_id;
  } catch {
    // An unreadable payload fails in the handler's run.
  }
  return typeof reqId === 'string' ? { ...fields, reqId } : fields;
}

/** A handler's return value, checked: anything but a well-formed outcome is our bug. */
function checkOutcome(value: unknown): JobOutcome {
  const o = value as Partial<{ status: string; errorCode: unknown; failReason: unknown }> | null;
  if (o?.status === 'SUCCESS') return { status: 'SUCCESS' };
  if (o?.status === 'FAIL' && typeof o.errorCode === 'string' && typeof o.failReason === 'string') {
    return { status: 'FAIL', errorCode: o.errorCode, failReason: o.failReason };
  }
  throw new Error(`job handler returned an invalid outcome: ${JSON.stringify(value)}`);
}
