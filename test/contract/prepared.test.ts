import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Store } from '../../src/db/database.js';
import { databaseKinds, type DatabaseKind, openTestStore } from '../helpers/databases.js';
import { gate } from '../helpers/gate.js';

const open = (t: TestContext, kind: DatabaseKind) => openTestStore(t, kind);

/** The settings table is the simplest key/value table of the schema. */
function settingQueries(store: Store) {
  const { db } = store;
  return {
    get: store.prepare((p: { key: string }) => db.selectFrom('settings').select('value').where('key', '=', p.key)),
    shared: store.prepare((p: { key: string; value: string }) => db.selectFrom('settings').select(['key', 'value'])
      .where('key', '=', p.key).where('value', '<>', p.value).where('value', '<>', 'hidden'), { coalesce: true }),
    like: store.prepare((p: { prefix: string }) => db.selectFrom('settings').select(['key', 'value'])
      .where('key', 'like', p.prefix).where('value', '<>', 'hidden').orderBy('key')),
    put: store.prepare((p: { key: string; value: string }) => db.insertInto('settings')
      .values({ key: p.key, value: p.value })),
    set: store.prepare((p: { key: string; value: string }) => db.updateTable('settings').set({ value: p.value })
      .where('key', '=', p.key).returningAll()),
    drop: store.prepare((p: { key: string }) => db.deleteFrom('settings').where('key', '=', p.key)),
  };
}

for (const kind of databaseKinds()) {
  describe(`prepared queries (${kind.name})`, () => {
    it('binds parameters by name on every run and keeps the constants of the query', async (t) => {
      const store = await open(t, kind);
      const q = settingQueries(store);
      assert.equal(await q.put.run({ key: 'a.1', value: 'one' }), 1);
      assert.equal(await q.put.run({ key: 'a.2', value: 'hidden' }), 1);
      assert.equal(await q.put.run({ key: 'b.1', value: 'two' }), 1);
      assert.deepEqual(await q.get.first({ key: 'b.1' }), { value: 'two' });
      assert.equal(await q.get.first({ key: 'nope' }), undefined);
      assert.deepEqual(await q.like.all({ prefix: 'a.%' }), [{ key: 'a.1', value: 'one' }]);
      assert.deepEqual(await q.set.all({ key: 'a.1', value: 'uno' }), [{ key: 'a.1', value: 'uno' }]);
      assert.deepEqual(await q.set.all({ key: 'nope', value: 'x' }), []);
      assert.equal(await q.drop.run({ key: 'a.2' }), 1);
      assert.equal(await q.drop.run({ key: 'a.2' }), 0);
      await assert.rejects(q.put.run({ key: 'b.1', value: 'again' }), (err: { code?: string }) =>
        ['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY'].includes(err.code!));
    });

    it('answers every concurrent run of a coalescing read with the rows of its own parameters', async (t) => {
      const store = await open(t, kind);
      const q = settingQueries(store);
      for (let i = 0; i < 40; i++) await q.put.run({ key: `k${i}`, value: i % 5 === 0 ? 'hidden' : `v${i}` });
      // 400 runs at once (many wait and share queries on PostgreSQL): keys present, absent, hidden by the
      // constant, excluded by the second parameter, and the same key many times.
      const asked = Array.from({ length: 400 }, (_v, i) => ({ key: `k${i % 50}`, value: i % 7 === 0 ? `v${i % 50}` : '-' }));
      const got = await Promise.all(asked.map((p) => q.shared.first(p)));
      const expected = asked.map(({ key, value }) => {
        const i = Number(key.slice(1));
        const stored = i % 5 === 0 ? 'hidden' : `v${i}`;
        return i < 40 && stored !== 'hidden' && stored !== value ? { key, value: stored } : undefined;
      });
      assert.deepEqual(got, expected);
      assert.ok(got.filter(Boolean).length > 200);
      const after = await Promise.all(asked.slice(0, 50).map(async (p) => {
        await q.set.run({ key: p.key, value: 'changed' });
        return q.shared.first(p);
      }));
      assert.deepEqual(after.filter(Boolean).length, 40);
    });

    it('runs inside the transaction it is given, and rolls back with it', async (t) => {
      const store = await open(t, kind);
      const q = settingQueries(store);
      await assert.rejects(store.db.transaction().execute(async (trx) => {
        await q.put.run({ key: 'k', value: 'inside' }, trx);
        assert.deepEqual(await q.get.first({ key: 'k' }, trx), { value: 'inside' });
        throw new Error('roll back');
      }), /roll back/);
      assert.equal(await q.get.first({ key: 'k' }), undefined);
    });

    it('never runs inside the open transaction of another flow', async (t) => {
      const store = await open(t, kind);
      const q = settingQueries(store);
      await q.put.run({ key: 'k', value: 'before' });
      const written = gate();
      const release = gate();
      const other = store.db.transaction().execute(async (trx) => {
        await q.set.run({ key: 'k', value: 'uncommitted' }, trx);
        written.open();
        await release.wait;
        throw new Error('roll back');
      });
      await written.wait;
      // Outside that transaction: a read must not see its write, a write must not be rolled back with it.
      const read = q.get.first({ key: 'k' });
      const write = q.put.run({ key: 'outside', value: 'kept' });
      setTimeout(release.open, 50);
      await assert.rejects(other, /roll back/);
      assert.deepEqual(await read, { value: 'before' });
      assert.equal(await write, 1);
      assert.deepEqual(await q.get.first({ key: 'outside' }), { value: 'kept' });
      assert.deepEqual(await q.get.first({ key: 'k' }), { value: 'before' });
    });
  });
}
