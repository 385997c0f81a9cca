import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import { contextFor } from '../../src/domain/context.js';
import { AppError } from '../../src/errors/app-error.js';
import { CacheSpace } from '../../src/cache/cache-space.js';
import { JobRepo, RESULTS_PAGE } from '../../src/repos/job-repo.js';
import { JobService } from '../../src/services/job-service.js';
import { FakeClock } from '../helpers/clock.js';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.js';
import { jobView, openMigrated } from '../helpers/jobs.js';

const P1 = '1'.repeat(32);
const P2 = '2'.repeat(32);
const demo = contextFor('u1', P1, ['member']);
const alt = contextFor('u2', P2, ['member']);
const admin = contextFor('u3', '3'.repeat(32), ['admin']);

async function setup(t: TestContext, kind: DatabaseKind) {
  const database = await kind.create();
  const store = await openMigrated(database.url);
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  const clock = new FakeClock('2024-11-06T06:30:00.778Z');
  const repo = new JobRepo(store);
  const jobs = new JobService(repo, clock, new CacheSpace(64 * 1024 * 1024));
  /** Submits a job of demo's as the services do: in a transaction of its own. */
  const submit = (type: string) => store.transaction((trx) => jobs.submit(trx, demo, type, {}));
  return { store, clock, repo, jobs, submit };
}

const notFound = (id: string) => (err: unknown) => {
  assert.ok(err instanceof AppError);
  assert.deepEqual([err.code, err.status, err.img, err.message], ['not_found', 404, 'IMG.0023', `Job ${id} could not be found.`]);
  return true;
};

