import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import {
  assertAlive, assertUnavailable, call, createImage, faultDir, load, login, logLines, waitUntil,
} from '../helpers/faults.js';
import { PgCluster } from '../helpers/pg-cluster.js';
import { type RunningServer, startServer } from '../helpers/server.js';

describe('PostgreSQL restart', () => {
  it('two ims processes stay up through a restart of their cluster, answer 503 meanwhile and 2xx within 5 s of it being back', async (t) => {
    const cluster = await PgCluster.create();
    t.after(() => cluster.destroy());
    const { dir, boot } = faultDir();
    const args = ['--database-url', cluster.url, '--bootstrap', boot, '--log-level', 'warn', '--db-statement-timeout', '2',
      '--db-connect-timeout', '2'];
    const servers: RunningServer[] = [];
    t.after(async () => { for (const s of servers) await s.stop(); });
    // One after the other: the second finds the database migrated and the bootstrap applied.
    for (let i = 0; i < 2; i++) servers.push(await startServer(args, { dataDir: dir }));
    const { token } = await login(servers[0]!.url, 'owner');
    const image = await createImage(servers[0]!.url, token);

    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const loads = servers.map((s) => load(s.url, token, 4, stopped));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cluster.stop();
    for (const s of servers) {
      assertUnavailable(await call(`${s.url}/v2/images/${image}`, { token, limitMs: 5000 }), 'glance');
      const ready = await call(`${s.url}/readyz`, { limitMs: 3000 });
      assert.deepEqual(ready.json(), { status: 'unavailable', database: 'postgres', reason: 'database unreachable: connection refused' });
    }
    await cluster.start();
    for (const s of servers) {
      const ms = await waitUntil(async () => (await call(`${s.url}/v2/images/${image}`, { token })).status === 200,
        5000, `${s.url} answers 200 again`);
      assert.ok(ms <= 5000);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    const results = await Promise.all(loads);
    for (const s of servers) {
      assertAlive(s);
      assert.deepEqual(logLines(s, 'internal error'), []);
      assert.ok(logLines(s, 'database unavailable').length >= 1);
      assert.ok(logLines(s, 'database available again').length >= 1);
    }
    const acknowledged = results.flatMap((r) => r.acknowledged);
    for (const r of results) {
      for (const status of r.statuses.keys()) assert.ok([200, 201, 503].includes(status), `status ${status}: ${[...r.statuses]}`);
    }
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from images where id = any($1)', [acknowledged]);
      assert.equal(rows[0]!.n, acknowledged.length, 'every acknowledged write survived the restart');
    } finally {
      await admin.end();
    }
  });
});
