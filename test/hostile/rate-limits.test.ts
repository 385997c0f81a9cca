import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from '../../src/auth/aksk.js';
import { BOOTSTRAP, buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { glanceError } from '../helpers/glance.js';
import { keystoneError, passwordAuth } from '../helpers/keystone.js';

const MAX = 3;

const get = (t: TestApp, url: string, token?: string, remoteAddress = '127.0.0.1') =>
  t.app.inject({ url, remoteAddress, headers: { accept: 'application/json', ...(token ? { 'x-auth-token': token } : {}) } });

const login = (t: TestApp, remoteAddress: string) => t.app.inject({ method: 'POST', url: '/v3/auth/tokens', remoteAddress,
  payload: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: 'secret' }) });

function assertRetryAfter(res: { headers: Record<string, unknown> }) {
  const after = Number(res.headers['retry-after']);
  assert.ok(after >= 1 && after <= 60, `Retry-After: ${String(res.headers['retry-after'])}`);
}

for (const kind of databaseKinds()) {
  describe(`rate limits (${kind.name})`, () => {
    it('are off by default', async (tc) => {
      const t = await buildTestApp(tc, kind);
      for (let n = 0; n < 50; n++) assert.equal((await get(t, '/v2/images', t.tokens.demo)).statusCode, 200);
    });

    it('per source address: the request after the limit gets 429 in its route\'s dialect; other addresses and '
      + 'health probes go on', async (tc) => {
      const t = await buildTestApp(tc, kind, { rateLimitPerSource: MAX });
      for (let n = 0; n < MAX; n++) assert.equal((await get(t, '/v2/images', t.tokens.demo, '10.0.0.1')).statusCode, 200);
      const message = `The throttling threshold has been reached: at most ${MAX} requests a minute from one address.`;
      const glance = await get(t, '/v2/images', t.tokens.demo, '10.0.0.1');
      assert.equal(glance.statusCode, 429);
      assert.deepEqual(json(glance), glanceError(429, 'Too Many Requests', message));
      assertRetryAfter(glance);
      // Before authentication: no token is needed to be refused.
      const ims = await get(t, '/v2/cloudimages', undefined, '10.0.0.1');
      assert.equal(ims.statusCode, 429);
      assert.deepEqual(json(ims), { error_msg: message, error_code: 'APIGW.0308', request_id: ims.headers['x-request-id'] });
      const keystone = await login(t, '10.0.0.1');
      assert.equal(keystone.statusCode, 429);
      assert.deepEqual(json(keystone), keystoneError(429, 'Too Many Requests', message));
      assert.equal((await get(t, '/healthz', undefined, '10.0.0.1')).statusCode, 200);
      assert.equal((await get(t, '/v2/images', t.tokens.demo, '10.0.0.2')).statusCode, 200);
      assert.equal((await login(t, '10.0.0.2')).statusCode, 201);
    });

    it('per project: tokens and AK/SK of one project count together; other projects go on', async (tc) => {
      const t = await buildTestApp(tc, kind, { rateLimitPerProject: MAX });
      const message = `The throttling threshold has been reached: at most ${MAX} requests a minute for one project.`;
      for (let n = 0; n < MAX - 1; n++) assert.equal((await get(t, '/v2/images', t.tokens.demo)).statusCode, 200);
      const key = BOOTSTRAP.access_keys[0]!;
      const signed = sign({ method: 'GET', host: 'ims.test:9292', path: '/v2/cloudimages', ak: key.access, sk: key.secret,
        date: t.container.clock.now() });
      const viaKey = () => t.app.inject({ url: '/v2/cloudimages', headers: { accept: 'application/json', ...signed.headers } });
      assert.equal((await viaKey()).statusCode, 200);
      const refused = await viaKey();
      assert.equal(refused.statusCode, 429);
      assert.deepEqual(json(refused), { error_msg: message, error_code: 'APIGW.0308', request_id: refused.headers['x-request-id'] });
      assertRetryAfter(refused);
      const glance = await get(t, '/v2/images', t.tokens.demo);
      assert.deepEqual([glance.statusCode, json(glance)], [429, glanceError(429, 'Too Many Requests', message)]);
      assert.equal((await get(t, '/v2/images', t.tokens.alt)).statusCode, 200);
      // Logging in is not a project's request (the per-source limit covers it).
      assert.equal((await login(t, '127.0.0.1')).statusCode, 201);
    });
  });
}
