import type { Compilable, Kysely } from 'kysely';
import type { TransactionFn } from './group-commit.js';
import type { DbHealth } from './health.js';
import type { Prepared, PrepareOptions } from './prepared.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** Engine differences, declared once instead of scattered `if (postgres)`. */
export interface Capabilities {
  /** Row locks (`SELECT ... FOR UPDATE [SKIP LOCKED]`); SQLite has one writer and needs none. */
  rowLocks: boolean;
}

/** The store's connections now: open, of which idle, and the statements waiting for one (for metrics). */
export interface PoolUse {
  open: number;
  idle: number;
  waiting: number;
}

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  caps: Capabilities;
  /** Whether the database answers, as this process's statements see it (one event per fault episode). */
  health: DbHealth;
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
  /** SQLite has its one connection, idle unless a transaction holds it (writers wait on the lock, uncounted). */
  pool(): PoolUse;
  close(): Promise<void>;
}

/** How long the database may take before a statement fails as unavailable (a 503). */
export interface StoreOptions {
  /** A statement, or on SQLite the wait for the write lock another process holds. */
  statementTimeoutMs: number;
  /** Getting a PostgreSQL connection, from the pool or new. */
  connectTimeoutMs: number;
}

export const DEFAULT_STORE_OPTIONS: StoreOptions = Object.freeze({ statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
