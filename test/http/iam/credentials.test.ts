import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { DEMO_KEY, signed } from '../../helpers/aksk.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import { stateDigest } from '../../helpers/digest.js';

const BASE = '/v3.0/OS-CREDENTIAL/credentials';
const T0 = '2030-01-01T00:00:00.000Z';
const IAM_T0 = '2030-01-01T00:00:00.000000Z';

type Json = Record<string, any>;
type Key = { access: string; secret: string };

async function setup(tc: Parameters<typeof buildTestApp>[0], kind: Parameters<typeof buildTestApp>[1]) {
  // The bootstrap file's keys a second older than the ones a test creates: lists come in one order every run.
  const clock = new FakeClock(new Date(Date.parse(T0) - 1000));
  const t = await buildTestApp(tc, kind, {}, { clock });
  clock.advance(1000);
  const userId = async (name: string) => (await t.container.repos.identity.userByName('default', name))!.id;
  const users = { demo: await userId('demo'), alt: await userId('alt'), root: await userId('root') };
  const call = (method: string, path: string, token: string | undefined, body?: unknown) => t.app.inject({
    method: method as 'GET', url: `${BASE}${path}`, headers: token === undefined ? {} : { 'x-auth-token': token },
    ...(body === undefined ? {} : { payload: body as Json }),
  });
  return { t, clock, users, call };
}

/** IAM's error body, with the request's id. */
function assertIamError(res: LightMyRequestResponse, status: number, code: string, message: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(json(res), { error_msg: message, error_code: code, request_id: res.headers['x-request-id'] });
}

/** A signed read of the IMS API with `key`: its status. */
const signedRead = async (t: TestApp, key: Key) => (await signed(t, 'GET', '/v2/cloudimages', { key })).statusCode;

