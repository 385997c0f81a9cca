import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import type { Store, StoreOptions } from './store.js';
import { groupCommit, type TransactionFn } from './group-commit.js';
import { DbHealth } from './health.js';
import { type Executor, Prepared, type QueryResult } from './prepared.js';
import type { Database } from './schema.js';
import { SqliteDriver } from './sqlite-driver.js';

/**
 * Rows as objects built by a function made for the statement's columns: better-sqlite3 builds row
 * objects through the V8 API, a third slower than raw arrays turned into object literals in JS.
 */
function rowMaker(stmt: BetterSqlite3.Statement): (row: unknown[]) => unknown {
  const fields = stmt.columns().map((c, i) => `${JSON.stringify(c.name)}: r[${i}]`);
  return new Function('r', `return { ${fields.join(', ')} };`) as (row: unknown[]) => unknown;
}

/**
 * SQLite runs prepared queries synchronously on the one connection: inside the caller's transaction, or
 * when no transaction is open (else after it ends: never inside someone else's transaction). A write
 * outside a transaction joins the group commit (`transaction`) instead of committing on its own.
 */
function sqliteExecutor(driver: SqliteDriver, transaction: TransactionFn): Executor {
  return (query) => {
    let stmt: BetterSqlite3.Statement | undefined;
    let make: ((row: unknown[]) => unknown) | undefined;
    const run = (args: readonly unknown[]): QueryResult<unknown> => {
      try {
        stmt ??= driver.sqlite.prepare(query.sql);
        if (!stmt.reader) return { rows: [], affected: Number(stmt.run(args).changes) };
        make ??= rowMaker(stmt.raw(true));
        const rows = (stmt.all(args) as unknown[][]).map(make);
        return { rows, affected: rows.length };
      } catch (err) {
        driver.statementFailed(err);
        throw err;
      }
    };
    return async (args, trx) => {
      if (trx?.isTransaction) return run(args);
      stmt ??= driver.sqlite.prepare(query.sql);
      return stmt.readonly ? driver.whenFree(() => run(args)) : transaction(async () => run(args));
    };
  };
}

export function openSqlite(url: string, options: StoreOptions): Store {
  const file = url.slice('sqlite:'.length);
  const memory = file === ':memory:' || file === '';
  if (!memory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // No busy timeout: a lock held by another process is waited out on timers (SqliteDriver), never here.
  const sqlite = new BetterSqlite3(memory ? ':memory:' : file, { timeout: 0 });
  if (!memory) sqlite.pragma('journal_mode = WAL');
  // Checkpoints (copying the WAL into the database file, then fsync) run inside the commit that crosses
  // this many pages: 10,000 (40 MB of WAL) instead of SQLite's 1,000 makes them a tenth as frequent, and a
  // page written again and again in between is copied once.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('cache_size = -8000');
  sqlite.pragma('foreign_keys = ON');
  const health = new DbHealth();
  const driver = new SqliteDriver(sqlite, options.statementTimeoutMs, health);
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new SqliteIntrospector(k),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
  const transaction = groupCommit(db, driver, options.statementTimeoutMs);
  const execute = sqliteExecutor(driver, transaction);
  return {
    db,
    dialect: 'sqlite',
    caps: { rowLocks: false },
    health,
    transaction,
    prepare: (build, prepareOptions) => new Prepared(execute, build, prepareOptions),
    ping: async () => { await sql`select 1`.execute(db); },
    pool: () => ({ open: 1, idle: driver.holding ? 0 : 1, waiting: 0 }),
    close: () => db.destroy(),
  };
}