for (const kind of databaseKinds()) {
  describe(`job service (${kind.name})`, () => {
    it('shows a submitted job as INIT, then RUNNING with partial results, then SUCCESS (ShowJob body)', async (t) => {
      const { jobs, repo, clock, store } = await setup(t, kind);
      const id = await jobs.submit(store.db, demo, 'imsAddImageMembersJob', { images: ['i'] });
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.deepEqual(await jobView(jobs, demo, id), {
        status: 'INIT', job_id: id, job_type: 'imsAddImageMembersJob', begin_time: '2024-11-06T06:30:00.778Z',
        end_time: '', error_code: null, fail_reason: null, entities: { results: [] },
      });
      const claimed = await repo.claim('w', ['imsAddImageMembersJob'], '2024-11-06T06:30:01.000Z', '2024-11-06T06:31:00.000Z');
      const lease = { jobId: id, owner: 'w', attempt: claimed!.attempts };
      await repo.appendResults(id, [{ imageId: '30e55148-deb9-4923-adb9-91618de16ba0', projectId: P2, status: 'success' }]);
      assert.deepEqual(await jobView(jobs, demo, id), {
        status: 'RUNNING', job_id: id, job_type: 'imsAddImageMembersJob', begin_time: '2024-11-06T06:30:00.778Z',
        end_time: '', error_code: null, fail_reason: null,
        entities: { results: [{ image_id: '30e55148-deb9-4923-adb9-91618de16ba0', project_id: P2, status: 'success' }] },
      });
      clock.set('2024-11-06T06:30:03.179Z');
      assert.equal(await repo.finish(lease, { status: 'SUCCESS' }, clock.now().toISOString()), true);
      assert.deepEqual(await jobView(jobs, demo, id), {
        status: 'SUCCESS', job_id: id, job_type: 'imsAddImageMembersJob', begin_time: '2024-11-06T06:30:00.778Z',
        end_time: '2024-11-06T06:30:03.179Z', error_code: null, fail_reason: null,
        entities: { results: [{ image_id: '30e55148-deb9-4923-adb9-91618de16ba0', project_id: P2, status: 'success' }] },
      });
    });

    it('shows up to a page of results whole; from a full page on, the view without results and every result in '
      + 'pages, in order', async (t) => {
      const { jobs, repo, submit } = await setup(t, kind);
      for (const n of [RESULTS_PAGE - 1, RESULTS_PAGE, 2 * RESULTS_PAGE + 1]) {
        const id = await submit('x');
        const results = Array.from({ length: n }, (_, i) => ({ imageId: `i${i}`, projectId: P2, status: 'success' as const }));
        await repo.appendResults(id, results);
        const body = await jobs.show(demo, id);
        const wire = results.map((r) => ({ image_id: r.imageId, project_id: P2, status: 'success' }));
        if (n < RESULTS_PAGE) {
          assert.ok('view' in body);
          assert.deepEqual(body.view.entities.results, wire);
          continue;
        }
        assert.ok('head' in body, `${n} results`);
        assert.deepEqual([body.head.status, body.head.entities.results], ['INIT', []]);
        const pages = [];
        for await (const page of body.pages()) pages.push(page);
        assert.deepEqual(pages.map((p) => p.length), n === RESULTS_PAGE ? [RESULTS_PAGE] : [RESULTS_PAGE, RESULTS_PAGE, 1]);
        assert.deepEqual(pages.flat(), wire);
      }
    });

    it('keeps the view of a finished job, and answers 404 once the job is purged', async (t) => {
      const { jobs, repo, store, submit } = await setup(t, kind);
      const id = await submit('x');
      await repo.claim('w', ['x'], '2024-11-06T06:30:01.000Z', '2024-11-06T06:31:00.000Z');
      await repo.appendResults(id, [{ imageId: 'i', projectId: P2, status: 'success' }]);
      await repo.finish({ jobId: id, owner: 'w', attempt: 1 }, { status: 'SUCCESS' }, '2024-11-06T06:30:02.000Z');
      const view = await jobView(jobs, demo, id);
      assert.equal(await jobView(jobs, demo, id), view);
      assert.ok(Object.isFrozen(view) && Object.isFrozen(view.entities.results[0]));
      await assert.rejects(jobView(jobs, alt, id), notFound(id));
      assert.equal(await repo.purge('2024-11-06T06:30:03.000Z'), 1);
      await assert.rejects(jobView(jobs, demo, id), notFound(id));
      assert.equal(await store.db.selectFrom('job_results').select('seq').executeTakeFirst(), undefined);
    });

    it('shows a failed job with its error code and reason', async (t) => {
      const { jobs, repo, submit } = await setup(t, kind);
      const id = await submit('imsDelImageMembersJob');
      await repo.claim('w', ['imsDelImageMembersJob'], '2024-11-06T06:30:01.000Z', '2024-11-06T06:31:00.000Z');
      await repo.finish({ jobId: id, owner: 'w', attempt: 1 },
        { status: 'FAIL', errorCode: 'IMG.0113', failReason: 'Failed to delete the tenant.' }, '2024-11-06T06:30:02.000Z');
      assert.deepEqual(await jobView(jobs, demo, id), {
        status: 'FAIL', job_id: id, job_type: 'imsDelImageMembersJob', begin_time: '2024-11-06T06:30:00.778Z',
        end_time: '2024-11-06T06:30:02.000Z', error_code: 'IMG.0113', fail_reason: 'Failed to delete the tenant.',
        entities: { results: [] },
      });
    });

    it('answers 404 IMG.0023 for unknown ids and for jobs of other projects, admins included', async (t) => {
      const { jobs, submit } = await setup(t, kind);
      const id = await submit('imsAddImageMembersJob');
      await assert.rejects(jobView(jobs, alt, id), notFound(id));
      await assert.rejects(jobView(jobs, admin, id), notFound(id));
      await assert.rejects(jobView(jobs, demo, 'f'.repeat(32)), notFound('f'.repeat(32)));
      await assert.rejects(jobView(jobs, demo, `${id}x`), notFound(`${id}x`));
    });

    it('commits the job with the request\'s transaction and notifies runners only once it is visible', async (t) => {
      const { jobs, store } = await setup(t, kind);
      const count = () => store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow().then((r) => Number(r.n));
      // Each nudge counts the jobs it can see at that moment.
      let seen: Promise<number>[] = [];
      const off = jobs.onSubmitted(() => { seen.push(count()); });
      const nudges = async () => {
        const counts = await Promise.all(seen);
        seen = [];
        return counts;
      };

      await assert.rejects(store.db.transaction().execute(async (trx) => {
        await jobs.submit(trx, demo, 'x', {});
        throw new Error('a later check failed');
      }), /a later check failed/);
      const inTrx = await store.db.transaction().execute((trx) => jobs.submit(trx, demo, 'x', {}));
      assert.deepEqual(await nudges(), [], 'no nudge from inside a transaction');
      jobs.notify();
      assert.deepEqual(await nudges(), [1]);
      // As the services submit: the request's write and the job in one transaction, the nudge after its commit.
      await store.transaction(async (trx) => {
        await trx.insertInto('settings').values({ key: 'request-write', value: 'v' }).execute();
        return jobs.submit(trx, demo, 'x', {});
      });
      assert.deepEqual(await nudges(), [], 'no nudge from inside a transaction');
      jobs.notify();
      assert.deepEqual(await nudges(), [2]);
      await jobs.submit(store.db, demo, 'x', {});
      assert.deepEqual(await nudges(), [3], 'outside a transaction submit nudges at once');
      off();
      jobs.notify();
      assert.deepEqual(await nudges(), []);
      assert.equal((await jobView(jobs, demo, inTrx)).status, 'INIT');
      assert.equal((await store.db.selectFrom('settings').select('value').where('key', '=', 'request-write')
        .executeTakeFirst())?.value, 'v');
    });
  });
}
