import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';

for (const kind of databaseKinds()) {
  describe(`KMS key grants admin API (${kind.name})`, () => {
    it('admins grant, list and revoke; others get 403; a grant lets an encrypted image be shared', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const url = `/v1/kms-grants/key-9/projects/${t.projects.alt}`;
      const denied = await t.app.inject({ method: 'PUT', url, headers: { 'x-auth-token': t.tokens.demo } });
      assert.equal(denied.statusCode, 403);
      assert.equal((json(denied) as { error: { code: string } }).error.code, 'IMG.0161');
      const img = await t.app.inject({ method: 'POST', url: '/v2/images', headers: { 'x-auth-token': t.tokens.demo },
        payload: { name: 'enc', __system__cmkid: 'key-9' } });
      const id = (json(img) as { id: string }).id;
      const add = () => t.app.inject({ method: 'POST', url: `/v2/images/${id}/members`,
        headers: { 'x-auth-token': t.tokens.demo, accept: 'application/json' }, payload: { member: t.projects.alt } });
      assert.equal((await add()).statusCode, 403);
      const put = await t.app.inject({ method: 'PUT', url, headers: { 'x-auth-token': t.tokens.admin } });
      assert.equal(put.statusCode, 204);
      assert.equal(put.body, '');
      const list = await t.app.inject({ url: '/v1/kms-grants?key_id=key-9', headers: { 'x-auth-token': t.tokens.admin } });
      const grants = (json(list) as { grants: { key_id: string; project_id: string; created_at: string }[] }).grants;
      assert.deepEqual(grants.map((g) => [g.key_id, g.project_id]), [['key-9', t.projects.alt]]);
      assert.match(grants[0]!.created_at, /Z$/);
      assert.equal((await add()).statusCode, 200);
      const bad = await t.app.inject({ method: 'PUT', url: '/v1/kms-grants/key-9/projects/nope', headers: { 'x-auth-token': t.tokens.admin } });
      assert.equal((json(bad) as { error: { code: string } }).error.code, 'IMG.0067');
      assert.equal((await t.app.inject({ method: 'DELETE', url, headers: { 'x-auth-token': t.tokens.admin } })).statusCode, 204);
      const gone = await t.app.inject({ method: 'DELETE', url, headers: { 'x-auth-token': t.tokens.admin } });
      assert.equal(gone.statusCode, 404);
    });
  });
}
