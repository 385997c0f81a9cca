import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SQLITE } from '../helpers/databases.js';
import {
  assertAlive, assertUnavailable, call, createImage, lockSqlite, login, logLines, serveOn, upload,
} from '../helpers/faults.js';

const TIMEOUT_MS = 1500;

describe('SQLite write lock held by another process', () => {
  it('writes wait for it, or answer 503 after the statement timeout; /healthz stays under 50 ms and reads go on', async (t) => {
    const { srv, dir } = await serveOn(t, SQLITE, ['--db-statement-timeout', String(TIMEOUT_MS / 1000)]);
    const { token } = await login(srv.url, 'owner');
    const image = await createImage(srv.url, token);
    await upload(srv.url, token, image);
    const member = (await login(srv.url, 'member')).project;

    const lock = await lockSqlite(path.join(dir, 'ims.db'));
    let probing = true;
    const probes: number[] = [];
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        assert.equal((await call(`${srv.url}/healthz`, { limitMs: 1000 })).status, 200);
        probes.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const read = await call(`${srv.url}/v2/images/${image}`, { token, limitMs: 1000 });
      assert.equal(read.status, 200, 'a read needs no write lock');
      const newImage = JSON.stringify({ name: 'x', disk_format: 'raw', container_format: 'bare' });
      const [write, batch] = await Promise.all([
        call(`${srv.url}/v2/images`, { method: 'POST', token, body: newImage, limitMs: 5000 }),
        call(`${srv.url}/v1/cloudimages/members`, { method: 'POST', token, limitMs: 5000,
          body: JSON.stringify({ images: [image], projects: [member] }) }),
      ]);
      assertUnavailable(write, 'glance');
      assertUnavailable(batch, 'ims');
      for (const res of [write, batch]) {
        assert.ok(res.ms >= TIMEOUT_MS - 100 && res.ms < TIMEOUT_MS + 1000, `503 after the timeout, not before: ${res.ms} ms`);
      }
      // A write asked for while the lock is held, released before its timeout: it waits and succeeds.
      const waiting = call(`${srv.url}/v2/images`, { method: 'POST', token, body: newImage, limitMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await lock.release();
      const waited = await waiting;
      assert.equal(waited.status, 201, waited.text);
      assert.ok(waited.ms >= 450, `it waited for the lock: ${waited.ms} ms`);
    } finally {
      probing = false;
      await probe;
      await lock.release();
    }
    assert.ok(probes.length > 20, `probes: ${probes.length}`);
    assert.ok(Math.max(...probes) < 50, `slowest /healthz while locked: ${Math.max(...probes).toFixed(1)} ms`);
    assert.equal((await call(`${srv.url}/v2/images`, { method: 'POST', token,
      body: JSON.stringify({ name: 'after', disk_format: 'raw', container_format: 'bare' }) })).status, 201);
    const job = await call(`${srv.url}/v1/cloudimages/members`, { method: 'POST', token,
      body: JSON.stringify({ images: [image], projects: [member] }) });
    assert.equal(job.status, 200);
    assertAlive(srv);
    assert.deepEqual(logLines(srv, 'internal error'), []);
    assert.deepEqual(logLines(srv, 'claiming a job failed'), [], 'the job runner backs off without an error per poll');
    const episodes = logLines(srv, 'database unavailable');
    assert.ok(episodes.length >= 1 && episodes.length <= 3, `episodes logged: ${episodes.length}`);
    assert.equal(episodes[0]!.reason, 'database locked by another process');
  });
});
