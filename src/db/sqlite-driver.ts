import { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import { BoundedMap } from '../cache/bounded-map.js';
import { DatabaseBusyError, OutsideTransactionError } from './errors.js';
import type { DbHealth } from './health.js';

/** SQLITE_BUSY or SQLITE_LOCKED: another connection (another process) holds the lock a statement needs. */
export const isBusy = (err: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown })?.code));

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

/** Pause before the next try: 1, 2, 4 ... ms up to 50 ms. */
const backoff = (tries: number) => Math.min(50, 2 ** tries);

/** A transaction's callback running on a driver: `open` until the callback has settled. */
interface Callback {
  driver: SqliteDriver;
  open: boolean;
}

/** The transaction callback an async flow belongs to (everything the callback started, awaited or not). */
const callbacks = new AsyncLocalStorage<Callback>();
/**
 * Callbacks running now, on every driver. On Node 20 an AsyncLocalStorage in use turns on promise hooks for
 * the whole process (~10 % of a read): `callbacks` is on from a transaction's first callback to its end.
 */
let running = 0;

/**
 * Kysely's driver for one better-sqlite3 connection, which never waits on the event loop. The connection
 * has no busy timeout: when another process holds the write lock, SQLite answers SQLITE_BUSY at once and
 * the statement (or `begin immediate`) is tried again on a timer, with backoff, until the statement
 * timeout; then DatabaseBusyError (a 503). Meanwhile the process keeps serving, and reads, which WAL lets
 * run beside another process's writer, go on.
 *
 * A transaction holds the connection from `begin immediate` to its end; any statement of another flow
 * waits until then (it must not run inside someone else's transaction). Between tries of a `begin`, the
 * connection is free. A single statement outside a transaction runs at once when no transaction is open.
 * A flow of the open transaction's own callback that waits for the connection would wait for itself: it
 * throws OutsideTransactionError instead (`runCallback`, `refuseInsideCallback`).
 */
export class SqliteDriver implements Driver {
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  /** Prepared statements by SQL: a resource of the connection, not a cache (the cache space does not hold them). */
  private readonly statements = new BoundedMap<string, BetterSqlite3.Statement>(2000);
  /**
   * The deadline (epoch ms) of the next `begin`, set by group commit right before it opens its transaction.
   * (Not an AsyncLocalStorage: one costs every promise of the process while it is on, see `running`.)
   */
  nextBeginDeadline: number | undefined;

  constructor(readonly sqlite: BetterSqlite3.Database, private readonly timeoutMs: number,
    private readonly health: DbHealth) {}

  /** Whether a transaction holds the connection now. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = this.nextBeginDeadline ?? Date.now() + this.timeoutMs;
    this.nextBeginDeadline = undefined;
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      await this.lock();
      try {
        this.exec('begin immediate');
        (connection as SqliteConnection).inTransaction = true;
        this.health.succeeded();
        return;
      } catch (err) {
        this.unlock();
        if (!isBusy(err)) throw err;
      }
      if (Date.now() + backoff(tries) > deadline) throw this.busy(started);
      await sleep(backoff(tries));
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed commit leaves the transaction open: Kysely rolls it back next, which unlocks.
    this.exec('commit');
    this.end(connection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.sqlite.inTransaction) this.exec('rollback');
    } finally {
      this.end(connection);
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.sqlite.close();
  }

  /** Runs `fn`, the callback of a transaction open on this connection, marking every flow it starts. */
  async runCallback<T>(fn: () => Promise<T>): Promise<T> {
    const callback: Callback = { driver: this, open: true };
    running++;
    try {
      return await callbacks.run(callback, fn);
    } finally {
      callback.open = false;
      running--;
    }
  }

  /**
   * Throws OutsideTransactionError in a flow of a transaction callback still running on this connection:
   * what it asks for (the connection, or a transaction after this one) waits for the callback to end.
   */
  refuseInsideCallback(): void {
    const callback = callbacks.getStore();
    if (callback?.open && callback.driver === this) throw new OutsideTransactionError();
  }

  /**
   * Runs `attempt` (a statement outside any transaction) when the connection is free, again after each
   * SQLITE_BUSY until the statement timeout. No wait and no extra promise when it succeeds at once.
   */
  whenFree<T>(attempt: () => T): T | Promise<T> {
    if (!this.held) {
      try {
        return attempt();
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
    }
    return this.retry(attempt);
  }

  /** A statement of the Kysely connection: cached prepared statement, rows as objects. */
  run(query: CompiledQuery): QueryResult<unknown> {
    try {
      let stmt = this.statements.get(query.sql);
      if (!stmt) {
        stmt = this.sqlite.prepare(query.sql);
        this.statements.set(query.sql, stmt);
      }
      if (stmt.reader) return { rows: stmt.all(query.parameters as unknown[]) };
      const { changes, lastInsertRowid } = stmt.run(query.parameters as unknown[]);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    } catch (err) {
      this.statementFailed(err);
      throw err;
    }
  }

  /**
   * A statement failed (a constraint, a bug): the health counts it. Not a busy lock, which is waited out and
   * counted only when the wait ends in a DatabaseBusyError.
   */
  statementFailed(err: unknown): void {
    if (!isBusy(err)) this.health.failed(err);
  }

  exec(text: string): void {
    let stmt = this.statements.get(text);
    if (!stmt) this.statements.set(text, stmt = this.sqlite.prepare(text));
    stmt.run();
  }

  private async retry<T>(attempt: () => T): Promise<T> {
    this.refuseInsideCallback();
    const started = Date.now();
    const deadline = started + this.timeoutMs;
    for (let tries = 0; ; tries++) {
      // Checked again right before the statement: no await between the check and the run.
      while (this.held) await this.held;
      try {
        return attempt();
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
      if (Date.now() + backoff(tries) > deadline) throw this.busy(started);
      await sleep(backoff(tries));
    }
  }

  private busy(started: number): DatabaseBusyError {
    const err = new DatabaseBusyError(Date.now() - started);
    this.health.failed(err);
    return err;
  }

  private async lock(): Promise<void> {
    this.refuseInsideCallback();
    while (this.held) await this.held;
    this.held = new Promise<void>((resolve) => { this.release = resolve; });
  }

  private unlock(): void {
    const release = this.release;
    this.held = undefined;
    this.release = undefined;
    release?.();
  }

  private end(connection: DatabaseConnection): void {
    (connection as SqliteConnection).inTransaction = false;
    // Off once per transaction, not per callback: a group commit runs many, and turning it on costs µs.
    if (running === 0) callbacks.disable();
    this.unlock();
  }
}

class SqliteConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(private readonly driver: SqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.driver.run(query) as QueryResult<R>;
    return await this.driver.whenFree(() => this.driver.run(query)) as QueryResult<R>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite');
  }
}
