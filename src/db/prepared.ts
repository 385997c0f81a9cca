import type { Compilable, CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** What running a statement gave: its rows (SELECT, RETURNING) and how many rows it changed. */
export interface QueryResult<R> {
  rows: R[];
  affected: number;
}

/** A Kysely result in the shape of QueryResult. */
export const fromKysely = (res: { rows: unknown[]; numAffectedRows?: bigint }): QueryResult<unknown> =>
  ({ rows: res.rows, affected: Number(res.numAffectedRows ?? 0n) });

/** Runs one compiled query with bound values, inside `trx` when one is given. */
export type Runner = (args: readonly unknown[], trx: Db | undefined) => Promise<QueryResult<unknown>>;

export interface PrepareOptions {
  /**
   * Plan the query for each run's values: for queries whose best plan depends on them (how many rows one
   * member's shares are: 10 or 100,000), which a plan made once for any value gets wrong. PostgreSQL then
   * runs it unnamed; SQLite's plans do not depend on the values.
   */
  planEachRun?: boolean;
  /**
   * A read of at most one row by string parameters (a row by its key): on PostgreSQL concurrent runs may
   * share one query (coalesce.ts). SQLite runs in-process and has no round trip to share.
   */
  coalesce?: boolean;
}

/** How an engine runs a compiled query: it may prepare a statement for it once. */
export type Executor = (query: CompiledQuery, options: PrepareOptions) => Runner;

/** Stands for a named parameter while a query is compiled. */
class Param {
  constructor(readonly name: string) {}
}

/** The result row type of a Kysely query. */
export type RowOf<Q> = Q extends Compilable<infer O> ? O : never;

/**
 * A query built and compiled by Kysely once, then run with new parameter values: no query building on
 * the request path, and the engine keeps one prepared statement for it (better-sqlite3 statement,
 * PostgreSQL named statement). `build` receives stand-ins for the parameters, e.g.
 * `(p: { id: string }) => db.selectFrom('images').selectAll().where('id', '=', p.id)`.
 */
export class Prepared<P extends object, R> {
  private readonly query: CompiledQuery;
  /** For each bound value of the compiled SQL: the parameter name it takes, or undefined for a constant. */
  private readonly names: (string | undefined)[];
  private readonly runner: Runner;

  constructor(executor: Executor, build: (p: P) => Compilable<R>, options: PrepareOptions = {}) {
    const stand = new Proxy({}, { get: (_t, name) => new Param(String(name)) }) as P;
    this.query = build(stand).compile();
    this.names = this.query.parameters.map((v) => (v instanceof Param ? v.name : undefined));
    this.runner = executor(this.query, options);
  }

  async all(params: P, trx?: Db): Promise<R[]> {
    return (await this.runner(this.args(params), trx)).rows as R[];
  }

  async first(params: P, trx?: Db): Promise<R | undefined> {
    return (await this.runner(this.args(params), trx)).rows[0] as R | undefined;
  }

  /** Runs a write; returns how many rows it changed. */
  async run(params: P, trx?: Db): Promise<number> {
    return (await this.runner(this.args(params), trx)).affected;
  }

  private args(params: P): unknown[] {
    const values = params as Record<string, unknown>;
    return this.names.map((name, i) => (name === undefined ? this.query.parameters[i] : values[name]));
  }
}
