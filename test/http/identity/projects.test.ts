import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signed } from '../../helpers/aksk.js';
import { buildTestApp, json } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';
import { keystoneError } from '../../helpers/keystone.js';
import { call, denied, listLinks, loginAs, projectJson, tokenStatus } from '../../helpers/keystone-admin.js';

type Json = Record<string, any>;

for (const kind of databaseKinds()) {
  describe(`Keystone projects (${kind.name})`, () => {
    it('POST /v3/projects: admins create (201, Keystone\'s body); a name taken in the domain is a 409', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const created = await call(t, 'POST', '/v3/projects', t.tokens.admin,
        { project: { name: 'web', description: 'Web team', domain_id: 'default', enabled: true, is_domain: false } });
      assert.equal(created.statusCode, 201, created.body);
      const id = (json(created) as Json).project.id as string;
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.deepEqual(json(created), { project: projectJson(id, 'web', { description: 'Web team' }) });
      assert.deepEqual(json(await call(t, 'GET', `/v3/projects/${id}`, t.tokens.admin)),
        { project: projectJson(id, 'web', { description: 'Web team' }) });
      const off = await call(t, 'POST', '/v3/projects', t.tokens.admin, { project: { name: 'off', enabled: false } });
      assert.deepEqual(json(off), { project: projectJson((json(off) as Json).project.id, 'off', { enabled: false }) });

      const before = await stateDigest(t);
      const dup = await call(t, 'POST', '/v3/projects', t.tokens.admin, { project: { name: 'web' } });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(json(dup), keystoneError(409, 'Conflict',
        'Conflict occurred attempting to store project - Duplicate entry found with name web at domain ID default.'));
      const refusals: [unknown, number, string][] = [
        [{}, 400, "'project' is a required property"],
        [{ project: 'web' }, 400, "'web' is not of type 'object'"],
        [{ project: {} }, 400, "'name' is a required property"],
        [{ project: { name: 7 } }, 400, "Invalid input for field 'name': 7 is not of type 'string'"],
        [{ project: { name: '' } }, 400, "Invalid input for field 'name': '' is too short"],
        [{ project: { name: 'x'.repeat(65) } }, 400, `Invalid input for field 'name': '${'x'.repeat(63)}... is too long`],
        [{ project: { name: '  ' } }, 400, "Invalid input for field 'name': '  ' does not match '[\\\\S]+'"],
        [{ project: { name: 'a', enabled: 'yes' } }, 400, "Invalid input for field 'enabled': 'yes' is not of type 'boolean'"],
        [{ project: { name: 'a', description: 1 } }, 400,
          "Invalid input for field 'description': 1 is not of type 'string', 'null'"],
        [{ project: { name: 'a', domain_id: 'nowhere' } }, 404, 'Could not find domain: nowhere.'],
      ];
      for (const [body, status, message] of refusals) {
        const res = await call(t, 'POST', '/v3/projects', t.tokens.admin, body);
        assert.equal(res.statusCode, status, JSON.stringify(body));
        assert.deepEqual(json(res), keystoneError(status, status === 400 ? 'Bad Request' : 'Not Found', message));
      }
      const member = await call(t, 'POST', '/v3/projects', t.tokens.demo, { project: { name: 'mine' } });
      assert.equal(member.statusCode, 403);
      assert.deepEqual(json(member), denied('create_project'));
      assert.equal(await stateDigest(t), before, 'refusals change nothing');
    });

    it('a disabled project: no signature acts in it (a fresh process; others within the role cache\'s 30 s)', async (tc) => {
      const t = await buildTestApp(tc, kind);
      assert.equal((await call(t, 'PATCH', `/v3/projects/${t.projects.demo}`, t.tokens.admin,
        { project: { enabled: false } })).statusCode, 200);
      for (const projectId of [undefined, t.projects.demo]) {
        const res = await signed(t, 'GET', '/v2/images', projectId === undefined ? {} : { projectId });
        assert.equal(res.statusCode, 401, res.body);
        assert.equal((json(res) as { error_code: string }).error_code, 'APIGW.0301');
      }
    });

    it('GET /v3/projects (filters) for admins; GET /v3/projects/{id} for admins and the project\'s own tokens', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { projects: p } = t;
      const all = await call(t, 'GET', '/v3/projects', t.tokens.admin);
      assert.equal(all.statusCode, 200);
      assert.deepEqual(json(all), { projects: [projectJson(p.admin, 'admin'), projectJson(p.alt, 'alt'),
        projectJson(p.demo, 'demo'), projectJson(p.other, 'other')], links: listLinks('projects') });
      await call(t, 'PATCH', `/v3/projects/${p.alt}`, t.tokens.admin, { project: { enabled: false } });
      const names = async (query: string) =>
        ((json(await call(t, 'GET', `/v3/projects${query}`, t.tokens.admin)) as Json).projects as Json[]).map((x) => x.name);
      assert.deepEqual(await names('?name=demo'), ['demo']);
      assert.deepEqual(await names('?enabled=false'), ['alt']);
      assert.deepEqual(await names('?enabled=true&domain_id=default'), ['admin', 'demo', 'other']);
      assert.deepEqual(await names('?domain_id=none'), []);
      assert.deepEqual(json(await call(t, 'GET', '/v3/projects', t.tokens.demo)), denied('list_projects'));
      assert.deepEqual(json(await call(t, 'GET', `/v3/projects/${p.demo}`, t.tokens.demo)),
        { project: projectJson(p.demo, 'demo') });
      const other = await call(t, 'GET', `/v3/projects/${p.alt}`, t.tokens.demo);
      assert.equal(other.statusCode, 403);
      assert.deepEqual(json(other), denied('get_project'));
      const missing = await call(t, 'GET', `/v3/projects/${'0'.repeat(32)}`, t.tokens.admin);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(json(missing), keystoneError(404, 'Not Found', `Could not find project: ${'0'.repeat(32)}.`));
    });

    it('PATCH /v3/projects/{id}: admins rename, describe, disable (its tokens go, no one logs into it) and enable', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { projects: p } = t;
      const renamed = await call(t, 'PATCH', `/v3/projects/${p.demo}`, t.tokens.admin,
        { project: { name: 'demo2', description: 'Renamed' } });
      assert.equal(renamed.statusCode, 200);
      assert.deepEqual(json(renamed), { project: projectJson(p.demo, 'demo2', { description: 'Renamed' }) });
      assert.equal(await tokenStatus(t, t.tokens.demo), 200, 'a rename revokes nothing');

      const before = await stateDigest(t);
      const refusals: [string, unknown, number, unknown][] = [
        [p.demo, { project: { name: 'alt' } }, 409, keystoneError(409, 'Conflict',
          'Conflict occurred attempting to store project - Duplicate entry found with name alt at domain ID default.')],
        [p.demo, { project: {} }, 400, keystoneError(400, 'Bad Request', '{} does not have enough properties')],
        [p.demo, { project: { domain_id: 'other' } }, 400, keystoneError(400, 'Bad Request',
          'Update of `domain_id` is not allowed.')],
        [p.demo, { project: { name: null } }, 400, keystoneError(400, 'Bad Request',
          "Invalid input for field 'name': None is not of type 'string'")],
        ['nope', { project: { name: 'x' } }, 404, keystoneError(404, 'Not Found', 'Could not find project: nope.')],
      ];
      for (const [id, body, status, expected] of refusals) {
        const res = await call(t, 'PATCH', `/v3/projects/${id}`, t.tokens.admin, body);
        assert.equal(res.statusCode, status, JSON.stringify(body));
        assert.deepEqual(json(res), expected);
      }
      const member = await call(t, 'PATCH', `/v3/projects/${p.demo}`, t.tokens.demo, { project: { name: 'mine' } });
      assert.equal(member.statusCode, 403);
      assert.deepEqual(json(member), denied('update_project'));
      assert.equal(await stateDigest(t), before, 'refusals change nothing');

      const disabled = await call(t, 'PATCH', `/v3/projects/${p.demo}`, t.tokens.admin, { project: { enabled: false } });
      assert.equal((json(disabled) as Json).project.enabled, false);
      assert.equal(await tokenStatus(t, t.tokens.demo), 401, 'the project\'s tokens are revoked');
      assert.equal(await tokenStatus(t, t.tokens.alt), 200, 'other projects\' are not');
      assert.equal((await loginAs(t, 'demo')).status, 401, 'no one logs into a disabled project');
      await call(t, 'PATCH', `/v3/projects/${p.demo}`, t.tokens.admin, { project: { enabled: true } });
      const again = await loginAs(t, 'demo');
      assert.equal(again.status, 201);
      assert.equal(await tokenStatus(t, again.token), 200, 'a token issued after the revocation works');
      assert.equal(await tokenStatus(t, t.tokens.demo), 401, 'the revoked one stays revoked');
    });

    it('DELETE /v3/projects/{id}: its role assignments and tokens go, its users keep no default project, its images stay',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const { projects: p } = t;
        const image = await t.app.inject({ method: 'POST', url: '/v2/images', headers: { 'x-auth-token': t.tokens.demo,
          'content-type': 'application/json' }, payload: { name: 'kept', disk_format: 'raw', container_format: 'bare' } });
        const imageId = (json(image) as Json).id as string;
        const member = await call(t, 'DELETE', `/v3/projects/${p.demo}`, t.tokens.demo);
        assert.equal(member.statusCode, 403);
        assert.deepEqual(json(member), denied('delete_project'));

        const res = await call(t, 'DELETE', `/v3/projects/${p.demo}`, t.tokens.admin);
        assert.equal(res.statusCode, 204);
        assert.equal(res.body, '');
        assert.equal(await tokenStatus(t, t.tokens.demo), 401);
        assert.equal((await call(t, 'GET', `/v3/projects/${p.demo}`, t.tokens.admin)).statusCode, 404);
        const again = await call(t, 'DELETE', `/v3/projects/${p.demo}`, t.tokens.admin);
        assert.equal(again.statusCode, 404);
        assert.deepEqual(json(again), keystoneError(404, 'Not Found', `Could not find project: ${p.demo}.`));
        const demo = (await t.container.repos.identity.userByName('default', 'demo'))!;
        assert.equal(demo.default_project_id, null);
        assert.deepEqual(await t.container.store.db.selectFrom('role_assignments').select('project_id')
          .where('user_id', '=', demo.id).execute(), []);
        assert.equal((await loginAs(t, 'demo')).status, 401, 'no default project, no role: no token');
        const kept = await t.app.inject({ url: `/v2/images/${imageId}`, headers: { 'x-auth-token': t.tokens.admin } });
        assert.equal(kept.statusCode, 200);
        assert.equal((json(kept) as Json).owner, p.demo, 'the image stays, owned by the deleted project (as in Glance)');
      });
  });
}
