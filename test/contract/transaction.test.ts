import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { openStore, type Store } from '../../src/db/database.js';
import { databaseKinds, type DatabaseKind, openTestStore } from '../helpers/databases.js';
import { sharedDatabase } from '../helpers/jobs.js';

/** A database other connections can open too: SQLite in a file rather than in memory. */
async function open(t: TestContext, kind: DatabaseKind): Promise<{ store: Store; url: string }> {
  const database = await sharedDatabase(kind);
  return { store: await openTestStore(t, kind, database), url: database.url };
}

const settings = async (store: Store) =>
  Object.fromEntries((await store.db.selectFrom('settings').selectAll().orderBy('key').execute()).map((r) => [r.key, r.value]));

for (const kind of databaseKinds()) {
  describe(`store transactions (${kind.name})`, () => {
    it('transactions asked for together are each all or nothing, with their own result or error', async (t) => {
      const { store } = await open(t, kind);
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => store.transaction(async (trx) => {
        await trx.insertInto('settings').values({ key: `k${String(i).padStart(2, '0')}`, value: 'a' }).execute();
        await trx.insertInto('settings').values({ key: `k${String(i).padStart(2, '0')}-b`, value: 'b' }).execute();
        if (i % 3 === 0) throw new Error(`refused ${i}`);
        return i;
      })));
      outcomes.forEach((o, i) => {
        if (i % 3 === 0) assert.deepEqual(o, { status: 'rejected', reason: new Error(`refused ${i}`) });
        else assert.deepEqual(o, { status: 'fulfilled', value: i });
      });
      const kept = Object.keys(await settings(store)).filter((k) => k.startsWith('k'));
      const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 !== 0)
        .flatMap((i) => [`k${String(i).padStart(2, '0')}`, `k${String(i).padStart(2, '0')}-b`]).sort();
      assert.deepEqual(kept, expected);
    });

    it('a later transaction sees what an earlier one of the same group wrote; a failed one\'s writes are gone', async (t) => {
      const { store } = await open(t, kind);
      const first = store.transaction(async (trx) => {
        await trx.insertInto('settings').values({ key: 'x', value: '1' }).execute();
      });
      const failed = store.transaction(async (trx) => {
        await trx.updateTable('settings').set({ value: 'lost' }).where('key', '=', 'x').execute();
        throw new Error('no');
      });
      const second = store.transaction(async (trx) => {
        const row = await trx.selectFrom('settings').select('value').where('key', '=', 'x').executeTakeFirst();
        return row?.value;
      });
      await first;
      await assert.rejects(failed, /no/);
      assert.equal(await second, '1');
    });

    it('a write is committed, for every other connection, when its promise resolves', async (t) => {
      const { store, url } = await open(t, kind);
      const other = openStore(url);
      t.after(() => other.close());
      const put = store.prepare((p: { key: string }) => store.db.insertInto('settings').values({ key: p.key, value: 'v' }));
      const seen = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
        await put.run({ key: `w${i}` });
        return (await settings(other))[`w${i}`];
      }));
      assert.deepEqual(seen, Array(10).fill('v'));
    });
  });
}
