import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import {
  assertAlive, assertUnavailable, call, createImage, faultDir, load, login, logLines, waitUntil,
} from '../helpers/faults.js';
import { namedUser, passwordAuth } from '../helpers/keystone.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const STATEMENT_TIMEOUT_S = 2;

interface Setup {
  srv: RunningServer;
  /** The test's schema, reached directly (not through the proxy). */
  admin: pg.Client;
  database: TestDatabase;
  proxy: TcpProxy;
  /** The application_name of this test's ims connections. */
  app: string;
}

/** ims on a schema of its own, reached through a proxy the test can break. */
async function setup(t: TestContext, create: () => Promise<TestDatabase>): Promise<Setup> {
  const database = await create();
  const direct = new URL(database.url);
  const proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  await proxy.start();
  const app = `ims-fault-${randomBytes(4).toString('hex')}`;
  const via = new URL(database.url);
  via.hostname = '127.0.0.1';
  via.port = String(proxy.port);
  via.searchParams.set('application_name', app);
  const { dir, boot } = faultDir();
  const srv = await startServer(['--database-url', via.toString(), '--bootstrap', boot, '--log-level', 'warn',
    '--db-statement-timeout', String(STATEMENT_TIMEOUT_S), '--db-connect-timeout', '2'], { dataDir: dir });
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  t.after(async () => {
    await srv.stop();
    await admin.end();
    await proxy.close();
    await database.drop();
  });
  return { srv, admin, database, proxy, app };
}

/** Every id acknowledged with a 201 is in the database. */
async function assertKept(admin: pg.Client, ids: string[]): Promise<void> {
  const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from images where id = any($1)', [ids]);
  assert.equal(rows[0]!.n, ids.length, 'every acknowledged write is in the database');
}

/** Statuses seen under a fault: only successes and 503s (never a 500, never a hang). */
function assertOnly2xxAnd503(statuses: Map<number, number>): void {
  for (const status of statuses.keys()) assert.ok([200, 201, 503].includes(status), `status ${status} seen: ${[...statuses]}`);
}

for (const kind of databaseKinds().filter((k) => k.name === 'postgres')) {
  describe('PostgreSQL connection faults', () => {
    it('pg_terminate_backend under load fails only the requests on those connections; ims stays up and keeps every acknowledged write', async (t) => {
      const { srv, admin, app } = await setup(t, () => kind.create());
      const { token } = await login(srv.url, 'owner');
      let stop!: () => void;
      const running = load(srv.url, token, 8, new Promise<void>((resolve) => { stop = resolve; }));
      let terminated = 0;
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const { rows } = await admin.query<{ n: number }>(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1', [app]);
        terminated += rows[0]!.n;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop();
      const { statuses, acknowledged, bodies503 } = await running;
      assertAlive(srv);
      assert.ok(terminated >= 6, `connections terminated: ${terminated}`);
      assertOnly2xxAnd503(statuses);
      for (const res of bodies503) assertUnavailable(res, 'glance');
      assert.ok(acknowledged.length >= 10, `writes acknowledged under load: ${acknowledged.length}`);
      await assertKept(admin, acknowledged);
      assert.equal((await call(`${srv.url}/v2/images?limit=1`, { token })).status, 200);
      assert.deepEqual(logLines(srv, 'internal error'), [], 'no request failed as an internal error');
    });

    it('connections reset by the network, and a refused database: 503 in each dialect, then 2xx at once', async (t) => {
      const { srv, admin, proxy } = await setup(t, () => kind.create());
      const { token, project } = await login(srv.url, 'owner');
      const image = await createImage(srv.url, token);
      let stop!: () => void;
      const running = load(srv.url, token, 8, new Promise<void>((resolve) => { stop = resolve; }));
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        proxy.reset();
      }
      // Down: nothing listens where the database was.
      await proxy.stop();
      const down = {
        glance: await call(`${srv.url}/v2/images/${image}`, { token, limitMs: 5000 }),
        ims: await call(`${srv.url}/v1/${project}/jobs/${'0'.repeat(32)}`, { token, limitMs: 5000 }),
        keystone: await call(`${srv.url}/v3/auth/tokens`, { method: 'POST', limitMs: 5000,
          body: JSON.stringify(passwordAuth(namedUser('owner'))) }),
      };
      for (const [dialect, res] of Object.entries(down)) assertUnavailable(res, dialect as 'glance');
      const ready = await call(`${srv.url}/readyz`, { limitMs: 3000 });
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.json(), { status: 'unavailable', database: 'postgres', reason: 'database unreachable: connection refused' });
      await proxy.restore();
      const back = await waitUntil(async () => (await call(`${srv.url}/v2/images/${image}`, { token })).status === 200,
        5000, 'a read answered 200 after the database came back');
      assert.ok(back < 5000);
      stop();
      const { statuses, acknowledged } = await running;
      assertAlive(srv);
      assertOnly2xxAnd503(statuses);
      assert.ok((statuses.get(503) ?? 0) > 0, 'the faults were seen');
      await assertKept(admin, acknowledged);
      // One episode logged per outage, not one line per failed request.
      const episodes = logLines(srv, 'database unavailable');
      assert.ok(episodes.length >= 1 && episodes.length <= 7, `episodes logged: ${episodes.length}`);
      assert.ok(logLines(srv, 'database available again').length >= 1);
      assert.deepEqual(logLines(srv, 'internal error'), []);
    });

    it('a silent database (partition): 503 within the statement timeout, /readyz says why, /healthz answers; 2xx after it heals', async (t) => {
      const { srv, proxy } = await setup(t, () => kind.create());
      const { token, project } = await login(srv.url, 'owner');
      const image = await createImage(srv.url, token);
      proxy.blackhole();
      const limit = STATEMENT_TIMEOUT_S * 1000 + 1500;
      const [read, write, job, ready, health] = await Promise.all([
        call(`${srv.url}/v2/images/${image}`, { token, limitMs: limit }),
        call(`${srv.url}/v2/images`, { method: 'POST', token, limitMs: limit,
          body: JSON.stringify({ name: 'x', disk_format: 'raw', container_format: 'bare' }) }),
        call(`${srv.url}/v1/${project}/jobs/${'0'.repeat(32)}`, { token, limitMs: limit }),
        call(`${srv.url}/readyz`, { limitMs: 1500 }),
        call(`${srv.url}/healthz`, { limitMs: 500 }),
      ]);
      assertUnavailable(read, 'glance');
      assertUnavailable(write, 'glance');
      assertUnavailable(job, 'ims');
      assert.equal(ready.status, 503);
      assert.match(ready.json().reason, /^database unreachable: /);
      assert.equal(health.status, 200);
      await proxy.restore();
      await waitUntil(async () => (await call(`${srv.url}/v2/images/${image}`, { token })).status === 200,
        5000, 'a read answered 200 after the partition healed');
      assert.equal((await call(`${srv.url}/readyz`)).status, 200);
      assertAlive(srv);
    });
  });
}
