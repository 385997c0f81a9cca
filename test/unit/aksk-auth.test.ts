import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { sha256Hex, sign } from '../../src/auth/aksk.js';
import { CacheSpace } from '../../src/cache/cache-space.js';
import { AppError } from '../../src/errors/app-error.js';
import {
  akskContext, AkskCache, akskDeps, type AkskRepo, type AkskRequest, ApigwError, checkedStream, isSigned,
} from '../../src/http/aksk-auth.js';
import { BOOTSTRAP, buildTestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { databaseKinds } from '../helpers/databases.js';

const P1 = '11111111111111111111111111111111';
const P2 = '22222222222222222222222222222222';
const P3 = '33333333333333333333333333333333';
const KEYS: Record<string, { secret: string; user_id: string }> = {
  AKONE: { secret: 'secret-one', user_id: 'u1' },
  AKTWO: { secret: 'secret-two', user_id: 'u2' },
};
const ROLES: Record<string, Record<string, string[]>> = {
  u1: { [P1]: ['member', 'reader'] },
  u2: { [P2]: ['member'], [P3]: ['admin', 'member'] },
};

function fakeRepo() {
  const calls = { accessKey: 0, rolesOn: 0, projectsOf: 0 };
  const repo: AkskRepo = {
    accessKey: async (access) => {
      calls.accessKey++;
      const k = KEYS[access];
      return k && { access, ...k };
    },
    rolesOn: async (userId, projectId) => {
      calls.rolesOn++;
      return ROLES[userId]?.[projectId] ?? [];
    },
    projectsOf: async (userId) => {
      calls.projectsOf++;
      return Object.keys(ROLES[userId] ?? {}).sort();
    },
    domainCaller: async (userId) => {
      const projects = Object.keys(ROLES[userId] ?? {}).sort();
      return { domainId: `d-${userId}`, defaultProjectId: projects[0]!,
        roles: [...new Set(projects.flatMap((p) => ROLES[userId]![p]!))].sort() };
    },
    used: async () => {},
  };
  return { repo, calls };
}

const T0 = new Date('2025-03-01T12:00:00Z');
function fixture(ttlMs?: number) {
  const { repo, calls } = fakeRepo();
  const clock = new FakeClock(T0);
  const deps = { cache: new AkskCache(repo, new CacheSpace(1 << 20), clock, ttlMs), clock };
  return { deps, calls, advance: (ms: number) => clock.advance(ms) };
}

interface SignedOptions {
  method?: string; path?: string; query?: Record<string, string>; body?: string; ak?: string; sk?: string;
  projectId?: string; date?: Date;
}
/** A request as Fastify would hand it over, signed the way the node SDK signs. */
function signedRequest(o: SignedOptions = {}): AkskRequest {
  const method = o.method ?? 'POST';
  const path = o.path ?? '/v1/cloudimages/members';
  const body = o.body ?? '{"images":["d164b5df-1bc3-4c3f-893e-3e471fd16e64"],"projects":["edc89b490d7d4392898e19b2deb34797"]}';
  const s = sign({ method, host: 'ims.test:9292', path, query: o.query, body, projectId: o.projectId,
    ak: o.ak ?? 'AKONE', sk: o.sk ?? 'secret-one', date: o.date ?? T0 });
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, v] of Object.entries(s.headers)) headers[k.toLowerCase()] = v;
  return { method, headers, raw: { url: s.query ? `${path}?${s.query}` : path }, rawBody: Buffer.from(body) };
}

async function rejects(p: Promise<unknown>, check: (err: unknown) => void) {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, 'expected a rejection');
  check(caught);
}

const apigw = (reason: string) => (err: unknown) => {
  assert.ok(err instanceof ApigwError, String(err));
  assert.ok(err instanceof AppError);
  assert.equal(err.status, 401);
  assert.equal(err.reason, reason);
  assert.deepEqual(err.body('req-1'), {
    error_msg: `Incorrect IAM authentication information: ${reason}`, error_code: 'APIGW.0301', request_id: 'req-1',
  });
};

