import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Store } from '../../src/db/database.js';
import { systemClock } from '../../src/domain/clock.js';
import { contextFor } from '../../src/domain/context.js';
import {
  INTERNAL_FAILURE, type JobContext, JobRunner, type JobRunnerOptions, LeaseLostError, SliceOverError, type TaskList,
} from '../../src/jobs/runner.js';
import { JobRepo } from '../../src/repos/job-repo.js';
import { CacheSpace } from '../../src/cache/cache-space.js';
import { JobService } from '../../src/services/job-service.js';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.js';
import { gate } from '../helpers/gate.js';
import type { ThreadOptions } from '../helpers/job-runner-thread.js';
import {
  jobView, memoryLogger, openMigrated, pairsHandler, type PairsPayload, pause, sharedDatabase, task, TEST_JOB,
} from '../helpers/jobs.js';

const P1 = '1'.repeat(32);
const P2 = '2'.repeat(32);
const demo = contextFor('u1', P1, ['member']);
/** A member of project `p` repeated to 32 characters. */
const projectCtx = (p: string) => contextFor(`u-${p}`, p.repeat(32), ['member']);
/** One of ten projects, by `n`. */
const tenth = (n: number) => projectCtx(String(n % 10));

interface Setup {
  url: string;
  /** Two stores on the same database: separate pools on PostgreSQL, one shared connection on SQLite. */
  stores: [Store, Store];
  jobs: JobService;
  repo: JobRepo;
  /** A runner of `taskList` on `store`, stopped after the test. */
  runner(store: Store, options?: Partial<JobRunnerOptions>, taskList?: TaskList): JobRunner;
}

async function setup(t: TestContext, kind: DatabaseKind): Promise<Setup> {
  const database = await sharedDatabase(kind);
  const a = await openMigrated(database.url);
  // Two better-sqlite3 connections in one thread would block each other (see job-runner-thread.ts).
  const b = kind.name === 'postgres' ? await openMigrated(database.url) : a;
  const runners: JobRunner[] = [];
  t.after(async () => {
    for (const r of runners) await r.stop();
    await a.close();
    if (b !== a) await b.close();
    await database.drop();
  });
  return {
    url: database.url,
    stores: [a, b],
    jobs: new JobService(new JobRepo(a), systemClock, new CacheSpace(64 * 1024 * 1024)),
    repo: new JobRepo(a),
    runner: (store, options = {}, taskList = {}) => {
      const runner = new JobRunner(store, { logger: memoryLogger(), leaseSeconds: 1, retentionSeconds: 3600,
        pollIntervalMs: 20, purgeIntervalMs: 0, taskList, ...options });
      runners.push(runner);
      return runner;
    },
  };
}

/** Resolves once `check` returns a value other than undefined; fails after `ms`. */
async function waitFor<T>(check: () => Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

const finished = (repo: JobRepo, id: string) => waitFor(async () => {
  const job = await repo.byId(id);
  return job && (job.status === 'SUCCESS' || job.status === 'FAIL') ? job : undefined;
}, 10_000, `job ${id} to finish`);

function startThread(options: ThreadOptions) {
  const worker = new Worker(new URL('../helpers/job-runner-thread.js', import.meta.url), { workerData: options });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    ready,
    stop: () => new Promise<string[]>((resolve, reject) => {
      worker.on('message', (m: { executions?: string[] }) => { if (m.executions) resolve(m.executions); });
      worker.once('error', reject);
      worker.postMessage('stop');
    }),
    terminate: () => worker.terminate(),
  };
}

