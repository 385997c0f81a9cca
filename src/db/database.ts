import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  type Compilable, CompiledQuery, type DatabaseConnection, Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, SqliteDriver,
  sql,
} from 'kysely';
import { coalescing } from './coalesce.js';
import { groupCommit, type TransactionFn } from './group-commit.js';
import { type Executor, Prepared, type PrepareOptions, type QueryResult } from './prepared.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** Engine differences, declared once instead of scattered `if (postgres)`. */
export interface Capabilities {
  /** Row locks (`SELECT ... FOR UPDATE [SKIP LOCKED]`); SQLite has one writer and needs none. */
  rowLocks: boolean;
}

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  caps: Capabilities;
  /** The PostgreSQL schema named by `options=-c search_path=...` in the URL, if any. */
  schema?: string;
  /**
   * Runs `fn` in a transaction: all of it commits or none of it. On SQLite transactions asked for together
   * share one commit (group commit); each is still all or nothing.
   */
  transaction: TransactionFn;
  /** Compiles `build` once into a query that runs with new parameter values (see Prepared). */
  prepare<P extends object, R>(build: (p: P) => Compilable<R>, options?: PrepareOptions): Prepared<P, R>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite transactions take the write lock up front, so concurrent processes queue instead of deadlocking. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase) {
    super({ database: sqlite });
  }
  override createDriver() {
    return new ImmediateSqliteDriver({ database: this.sqlite });
  }
}

/**
 * better-sqlite3 statements prepared once per distinct SQL text: Kysely prepares on every query, which
 * was the largest single cost of a read (bench/README.md). Bounded; the oldest entry goes first.
 */
function cachedStatements(sqlite: BetterSqlite3.Database, max = 2000): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = sqlite.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

const fromKysely = (res: { rows: unknown[]; numAffectedRows?: bigint }): QueryResult<unknown> =>
  ({ rows: res.rows, affected: Number(res.numAffectedRows ?? 0n) });

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
 * when no transaction is open. While another flow's transaction is open, the query queues for the
 * connection through Kysely like any other, so it never runs inside someone else's transaction. A write
 * outside a transaction joins the group commit (`transaction`) instead of committing on its own.
 */
function sqliteExecutor(db: Kysely<Database>, sqlite: BetterSqlite3.Database, transaction: TransactionFn): Executor {
  return (query) => {
    let stmt: BetterSqlite3.Statement | undefined;
    let make: ((row: unknown[]) => unknown) | undefined;
    const run = (args: readonly unknown[]): QueryResult<unknown> => {
      stmt ??= sqlite.prepare(query.sql);
      if (!stmt.reader) return { rows: [], affected: Number(stmt.run(args).changes) };
      make ??= rowMaker(stmt.raw(true));
      const rows = (stmt.all(args) as unknown[][]).map(make);
      return { rows, affected: rows.length };
    };
    return async (args, trx) => {
      if (trx?.isTransaction) return run(args);
      if (sqlite.inTransaction) return fromKysely(await db.executeQuery({ ...query, parameters: args }));
      stmt ??= sqlite.prepare(query.sql);
      return stmt.readonly ? run(args) : transaction(async () => run(args));
    };
  };
}

/**
 * PostgreSQL runs prepared queries as named statements (parsed and planned once per connection), or
 * unnamed (planned for the values of each run) when asked to; reads asked to coalesce share queries
 * under load (coalesce.ts).
 */
function postgresExecutor(pool: pg.Pool): Executor {
  let statements = 0;
  return (query, options) => {
    const name = options.planEachRun ? undefined : `ims_${++statements}`;
    const single = async (args: readonly unknown[]): Promise<QueryResult<unknown>> => {
      const res = await pool.query({ ...(name ? { name } : {}), text: query.sql, values: args as unknown[] });
      return { rows: res.rows, affected: res.rowCount ?? 0 };
    };
    const shared = options.coalesce && name ? coalescing(pool, name, query.sql, query.parameters.length, single) : single;
    return async (args, trx) => {
      if (trx?.isTransaction) return fromKysely(await trx.executeQuery({ ...query, parameters: args }));
      return shared(args);
    };
  };
}

function openSqlite(url: string): Store {
  const file = url.slice('sqlite:'.length);
  const memory = file === ':memory:' || file === '';
  if (!memory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new BetterSqlite3(memory ? ':memory:' : file);
  if (!memory) sqlite.pragma('journal_mode = WAL');
  // Checkpoints (copying the WAL into the database file, then fsync) run inside the commit that crosses
  // this many pages: 10,000 (40 MB of WAL) instead of SQLite's 1,000 makes them a tenth as frequent, and a
  // page written again and again in between is copied once.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('cache_size = -8000');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(cachedStatements(sqlite)) });
  const statements = new Map<string, BetterSqlite3.Statement>();
  const exec = (text: string) => {
    let stmt = statements.get(text);
    if (!stmt) statements.set(text, stmt = sqlite.prepare(text));
    stmt.run();
  };
  const transaction = groupCommit(db, exec);
  const execute = sqliteExecutor(db, sqlite, transaction);
  return {
    db,
    dialect: 'sqlite',
    caps: { rowLocks: false },
    transaction,
    prepare: (build, options) => new Prepared(execute, build, options),
    ping: async () => { await sql`select 1`.execute(db); },
    close: () => db.destroy(),
  };
}

// int8 (bigint, count(*)) as JS numbers: image sizes stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  pool.on('error', () => { /* an idle client died; the pool replaces it */ });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const searchPath = /search_path=([\w$]+)/.exec(new URL(url).searchParams.get('options') ?? '');
  const execute = postgresExecutor(pool);
  return {
    db,
    dialect: 'postgres',
    caps: { rowLocks: true },
    transaction: (fn) => db.transaction().execute(fn),
    prepare: (build, options) => new Prepared(execute, build, options),
    ...(searchPath ? { schema: searchPath[1] } : {}),
    ping: async () => { await sql`select 1`.execute(db); },
    close: () => db.destroy(),
  };
}

export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new Error(`unsupported database url: ${url}`);
}
