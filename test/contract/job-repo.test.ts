import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import type { Store } from '../../src/db/database.js';
import { JobRepo, type Lease } from '../../src/repos/job-repo.js';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.js';
import { openMigrated } from '../helpers/jobs.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** ISO time `s` seconds after T0. */
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const P1 = 'a'.repeat(32);
const P2 = 'b'.repeat(32);

async function setup(t: TestContext, kind: DatabaseKind, stores = 1): Promise<{ repos: JobRepo[]; store: Store }> {
  const database = await kind.create();
  const opened: Store[] = [];
  for (let i = 0; i < stores; i++) opened.push(await openMigrated(database.url));
  t.after(async () => {
    for (const s of opened) await s.close();
    await database.drop();
  });
  return { repos: opened.map((s) => new JobRepo(s)), store: opened[0]! };
}

const lease = (jobId: string, owner: string, attempt: number): Lease => ({ jobId, owner, attempt });

for (const kind of databaseKinds()) {
  describe(`job repository (${kind.name})`, () => {
    it('inserts INIT jobs inside the caller\'s transaction and reads them by id and project', async (t) => {
      const { repos: [repo], store } = await setup(t, kind);
      await store.db.transaction().execute(async (trx) => {
        await repo!.insert({ id: 'j1', projectId: P1, type: 'x', payload: { images: ['i'] }, now: at(0) }, trx);
      });
      await assert.rejects(store.db.transaction().execute(async (trx) => {
        await repo!.insert({ id: 'j2', projectId: P1, type: 'x', payload: {}, now: at(0) }, trx);
        throw new Error('request failed');
      }), /request failed/);
      assert.deepEqual(await repo!.byId('j1', P1), {
        id: 'j1', project_id: P1, type: 'x', status: 'INIT', payload: '{"images":["i"]}', error_code: null,
        fail_reason: null, attempts: 0, locked_by: null, locked_until: null, created_at: at(0), begin_time: at(0),
        end_time: null, retries: 0, last_error: null, pairs: 1, queued_at: at(0), slices: 0,
      });
      assert.equal((await repo!.byId('j1'))?.id, 'j1');
      assert.equal(await repo!.byId('j1', P2), undefined);
      assert.equal(await repo!.byId('j2'), undefined);
    });

    it('claims the oldest runnable job of the given types, once', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      for (const [id, s, type] of [['c', 3, 'x'], ['a', 1, 'x'], ['o', 0, 'other'], ['b', 2, 'x']] as const) {
        await repo!.insert({ id, projectId: id.repeat(32), type, payload: null, now: at(s), pairs: 7 });
      }
      const claimed = [];
      for (let i = 0; i < 4; i++) claimed.push(await repo!.claim('w1', ['x'], at(10), at(11)));
      assert.deepEqual(claimed.map((j) => j?.id), ['a', 'b', 'c', undefined]);
      assert.deepEqual(
        { ...claimed[0]!, payload: undefined },
        { id: 'a', project_id: 'a'.repeat(32), type: 'x', status: 'RUNNING', payload: undefined, error_code: null,
          fail_reason: null, attempts: 1, locked_by: 'w1', locked_until: at(11), created_at: at(1), begin_time: at(1),
          end_time: null, retries: 0, last_error: null, pairs: 7, queued_at: at(1), slices: 0 },
      );
      assert.equal(await repo!.claim('w1', [], at(10), at(11)), undefined);
      assert.equal((await repo!.claim('w1', ['other', 'x'], at(10), at(11)))?.id, 'o');
    });

    it('lets another runner take over a job whose lease ended, and fences the old claim', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      await repo!.insert({ id: 'j', projectId: P1, type: 'x', payload: null, now: at(0) });
      const first = await repo!.claim('w1', ['x'], at(1), at(2));
      assert.equal(first?.attempts, 1);
      assert.equal(await repo!.claim('w2', ['x'], at(1.5), at(2.5)), undefined, 'lease still running');
      assert.equal(await repo!.renew(lease('j', 'w1', 1), at(3)), true);
      assert.equal(await repo!.claim('w2', ['x'], at(2.5), at(3.5)), undefined, 'lease was renewed');
      const second = await repo!.claim('w2', ['x'], at(3.5), at(4.5));
      assert.deepEqual([second?.locked_by, second?.attempts, second?.locked_until], ['w2', 2, at(4.5)]);
      assert.equal(await repo!.owns(lease('j', 'w1', 1)), false);
      assert.equal(await repo!.renew(lease('j', 'w1', 1), at(9)), false);
      assert.equal(await repo!.finish(lease('j', 'w1', 1), { status: 'SUCCESS' }, at(4)), false);
      // The same runner re-claiming its own job later holds only the newer claim.
      const third = await repo!.claim('w2', ['x'], at(5), at(6));
      assert.equal(third?.attempts, 3);
      assert.equal(await repo!.owns(lease('j', 'w2', 2)), false);
      assert.equal(await repo!.owns(lease('j', 'w2', 3)), true);
      assert.equal((await repo!.byId('j'))?.status, 'RUNNING');
    });

    it('a job given up for a retry is claimable from its run time, by anyone, with its retries and last error', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      await repo!.insert({ id: 'j', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.claim('w1', ['x'], at(1), at(31));
      assert.equal(await repo!.retryLater(lease('j', 'w2', 1), { retries: 1, lastError: 'x', runAt: at(5) }), false,
        'only the claim holder gives it up');
      assert.equal(await repo!.retryLater(lease('j', 'w1', 1), { retries: 1, lastError: 'connection lost', runAt: at(5) }),
        true);
      const waiting = await repo!.byId('j');
      assert.deepEqual([waiting?.status, waiting?.locked_by, waiting?.locked_until, waiting?.retries, waiting?.last_error],
        ['RUNNING', null, at(5), 1, 'connection lost']);
      assert.equal(await repo!.owns(lease('j', 'w1', 1)), false);
      assert.equal(await repo!.claim('w2', ['x'], at(4.9), at(40)), undefined, 'not before its run time');
      const again = await repo!.claim('w2', ['x'], at(5.1), at(40));
      assert.deepEqual([again?.locked_by, again?.attempts, again?.retries], ['w2', 2, 1]);
    });

    it('finishes only by the claim holder, once, with the outcome', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      await repo!.insert({ id: 'ok', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.insert({ id: 'ko', projectId: P2, type: 'x', payload: null, now: at(1) });
      await repo!.claim('w1', ['x'], at(2), at(30));
      await repo!.claim('w1', ['x'], at(2), at(30));
      assert.equal(await repo!.finish(lease('ok', 'w2', 1), { status: 'SUCCESS' }, at(3)), false);
      assert.equal(await repo!.finish(lease('ok', 'w1', 1), { status: 'SUCCESS' }, at(3)), true);
      assert.equal(await repo!.finish(lease('ok', 'w1', 1), { status: 'FAIL', errorCode: 'E', failReason: 'r' }, at(4)),
        false, 'already finished');
      const fail = { status: 'FAIL', errorCode: 'IMG.0088', failReason: 'quota' } as const;
      assert.equal(await repo!.finish(lease('ko', 'w1', 1), fail, at(5)), true);
      const [ok, ko] = [await repo!.byId('ok'), await repo!.byId('ko')];
      assert.deepEqual([ok?.status, ok?.error_code, ok?.fail_reason, ok?.end_time, ok?.locked_by, ok?.locked_until],
        ['SUCCESS', null, null, at(3), null, null]);
      assert.deepEqual([ko?.status, ko?.error_code, ko?.fail_reason, ko?.end_time], ['FAIL', 'IMG.0088', 'quota', at(5)]);
      assert.equal(await repo!.claim('w3', ['x'], at(99), at(100)), undefined, 'finished jobs are never claimed');
    });

    it('appends results in order and reads them back by seq', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      await repo!.insert({ id: 'j', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.insert({ id: 'k', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.appendResults('j', [{ imageId: 'i1', projectId: P2, status: 'success' }]);
      await repo!.appendResults('k', [{ imageId: 'i9', projectId: P2, status: 'success' }]);
      await repo!.appendResults('j', []);
      const many = Array.from({ length: 1203 }, (_, n) => ({ imageId: `i${n + 2}`, projectId: P1, status: 'failed' as const,
        errorCode: 'IMG.0088' }));
      await repo!.appendResults('j', many);
      const rows = await repo!.results('j');
      assert.equal(rows.length, 1204);
      assert.deepEqual(rows[0], { job_id: 'j', seq: 1, image_id: 'i1', project_id: P2, status: 'success', error_code: null });
      assert.deepEqual(rows[1203], { job_id: 'j', seq: 1204, image_id: 'i1204', project_id: P1, status: 'failed',
        error_code: 'IMG.0088' });
      assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 1204 }, (_, n) => n + 1));
      assert.deepEqual((await repo!.results('k')).map((r) => [r.seq, r.image_id]), [[1, 'i9']]);
    });

    it('purges jobs finished before the cutoff, with their results, and nothing else', async (t) => {
      const { repos: [repo], store } = await setup(t, kind);
      for (let n = 0; n < 230; n++) {
        const id = `old${n}`;
        await repo!.insert({ id, projectId: P1, type: 'x', payload: null, now: at(0) });
        await repo!.claim('w', ['x'], at(1), at(60));
        await repo!.appendResults(id, [{ imageId: 'i', projectId: P2, status: 'success' }]);
        await repo!.finish(lease(id, 'w', 1), { status: n % 2 ? 'SUCCESS' : 'FAIL', errorCode: 'E', failReason: 'r' } as never, at(2));
      }
      await repo!.insert({ id: 'recent', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.claim('w', ['x'], at(1), at(60));
      await repo!.finish(lease('recent', 'w', 1), { status: 'SUCCESS' }, at(20));
      await repo!.insert({ id: 'running', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.claim('w', ['x'], at(1), at(60));
      await repo!.appendResults('running', [{ imageId: 'i', projectId: P2, status: 'success' }]);
      await repo!.insert({ id: 'waiting', projectId: P1, type: 'x', payload: null, now: at(0) });

      assert.equal(await repo!.purge(at(10)), 230);
      assert.equal(await repo!.purge(at(10)), 0);
      const left = await store.db.selectFrom('jobs').select(['id', 'status']).orderBy('id').execute();
      assert.deepEqual(left, [{ id: 'recent', status: 'SUCCESS' }, { id: 'running', status: 'RUNNING' },
        { id: 'waiting', status: 'INIT' }]);
      const results = await store.db.selectFrom('job_results').select('job_id').execute();
      assert.deepEqual(results, [{ job_id: 'running' }]);
    });

    it('runs a project\'s jobs one at a time: none is claimed while another runs under a live lease', async (t) => {
      const { repos: [repo] } = await setup(t, kind);
      await repo!.insert({ id: 'a1', projectId: P1, type: 'x', payload: null, now: at(0) });
      await repo!.insert({ id: 'a2', projectId: P1, type: 'x', payload: null, now: at(1) });
      await repo!.insert({ id: 'b1', projectId: P2, type: 'x', payload: null, now: at(2) });
      assert.equal((await repo!.claim('w1', ['x'], at(3), at(10)))?.id, 'a1');
      assert.equal((await repo!.claim('w2', ['x'], at(3), at(10)))?.id, 'b1', 'a2 waits for a1');
      assert.equal(await repo!.claim('w2', ['x'], at(4), at(10)), undefined);
      assert.equal(await repo!.othersWaiting(P2, ['x'], at(4)), false, 'a2 is not runnable while a1 runs');
      // a1 gives its runner up at the end of a slice: it waits again, behind a2 (which waited longer).
      assert.equal(await repo!.endSlice(lease('a1', 'w2', 1), at(5)), false, 'only the claim holder');
      assert.equal(await repo!.endSlice(lease('a1', 'w1', 1), at(5)), true);
      assert.equal(await repo!.othersWaiting(P2, ['x'], at(5)), true);
      assert.equal(await repo!.othersWaiting(P1, ['x'], at(5)), false);
      const next = await repo!.claim('w1', ['x'], at(5.5), at(10));
      assert.equal(next?.id, 'a2');
      const back = await repo!.byId('a1');
      assert.deepEqual([back?.status, back?.locked_by, back?.queued_at, back?.slices], ['RUNNING', null, at(5), 1]);
      assert.equal(await repo!.queuedPairs(P1), 2);
      assert.equal(await repo!.finish(lease('a2', 'w1', 1), { status: 'SUCCESS' }, at(6)), true);
      assert.equal(await repo!.queuedPairs(P1), 1);
      assert.deepEqual([(await repo!.claim('w1', ['x'], at(6), at(10)))?.id, (await repo!.byId('a1'))?.attempts],
        ['a1', 2]);
    });

    it('never hands one job to two concurrent claimers', async (t) => {
      const { repos } = await setup(t, kind, kind.name === 'postgres' ? 3 : 1);
      for (let n = 0; n < 30; n++) {
        const id = `j${String(n).padStart(2, '0')}`;
        await repos[0]!.insert({ id, projectId: id.repeat(16), type: 'x', payload: null, now: at(n) });
      }
      const claims = await Promise.all(Array.from({ length: 45 }, (_, n) =>
        repos[n % repos.length]!.claim(`w${n}`, ['x'], at(100), at(200))));
      const ids = claims.filter((c) => c !== undefined).map((c) => c.id).sort();
      assert.deepEqual(ids, Array.from({ length: 30 }, (_, n) => `j${String(n).padStart(2, '0')}`));
      assert.ok(claims.every((c) => c === undefined || c.attempts === 1));
    });
  });
}
