import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openStore, type Store } from '../../src/db/database.js';
import { DatabaseBusyError, OutsideTransactionError } from '../../src/db/errors.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { databaseKinds, type DatabaseKind, openTestStore } from '../helpers/databases.js';
import { gate } from '../helpers/gate.js';
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

describe('store transactions under another process\'s write lock (sqlite)', () => {
  /** A store with a short statement timeout on a file, and a second connection (as another process would have). */
  async function lockedStore(t: TestContext, timeoutMs: number) {
    const kind = databaseKinds()[0]!;
    const database = await sharedDatabase(kind);
    const store = openStore(database.url, { statementTimeoutMs: timeoutMs, connectTimeoutMs: 1000 });
    t.after(async () => {
      await store.close();
      await database.drop();
    });
    await migrateToLatest(store);
    const other = new BetterSqlite3(database.url.slice('sqlite:'.length));
    t.after(() => other.close());
    return { store, lock: () => other.exec('BEGIN IMMEDIATE'), unlock: () => other.exec('ROLLBACK') };
  }

  const put = (store: Store, key: string) => store.transaction(async (trx) => {
    await trx.insertInto('settings').values({ key, value: 'v' }).execute();
    return key;
  });

  it('waits for the lock on timers: reads go on, a write waits and commits once the lock is free', async (t) => {
    const { store, lock, unlock } = await lockedStore(t, 2000);
    lock();
    const started = Date.now();
    const write = put(store, 'waited');
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 10);
    assert.deepEqual(await store.db.selectFrom('settings').select('key').where('key', '=', 'waited').execute(), []);
    await new Promise((resolve) => setTimeout(resolve, 300));
    unlock();
    assert.equal(await write, 'waited');
    clearInterval(ticker);
    assert.ok(Date.now() - started >= 300);
    assert.ok(ticks >= 20, `the event loop kept turning while the write waited (${ticks} ticks)`);
    assert.equal((await settings(store)).waited, 'v');
  });

  it('each transaction gives up at its own deadline with DatabaseBusyError; later ones still get the lock', async (t) => {
    const { store, lock, unlock } = await lockedStore(t, 300);
    lock();
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const a = put(store, 'a').catch((err: unknown) => err);
    await pause(100);
    const b = put(store, 'b').catch((err: unknown) => err);
    await pause(100);
    // b and c wait in one group after a gave up: b gives up at its deadline, c waits on in the next.
    const c = put(store, 'c');
    for (const failed of [await a, await b]) {
      assert.ok(failed instanceof DatabaseBusyError, String(failed));
      assert.equal((failed as DatabaseBusyError).code, 'IMS_DB_BUSY');
    }
    unlock();
    assert.equal(await c, 'c');
    assert.deepEqual(Object.keys(await settings(store)).filter((k) => k.length === 1), ['c']);
    assert.equal(store.health.unavailable, undefined, 'the episode ended with the next commit');
  });
});

