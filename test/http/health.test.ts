import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';

for (const kind of databaseKinds()) {
  describe(`health and versions (${kind.name})`, () => {
    it('healthz and readyz answer 200 while the database does, readyz 503 after it closed', async (t) => {
      const { app, container } = await buildTestApp(t, kind);
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(json(ready), { status: 'ok', database: kind.name });
      await container.store.close();
      const down = await app.inject({ url: '/readyz' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.headers['retry-after'], '2');
      assert.match((json(down) as { reason: string }).reason, /^database unreachable: /);
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    });

    it('readyz names the migrations the database lacks', async (t) => {
      const { app, container } = await buildTestApp(t, kind);
      await container.store.db.deleteFrom('kysely_migration' as never).where('name' as never, '=', '0008-uploads' as never).execute();
      const res = await app.inject({ url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(json(res), { status: 'unavailable', database: kind.name, reason: 'migrations pending: 0008-uploads' });
    });

    it('GET / is 300 and /versions 200 with the image versions', async (t) => {
      const { app } = await buildTestApp(t, kind);
      const root = await app.inject({ url: '/' });
      assert.equal(root.statusCode, 300);
      const body = json(root) as { versions: { id: string; status: string; links: { rel: string; href: string }[] }[] };
      assert.deepEqual(body.versions.map((v) => v.id), ['v2.15', 'v2.9', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0']);
      assert.equal(body.versions[0]!.status, 'CURRENT');
      assert.deepEqual(body.versions[3]!.links, [{ rel: 'self', href: 'http://ims.test:9292/v2/' }]);
      const versions = await app.inject({ url: '/versions' });
      assert.equal(versions.statusCode, 200);
      assert.deepEqual(json(versions), body);
    });

    it('serves the OpenAPI document', async (t) => {
      const { app } = await buildTestApp(t, kind);
      const res = await app.inject({ url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = json(res) as { openapi: string; paths: Record<string, unknown> };
      assert.match(doc.openapi, /^3\./);
      assert.ok(doc.paths['/v3/auth/tokens']);
    });
  });
}
