import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { buildContainer } from '../../../src/container.js';
import { databaseKinds } from '../../helpers/databases.js';
import { keystoneError } from '../../helpers/keystone.js';
import { call, listLinks, loginAs, projectJson, tokenStatus } from '../../helpers/keystone-admin.js';

type Json = Record<string, any>;

for (const kind of databaseKinds()) {
  describe(`Keystone token revocation and auth projects (${kind.name})`, () => {
    it('DELETE /v3/auth/tokens: 204, then the token is refused everywhere and not found; others are untouched',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const first = (await loginAs(t, 'demo')).token;
        const second = (await loginAs(t, 'demo')).token;
        const revoke = (subject: string, token: string) => t.app.inject({ method: 'DELETE', url: '/v3/auth/tokens',
          headers: { 'x-auth-token': token, 'x-subject-token': subject } });
        const validate = (subject: string) => t.app.inject({ url: '/v3/auth/tokens',
          headers: { 'x-auth-token': t.tokens.admin, 'x-subject-token': subject } });
        assert.equal((await validate(first)).statusCode, 200);

        const res = await revoke(first, first);
        assert.equal(res.statusCode, 204, res.body);
        assert.equal(res.body, '');
        assert.equal(await tokenStatus(t, first), 401, 'refused at once');
        const gone = await validate(first);
        assert.equal(gone.statusCode, 404);
        assert.deepEqual(json(gone), keystoneError(404, 'Not Found', 'Could not find token.'));
        assert.equal(await tokenStatus(t, second), 200, 'the user\'s other tokens still work');
        assert.equal((await revoke(first, second)).statusCode, 404, 'revoked already: not found');

        const foreign = await revoke(t.tokens.alt, second);
        assert.equal(foreign.statusCode, 403);
        assert.deepEqual(json(foreign), keystoneError(403, 'Forbidden',
          'You are not authorized to perform the requested action: identity:revoke_token.'));
        assert.equal(await tokenStatus(t, t.tokens.alt), 200);
        assert.equal((await revoke(t.tokens.alt, t.tokens.admin)).statusCode, 204, 'admins revoke anyone\'s');
        assert.equal(await tokenStatus(t, t.tokens.alt), 401);
        for (const subject of ['', 'ims1.bogus.token', `${second}x`]) {
          const bad = await revoke(subject, t.tokens.admin);
          assert.equal(bad.statusCode, 404, subject);
          assert.deepEqual(json(bad), keystoneError(404, 'Not Found', 'Could not find token.'));
        }
        const anonymous = await t.app.inject({ method: 'DELETE', url: '/v3/auth/tokens', headers: { 'x-subject-token': second } });
        assert.equal(anonymous.statusCode, 401);
        assert.equal(await tokenStatus(t, second), 200);
      });

    it('GET /v3/auth/projects: the enabled projects the token\'s user holds a role on', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const demo = (await t.container.repos.identity.userByName('default', 'demo'))!.id;
      const roles = (json(await call(t, 'GET', '/v3/roles?name=reader', t.tokens.admin)) as Json).roles as Json[];
      for (const project of [t.projects.alt, t.projects.other]) {
        await call(t, 'PUT', `/v3/projects/${project}/users/${demo}/roles/${roles[0]!.id}`, t.tokens.admin);
      }
      await call(t, 'PATCH', `/v3/projects/${t.projects.other}`, t.tokens.admin, { project: { enabled: false } });
      const res = await call(t, 'GET', '/v3/auth/projects', t.tokens.demo);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(json(res), { projects: [projectJson(t.projects.alt, 'alt'), projectJson(t.projects.demo, 'demo')],
        links: listLinks('auth/projects') });
      assert.deepEqual((json(await call(t, 'GET', '/v3/auth/projects', t.tokens.admin)) as Json).projects
        .map((p: Json) => p.name), ['admin']);
      assert.equal((await call(t, 'GET', '/v3/auth/projects')).statusCode, 401);
      assert.equal((await call(t, 'POST', '/v3/auth/projects', t.tokens.demo, {})).statusCode, 405);
    });

    // A second container on the same database stands for another process (an SQLite database in memory has
    // one: test/process/revocation.test.ts runs two processes on one SQLite file).
    if (kind.name === 'postgres') it('a revocation by another process is seen within a second (the poll), by this one at once',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const other = await buildContainer(t.container.config);
        tc.after(() => other.close());
        const token = (await loginAs(t, 'demo')).token;
        assert.ok(other.identity.verify(token) ?? await other.identity.verifyWithReload(token));
        const started = Date.now();
        const res = await t.app.inject({ method: 'DELETE', url: '/v3/auth/tokens',
          headers: { 'x-auth-token': token, 'x-subject-token': token } });
        assert.equal(res.statusCode, 204);
        assert.equal(await tokenStatus(t, token), 401);
        let seen = Infinity;
        while (Date.now() - started < 3000) {
          if (!(other.identity.verify(token) ?? await other.identity.verifyWithReload(token))) {
            seen = Date.now() - started;
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(seen <= 1100, `the other process refused it after ${seen} ms`);
      });
  });
}
