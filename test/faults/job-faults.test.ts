import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/db/database.js';
import { databaseKinds, type DatabaseKind } from '../helpers/databases.js';
import {
  assertAlive, call, createImage, faultDir, lockSqlite, login, logLines, upload, waitUntil,
} from '../helpers/faults.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const IMAGES = 40;
const PROJECTS = 1000;
const PAIRS = IMAGES * PROJECTS;

interface Setup {
  srv: RunningServer;
  /** The database, read directly by the test (not through the proxy). */
  store: Store;
  dir: string;
  proxy?: TcpProxy;
}

/** ims on `kind` (PostgreSQL through a proxy the test can break), with a short statement timeout. */
async function setup(t: TestContext, kind: DatabaseKind): Promise<Setup> {
  const { dir, boot } = faultDir();
  const database = kind.name === 'postgres' ? await kind.create() : undefined;
  const url = database?.url ?? `sqlite:${path.join(dir, 'ims.db')}`;
  let proxy: TcpProxy | undefined;
  let srv: RunningServer | undefined;
  let store: Store | undefined;
  // One hook, in this order: the server and the store let go of the database before it is dropped.
  t.after(async () => {
    await srv?.stop();
    await store?.close();
    await proxy?.close();
    await database?.drop();
  });
  if (database) {
    const direct = new URL(url);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    await proxy.start();
  }
  const via = new URL(url);
  if (proxy) {
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
  }
  srv = await startServer(['--database-url', proxy ? via.toString() : url, '--bootstrap', boot, '--log-level', 'warn',
    '--db-statement-timeout', '1', '--db-connect-timeout', '1', '--job-lease', '10', '--member-quota', '-1'], { dataDir: dir });
  store = openStore(url);
  return { srv, store, dir, proxy };
}

/** A 40 x 1,000 batch add of active images, and how far it has got. */
async function submitBatch(srv: RunningServer, store: Store) {
  const { token } = await login(srv.url, 'owner');
  const images: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const id = await createImage(srv.url, token, `batch-${i}`);
    await upload(srv.url, token, id);
    images.push(id);
  }
  const projects = Array.from({ length: PROJECTS }, (_, i) => (i + 1).toString(16).padStart(32, '0'));
  const res = await call(`${srv.url}/v1/cloudimages/members`, { method: 'POST', token, body: JSON.stringify({ images, projects }) });
  assert.equal(res.status, 200, res.text);
  const jobId = res.json().job_id as string;
  const progress = async () => {
    const { rows } = await sql<{ n: number; status: string; retries: number; last_error: string | null; error_code: string | null }>`
      select (select count(*) from job_results where job_id = ${jobId}) as n, status, retries, last_error, error_code
      from jobs where id = ${jobId}`.execute(store.db);
    return { ...rows[0]!, n: Number(rows[0]!.n) };
  };
  return { jobId, progress };
}

/** Waits until the job is part-way: some pairs applied, most not. */
async function partWay(progress: () => Promise<{ n: number; status: string }>): Promise<void> {
  await waitUntil(async () => {
    const p = await progress();
    assert.notEqual(p.status, 'SUCCESS', 'the job finished before the fault could cut it');
    return p.status === 'RUNNING' && p.n > 0;
  }, 30_000, 'the job is running with some pairs applied');
  const p = await progress();
  assert.ok(p.n < PAIRS / 2, `the fault comes part-way (${p.n} pairs applied)`);
}

/** The job ended as if nothing had happened: every pair once, every membership there, retried at least once. */
async function assertExact(store: Store, jobId: string, progress: () => Promise<Record<string, unknown>>): Promise<void> {
  await waitUntil(async () => (await progress()).status !== 'RUNNING', 60_000, 'the job finished');
  const end = await progress();
  assert.deepEqual([end.status, end.error_code, end.n], ['SUCCESS', null, PAIRS]);
  assert.ok(Number(end.retries) >= 1, 'the job was retried after the fault');
  assert.ok(end.last_error, 'the fault is recorded with the job');
  const { rows } = await sql<{ pairs: number; failed: number }>`select count(distinct image_id || '/' || project_id) as pairs,
    count(*) filter (where status <> 'success') as failed from job_results where job_id = ${jobId}`.execute(store.db);
  assert.deepEqual([Number(rows[0]!.pairs), Number(rows[0]!.failed)], [PAIRS, 0], 'no pair twice, none failed');
  const members = await sql<{ n: number }>`select count(*) as n from image_members`.execute(store.db);
  assert.equal(Number(members.rows[0]!.n), PAIRS);
}

for (const kind of databaseKinds()) {
  describe(`batch jobs under transient faults (${kind.name})`, () => {
    if (kind.name === 'postgres') {
      it('connections reset mid-job: the job retries, resumes and applies each pair exactly once', async (t) => {
        const { srv, store, proxy } = await setup(t, kind);
        const { jobId, progress } = await submitBatch(srv, store);
        await partWay(progress);
        proxy!.reset();
        await assertExact(store, jobId, progress);
        assertAlive(srv);
        assert.deepEqual(logLines(srv, 'job handler failed'), []);
      });

      it('a partition mid-job (statements time out): the job waits it out and ends exact', async (t) => {
        const { srv, store, proxy } = await setup(t, kind);
        const { jobId, progress } = await submitBatch(srv, store);
        await partWay(progress);
        proxy!.blackhole();
        await srv.waitForOutput(/"msg":"database unavailable"/);
        await proxy!.restore();
        await assertExact(store, jobId, progress);
        assertAlive(srv);
        assert.deepEqual(logLines(srv, 'job handler failed'), []);
      });
    } else {
      it('the write lock held by another process mid-job: the job backs off, resumes and ends exact', async (t) => {
        const { srv, store, dir } = await setup(t, kind);
        const { jobId, progress } = await submitBatch(srv, store);
        await partWay(progress);
        const lock = await lockSqlite(path.join(dir, 'ims.db'));
        try {
          // The job is the only writer: the episode starts when its chunk gave up waiting for the lock.
          await srv.waitForOutput(/"msg":"database unavailable"/);
        } finally {
          await lock.release();
        }
        await assertExact(store, jobId, progress);
        assertAlive(srv);
        assert.deepEqual(logLines(srv, 'job handler failed'), []);
      });
    }
  });
}
