import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';
import { keystoneError } from '../../helpers/keystone.js';
import { BASE, call, denied, listLinks, loginAs, tokenStatus } from '../../helpers/keystone-admin.js';

type Json = Record<string, any>;

const roleJson = (id: string, name: string) => ({ id, name, domain_id: null, description: null, options: {},
  links: { self: `${BASE}/v3/roles/${id}` } });

async function ids(t: TestApp) {
  const roles = (json(await call(t, 'GET', '/v3/roles', t.tokens.admin)) as Json).roles as Json[];
  const role = (name: string) => roles.find((r) => r.name === name)!.id as string;
  const user = async (name: string) => (await t.container.repos.identity.userByName('default', name))!.id;
  return { admin: role('admin'), member: role('member'), reader: role('reader'), demo: await user('demo'),
    alt: await user('alt'), root: await user('root') };
}

for (const kind of databaseKinds()) {
  describe(`Keystone roles and assignments (${kind.name})`, () => {
    it('GET /v3/roles (filter name) and /v3/roles/{id}: the roles the policies know, ids the same everywhere', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const res = await call(t, 'GET', '/v3/roles', t.tokens.admin);
      assert.equal(res.statusCode, 200);
      const { roles } = json(res) as Json;
      assert.deepEqual(roles.map((r: Json) => r.name), ['admin', 'member', 'reader']);
      for (const r of roles) assert.deepEqual(r, roleJson(r.id, r.name));
      const token = (await loginAs(t, 'demo')).body.token;
      assert.deepEqual(token.roles, [{ id: roles[1].id, name: 'member' }, { id: roles[2].id, name: 'reader' }],
        'a token names its roles by the same ids');
      assert.deepEqual(json(await call(t, 'GET', '/v3/roles?name=reader', t.tokens.admin)),
        { roles: [roles[2]], links: listLinks('roles') });
      assert.deepEqual(json(await call(t, 'GET', `/v3/roles/${roles[0].id}`, t.tokens.admin)), { role: roles[0] });
      const missing = await call(t, 'GET', '/v3/roles/nope', t.tokens.admin);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(json(missing), keystoneError(404, 'Not Found', 'Could not find role: nope.'));
      assert.deepEqual(json(await call(t, 'GET', '/v3/roles', t.tokens.demo)), denied('list_roles'));
      assert.deepEqual(json(await call(t, 'GET', `/v3/roles/${roles[0].id}`, t.tokens.demo)), denied('get_role'));
    });

    it('PUT, HEAD and DELETE /v3/projects/{p}/users/{u}/roles/{r}: removing a role revokes the user\'s tokens there',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const i = await ids(t);
        const grant = (method: string, project: string, user: string, role: string, token = t.tokens.admin) =>
          call(t, method, `/v3/projects/${project}/users/${user}/roles/${role}`, token);
        const onAlt = (await (async () => {
          const put = await grant('PUT', t.projects.alt, i.demo, i.reader);
          assert.equal(put.statusCode, 204);
          assert.equal(put.body, '');
          assert.equal((await grant('PUT', t.projects.alt, i.demo, i.reader)).statusCode, 204, 'again: nothing changes');
          return loginAs(t, 'demo', 'secret', 'alt');
        })());
        assert.equal(onAlt.status, 201);
        assert.deepEqual(onAlt.body.token.roles.map((r: Json) => r.name), ['reader']);
        assert.equal((await grant('HEAD', t.projects.alt, i.demo, i.reader)).statusCode, 204);
        const absent = await grant('HEAD', t.projects.alt, i.demo, i.admin);
        assert.equal(absent.statusCode, 404);
        assert.equal(absent.body, '');

        const before = await stateDigest(t);
        const notFound = (message: string) => keystoneError(404, 'Not Found', message);
        const refusals: [string, string, string, string, number, unknown][] = [
          ['PUT', t.projects.alt, i.demo, 'nope', 404, notFound('Could not find role: nope.')],
          ['PUT', t.projects.alt, 'nobody', i.reader, 404, notFound('Could not find user: nobody.')],
          ['PUT', 'nowhere', i.demo, i.reader, 404, notFound('Could not find project: nowhere.')],
          ['DELETE', t.projects.alt, i.demo, i.admin, 404, notFound('Could not find role assignment with role: '
            + `${i.admin}, user or group: ${i.demo}, project, domain, or system: ${t.projects.alt}.`)],
          ['PUT', t.projects.alt, i.demo, i.admin, 403, denied('create_grant')],
          ['DELETE', t.projects.alt, i.demo, i.reader, 403, denied('revoke_grant')],
        ];
        for (const [method, project, user, role, status, expected] of refusals) {
          const res = await grant(method, project, user, role, status === 403 ? t.tokens.demo : t.tokens.admin);
          assert.equal(res.statusCode, status, `${method} ${project} ${user} ${role}`);
          assert.deepEqual(json(res), expected);
        }
        assert.equal((await grant('HEAD', t.projects.alt, i.demo, i.reader, t.tokens.demo)).statusCode, 403);
        assert.equal(await stateDigest(t), before, 'refusals change nothing');

        const removed = await grant('DELETE', t.projects.alt, i.demo, i.reader);
        assert.equal(removed.statusCode, 204);
        assert.equal(await tokenStatus(t, onAlt.token), 401, 'the token that carried the role is revoked');
        assert.equal(await tokenStatus(t, t.tokens.demo), 200, 'the user\'s tokens on other projects are not');
        assert.equal((await loginAs(t, 'demo', 'secret', 'alt')).status, 401, 'no role on alt: no token for it');
      });

    it('GET /v3/role_assignments: filters by user, project and role; include_names; groups and domains have none',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const i = await ids(t);
        const list = async (query: string, token = t.tokens.admin) => call(t, 'GET', `/v3/role_assignments${query}`, token);
        const link = (p: string, u: string, r: string) => ({ assignment: `${BASE}/v3/projects/${p}/users/${u}/roles/${r}` });
        const demo = await list(`?user.id=${i.demo}`);
        assert.equal(demo.statusCode, 200);
        const rows = [i.member, i.reader].map((r) => ({ role: { id: r }, user: { id: i.demo },
          scope: { project: { id: t.projects.demo } }, links: link(t.projects.demo, i.demo, r) }));
        assert.deepEqual(json(demo), { role_assignments: rows, links: listLinks('role_assignments') });

        const named = await list(`?user.id=${i.demo}&scope.project.id=${t.projects.demo}&role.id=${i.member}`
          + '&include_names=True&effective');
        const domain = { id: 'default', name: 'Default' };
        assert.deepEqual((json(named) as Json).role_assignments, [{ role: { id: i.member, name: 'member' },
          user: { id: i.demo, name: 'demo', domain }, scope: { project: { id: t.projects.demo, name: 'demo', domain } },
          links: link(t.projects.demo, i.demo, i.member) }]);
        const count = async (query: string) => ((json(await list(query)) as Json).role_assignments as Json[]).length;
        assert.equal(await count(''), 9, 'root holds 3 roles, demo, alt and other 2 each');
        assert.equal(await count(`?scope.project.id=${t.projects.admin}`), 3);
        assert.equal(await count(`?role.id=${i.admin}`), 1);
        assert.equal(await count('?role.id=nope'), 0);
        assert.equal(await count('?group.id=g'), 0);
        assert.equal(await count('?scope.domain.id=default'), 0);
        assert.equal(await count('?include_names=0'), 9);
        assert.deepEqual((json(await list('?include_names=false')) as Json).role_assignments[0].role,
          { id: (json(await list('')) as Json).role_assignments[0].role.id });
        const member = await list('', t.tokens.demo);
        assert.equal(member.statusCode, 403);
        assert.deepEqual(json(member), denied('list_role_assignments'));
        const twice = await list('?user.id=a&user.id=b');
        assert.equal(twice.statusCode, 400);
        assert.deepEqual(json(twice), keystoneError(400, 'Bad Request', 'The query parameter user.id may be given only once.'));
      });
  });
}
