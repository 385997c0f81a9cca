import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import { passwordAuth } from '../../helpers/keystone.js';

const DOMAIN = { name: 'Default' };

for (const kind of databaseKinds()) {
  describe(`identity (${kind.name})`, () => {
    it('a bootstrap file applied by several starters at once creates each row once and fails none', async (t) => {
      const { container } = await buildTestApp(t, kind);
      const names = Array.from({ length: 6 }, (_v, i) => `race${i}`);
      const spec = {
        projects: names.map((name) => ({ name })),
        users: names.map((name) => ({ name, password: 'secret', project: name })),
      };
      await Promise.all(Array.from({ length: 4 }, () => container.identity.applyBootstrap(spec)));
      const projects = await container.store.db.selectFrom('projects').select('name')
        .where('name', 'like', 'race%').orderBy('name').execute();
      assert.deepEqual(projects.map((p) => p.name), names);
      for (const name of names) {
        const user = (await container.repos.identity.userByName('default', name))!;
        const project = (await container.repos.identity.projectByName('default', name))!;
        assert.equal(user.default_project_id, project.id);
        assert.deepEqual(await container.repos.identity.rolesOn(user.id, project.id), ['member', 'reader']);
      }
    });

    it('GET /v3 is the version document', async (t) => {
      const { app } = await buildTestApp(t, kind);
      const res = await app.inject({ url: '/v3', headers: { accept: 'application/json' } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(json(res), {
        version: {
          id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
          links: [{ rel: 'self', href: 'http://ims.test:9292/v3/' }],
          'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
        },
      });
      assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
      assert.equal(res.headers['x-request-id'], res.headers['x-openstack-request-id']);
    });

    it('POST /v3/auth/tokens issues a project-scoped token with the catalog', async (t) => {
      const { app, projects } = await buildTestApp(t, kind);
      const res = await app.inject({
        method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ name: 'demo', domain: DOMAIN, password: 'secret' }, { project: { name: 'demo', domain: DOMAIN } }),
      });
      assert.equal(res.statusCode, 201);
      const token = res.headers['x-subject-token'];
      assert.match(String(token), /^ims1\./);
      const body = json(res) as { token: Record<string, any> };
      assert.match(body.token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
      assert.match(body.token.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
      assert.equal(Date.parse(body.token.expires_at) - Date.parse(body.token.issued_at), 86400_000);
      assert.deepEqual(body.token.project, { id: projects.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
      assert.equal(body.token.user.name, 'demo');
      assert.deepEqual(body.token.user.domain, { id: 'default', name: 'Default' });
      assert.equal(body.token.user.password_expires_at, null);
      assert.deepEqual(body.token.methods, ['password']);
      assert.equal(body.token.is_domain, false);
      assert.deepEqual(body.token.roles.map((r: { name: string }) => r.name), ['member', 'reader']);
      assert.equal(body.token.audit_ids[0].length, 22);
      const byType = Object.fromEntries(body.token.catalog.map((s: any) => [s.type, s]));
      assert.deepEqual(Object.keys(byType).sort(), ['identity', 'image']);
      assert.deepEqual(byType.image.endpoints.map((e: any) => [e.interface, e.region, e.region_id, e.url]), [
        ['public', 'RegionOne', 'RegionOne', 'http://ims.test:9292'],
        ['internal', 'RegionOne', 'RegionOne', 'http://ims.test:9292'],
        ['admin', 'RegionOne', 'RegionOne', 'http://ims.test:9292'],
      ]);
      assert.equal(byType.identity.endpoints[0].url, 'http://ims.test:9292/v3');
      assert.equal(byType.identity.name, 'keystone');
      assert.equal(byType.image.name, 'glance');
    });

    it('scopes by project id, domain id, user id, and defaults to the user project', async (t) => {
      const { app, projects } = await buildTestApp(t, kind);
      const byId = await app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ name: 'alt', domain: { id: 'default' }, password: 'secret' }, { project: { id: projects.alt } }) });
      assert.equal(byId.statusCode, 201);
      const userId = (json(byId) as any).token.user.id;
      const byUserId = await app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ id: userId, password: 'secret' }) });
      assert.equal(byUserId.statusCode, 201);
      assert.equal((json(byUserId) as any).token.project.id, projects.alt);
    });

    for (const [label, payload] of [
      ['wrong password', passwordAuth({ name: 'demo', domain: DOMAIN, password: 'nope' }, { project: { name: 'demo', domain: DOMAIN } })],
      ['unknown user', passwordAuth({ name: 'ghost', domain: DOMAIN, password: 'secret' })],
      ['wrong domain', passwordAuth({ name: 'demo', domain: { name: 'Other' }, password: 'secret' })],
      ['project without a role', passwordAuth({ name: 'demo', domain: DOMAIN, password: 'secret' }, { project: { name: 'alt', domain: DOMAIN } })],
      ['unknown project', passwordAuth({ name: 'demo', domain: DOMAIN, password: 'secret' }, { project: { id: 'f'.repeat(32) } })],
    ] as const) {
      it(`401 with the Keystone body for ${label}`, async (t) => {
        const { app } = await buildTestApp(t, kind);
        const res = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload });
        assert.equal(res.statusCode, 401);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.deepEqual(json(res), { error: { code: 401, title: 'Unauthorized',
          message: 'The request you have made requires authentication.' } });
        assert.equal(res.headers['x-subject-token'], undefined);
      });
    }

    it('400 for malformed requests', async (t) => {
      const { app } = await buildTestApp(t, kind);
      const bad = await app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: '{"auth":' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(json(bad), { error: { code: 400, title: 'Bad Request', message: 'Malformed JSON in request body.' } });
      const empty = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: {} });
      assert.equal(empty.statusCode, 400);
      assert.equal((json(empty) as any).error.message, 'Expecting to find auth.identity in request body.');
      const nopw = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: passwordAuth({ name: 'demo' }) });
      assert.equal(nopw.statusCode, 400);
    });

    it('GET and HEAD /v3/auth/tokens validate a token', async (t) => {
      const { app, tokens, projects } = await buildTestApp(t, kind);
      const res = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': tokens.admin, 'x-subject-token': tokens.demo } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-subject-token'], tokens.demo);
      assert.equal((json(res) as any).token.project.id, projects.demo);
      const head = await app.inject({ method: 'HEAD', url: '/v3/auth/tokens', headers: { 'x-auth-token': tokens.admin, 'x-subject-token': tokens.demo } });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, '');
      const unknown = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': tokens.admin, 'x-subject-token': 'ims1.x.y' } });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(json(unknown), { error: { code: 404, title: 'Not Found', message: 'Could not find token.' } });
      const anon = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-subject-token': tokens.demo } });
      assert.equal(anon.statusCode, 401);
      assert.equal(anon.headers['www-authenticate'], 'Keystone uri="http://ims.test:9292/v3"');
    });

    it('projects: own project for members, everything for admins, 403 otherwise', async (t) => {
      const { app, tokens, projects } = await buildTestApp(t, kind);
      const own = await app.inject({ url: `/v3/projects/${projects.demo}`, headers: { 'x-auth-token': tokens.demo } });
      assert.equal(own.statusCode, 200);
      assert.deepEqual(json(own), { project: {
        id: projects.demo, name: 'demo', domain_id: 'default', description: '', enabled: true, is_domain: false,
        parent_id: 'default', tags: [], options: {}, links: { self: `http://ims.test:9292/v3/projects/${projects.demo}` },
      } });
      const foreign = await app.inject({ url: `/v3/projects/${projects.alt}`, headers: { 'x-auth-token': tokens.demo } });
      assert.equal(foreign.statusCode, 403);
      const list = await app.inject({ url: '/v3/projects?name=alt', headers: { 'x-auth-token': tokens.demo } });
      assert.equal(list.statusCode, 403);
      const adminList = await app.inject({ url: '/v3/projects?name=alt', headers: { 'x-auth-token': tokens.admin } });
      assert.equal(adminList.statusCode, 200);
      assert.deepEqual((json(adminList) as any).projects.map((p: any) => p.id), [projects.alt]);
      const all = await app.inject({ url: '/v3/projects', headers: { 'x-auth-token': tokens.admin } });
      assert.deepEqual((json(all) as any).projects.map((p: any) => p.name), ['admin', 'alt', 'demo', 'other']);
      const missing = await app.inject({ url: `/v3/projects/${'0'.repeat(32)}`, headers: { 'x-auth-token': tokens.admin } });
      assert.equal(missing.statusCode, 404);
    });

    it('405 with Allow, 404 in the Keystone dialect', async (t) => {
      const { app } = await buildTestApp(t, kind);
      const res = await app.inject({ method: 'PUT', url: '/v3/auth/tokens' });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, 'GET, POST, DELETE');
      assert.equal((json(res) as any).error.code, 405);
      const nf = await app.inject({ url: '/v3/nothing' });
      assert.equal(nf.statusCode, 404);
      assert.equal((json(nf) as any).error.title, 'Not Found');
    });

    it('an expired token is refused', async (t) => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const { app, container } = await buildTestApp(t, kind, { tokenTtl: 1 }, { clock });
      const res = await app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ name: 'demo', domain: DOMAIN, password: 'secret' }) });
      assert.equal((json(res) as any).token.expires_at, '2030-01-01T00:00:01.000000Z');
      const token = String(res.headers['x-subject-token']);
      const images = () => app.inject({ url: '/v2/images', headers: { 'x-auth-token': token, accept: 'application/json' } });
      assert.ok(await container.identity.verifyWithReload(token));
      clock.advance(999);
      assert.equal((await images()).statusCode, 200, 'valid until its expires_at');
      clock.advance(1);
      assert.equal(container.identity.verify(token), undefined);
      assert.equal((await images()).statusCode, 401);
    });
  });
}
