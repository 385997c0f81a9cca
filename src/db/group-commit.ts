import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type TransactionFn = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

interface Unit {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * Group commit for SQLite, which has one writer and where the commit (writing the WAL frames, now and then
 * a checkpoint) is the dearest part of a small write. Transactions asked for in the same turn of the event
 * loop, or while a group runs, run together in one transaction, each in a savepoint of its own: one commit
 * for all of them, each still all or nothing (a failing one is rolled back to its savepoint and gets its
 * error), and none answered before the commit. `exec` runs a statement on the connection.
 */
export function groupCommit(db: Kysely<Database>, exec: (sql: string) => void, maxGroup = 64): TransactionFn {
  let queue: Unit[] = [];
  let scheduled = false;

  async function runGroup(group: Unit[]): Promise<void> {
    try {
      await db.transaction().execute(async (trx) => {
        for (const unit of group) {
          exec('savepoint unit');
          try {
            unit.outcome = { ok: true, value: await unit.fn(trx) };
            exec('release unit');
          } catch (error) {
            exec('rollback to unit');
            exec('release unit');
            unit.outcome = { ok: false, error };
          }
        }
      });
    } catch (error) {
      // The commit (or the transaction itself) failed: nothing of the group was written.
      for (const unit of group) unit.outcome = { ok: false, error };
    }
    for (const unit of group) {
      if (unit.outcome!.ok) unit.resolve(unit.outcome!.value);
      else unit.reject(unit.outcome!.error);
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue.slice(0, maxGroup);
      queue = queue.slice(maxGroup);
      await runGroup(group);
    }
    scheduled = false;
  }

  return <T>(fn: (trx: Transaction<Database>) => Promise<T>) => new Promise<T>((resolve, reject) => {
    queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => { void drain(); });
    }
  });
}