for (const kind of databaseKinds()) {
  describe(`IAM permanent access keys (${kind.name})`, () => {
    it('creates a key (secret shown once, sealed at rest) that signs at once; lists, shows, disables, deletes it',
      async (tc) => {
        const { t, clock, users, call } = await setup(tc, kind);
        const created = await call('POST', '', t.tokens.demo, { credential: { user_id: users.demo, description: 'ci' } });
        assert.equal(created.statusCode, 201, created.body);
        const credential = (json(created) as Json).credential;
        assert.match(credential.access, /^[A-Z0-9]{20}$/);
        assert.match(credential.secret, /^[A-Za-z0-9]{40}$/);
        assert.deepEqual(credential, { access: credential.access, secret: credential.secret, status: 'active',
          user_id: users.demo, description: 'ci', create_time: IAM_T0 });
        const stored = await t.container.repos.accessKeys.find(credential.access);
        assert.ok(stored!.secret.startsWith('enc1:') && !stored!.secret.includes(credential.secret));
        const key = { access: credential.access, secret: credential.secret };

        // Never used: its last use is its creation. Used (a signed request that succeeded): that time.
        const show = () => call('GET', `/${key.access}`, t.tokens.demo);
        const shown = (lastUse: string) => ({ credential: { user_id: users.demo, access: key.access, status: 'active',
          create_time: IAM_T0, description: 'ci', last_use_time: lastUse } });
        assert.deepEqual(json(await show()), shown(IAM_T0));
        clock.advance(5_000);
        assert.equal(await signedRead(t, key), 200);
        assert.deepEqual(json(await show()), shown('2030-01-01T00:00:05.000000Z'));

        // The bootstrap file's key is listed with the new one, oldest first, without secrets.
        const listed = await call('GET', '', t.tokens.demo);
        assert.equal(listed.statusCode, 200, listed.body);
        const bootstrapped = (await t.container.repos.accessKeys.find(DEMO_KEY.access))!.created_at;
        assert.deepEqual(json(listed), { credentials: [
          { user_id: users.demo, access: DEMO_KEY.access, status: 'active',
            create_time: `${bootstrapped.slice(0, 23)}000Z`, description: '' },
          { user_id: users.demo, access: key.access, status: 'active', create_time: IAM_T0, description: 'ci' },
        ].sort((a, b) => (`${a.create_time} ${a.access}` < `${b.create_time} ${b.access}` ? -1 : 1)) });

        // Disabled: refused at once; enabled again: accepted at once.
        const update = (body: unknown) => call('PUT', `/${key.access}`, t.tokens.demo, body);
        const disabled = await update({ credential: { status: 'inactive' } });
        assert.equal(disabled.statusCode, 200, disabled.body);
        assert.deepEqual(json(disabled), { credential: { user_id: users.demo, access: key.access, status: 'inactive',
          create_time: IAM_T0, description: 'ci' } });
        const refused = await signed(t, 'GET', '/v2/cloudimages', { key });
        assert.equal(refused.statusCode, 401);
        assert.deepEqual(json(refused), { error_msg: `Incorrect IAM authentication information: ak ${key.access} not exist`,
          error_code: 'APIGW.0301', request_id: refused.headers['x-request-id'] });
        const enabled = await update({ credential: { status: 'active', description: 'ci key' } });
        assert.deepEqual((json(enabled) as Json).credential.description, 'ci key');
        assert.equal((json(enabled) as Json).credential.status, 'active');
        assert.equal(await signedRead(t, key), 200);

        // Deleted: gone, refused at once; the other key still works.
        const deleted = await call('DELETE', `/${key.access}`, t.tokens.demo);
        assert.equal(deleted.statusCode, 204);
        assert.equal(deleted.body, '');
        assert.equal(deleted.headers['content-type'], undefined);
        assertIamError(await show(), 404, 'IAM.0004', `Could not find credential: ${key.access}.`);
        assertIamError(await call('DELETE', `/${key.access}`, t.tokens.demo), 404, 'IAM.0004',
          `Could not find credential: ${key.access}.`);
        assert.equal(await signedRead(t, key), 401);
        assert.equal(await signedRead(t, DEMO_KEY), 200);
      });

    it("allows IAM's two keys per user, then answers akSkNumExceed in IAM's Keystone form and keeps nothing",
      async (tc) => {
        const { t, users, call } = await setup(tc, kind);
        const create = () => call('POST', '', t.tokens.demo, { credential: { user_id: users.demo } });
        assert.equal((await create()).statusCode, 201); // with the bootstrap file's, two
        const before = await stateDigest(t);
        const third = await create();
        assert.equal(third.statusCode, 400);
        assert.deepEqual(json(third), { error: { message: 'akSkNumExceed', code: 400, title: 'Bad Request' } });
        assert.equal(await stateDigest(t), before);
        // Concurrent creations for one user cannot pass the limit together.
        const alt = () => call('POST', '', t.tokens.alt, { credential: { user_id: users.alt } });
        const statuses = (await Promise.all([alt(), alt(), alt(), alt()])).map((r) => r.statusCode).sort();
        assert.deepEqual(statuses, [201, 201, 400, 400]);
        assert.equal((await t.container.repos.accessKeys.list(users.alt)).length, 2);
      });

    it("lets users manage their own keys only, and admins anyone's", async (tc) => {
      const { t, users, call } = await setup(tc, kind);
      const forbidden = (res: LightMyRequestResponse) =>
        assertIamError(res, 403, 'IAM.0002', 'You are not authorized to perform the requested action.');
      const before = await stateDigest(t);
      forbidden(await call('POST', '', t.tokens.alt, { credential: { user_id: users.demo } }));
      forbidden(await call('GET', `?user_id=${users.demo}`, t.tokens.alt));
      forbidden(await call('GET', `/${DEMO_KEY.access}`, t.tokens.alt));
      forbidden(await call('PUT', `/${DEMO_KEY.access}`, t.tokens.alt, { credential: { status: 'inactive' } }));
      forbidden(await call('DELETE', `/${DEMO_KEY.access}`, t.tokens.alt));
      assert.equal(await stateDigest(t), before);
      // Without user_id, a list is the caller's own (an admin's too).
      assert.deepEqual(json(await call('GET', '', t.tokens.alt)), { credentials: [] });
      assert.deepEqual(json(await call('GET', '', t.tokens.admin)), { credentials: [] });

      const created = await call('POST', '', t.tokens.admin, { credential: { user_id: users.alt } });
      assert.equal(created.statusCode, 201, created.body);
      const access = (json(created) as Json).credential.access as string;
      assert.equal((json(await call('GET', `?user_id=${users.alt}`, t.tokens.admin)) as Json).credentials[0].access, access);
      assert.equal((await call('GET', `/${access}`, t.tokens.alt)).statusCode, 200);
      assert.equal((await call('PUT', `/${DEMO_KEY.access}`, t.tokens.admin, { credential: { description: 'x' } }))
        .statusCode, 200);
      assert.equal((await call('DELETE', `/${access}`, t.tokens.admin)).statusCode, 204);
      assertIamError(await call('POST', '', t.tokens.admin, { credential: { user_id: 'f'.repeat(32) } }), 404, 'IAM.0004',
        `Could not find user: ${'f'.repeat(32)}.`);
    });

    it("refuses bad input and bad credentials in IAM's body, changing nothing", async (tc) => {
      const { t, users, call } = await setup(tc, kind);
      const before = await stateDigest(t);
      const invalid = (key: string) => [400, 'IAM.0007', `Request parameter ${key} is invalid.`] as const;
      const bodyInvalid = [400, 'IAM.0011', 'Request body is invalid.'] as const;
      const unauthenticated = [401, 'IAM.0001', 'The request you have made requires authentication.'] as const;
      const cases: (readonly [LightMyRequestResponse, readonly [number, string, string]])[] = [
        [await call('POST', '', t.tokens.demo, [1]), bodyInvalid],
        [await call('POST', '', t.tokens.demo, { credential: 'x' }), bodyInvalid],
        [await call('POST', '', t.tokens.demo, { credential: {} }), invalid('credential.user_id')],
        [await call('POST', '', t.tokens.demo, { credential: { user_id: 7 } }), invalid('credential.user_id')],
        [await call('POST', '', t.tokens.demo, { credential: { user_id: users.demo, description: 'd'.repeat(256) } }),
          invalid('credential.description')],
        [await call('PUT', `/${DEMO_KEY.access}`, t.tokens.demo, { credential: { status: 'disabled' } }),
          invalid('credential.status')],
        [await call('PUT', `/${DEMO_KEY.access}`, t.tokens.demo, { credential: { description: false } }),
          invalid('credential.description')],
        [await call('PUT', `/${DEMO_KEY.access}`, t.tokens.demo, { status: 'inactive' }), bodyInvalid],
        [await call('GET', '?user_id=', t.tokens.demo), invalid('user_id')],
        ...await Promise.all([['GET', ''], ['POST', ''], ['GET', `/${DEMO_KEY.access}`], ['PUT', `/${DEMO_KEY.access}`],
          ['DELETE', `/${DEMO_KEY.access}`]].map(async ([method, path]) => [await call(method!, path!, undefined,
          method === 'POST' || method === 'PUT' ? { credential: {} } : undefined), unauthenticated] as const)),
        [await call('GET', '', 'not-a-token'), unauthenticated],
        [await call('PUT', '/AKNOPE', t.tokens.demo, { credential: { status: 'inactive' } }),
          [404, 'IAM.0004', 'Could not find credential: AKNOPE.']],
        [await call('PATCH', `/${DEMO_KEY.access}`, t.tokens.demo, {}),
          [405, 'IAM.0011', 'The method is not allowed for the requested URL.']],
      ];
      for (const [res, [status, code, message]] of cases) assertIamError(res, status, code, message);
      const malformed = await t.app.inject({ method: 'POST', url: BASE, payload: '{"credential":',
        headers: { 'x-auth-token': t.tokens.demo, 'content-type': 'application/json' } });
      assert.equal(malformed.statusCode, 400);
      assert.equal((json(malformed) as Json).error_code, 'IAM.0011');
      assert.equal(await stateDigest(t), before);
    });

    it('takes AK/SK signatures naming the domain (X-Domain-Id, as the IAM SDK sends) or a project', async (tc) => {
      const { t, users } = await setup(tc, kind);
      const asDemo = (headers: Record<string, string>, projectId?: string) =>
        signed(t, 'GET', BASE, { headers, projectId });
      const mine = { credentials: [{ user_id: users.demo, access: DEMO_KEY.access, status: 'active',
        create_time: `${(await t.container.repos.accessKeys.find(DEMO_KEY.access))!.created_at.slice(0, 23)}000Z`,
        description: '' }] };
      const byDomain = await asDemo({ 'X-Domain-Id': 'default' });
      assert.equal(byDomain.statusCode, 200, byDomain.body);
      assert.deepEqual(json(byDomain), mine);
      assert.deepEqual(json(await asDemo({}, t.projects.demo)), mine);
      const other = await asDemo({ 'X-Domain-Id': 'elsewhere' });
      assert.equal(other.statusCode, 401);
      assert.deepEqual(json(other), {
        error_msg: `Incorrect IAM authentication information: domain elsewhere is not authorized for ak ${DEMO_KEY.access}`,
        error_code: 'APIGW.0301', request_id: other.headers['x-request-id'] });
      // A key may disable itself; its next request is refused.
      const off = await signed(t, 'PUT', `${BASE}/${DEMO_KEY.access}`, { headers: { 'X-Domain-Id': 'default' },
        body: { credential: { status: 'inactive' } } });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal((await asDemo({ 'X-Domain-Id': 'default' })).statusCode, 401);
    });
  });
}