describe('akskContext', () => {
  it("builds the context of the key's user on its only project", async () => {
    const { deps } = fixture();
    assert.deepEqual(await akskContext(signedRequest(), deps),
      { userId: 'u1', projectId: P1, roles: ['member', 'reader'], isAdmin: false });
  });

  it('uses X-Project-Id when the user holds a role on it, and refuses it otherwise', async () => {
    const { deps } = fixture();
    assert.deepEqual(await akskContext(signedRequest({ ak: 'AKTWO', sk: 'secret-two', projectId: P3 }), deps),
      { userId: 'u2', projectId: P3, roles: ['admin', 'member'], isAdmin: true });
    await rejects(akskContext(signedRequest({ projectId: P2 }), deps),
      apigw(`project ${P2} is not authorized for ak AKONE`));
    await rejects(akskContext(signedRequest({ projectId: 'x'.repeat(65) }), deps), apigw('x-project-id is invalid'));
  });

  it('asks for a project when the user has several (IMG.0104), unless the path names one of them', async () => {
    const { deps } = fixture();
    const req = signedRequest({ ak: 'AKTWO', sk: 'secret-two' });
    await rejects(akskContext(req, deps), (err) => {
      assert.ok(err instanceof AppError && !(err instanceof ApigwError));
      assert.equal(err.status, 400);
      assert.equal(err.img, 'IMG.0104');
      assert.equal(err.message, 'Enter the project name if there are multiple projects in the same region.');
    });
    const ctx = await akskContext(req, deps, { pathProjectId: P2 });
    assert.deepEqual(ctx, { userId: 'u2', projectId: P2, roles: ['member'], isAdmin: false });
    // A path project without a role does not widen access: the single-project rule applies, and the route compares.
    assert.equal((await akskContext(signedRequest(), deps, { pathProjectId: P2 })).projectId, P1);
  });

  it('refuses a tampered body, query or path, and a wrong secret, with the APIGW reason', async () => {
    const { deps } = fixture();
    const tampered = signedRequest();
    tampered.rawBody = Buffer.from(tampered.rawBody!.toString().replace('edc89b49', 'edc89b48'));
    await rejects(akskContext(tampered, deps), apigw('verify aksk signature fail'));
    const query = signedRequest({ method: 'GET', path: '/v2/cloudimages', query: { visibility: 'shared' }, body: '' });
    query.raw.url = '/v2/cloudimages?visibility=private';
    await rejects(akskContext(query, deps), apigw('verify aksk signature fail'));
    await rejects(akskContext(signedRequest({ sk: 'secret-two' }), deps), apigw('verify aksk signature fail'));
    const noBody = signedRequest();
    delete noBody.rawBody;
    await rejects(akskContext(noBody, deps), apigw('verify aksk signature fail'));
  });

  it('refuses an unknown key, a missing Authorization and an expired signature', async () => {
    const { deps } = fixture();
    await rejects(akskContext(signedRequest({ ak: 'AKNOPE' }), deps), apigw('ak AKNOPE not exist'));
    const none = signedRequest();
    delete none.headers.authorization;
    await rejects(akskContext(none, deps), apigw('x-auth-token not found'));
    await rejects(akskContext(signedRequest({ date: new Date(T0.getTime() - 16 * 60_000) }), deps),
      apigw('signature expired'));
    await rejects(akskContext(signedRequest({ date: new Date(T0.getTime() + 16 * 60_000) }), deps),
      apigw('signature expired'));
  });

  it("reads the key on every request (once, given the precheck's), caches roles for the TTL",
    async () => {
      const { deps, calls, advance } = fixture(30_000);
      await akskContext(signedRequest(), deps);
      await akskContext(signedRequest(), deps);
      assert.deepEqual(calls, { accessKey: 2, rolesOn: 1, projectsOf: 1 });
      advance(29_000);
      await akskContext(signedRequest({ date: new Date(T0.getTime() + 29_000) }), deps);
      assert.deepEqual(calls, { accessKey: 3, rolesOn: 1, projectsOf: 1 });
      advance(2_000);
      await akskContext(signedRequest({ date: new Date(T0.getTime() + 31_000) }), deps);
      assert.deepEqual(calls, { accessKey: 4, rolesOn: 2, projectsOf: 2 });
      const request = signedRequest({ date: new Date(T0.getTime() + 31_000) });
      await akskContext({ ...request, signingKey: { access: 'AKONE', ...KEYS.AKONE! } }, deps);
      assert.deepEqual(calls, { accessKey: 4, rolesOn: 2, projectsOf: 2 });
      for (let i = 0; i < 2; i++) {
        await rejects(akskContext(signedRequest({ ak: 'AKNOPE', date: new Date(T0.getTime() + 31_000) }), deps),
          apigw('ak AKNOPE not exist'));
      }
      assert.equal(calls.accessKey, 6);
    });

  it("takes X-Domain-Id where the scope does: the key user's domain only, with their roles on any project", async () => {
    const { deps } = fixture();
    const asU2 = (domainId: string) => akskContext(signedRequest({ ak: 'AKTWO', sk: 'secret-two' }), deps, { domainId });
    assert.deepEqual(await asU2('d-u2'), { userId: 'u2', projectId: P2, roles: ['admin', 'member'], isAdmin: true });
    await rejects(asU2('d-u1'), apigw('domain d-u1 is not authorized for ak AKTWO'));
    await rejects(asU2('bad domain'), apigw('x-domain-id is invalid'));
  });

  it('shares one query between concurrent misses and forgets failed lookups', async () => {
    let calls = 0;
    let fail = true;
    const repo: AkskRepo = {
      accessKey: async () => undefined,
      rolesOn: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('db down');
        return ['member'];
      },
      projectsOf: async () => [], domainCaller: async () => undefined, used: async () => {},
    };
    const cache = new AkskCache(repo, new CacheSpace(1 << 20), new FakeClock(T0));
    const results = await Promise.allSettled([cache.rolesOn('u', 'p'), cache.rolesOn('u', 'p')]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(calls, 1);
    fail = false;
    assert.deepEqual(await cache.rolesOn('u', 'p'), ['member']);
    assert.equal(calls, 2);
  });
});

