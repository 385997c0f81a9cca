import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { databaseKinds } from '../helpers/databases.js';
import { keystoneError, namedUser, passwordAuth } from '../helpers/keystone.js';

const login = (t: TestApp, name: string, password: string, remoteAddress = '10.0.0.1') => t.app.inject({
  method: 'POST', url: '/v3/auth/tokens', remoteAddress, payload: passwordAuth(namedUser(name, password)),
});

const UNAUTHORIZED = keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');

for (const kind of databaseKinds()) {
  describe(`password login under attack (${kind.name})`, () => {
    it('failed logins past --login-failures-per-minute from one address get 429 with Retry-After; others are not held up', async (tc) => {
      const t = await buildTestApp(tc, kind, { loginFailuresPerMinute: 3 });
      for (let i = 0; i < 3; i++) {
        const res = await login(t, 'demo', 'wrong');
        assert.equal(res.statusCode, 401);
        assert.deepEqual(json(res), UNAUTHORIZED);
      }
      for (const password of ['wrong', 'secret']) {
        const res = await login(t, 'demo', password);
        assert.equal(res.statusCode, 429);
        assert.deepEqual(json(res), keystoneError(429, 'Too Many Requests', 'Too many failed logins from this address; try again later.'));
        const retry = Number(res.headers['retry-after']);
        assert.ok(retry >= 59 && retry <= 60, `Retry-After ${retry}`);
      }
      assert.equal((await login(t, 'demo', 'secret', '10.0.0.2')).statusCode, 201, 'another address');
    });

    it('--lockout-failure-attempts locks the account for --lockout-duration, as Keystone does', async (tc) => {
      const clock = new FakeClock('2030-01-01T00:00:00Z');
      const t = await buildTestApp(tc, kind, { lockoutFailureAttempts: 2, lockoutDurationSeconds: 60, loginFailuresPerMinute: 0 },
        { clock });
      const user = (await t.container.repos.identity.userByName('default', 'demo'))!;
      assert.equal((await login(t, 'demo', 'wrong')).statusCode, 401);
      assert.equal((await login(t, 'demo', 'secret')).statusCode, 201, 'one failure does not lock; a success resets');
      for (let i = 0; i < 2; i++) assert.equal((await login(t, 'demo', 'wrong')).statusCode, 401);
      const locked = await login(t, 'demo', 'secret');
      assert.equal(locked.statusCode, 401);
      assert.deepEqual(json(locked), keystoneError(401, 'Unauthorized', `The account is locked for user: ${user.id}.`));
      assert.equal((await login(t, 'alt', 'secret')).statusCode, 201, 'other accounts are not locked');
      clock.advance(61_000);
      assert.equal((await login(t, 'demo', 'secret')).statusCode, 201);
      const after = (await t.container.repos.identity.userByName('default', 'demo'))!;
      assert.deepEqual([after.failed_auth_count, after.failed_auth_at], [0, null]);
    });

    it('an unknown user costs the same time as a known user with a wrong password', async (tc) => {
      const t = await buildTestApp(tc, kind, { loginFailuresPerMinute: 0 });
      await login(t, 'demo', 'warm-up');
      const time = async (name: string) => {
        const started = performance.now();
        assert.equal((await login(t, name, 'wrong')).statusCode, 401);
        return performance.now() - started;
      };
      const unknown: number[] = [];
      const known: number[] = [];
      for (let i = 0; i < 8; i++) {
        unknown.push(await time(`nobody-${i}`));
        known.push(await time('demo'));
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
      const ratio = median(unknown) / median(known);
      assert.ok(ratio > 0.7 && ratio < 1.4, `unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`);
    });

    it('GET /v3/auth/tokens validates another user\'s token only for admins', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const validate = (token: string, subject: string) => t.app.inject({ url: '/v3/auth/tokens',
        headers: { 'x-auth-token': token, 'x-subject-token': subject } });
      assert.equal((await validate(t.tokens.demo, t.tokens.demo)).statusCode, 200);
      const other = await validate(t.tokens.alt, t.tokens.demo);
      assert.equal(other.statusCode, 403);
      assert.deepEqual(json(other), keystoneError(403, 'Forbidden',
        'You are not authorized to perform the requested action: identity:validate_token.'));
      assert.equal((await validate(t.tokens.admin, t.tokens.demo)).statusCode, 200);
      assert.equal((await validate(t.tokens.alt, 'ims1.garbage.x')).statusCode, 404);
    });
  });
}