for (const kind of databaseKinds()) {
  describe(`job runner (${kind.name})`, () => {
    it('two runners on separate connections run 100 jobs, each exactly once', async (t) => {
      const s = await setup(t, kind);
      const thread = startThread({ url: s.url, leaseSeconds: 1, pollIntervalMs: 20, workerId: 'thread-runner' });
      t.after(() => thread.terminate());
      await thread.ready;
      const executions: string[] = [];
      const local = s.runner(s.stores[0], { workerId: 'main-runner' }, { [TEST_JOB]: pairsHandler(executions) });
      s.jobs.onSubmitted(() => local.notify());
      local.start();

      const ids: string[] = [];
      for (let n = 0; n < 100; n++) {
        const payload: PairsPayload = { pairs: [[`img-${n}`, P2], [`img-${n}`, P1]], delayMs: 2 };
        // Ten projects: a project's own jobs run one at a time.
        ids.push(await s.stores[0].db.transaction().execute((trx) => s.jobs.submit(trx, tenth(n), TEST_JOB, payload)));
        s.jobs.notify();
      }
      for (const id of ids) await finished(s.repo, id);
      await local.stop();
      const remote = await thread.stop();

      assert.deepEqual([...executions, ...remote].sort(), [...ids].sort(), 'every job ran exactly once');
      assert.ok(executions.length > 0 && remote.length > 0, `both runners worked: ${executions.length}/${remote.length}`);
      const rows = await s.stores[0].db.selectFrom('jobs').select(['status', 'attempts', 'locked_by'])
        .where('id', 'in', ids).execute();
      assert.deepEqual(new Set(rows.map((r) => `${r.status}/${r.attempts}/${r.locked_by}`)), new Set(['SUCCESS/1/null']));
      const n = 42;
      assert.deepEqual(await jobView(s.jobs, tenth(n), ids[n]!).then((v) => v.entities.results), [
        { image_id: `img-${n}`, project_id: P2, status: 'success' },
        { image_id: `img-${n}`, project_id: P1, status: 'success' },
      ]);
      const count = await s.stores[0].db.selectFrom('job_results').select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 200);
    });

    it('records a FAIL outcome as returned, and a thrown error as an internal failure', async (t) => {
      const s = await setup(t, kind);
      const logger = memoryLogger();
      const runner = s.runner(s.stores[0], { logger }, {
        'test.outcome': task<{ mode: string }>(async (payload, ctx) => {
          await ctx.commitChunk(async () => undefined, [{ imageId: 'img', projectId: P2, status: 'failed', errorCode: 'IMG.0088' }]);
          if (payload.mode === 'throw') throw new Error('database password is hunter2');
          if (payload.mode === 'garbage') return { status: 'DONE' } as never;
          return { status: 'FAIL', errorCode: 'IMG.0088', failReason: 'The number of shared images has reached the maximum allowed.' };
        }),
      });
      s.jobs.onSubmitted(() => runner.notify());
      runner.start();
      const fail = await s.jobs.submit(s.stores[0].db, demo, 'test.outcome', { mode: 'fail' });
      const thrown = await s.jobs.submit(s.stores[0].db, demo, 'test.outcome', { mode: 'throw' });
      const garbage = await s.jobs.submit(s.stores[0].db, demo, 'test.outcome', { mode: 'garbage' });
      for (const id of [fail, thrown, garbage]) await finished(s.repo, id);

      const failed = await jobView(s.jobs, demo, fail);
      assert.match(failed.end_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(failed.end_time >= failed.begin_time);
      assert.deepEqual(failed, {
        status: 'FAIL', job_id: fail, job_type: 'test.outcome', begin_time: failed.begin_time, end_time: failed.end_time,
        error_code: 'IMG.0088', fail_reason: 'The number of shared images has reached the maximum allowed.',
        entities: { results: [{ image_id: 'img', project_id: P2, status: 'failed' }] },
      });
      for (const id of [thrown, garbage]) {
        const view = await jobView(s.jobs, demo, id);
        assert.deepEqual([view.status, view.error_code, view.fail_reason],
          ['FAIL', INTERNAL_FAILURE.errorCode, 'An internal error occurred while running the job.']);
      }
      const errors = logger.lines.filter((l) => l.level === 'error');
      // Jobs submitted within one millisecond run in id order, so compare without order.
      assert.deepEqual(errors.map((l) => `${l.msg}: ${(l.obj as { jobId: string }).jobId}`).sort(),
        [`job handler failed: ${thrown}`, `job handler failed: ${garbage}`].sort());
      const cause = errors.find((l) => (l.obj as { jobId: string }).jobId === thrown)!.obj as { err: Error };
      assert.match(cause.err.message, /hunter2/, 'the cause is logged, not shown');
    });

    it('a transient fault releases the job for a retry with backoff; it resumes and ends as if nothing happened', async (t) => {
      const s = await setup(t, kind);
      const logger = memoryLogger();
      const delays: number[] = [];
      const attempts: number[] = [];
      const faults = [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
        Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })];
      const runner = s.runner(s.stores[0], { logger, retryDelayMs: (n) => { delays.push(n); return 30; } }, {
        'test.flaky': task<{ pairs: string[] }>(async (payload, ctx) => {
          attempts.push(ctx.job.attempt);
          const done = await ctx.recordedPairs();
          for (const [i, image] of payload.pairs.entries()) {
            if (done.has(image, P2)) continue;
            // The first two runs stop after one pair each, as a lost connection would stop them.
            if (i > 0 && faults.length > 0) throw faults.shift();
            await ctx.commitChunk(async () => undefined, [{ imageId: image, projectId: P2, status: 'success' }]);
          }
          return { status: 'SUCCESS' };
        }),
      });
      s.jobs.onSubmitted(() => runner.notify());
      runner.start();
      const id = await s.jobs.submit(s.stores[0].db, demo, 'test.flaky', { pairs: ['a', 'b', 'c', 'd'] });
      const job = await finished(s.repo, id);
      assert.deepEqual([job.status, job.retries, job.last_error, job.error_code], ['SUCCESS', 2, 'database locked by another process', null]);
      assert.deepEqual(attempts, [1, 2, 3], 'released and claimed again after each fault');
      assert.deepEqual(delays, [1, 2]);
      const results = await s.repo.results(id);
      assert.deepEqual(results.map((r) => r.image_id), ['a', 'b', 'c', 'd'], 'each pair once, in order');
      assert.deepEqual(logger.lines.filter((l) => l.level === 'error'), []);
      assert.equal(logger.lines.filter((l) => l.msg === 'job interrupted by a database fault; it will resume').length, 2);
    });

    it('a job failing transiently more than maxRetries times fails with the internal failure', async (t) => {
      const s = await setup(t, kind);
      let runs = 0;
      const runner = s.runner(s.stores[0], { maxRetries: 2, retryDelayMs: () => 10 }, {
        'test.down': task(async () => {
          runs++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }),
      });
      runner.start();
      const id = await s.jobs.submit(s.stores[0].db, demo, 'test.down', {});
      const job = await finished(s.repo, id);
      assert.deepEqual([job.status, job.retries, job.last_error, job.error_code, runs],
        ['FAIL', 2, 'connection refused', INTERNAL_FAILURE.errorCode, 3]);
    });

    it('a runner that died is taken over after its lease; its late writes are refused', async (t) => {
      const s = await setup(t, kind);
      const pairs: [string, string][] = [['img-1', P2], ['img-2', P2], ['img-3', P2]];
      const committedFirst = gate();
      const resume = gate();
      const lateWrite = gate<unknown>();
      let deadCtx: JobContext | undefined;
      const deadLogger = memoryLogger();
      // Renewals every minute with a 1 s lease: this runner's lease runs out while its handler is stuck.
      const dead = s.runner(s.stores[0], { workerId: 'dead', renewIntervalMs: 60_000, logger: deadLogger }, {
        [TEST_JOB]: task<PairsPayload>(async (payload, ctx) => {
          deadCtx = ctx;
          await ctx.commitChunk(async () => undefined, [{ imageId: payload.pairs[0]![0], projectId: P2, status: 'success' }]);
          committedFirst.open();
          await resume.wait;
          try {
            await ctx.commitChunk(async (trx) => {
              await trx.insertInto('settings').values({ key: 'late-write', value: 'x' }).execute();
            }, [{ imageId: payload.pairs[1]![0], projectId: P2, status: 'success' }]);
            lateWrite.open('committed');
          } catch (err) {
            lateWrite.open(err);
            throw err;
          }
          return { status: 'SUCCESS' };
        }),
      });
      dead.start();
      const id = await s.jobs.submit(s.stores[0].db, demo, TEST_JOB, { pairs } satisfies PairsPayload);
      dead.notify();
      await committedFirst.wait;

      const executions: string[] = [];
      const heir = s.runner(s.stores[1], { workerId: 'heir' }, { [TEST_JOB]: pairsHandler(executions) });
      heir.start();
      const job = await finished(s.repo, id);
      assert.deepEqual([job.status, job.attempts], ['SUCCESS', 2]);
      assert.deepEqual(executions, [id]);
      assert.equal(await deadCtx!.isStillOwner(), false);

      resume.open();
      const err = await lateWrite.wait;
      assert.ok(err instanceof LeaseLostError, `late write refused: ${String(err)}`);
      await dead.stop();
      assert.ok(deadLogger.lines.some((l) => l.level === 'warn' && l.msg === 'job taken over by another runner; leaving it to that runner'));
      assert.equal(deadLogger.lines.some((l) => l.level === 'error'), false);

      const view = await jobView(s.jobs, demo, id);
      assert.deepEqual([view.status, view.end_time], ['SUCCESS', job.end_time]);
      assert.deepEqual(view.entities.results, pairs.map(([image_id, project_id]) => ({ image_id, project_id, status: 'success' })));
      assert.deepEqual((await s.repo.results(id)).map((r) => r.seq), [1, 2, 3]);
      assert.equal(await s.stores[0].db.selectFrom('settings').select('key').where('key', '=', 'late-write')
        .executeTakeFirst(), undefined, 'the refused chunk wrote nothing');
    });

    it('stop() waits for the running job and then claims nothing more', async (t) => {
      const s = await setup(t, kind);
      const started = gate();
      const release = gate();
      const runner = s.runner(s.stores[0], {}, {
        'test.slow': task(async () => {
          started.open();
          await release.wait;
          return { status: 'SUCCESS' };
        }),
      });
      s.jobs.onSubmitted(() => runner.notify());
      runner.start();
      const first = await s.jobs.submit(s.stores[0].db, demo, 'test.slow', {});
      await started.wait;
      let stopped = false;
      const stopping = runner.stop().then(() => { stopped = true; });
      await pause(100);
      assert.equal(stopped, false, 'stop() returned while a job was running');
      const second = await s.jobs.submit(s.stores[0].db, demo, 'test.slow', {});
      release.open();
      await stopping;
      assert.equal((await s.repo.byId(first))?.status, 'SUCCESS');
      await pause(100);
      assert.equal((await s.repo.byId(second))?.status, 'INIT');
    });

    it('runs up to `concurrency` jobs of different projects at once', async (t) => {
      const release = gate();
      // First of the after hooks (they run in order): a failed assertion must not leave the runner waiting.
      t.after(() => release.open());
      const s = await setup(t, kind);
      let running = 0;
      let most = 0;
      const runner = s.runner(s.stores[0], { concurrency: 3 }, {
        'test.slow': task(async () => {
          most = Math.max(most, ++running);
          await release.wait;
          running--;
          return { status: 'SUCCESS' };
        }),
      });
      const ids = [];
      for (const p of ['a', 'b', 'c', 'd']) ids.push(await s.jobs.submit(s.stores[0].db, projectCtx(p), 'test.slow', {}));
      runner.start();
      await waitFor(async () => (running === 3 ? true : undefined), 5000, 'three running jobs');
      await pause(100);
      assert.equal(most, 3);
      assert.deepEqual((await Promise.all(ids.map((id) => s.repo.byId(id)))).map((j) => j?.status).sort(),
        ['INIT', 'RUNNING', 'RUNNING', 'RUNNING']);
      release.open();
      for (const id of ids) assert.equal((await finished(s.repo, id)).status, 'SUCCESS');
      assert.equal(most, 3);
    });

    it('a project\'s jobs run one at a time, in the order they were submitted, beside other projects\' jobs',
      async (t) => {
        const release = gate();
        t.after(() => release.open());
        const s = await setup(t, kind);
        const started: string[] = [];
        const runner = s.runner(s.stores[0], { concurrency: 3 }, {
          'test.slow': task(async (_payload, ctx) => {
            started.push(ctx.job.id);
            await release.wait;
            return { status: 'SUCCESS' };
          }),
        });
        const mine = [];
        // Submission times are to the millisecond: apart, so that their order is known.
        for (let n = 0; n < 3; n++) {
          mine.push(await s.jobs.submit(s.stores[0].db, demo, 'test.slow', {}));
          await pause(3);
        }
        const other = await s.jobs.submit(s.stores[0].db, projectCtx('b'), 'test.slow', {});
        runner.start();
        await waitFor(async () => (started.length === 2 ? true : undefined), 5000, 'two running jobs');
        await pause(200);
        // Two slots claim at once: the two projects' first jobs may start in either order.
        const firstTwo = [mine[0], other].sort();
        assert.deepEqual(started.slice(0, 2).sort(), firstTwo);
        assert.equal(started.length, 2, 'mine[1] waits for mine[0]');
        release.open();
        for (const id of [...mine, other]) assert.equal((await finished(s.repo, id)).status, 'SUCCESS');
        assert.deepEqual(started.slice(0, 2).sort(), firstTwo);
        assert.deepEqual(started.slice(2), [mine[1], mine[2]]);
      });

    it('a long job gives its runner up after its time slice to another project\'s job, then resumes', async (t) => {
      const s = await setup(t, kind);
      const order: string[] = [];
      const runner = s.runner(s.stores[0], { concurrency: 1, sliceMs: 100 }, {
        'test.long': task(async (_payload, ctx) => {
          const done = (await ctx.lastResult())?.seq ?? 0;
          for (let n = done; n < 40; n++) {
            if (await ctx.sliceOver()) throw new SliceOverError(ctx.job.id);
            await pause(10);
            await ctx.commitChunk(async () => undefined, [{ imageId: `i${n}`, projectId: P1, status: 'success' }]);
          }
          order.push('long');
          return { status: 'SUCCESS' };
        }),
        'test.short': task(async () => {
          order.push('short');
          return { status: 'SUCCESS' };
        }),
      });
      const long = await s.jobs.submit(s.stores[0].db, demo, 'test.long', {});
      runner.start();
      await waitFor(async () => ((await s.repo.lastResult(long)) ? true : undefined), 5000, 'the long job to start');
      const short = await s.jobs.submit(s.stores[0].db, projectCtx('b'), 'test.short', {});
      assert.equal((await finished(s.repo, short)).status, 'SUCCESS');
      assert.deepEqual(order, ['short']);
      const row = await finished(s.repo, long);
      assert.equal(row.status, 'SUCCESS');
      assert.ok(row.slices >= 1, `slices: ${row.slices}`);
      // Every pair exactly once, in order, across the slices.
      assert.deepEqual((await s.repo.results(long)).map((r) => r.image_id),
        Array.from({ length: 40 }, (_, n) => `i${n}`));
    });

    it('notify() starts a job at once instead of at the next poll, and unknown types are left alone', async (t) => {
      const s = await setup(t, kind);
      const executions: string[] = [];
      const runner = s.runner(s.stores[0], { pollIntervalMs: 60_000 }, { [TEST_JOB]: pairsHandler(executions) });
      s.jobs.onSubmitted(() => runner.notify());
      runner.start();
      await pause(50);
      const other = await s.jobs.submit(s.stores[0].db, demo, 'test.nobody-runs-this', {});
      const t0 = Date.now();
      const id = await s.jobs.submit(s.stores[0].db, demo, TEST_JOB, { pairs: [['img', P2]] } satisfies PairsPayload);
      await finished(s.repo, id);
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
      assert.equal((await s.repo.byId(other))?.status, 'INIT');
    });

    it('fails without running it a job that was claimed more than maxAttempts times', async (t) => {
      const s = await setup(t, kind);
      const executions: string[] = [];
      const id = await s.jobs.submit(s.stores[0].db, demo, TEST_JOB, { pairs: [] } satisfies PairsPayload);
      const past = new Date(Date.now() - 10_000).toISOString();
      assert.equal((await s.repo.claim('crashed', [TEST_JOB], past, past))?.attempts, 1);
      s.runner(s.stores[0], { maxAttempts: 1 }, { [TEST_JOB]: pairsHandler(executions) }).start();
      const job = await finished(s.repo, id);
      assert.deepEqual([job.status, job.attempts, job.error_code, job.fail_reason],
        ['FAIL', 2, INTERNAL_FAILURE.errorCode, INTERNAL_FAILURE.failReason]);
      assert.deepEqual(executions, []);
    });

    it('purges jobs finished longer ago than the retention', async (t) => {
      const s = await setup(t, kind);
      const repo = s.repo;
      const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
      for (const [id, endedMsAgo] of [['old', 20_000], ['new', 1_000]] as const) {
        await repo.insert({ id, projectId: P1, type: 'x', payload: null, now: iso(30_000) });
        await repo.claim('w', ['x'], iso(30_000), iso(0));
        await repo.appendResults(id, [{ imageId: 'i', projectId: P2, status: 'success' }]);
        assert.equal(await repo.finish({ jobId: id, owner: 'w', attempt: 1 }, { status: 'SUCCESS' }, iso(endedMsAgo)), true);
      }
      const logger = memoryLogger();
      s.runner(s.stores[0], { retentionSeconds: 10, purgeIntervalMs: 30, logger }).start();
      await waitFor(async () => ((await repo.byId('old')) ? undefined : true), 5000, 'purge');
      assert.equal((await repo.byId('new'))?.status, 'SUCCESS');
      assert.deepEqual((await repo.results('old')), []);
      assert.ok(logger.lines.some((l) => l.msg === 'purged finished jobs' && (l.obj as { purged: number }).purged === 1));
    });
  });
}
