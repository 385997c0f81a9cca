import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { coalescing } from './coalesce.js';
import type { Store, StoreOptions } from './store.js';
import { DbHealth } from './health.js';
import { FaultTolerantPool } from './postgres-pool.js';
import { type Executor, fromKysely, Prepared, type QueryResult } from './prepared.js';
import type { Database } from './schema.js';

// int8 (bigint, count(*)) as JS numbers: image sizes stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * PostgreSQL runs prepared queries as named statements (parsed and planned once per connection), or
 * unnamed (planned for the values of each run) when asked to; reads asked to coalesce share queries
 * under load (coalesce.ts).
 */
function postgresExecutor(pool: FaultTolerantPool): Executor {
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

export function openPostgres(url: string, options: StoreOptions): Store {
  const health = new DbHealth();
  const pool = new FaultTolerantPool(url, {
    max: 10, statementTimeoutMs: options.statementTimeoutMs, connectTimeoutMs: options.connectTimeoutMs, health,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const searchPath = /search_path=([\w$]+)/.exec(new URL(url).searchParams.get('options') ?? '');
  const execute = postgresExecutor(pool);
  return {
    db,
    dialect: 'postgres',
    caps: { rowLocks: true },
    health,
    transaction: (fn) => db.transaction().execute(fn),
    prepare: (build, prepareOptions) => new Prepared(execute, build, prepareOptions),
    ...(searchPath ? { schema: searchPath[1] } : {}),
    ping: async () => { await sql`select 1`.execute(db); },
    pool: () => pool.use(),
    close: () => db.destroy(),
  };
}
