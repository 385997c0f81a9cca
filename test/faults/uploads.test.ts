import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { openStore } from '../../src/db/database.js';
import { databaseKinds, type DatabaseKind } from '../helpers/databases.js';
import {
  assertAlive, call, createImage, faultDir, login, startUpload, tempFiles, upload, waitUntil,
} from '../helpers/faults.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** A data dir with its bootstrap file, the database URL of `kind`, and how to serve them. */
async function setup(t: TestContext, kind: DatabaseKind) {
  const { dir, boot } = faultDir();
  const database = kind.name === 'postgres' ? await kind.create() : { url: `sqlite:${path.join(dir, 'ims.db')}`, drop: async () => {} };
  const args = ['--bootstrap', boot, '--database-url', database.url, '--log-level', 'warn', '--job-lease', '1'];
  const servers: RunningServer[] = [];
  // Every server stopped before the database is dropped: one still at work holds locks the drop would deadlock on.
  t.after(async () => {
    for (const srv of servers) await srv.stop();
    await database.drop();
  });
  /** `ims serve` on this data dir and database, with `extra` flags. */
  const serve = async (extra: string[] = []) => {
    const srv = await startServer([...args, ...extra], { dataDir: dir });
    servers.push(srv);
    return srv;
  };
  return { dir, url: database.url, serve };
}

const status = async (base: string, token: string, id: string) => (await call(`${base}/v2/images/${id}`, { token })).json().status;

for (const kind of databaseKinds()) {
  describe(`uploads under faults (${kind.name})`, () => {
    it('SIGKILL mid-upload: after a restart the image is queued again and uploads; temp files are swept', async (t) => {
      const { dir, serve } = await setup(t, kind);
      let srv = await serve();
      const { token } = await login(srv.url, 'owner');
      const id = await createImage(srv.url, token);
      const cut = await startUpload(srv.url, token, id);
      await cut.write(randomBytes(256 * 1024));
      await waitUntil(async () => (await status(srv.url, token, id)) === 'saving' && tempFiles(dir).length === 1,
        5000, 'the upload is saving into its temp file');
      srv.proc.kill('SIGKILL');
      await srv.stop();
      cut.abort();
      // An older crash's leftover, which no upload row names any more.
      const orphan = path.join(dir, 'images', `.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.${'ab'.repeat(6)}.tmp`);
      fs.writeFileSync(orphan, 'old');
      const hourAgo = new Date(Date.now() - 3_600_000);
      fs.utimesSync(orphan, hourAgo, hourAgo);

      srv = await serve();
      assert.equal(fs.existsSync(orphan), false, 'swept at start');
      await waitUntil(async () => (await status(srv.url, token, id)) === 'queued' && tempFiles(dir).length === 0,
        5000, 'the cut-off upload is swept once its lease ends');
      const data = randomBytes(100_000);
      await upload(srv.url, token, id, data);
      const image = (await call(`${srv.url}/v2/images/${id}`, { token })).json();
      assert.deepEqual([image.status, image.size, image.checksum],
        ['active', data.length, createHash('md5').update(data).digest('hex')]);
      assert.deepEqual(tempFiles(dir), []);
      assertAlive(srv);
    });

    it('SIGTERM lets an upload in progress finish before the process exits', async (t) => {
      const { dir, url, serve } = await setup(t, kind);
      // At info, the shutdown is logged: the test waits for it.
      const srv = await serve(['--log-level', 'info']);
      const { token } = await login(srv.url, 'owner');
      const id = await createImage(srv.url, token);
      const up = await startUpload(srv.url, token, id);
      const first = randomBytes(64 * 1024);
      await up.write(first);
      await waitUntil(async () => (await status(srv.url, token, id)) === 'saving', 5000, 'saving');
      srv.proc.kill('SIGTERM');
      await srv.waitForOutput(/shutting down/);
      const rest = randomBytes(64 * 1024);
      await up.write(rest);
      assert.deepEqual(await up.end(), { status: 204, body: '' });
      assert.equal(await srv.stop(), 0);
      const store = openStore(url);
      try {
        const row = await store.db.selectFrom('images').select(['status', 'size', 'checksum']).where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(row, { status: 'active', size: 128 * 1024,
          checksum: createHash('md5').update(Buffer.concat([first, rest])).digest('hex') });
        assert.equal(await store.db.selectFrom('uploads').selectAll().executeTakeFirst(), undefined);
      } finally {
        await store.close();
      }
      assert.deepEqual(tempFiles(dir), []);
    });

    it('deleting an image while its data uploads removes the temp file; the upload then fails with 409', async (t) => {
      const { dir, serve } = await setup(t, kind);
      const srv = await serve();
      const { token } = await login(srv.url, 'owner');
      const id = await createImage(srv.url, token);
      const up = await startUpload(srv.url, token, id);
      await up.write(randomBytes(64 * 1024));
      await waitUntil(async () => tempFiles(dir).length === 1, 5000, 'the temp file exists');
      assert.equal((await call(`${srv.url}/v2/images/${id}`, { method: 'DELETE', token })).status, 204);
      assert.deepEqual(tempFiles(dir), []);
      await up.write(randomBytes(1024));
      const answer = await up.end();
      assert.equal(answer.status, 409, answer.body);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'images')), [], 'no data left behind');
      assertAlive(srv);
    });
  });
}
