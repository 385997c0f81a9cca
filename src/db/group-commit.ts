import type { Kysely, Transaction } from 'kysely';
import { DatabaseBusyError } from './errors.js';
import type { Database } from './schema.js';
import type { SqliteDriver } from './sqlite-driver.js';

export type TransactionFn = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

interface Unit {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Epoch ms after which the unit stops waiting for the write lock. */
  deadline: number;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * Group commit for SQLite, which has one writer and where the commit (writing the WAL frames, now and then
 * a checkpoint) is the dearest part of a small write. Transactions asked for in the same turn of the event
 * loop, or while a group runs, run together in one transaction, each in a savepoint of its own: one commit
 * for all of them, each still all or nothing (a failing one is rolled back to its savepoint and gets its
 * error), and none answered before the commit.
 *
 * Each unit waits for the write lock (held by another process) at most `timeoutMs` from when it was asked
 * for: a group waits until its oldest unit's deadline, those units get DatabaseBusyError, the others wait on.
 */
export function groupCommit(db: Kysely<Database>, driver: SqliteDriver, timeoutMs: number, maxGroup = 64)
  : TransactionFn {
  const exec = (text: string) => driver.exec(text);
  let queue: Unit[] = [];
  let scheduled = false;

  /** Runs one group; returns the units that must wait for the next one. */
  async function runGroup(group: Unit[]): Promise<Unit[]> {
    const deadline = Math.min(...group.map((u) => u.deadline));
    let begun = false;
    try {
      driver.nextBeginDeadline = deadline;
      await db.transaction().execute(async (trx) => {
        begun = true;
        for (const unit of group) {
          exec('savepoint unit');
          try {
            unit.outcome = { ok: true, value: await driver.runCallback(() => unit.fn(trx)) };
            exec('release unit');
          } catch (error) {
            exec('rollback to unit');
            exec('release unit');
            unit.outcome = { ok: false, error };
          }
        }
      });
    } catch (error) {
      if (!begun && error instanceof DatabaseBusyError) {
        // The write lock stayed taken until the oldest deadline: those units give up, the rest wait on.
        for (const unit of group) if (unit.deadline <= deadline) unit.reject(error);
        return group.filter((unit) => unit.deadline > deadline);
      }
      // The commit (or the transaction itself) failed: nothing of the group was written.
      for (const unit of group) unit.outcome = { ok: false, error };
    }
    for (const unit of group) {
      if (unit.outcome!.ok) unit.resolve(unit.outcome!.value);
      else unit.reject(unit.outcome!.error);
    }
    return [];
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue.slice(0, maxGroup);
      queue = queue.slice(maxGroup);
      const waiting = await runGroup(group);
      if (waiting.length > 0) queue = [...waiting, ...queue];
    }
    scheduled = false;
  }

  return <T>(fn: (trx: Transaction<Database>) => Promise<T>) => new Promise<T>((resolve, reject) => {
    // Asked for by a unit's own callback, it would wait for its group to end, which waits for the callback.
    driver.refuseInsideCallback();
    queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, deadline: Date.now() + timeoutMs });
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => { void drain(); });
    }
  });
}
