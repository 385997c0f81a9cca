import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';
import { keystoneError, passwordAuth } from '../../helpers/keystone.js';

const ACME = 'acac0000000000000000000000000001';
const BASE = 'http://ims.test:9292';

/** Two accounts with a user and a project each; `alice` and `demo` exist in both Default and acme. */
const ACCOUNTS = {
  domains: [{ name: 'acme', id: ACME }],
  projects: [{ name: 'web', domain: 'acme' }],
  users: [
    { name: 'alice', password: 'acme-pw', project: 'web', domain: 'acme' },
    { name: 'demo', password: 'acme-demo', project: 'web', domain: 'acme' },
  ],
};

const defaultDomain = {
  id: 'default', name: 'Default', description: 'The default domain', enabled: true, tags: [], options: {},
  links: { self: `${BASE}/v3/domains/default` },
};
const acmeDomain = {
  id: ACME, name: 'acme', description: '', enabled: true, tags: [], options: {}, links: { self: `${BASE}/v3/domains/${ACME}` },
};

type Json = Record<string, any>;

for (const kind of databaseKinds()) {
  describe(`Keystone domains (${kind.name})`, () => {
    it('GET /v3/domains (filter name) and /v3/domains/{id}: admins see all, users their project\'s domain', async (tc) => {
      const t = await buildTestApp(tc, kind);
      await t.container.identity.applyBootstrap(ACCOUNTS);
      const get = (url: string, token: string) => t.app.inject({ url, headers: { 'x-auth-token': token } });
      const all = await get('/v3/domains', t.tokens.admin);
      assert.equal(all.statusCode, 200);
      assert.deepEqual(json(all), { domains: [defaultDomain, acmeDomain],
        links: { self: `${BASE}/v3/domains`, previous: null, next: null } });
      assert.deepEqual((json(await get('/v3/domains?name=acme', t.tokens.admin)) as Json).domains, [acmeDomain]);
      assert.deepEqual((json(await get('/v3/domains?name=none', t.tokens.admin)) as Json).domains, []);
      assert.deepEqual(json(await get(`/v3/domains/${ACME}`, t.tokens.admin)), { domain: acmeDomain });
      assert.deepEqual(json(await get('/v3/domains/default', t.tokens.demo)), { domain: defaultDomain });

      const listed = await get('/v3/domains', t.tokens.demo);
      assert.equal(listed.statusCode, 403);
      assert.deepEqual(json(listed), keystoneError(403, 'Forbidden',
        'You are not authorized to perform the requested action: identity:list_domains.'));
      const foreign = await get(`/v3/domains/${ACME}`, t.tokens.demo);
      assert.equal(foreign.statusCode, 403);
      assert.deepEqual(json(foreign), keystoneError(403, 'Forbidden',
        'You are not authorized to perform the requested action: identity:get_domain.'));
      const missing = await get(`/v3/domains/${'0'.repeat(32)}`, t.tokens.admin);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(json(missing), keystoneError(404, 'Not Found', `Could not find domain: ${'0'.repeat(32)}.`));
      const anonymous = await t.app.inject({ url: '/v3/domains' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.headers['www-authenticate'], `Keystone uri="${BASE}/v3"`);
    });

    it('POST /v3/domains: admins create (201, Keystone\'s body); refusals are Keystone\'s and change nothing', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const post = (payload: unknown, token = t.tokens.admin) => t.app.inject({ method: 'POST', url: '/v3/domains',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      const created = await post({ domain: { name: 'globex', description: 'Globex Corp.' } });
      assert.equal(created.statusCode, 201, created.body);
      const id = (json(created) as Json).domain.id as string;
      assert.match(id, /^[0-9a-f]{32}$/);
      const body = { id, name: 'globex', description: 'Globex Corp.', enabled: true, tags: [], options: {},
        links: { self: `${BASE}/v3/domains/${id}` } };
      assert.deepEqual(json(created), { domain: body });
      assert.deepEqual(json(await t.app.inject({ url: `/v3/domains/${id}`, headers: { 'x-auth-token': t.tokens.admin } })),
        { domain: body });
      const disabled = await post({ domain: { name: 'off', enabled: false, description: null } });
      assert.deepEqual([(json(disabled) as Json).domain.enabled, (json(disabled) as Json).domain.description], [false, '']);
      const explicit = 'e0000000000000000000000000000001';
      const chosen = await post({ domain: { name: 'chosen', explicit_domain_id: explicit } });
      assert.equal(chosen.statusCode, 201);
      assert.equal((json(chosen) as Json).domain.id, explicit);

      const before = await stateDigest(t);
      const refusals: [unknown, number, string, string, string?][] = [
        [{ domain: { name: 'globex' } }, 409, 'Conflict', 'Conflict occurred attempting to store domain - Duplicate entry '
          + 'found with name globex.'],
        [{ domain: { name: 'other', explicit_domain_id: 'e0000000000000000000000000000001' } }, 409, 'Conflict',
          'Conflict occurred attempting to store domain - Duplicate ID, e0000000000000000000000000000001.'],
        [{ domain: { name: 'x', explicit_domain_id: 'XYZ' } }, 400, 'Bad Request',
          "Invalid input for field 'domain/explicit_domain_id': 'XYZ' does not match '^[a-f0-9]{32}$'"],
        [{ domain: { name: 'x' } }, 403, 'Forbidden', 'You are not authorized to perform the requested action: '
          + 'identity:create_domain.', t.tokens.demo],
        [{}, 400, 'Bad Request', "'domain' is a required property"],
        [{ domain: { name: 'x' }, extra: 1 }, 400, 'Bad Request', "Additional properties are not allowed ('extra' was unexpected)"],
        [{ domain: 'x' }, 400, 'Bad Request', "Invalid input for field 'domain': 'x' is not of type 'object'"],
        [{ domain: {} }, 400, 'Bad Request', "Invalid input for field 'domain': 'name' is a required property"],
        [{ domain: { name: 7 } }, 400, 'Bad Request', "Invalid input for field 'domain/name': 7 is not of type 'string'"],
        [{ domain: { name: '' } }, 400, 'Bad Request', "Invalid input for field 'domain/name': '' is too short"],
        [{ domain: { name: '   ' } }, 400, 'Bad Request', "Invalid input for field 'domain/name': '   ' does not match '[\\\\S]+'"],
        [{ domain: { name: 'n'.repeat(65) } }, 400, 'Bad Request',
          `Invalid input for field 'domain/name': '${'n'.repeat(63)}... is too long`],
        [{ domain: { name: 'x', enabled: 'yes' } }, 400, 'Bad Request',
          "Invalid input for field 'domain/enabled': 'yes' is not of type 'boolean'"],
        [{ domain: { name: 'x', description: 5 } }, 400, 'Bad Request',
          "Invalid input for field 'domain/description': 5 is not of type 'string', 'null'"],
        ['{"domain":', 400, 'Bad Request', 'Malformed JSON in request body.'],
      ];
      for (const [payload, status, title, message, token] of refusals) {
        const res = await post(payload, token);
        assert.equal(res.statusCode, status, JSON.stringify(payload));
        assert.deepEqual(json(res), keystoneError(status, title, message));
      }
      assert.equal(await stateDigest(t), before);
      const wrong = await t.app.inject({ method: 'DELETE', url: '/v3/domains', headers: { 'x-auth-token': t.tokens.admin } });
      assert.equal(wrong.statusCode, 405);
      assert.equal(wrong.headers.allow, 'GET, POST');
    });

    it('tokens of any domain: user and project by domain name or id; each carries its domain', async (tc) => {
      const t = await buildTestApp(tc, kind);
      await t.container.identity.applyBootstrap(ACCOUNTS);
      const login = (user: object, scope?: unknown) => t.app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth(user, scope) });
      const web = await t.container.repos.identity.projectByName(ACME, 'web');
      const acme = { id: ACME, name: 'acme' };
      for (const [user, scope] of [
        [{ name: 'alice', domain: { name: 'acme' }, password: 'acme-pw' }, undefined],
        [{ name: 'alice', domain: { id: ACME }, password: 'acme-pw' }, { project: { name: 'web', domain: { name: 'acme' } } }],
        [{ name: 'alice', domain: { name: 'acme' }, password: 'acme-pw' }, { project: { name: 'web', domain: { id: ACME } } }],
        [{ name: 'alice', domain: { name: 'acme' }, password: 'acme-pw' }, { project: { id: web!.id } }],
      ] as const) {
        const res = await login(user, scope);
        assert.equal(res.statusCode, 201, res.body);
        const token = (json(res) as Json).token;
        assert.deepEqual(token.user.domain, acme);
        assert.deepEqual(token.project, { id: web!.id, name: 'web', domain: acme });
        const validated = await t.app.inject({ url: '/v3/auth/tokens',
          headers: { 'x-auth-token': t.tokens.admin, 'x-subject-token': String(res.headers['x-subject-token']) } });
        assert.deepEqual((json(validated) as Json).token.project.domain, acme);
      }
      // One name, two users: each domain's password is its own.
      const acmeDemo = await login({ name: 'demo', domain: { name: 'acme' }, password: 'acme-demo' });
      assert.equal(acmeDemo.statusCode, 201);
      assert.equal((json(acmeDemo) as Json).token.project.id, web!.id);
      const defaultDemo = await login({ name: 'demo', domain: { id: 'default' }, password: 'secret' });
      assert.deepEqual((json(defaultDemo) as Json).token.project.domain, { id: 'default', name: 'Default' });
      for (const [user, scope] of [
        [{ name: 'demo', domain: { name: 'acme' }, password: 'secret' }, undefined],
        [{ name: 'alice', domain: { name: 'Default' }, password: 'acme-pw' }, undefined],
        [{ name: 'alice', domain: { name: 'nowhere' }, password: 'acme-pw' }, undefined],
        [{ name: 'alice', domain: { id: 7 }, password: 'acme-pw' }, undefined],
        [{ name: 'alice', password: 'acme-pw' }, undefined],
        [{ name: 'alice', domain: { name: 'acme' }, password: 'acme-pw' }, { project: { name: 'web', domain: { name: 'Default' } } }],
      ] as const) {
        const res = await login(user, scope);
        assert.equal(res.statusCode, 401, JSON.stringify([user, scope]));
        assert.deepEqual(json(res), keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.'));
      }
    });

    it('nobody logs in to a disabled domain, nor into its projects', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const created = await t.app.inject({ method: 'POST', url: '/v3/domains', headers: { 'x-auth-token': t.tokens.admin },
        payload: { domain: { name: 'frozen', enabled: false } } });
      assert.equal(created.statusCode, 201);
      await t.container.identity.applyBootstrap({ projects: [{ name: 'ice', domain: 'frozen' }],
        users: [{ name: 'elsa', password: 'pw', project: 'ice', domain: 'frozen' }] });
      const ice = await t.container.repos.identity.projectByName((json(created) as Json).domain.id, 'ice');
      const elsa = await t.app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ name: 'elsa', domain: { name: 'frozen' }, password: 'pw' }) });
      assert.equal(elsa.statusCode, 401);
      const user = (await t.container.repos.identity.userByName('default', 'root'))!;
      await t.container.repos.identity.setRoles(user.id, ice!.id, ['member']);
      const root = await t.app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth({ name: 'root', domain: { name: 'Default' }, password: 'secret' }, { project: { id: ice!.id } }) });
      assert.equal(root.statusCode, 401);
    });

    it('GET /v3/projects?domain_id= lists one account\'s projects', async (tc) => {
      const t = await buildTestApp(tc, kind);
      await t.container.identity.applyBootstrap(ACCOUNTS);
      const res = await t.app.inject({ url: `/v3/projects?domain_id=${ACME}`, headers: { 'x-auth-token': t.tokens.admin } });
      assert.deepEqual((json(res) as Json).projects.map((p: Json) => [p.name, p.domain_id, p.parent_id]), [['web', ACME, ACME]]);
    });

    it('the bootstrap file names domains; an unknown one, or an id taken, is refused saying why', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const apply = (spec: unknown) => t.container.identity.applyBootstrap(spec as never);
      await assert.rejects(apply({ projects: [{ name: 'p', domain: 'nowhere' }] }),
        { message: 'bootstrap: unknown domain "nowhere": list it under "domains"' });
      await apply(ACCOUNTS);
      await apply(ACCOUNTS);
      await assert.rejects(apply({ domains: [{ name: 'acme', id: 'f'.repeat(32) }] }),
        { message: `bootstrap: domain "acme" already exists with id ${ACME}, not ${'f'.repeat(32)}` });
      await assert.rejects(apply({ domains: [{ name: 'other', id: ACME }] }),
        { message: `bootstrap: domain "other" cannot take id ${ACME}: another domain has it` });
      await assert.rejects(apply({ domains: [{ name: 'x', id: 'default' }] }),
        { message: 'bootstrap: domains[0].id must be 32 lowercase hex characters' });
      await assert.rejects(apply({ domains: [{ name: 'n'.repeat(65) }] }),
        { message: 'bootstrap: domains[0].name must be at most 64 characters' });
      await assert.rejects(apply({ users: [{ name: 'u', password: 'p', project: 'p', domain: 3 }] }),
        { message: 'bootstrap: users[0].domain must be a non-empty string' });
      assert.deepEqual((await t.container.repos.identity.listDomains({})).map((d) => d.name), ['Default', 'acme']);
    });
  });
}