/** `promise`, or a failure naming `what` if it has not settled within 2 s (a hang fails the test, not the run). */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after 2 s`)), 2000);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

describe('the transaction rule: inside store.transaction(fn) every query uses trx (sqlite)', () => {
  const kind = databaseKinds()[0]!;
  const misuses: Record<string, (store: Store) => Promise<unknown>> = {
    'a Kysely read': (store) => store.db.selectFrom('settings').selectAll().execute(),
    'a Kysely write': (store) => store.db.insertInto('settings').values({ key: 'k', value: 'v' }).execute(),
    'a prepared read': (store) => store.prepare((p: { key: string }) => store.db.selectFrom('settings').selectAll()
      .where('key', '=', p.key)).all({ key: 'k' }),
    'a prepared write': (store) => store.prepare((p: { key: string }) => store.db.insertInto('settings')
      .values({ key: p.key, value: 'v' })).run({ key: 'k' }),
    'a transaction': (store) => store.transaction(async (trx) => trx.selectFrom('settings').selectAll().execute()),
    'a raw Kysely transaction': (store) => store.db.transaction().execute(async (trx) => trx.selectFrom('settings').selectAll().execute()),
  };

  for (const [name, misuse] of Object.entries(misuses)) {
    it(`${name} not through trx throws OutsideTransactionError at once, and the transaction rolls back`, async (t) => {
      const store = await openTestStore(t, kind);
      const attempt = store.transaction(async (trx) => {
        await trx.insertInto('settings').values({ key: 'mine', value: 'v' }).execute();
        await new Promise((resolve) => { setImmediate(resolve); });
        return misuse(store);
      });
      await assert.rejects(within(attempt, name), OutsideTransactionError);
      assert.deepEqual(await settings(store), {});
    });
  }

  it('also from a flow the callback started without awaiting it; after the callback, that flow waits its turn', async (t) => {
    const store = await openTestStore(t, kind);
    let during: Promise<unknown> | undefined;
    let after: Promise<unknown> | undefined;
    const later = gate();
    await store.transaction(async (trx) => {
      during = store.db.selectFrom('settings').selectAll().execute();
      after = later.wait.then(() => store.db.selectFrom('settings').select('key').execute());
      await trx.insertInto('settings').values({ key: 'committed', value: 'v' }).execute();
    });
    await assert.rejects(within(during!, 'the started flow'), OutsideTransactionError);
    later.open();
    assert.deepEqual(await within(after!, 'the flow after the callback'), [{ key: 'committed' }]);
  });

  it('queries of other flows wait for the open transaction and then run, seeing what it committed', async (t) => {
    const store = await openTestStore(t, kind);
    const inside = gate();
    const release = gate();
    const open = store.transaction(async (trx) => {
      await trx.insertInto('settings').values({ key: 'x', value: '1' }).execute();
      inside.open();
      await release.wait;
    });
    await inside.wait;
    let read: Record<string, string> | undefined;
    const reading = settings(store).then((s) => { read = s; });
    const writing = store.prepare((p: { key: string }) => store.db.insertInto('settings').values({ key: p.key, value: '2' }))
      .run({ key: 'y' });
    const other = store.transaction(async (trx) => trx.insertInto('settings').values({ key: 'z', value: '3' }).execute());
    await new Promise((resolve) => { setTimeout(resolve, 50); });
    assert.equal(read, undefined, 'the read waits while the transaction is open');
    release.open();
    await within(Promise.all([open, reading, writing, other]), 'the other flows');
    assert.deepEqual(read, { x: '1' });
    assert.deepEqual(await settings(store), { x: '1', y: '2', z: '3' });
  });
});

/**
 * PostgreSQL runs a query outside `trx` on another pooled connection, so the misuse does not hang, but it is
 * still wrong: a read does not see the transaction's own writes, and a write of a row the transaction locked
 * waits for that lock (the transaction waits for the write) until the statement timeout (57014, a 503).
 */
describe('the transaction rule on PostgreSQL: a query outside trx runs on another connection', () => {
  const kind = databaseKinds().find((k) => k.name === 'postgres');
  it('reads miss the transaction\'s writes; a write of a row it locked fails at the statement timeout', { skip: !kind }, async (t) => {
    const database = await kind!.create();
    const store = openStore(database.url, { statementTimeoutMs: 300, connectTimeoutMs: 1000 });
    t.after(async () => {
      await store.close();
      await database.drop();
    });
    await migrateToLatest(store);
    await store.db.insertInto('settings').values({ key: 'x', value: 'before' }).execute();
    const started = Date.now();
    const outcome = await within(store.transaction(async (trx) => {
      await trx.updateTable('settings').set({ value: 'mine' }).where('key', '=', 'x').execute();
      const seen = await settings(store);
      const write = await store.db.updateTable('settings').set({ value: 'other' }).where('key', '=', 'x').execute()
        .catch((err: unknown) => err);
      return { seen, write };
    }), 'the transaction');
    assert.deepEqual(outcome.seen, { x: 'before' });
    assert.equal((outcome.write as { code?: string }).code, '57014');
    assert.ok(Date.now() - started >= 300);
    assert.deepEqual(await settings(store), { x: 'mine' });
  });
});
