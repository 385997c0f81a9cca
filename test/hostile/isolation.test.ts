import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../helpers/app.js';
import { databaseKinds, openTestStore } from '../helpers/databases.js';
import { namedUser, passwordAuth } from '../helpers/keystone.js';

/** What shares work between requests fails only the request whose input failed. */
for (const kind of databaseKinds()) {
  describe(`failure isolation (${kind.name})`, () => {
    it('a poisoned value inside a batch of coalesced reads fails at most its own read', async (t) => {
      const store = await openTestStore(t, kind);
      await store.db.insertInto('settings').values(Array.from({ length: 50 }, (_v, i) => ({ key: `k${i}`, value: `v${i}` })))
        .execute();
      const read = store.prepare((p: { key: string }) => store.db.selectFrom('settings').select('value')
        .where('key', '=', p.key), { coalesce: true });
      // Many at once, so that on PostgreSQL most of them share queries with the poisoned one.
      const keys = Array.from({ length: 200 }, (_v, i) => (i === 120 ? 'k\u0000poison' : `k${i % 50}`));
      const outcomes = await Promise.allSettled(keys.map((key) => read.first({ key })));
      outcomes.forEach((o, i) => {
        if (i === 120) {
          // PostgreSQL's text cannot hold NUL (the read fails); SQLite finds no such key.
          if (kind.name === 'postgres') assert.equal(o.status, 'rejected');
          else assert.deepEqual(o, { status: 'fulfilled', value: undefined });
        } else {
          assert.deepEqual(o, { status: 'fulfilled', value: { value: `v${i % 50}` } });
        }
      });
    });

    it('logins with a NUL in the user name, among good ones, are refused alone', async (t) => {
      const app = await buildTestApp(t, kind);
      const login = (name: string) => app.app.inject({ method: 'POST', url: '/v3/auth/tokens',
        payload: passwordAuth(namedUser(name)) });
      const names = Array.from({ length: 60 }, (_v, i) => (i % 4 === 0 ? 'x\u0000' : 'demo'));
      const answers = await Promise.all(names.map(login));
      answers.forEach((res, i) => {
        if (i % 4 === 0) {
          assert.equal(res.statusCode, 400);
          assert.deepEqual(json(res), { error: { code: 400, title: 'Bad Request',
            message: 'A string in the request body contains a NUL character (\\u0000).' } });
        } else {
          assert.equal(res.statusCode, 201, res.body);
        }
      });
    });
  });
}
