import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { signed } from '../../helpers/aksk.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';
import { keystoneError } from '../../helpers/keystone.js';
import { BASE, call, denied, listLinks, loginAs, projectJson, tokenStatus } from '../../helpers/keystone-admin.js';

type Json = Record<string, any>;

const userJson = (id: string, name: string, extra: Json = {}) => ({
  id, name, domain_id: 'default', enabled: true, ...extra, password_expires_at: null, options: {},
  links: { self: `${BASE}/v3/users/${id}` },
});

async function userId(t: TestApp, name: string): Promise<string> {
  return (await t.container.repos.identity.userByName('default', name))!.id;
}

for (const kind of databaseKinds()) {
  describe(`Keystone users (${kind.name})`, () => {
    it('POST /v3/users: admins create (201, Keystone\'s body); the user logs in; refusals change nothing', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const created = await call(t, 'POST', '/v3/users', t.tokens.admin, { user: { name: 'alice', password: 'pw-1',
        default_project_id: t.projects.demo, email: 'alice@example.org', description: 'Alice', domain_id: 'default',
        enabled: true } });
      assert.equal(created.statusCode, 201, created.body);
      const id = (json(created) as Json).user.id as string;
      assert.match(id, /^[0-9a-f]{32}$/);
      const body = userJson(id, 'alice', { default_project_id: t.projects.demo, description: 'Alice',
        email: 'alice@example.org' });
      assert.deepEqual(json(created), { user: body });
      assert.deepEqual(json(await call(t, 'GET', `/v3/users/${id}`, t.tokens.admin)), { user: body });
      assert.equal((await loginAs(t, 'alice', 'pw-1')).status, 401, 'no role on its default project yet');
      await call(t, 'PUT', `/v3/projects/${t.projects.demo}/users/${id}/roles/${await roleId(t, 'reader')}`, t.tokens.admin);
      const alice = await loginAs(t, 'alice', 'pw-1');
      assert.equal(alice.status, 201);
      assert.equal(alice.body.token.project.id, t.projects.demo);

      const bare = await call(t, 'POST', '/v3/users', t.tokens.admin, { user: { name: 'bare' } });
      assert.deepEqual(json(bare), { user: userJson((json(bare) as Json).user.id, 'bare') });
      await call(t, 'PUT', `/v3/projects/${t.projects.demo}/users/${(json(bare) as Json).user.id}/roles/${
        await roleId(t, 'reader')}`, t.tokens.admin);
      for (const password of ['', '!', 'anything']) {
        assert.equal((await loginAs(t, 'bare', password, 'demo')).status, 401, 'a user without a password never logs in');
      }

      const before = await stateDigest(t);
      const refusals: [unknown, number, string][] = [
        [{ user: { name: 'alice' } }, 409,
          'Conflict occurred attempting to store user - Duplicate entry found with name alice at domain ID default.'],
        [{ users: {} }, 400, "'user' is a required property"],
        [{ user: { name: 'a', password: 5 } }, 400, "Invalid input for field 'password': 5 is not of type 'string', 'null'"],
        [{ user: { name: 'a', password: 'x'.repeat(4097) } }, 400,
          "Invalid input for field 'password': longer than 4096 characters."],
        [{ user: { name: 'a', email: ['a'] } }, 400, "Invalid input for field 'email': ['a'] is not of type 'string', 'null'"],
        [{ user: { name: 'a', domain_id: null } }, 400, "Invalid input for field 'domain_id': None is not of type 'string'"],
        [{ user: { name: 'a', domain_id: 'nowhere' } }, 404, 'Could not find domain: nowhere.'],
        [{ user: { name: 'a', default_project_id: 'nowhere' } }, 404, 'Could not find project: nowhere.'],
      ];
      for (const [payload, status, message] of refusals) {
        const res = await call(t, 'POST', '/v3/users', t.tokens.admin, payload);
        assert.equal(res.statusCode, status, JSON.stringify(payload));
        assert.deepEqual(json(res), keystoneError(status,
          { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' }[status]!, message));
      }
      const member = await call(t, 'POST', '/v3/users', t.tokens.demo, { user: { name: 'mine' } });
      assert.equal(member.statusCode, 403);
      assert.deepEqual(json(member), denied('create_user'));
      assert.equal(await stateDigest(t), before, 'refusals change nothing');
    });

    it('GET /v3/users (filters) for admins; a user reads itself and lists its projects', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const ids = { root: await userId(t, 'root'), demo: await userId(t, 'demo'), alt: await userId(t, 'alt'),
        other: await userId(t, 'other') };
      const list = await call(t, 'GET', '/v3/users', t.tokens.admin);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(json(list), { users: [
        userJson(ids.alt, 'alt', { default_project_id: t.projects.alt }),
        userJson(ids.demo, 'demo', { default_project_id: t.projects.demo }),
        userJson(ids.other, 'other', { default_project_id: t.projects.other }),
        userJson(ids.root, 'root', { default_project_id: t.projects.admin }),
      ], links: listLinks('users') });
      await call(t, 'PATCH', `/v3/users/${ids.alt}`, t.tokens.admin, { user: { enabled: false } });
      const names = async (query: string) =>
        ((json(await call(t, 'GET', `/v3/users${query}`, t.tokens.admin)) as Json).users as Json[]).map((u) => u.name);
      assert.deepEqual(await names('?name=demo'), ['demo']);
      assert.deepEqual(await names('?enabled=false'), ['alt']);
      assert.deepEqual(await names('?enabled=1&domain_id=default'), ['demo', 'other', 'root']);
      assert.deepEqual(json(await call(t, 'GET', '/v3/users', t.tokens.demo)), denied('list_users'));

      assert.deepEqual(json(await call(t, 'GET', `/v3/users/${ids.demo}`, t.tokens.demo)),
        { user: userJson(ids.demo, 'demo', { default_project_id: t.projects.demo }) });
      assert.deepEqual(json(await call(t, 'GET', `/v3/users/${ids.root}`, t.tokens.demo)), denied('get_user'));
      const missing = await call(t, 'GET', '/v3/users/nobody', t.tokens.admin);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(json(missing), keystoneError(404, 'Not Found', 'Could not find user: nobody.'));

      await call(t, 'PUT', `/v3/projects/${t.projects.alt}/users/${ids.demo}/roles/${await roleId(t, 'reader')}`,
        t.tokens.admin);
      const own = await call(t, 'GET', `/v3/users/${ids.demo}/projects`, t.tokens.demo);
      assert.equal(own.statusCode, 200);
      assert.deepEqual(json(own), { projects: [projectJson(t.projects.alt, 'alt'), projectJson(t.projects.demo, 'demo')],
        links: listLinks(`users/${ids.demo}/projects`) });
      assert.deepEqual(json(await call(t, 'GET', `/v3/users/${ids.root}/projects`, t.tokens.demo)),
        denied('list_user_projects'));
      assert.equal((await call(t, 'GET', '/v3/users/nobody/projects', t.tokens.admin)).statusCode, 404);
    });

    it('PATCH /v3/users/{id}: a new password or disabling revokes the user\'s tokens; renaming does not', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const demo = await userId(t, 'demo');
      const second = (await loginAs(t, 'demo')).token;
      const renamed = await call(t, 'PATCH', `/v3/users/${demo}`, t.tokens.admin,
        { user: { name: 'demo2', email: 'd@example.org', description: null } });
      assert.equal(renamed.statusCode, 200);
      assert.deepEqual(json(renamed), { user: userJson(demo, 'demo2', { default_project_id: t.projects.demo,
        email: 'd@example.org' }) });
      assert.equal(await tokenStatus(t, t.tokens.demo), 200);

      const before = await stateDigest(t);
      const refusals: [string, unknown, number, unknown][] = [
        [demo, { user: { name: 'alt' } }, 409, keystoneError(409, 'Conflict',
          'Conflict occurred attempting to store user - Duplicate entry found with name alt at domain ID default.')],
        [demo, { user: {} }, 400, keystoneError(400, 'Bad Request', '{} does not have enough properties')],
        [demo, { user: { domain_id: 'elsewhere' } }, 400, keystoneError(400, 'Bad Request',
          'Update of `domain_id` is not allowed.')],
        [demo, { user: { default_project_id: 'nowhere' } }, 404, keystoneError(404, 'Not Found',
          'Could not find project: nowhere.')],
        [demo, { user: { enabled: 0 } }, 400, keystoneError(400, 'Bad Request',
          "Invalid input for field 'enabled': 0 is not of type 'boolean'")],
        ['nobody', { user: { name: 'x' } }, 404, keystoneError(404, 'Not Found', 'Could not find user: nobody.')],
        [demo, { user: { password: 'stolen' } }, 403, denied('update_user')],
      ];
      for (const [id, payload, status, expected] of refusals) {
        const res = await call(t, 'PATCH', `/v3/users/${id}`, status === 403 ? t.tokens.demo : t.tokens.admin, payload);
        assert.equal(res.statusCode, status, JSON.stringify(payload));
        assert.deepEqual(json(res), expected);
      }
      assert.equal(await stateDigest(t), before, 'refusals change nothing');

      const changed = await call(t, 'PATCH', `/v3/users/${demo}`, t.tokens.admin, { user: { password: 'new-pw' } });
      assert.equal(changed.statusCode, 200);
      assert.equal(await tokenStatus(t, t.tokens.demo), 401, 'a new password revokes every token of the user');
      assert.equal(await tokenStatus(t, second), 401);
      assert.equal(await tokenStatus(t, t.tokens.alt), 200, 'not those of others');
      assert.equal((await loginAs(t, 'demo2', 'secret')).status, 401);
      const fresh = await loginAs(t, 'demo2', 'new-pw');
      assert.equal(fresh.status, 201);
      assert.equal(await tokenStatus(t, fresh.token), 200);

      assert.equal((await signed(t, 'GET', '/v2/images')).statusCode, 200);
      await call(t, 'PATCH', `/v3/users/${demo}`, t.tokens.admin, { user: { enabled: false } });
      assert.equal(await tokenStatus(t, fresh.token), 401, 'disabling revokes them too');
      const unsigned = await signed(t, 'GET', '/v2/images');
      assert.equal(unsigned.statusCode, 401, "a disabled user's access keys sign nothing");
      assert.equal((json(unsigned) as { error_code: string }).error_code, 'APIGW.0301');
      const refused = await loginAs(t, 'demo2', 'new-pw');
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, keystoneError(401, 'Unauthorized', `The account is disabled for user: ${demo}.`));
      await call(t, 'PATCH', `/v3/users/${demo}`, t.tokens.admin, { user: { enabled: true } });
      assert.equal((await loginAs(t, 'demo2', 'new-pw')).status, 201);
      assert.equal((await signed(t, 'GET', '/v2/images')).statusCode, 200, 'and again once enabled');
    });

    it('DELETE /v3/users/{id}: its tokens, role assignments and access keys go', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const demo = await userId(t, 'demo');
      assert.deepEqual(json(await call(t, 'DELETE', `/v3/users/${demo}`, t.tokens.demo)), denied('delete_user'));
      const res = await call(t, 'DELETE', `/v3/users/${demo}`, t.tokens.admin);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal(await tokenStatus(t, t.tokens.demo), 401);
      assert.equal((await loginAs(t, 'demo')).status, 401);
      assert.deepEqual(await t.container.store.db.selectFrom('role_assignments').select('project_id')
        .where('user_id', '=', demo).execute(), []);
      assert.equal(await t.container.repos.accessKeys.find('AKDEMO0000000000000001'), undefined);
      const again = await call(t, 'DELETE', `/v3/users/${demo}`, t.tokens.admin);
      assert.equal(again.statusCode, 404);
      assert.deepEqual(json(again), keystoneError(404, 'Not Found', `Could not find user: ${demo}.`));
    });
  });
}

async function roleId(t: TestApp, name: string): Promise<string> {
  const res = await call(t, 'GET', `/v3/roles?name=${name}`, t.tokens.admin);
  return (json(res) as Json).roles[0].id;
}