describe('isSigned', () => {
  it('is an SDK-HMAC-SHA256 Authorization header, and nothing else', () => {
    const signed = (authorization?: string) => isSigned({ headers: authorization === undefined ? {} : { authorization } });
    assert.equal(signed(signedRequest().headers.authorization as string), true);
    assert.equal(signed('SDK-HMAC-SHA256 garbage'), true);
    for (const other of [undefined, '', 'Basic dXNlcjpwdw==', 'Bearer x', 'sdk-hmac-sha256 Access=A']) {
      assert.equal(signed(other), false, String(other));
    }
  });
});

describe('checkedStream', () => {
  const data = Buffer.from('image data');
  it('passes UNSIGNED-PAYLOAD bodies through as they are', async () => {
    const body = Readable.from([data]);
    assert.equal(checkedStream(body, { 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' }), body);
  });

  it('passes bytes matching the declared hash, and fails with the APIGW 401 at the end when they do not', async () => {
    assert.deepEqual(await buffer(checkedStream(Readable.from([data]), { 'x-sdk-content-sha256': sha256Hex(data) })),
      data);
    await rejects(buffer(checkedStream(Readable.from([data, Buffer.from('!')]),
      { 'x-sdk-content-sha256': sha256Hex(data).toUpperCase() })), apigw('verify aksk signature fail'));
  });

  it('fails when the body does', async () => {
    const body = new Readable({ read() { this.destroy(new Error('client gone')); } });
    await rejects(buffer(checkedStream(body, { 'x-sdk-content-sha256': sha256Hex(data) })),
      (err) => assert.equal((err as Error).message, 'client gone'));
  });
});

for (const kind of databaseKinds()) {
  describe(`akskDeps on ${kind.name}`, () => {
    it('authenticates the bootstrapped access key against the identity repository', async (t) => {
      const { container, projects } = await buildTestApp(t, kind);
      const deps = akskDeps({ ...container, caches: new CacheSpace(1 << 20) }); // the app has the container's
      const key = BOOTSTRAP.access_keys[0]!;
      const s = sign({ method: 'GET', host: 'ims.test:9292', path: `/v1/${projects.demo}/jobs/abc`, ak: key.access,
        sk: key.secret, date: container.clock.now() });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.headers)) headers[k.toLowerCase()] = v;
      const ctx = await akskContext({ method: 'GET', headers, raw: { url: `/v1/${projects.demo}/jobs/abc` } }, deps);
      assert.equal(ctx.projectId, projects.demo);
      assert.deepEqual([...ctx.roles].sort(), ['member', 'reader']);
      assert.equal(ctx.isAdmin, false);
      const demo = await container.repos.identity.userByName('default', 'demo');
      assert.equal(ctx.userId, demo!.id);
      const alt = sign({ method: 'GET', host: 'ims.test:9292', path: '/v2/cloudimages', ak: key.access, sk: key.secret,
        date: container.clock.now(), projectId: projects.alt });
      const altHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(alt.headers)) altHeaders[k.toLowerCase()] = v;
      await rejects(akskContext({ method: 'GET', headers: altHeaders, raw: { url: '/v2/cloudimages' } }, deps),
        apigw(`project ${projects.alt} is not authorized for ak ${key.access}`));
    });
  });
}
