import type pg from 'pg';
import type { PoolQuery } from './postgres-pool.js';
import type { QueryResult } from './prepared.js';

/** Queries of one statement running at once before further runs wait to share one query. */
const IN_FLIGHT = 4;
/** Runs one shared query answers at most. */
const MAX_KEYS = 256;

interface Waiting {
  args: string[];
  resolve(res: QueryResult<unknown>): void;
  reject(err: unknown): void;
}

/**
 * The query `text` (placeholders `$1..$n`) run for many parameter lists at once: each list is a row of
 * `unnest` and the query runs for it laterally. The first column is the list's ordinal.
 */
function manyText(text: string, arity: number): string {
  const cols = Array.from({ length: arity }, (_v, i) => `p${i + 1}`);
  const arrays = cols.map((_c, i) => `$${i + 1}::text[]`).join(', ');
  const lateral = text.replace(/\$(\d+)/g, (_m, n: string) => `k.p${n}`);
  return `select k.i as "__k", q.* from unnest(${arrays}) with ordinality as k(${cols.join(', ')}, i)`
    + ` cross join lateral (${lateral}) as q`;
}

/** Row objects from array rows, built by a function made once for the columns after the ordinal. */
function objectMaker(fields: readonly { name: string }[]): (row: unknown[]) => unknown {
  const props = fields.slice(1).map((f, i) => `${JSON.stringify(f.name)}: r[${i + 1}]`);
  return new Function('r', `return { ${props.join(', ')} };`) as (row: unknown[]) => unknown;
}

/**
 * A PostgreSQL read by string parameters (a row by its key) that concurrent requests share: while
 * IN_FLIGHT runs of the statement are out, further runs wait and then go together as one query, so under
 * load one round trip and one execution answer many requests. A lone request runs at once, as before.
 * Each run still reads after it was asked for (the shared query starts after every run in it arrived),
 * and gets exactly the rows the query alone would give (`text` is run laterally for its parameters).
 * A failure of the shared query is never shared: its runs are then tried one by one.
 */
export function coalescing(pool: { query(config: PoolQuery): Promise<pg.QueryResult> }, name: string, text: string, arity: number,
  single: (args: readonly unknown[]) => Promise<QueryResult<unknown>>) {
  const many = manyText(text, arity);
  let inFlight = 0;
  let waiting: Waiting[] = [];
  let make: ((row: unknown[]) => unknown) | undefined;

  const runMany = async (batch: Waiting[]): Promise<void> => {
    if (batch.length === 1) return single(batch[0]!.args).then(batch[0]!.resolve, batch[0]!.reject);
    const columns = Array.from({ length: arity }, (_v, i) => batch.map((w) => w.args[i]));
    try {
      const res = await pool.query({ name: `${name}_many`, text: many, values: columns, rowMode: 'array' });
      make ??= objectMaker(res.fields);
      const rows: unknown[][] = batch.map(() => []);
      for (const row of res.rows as unknown[][]) rows[(row[0] as number) - 1]!.push(make(row));
      batch.forEach((w, i) => w.resolve({ rows: rows[i]!, affected: rows[i]!.length }));
    } catch {
      // One run's values can fail the shared query for all (a value the column type refuses): each run then
      // goes alone, so only a run whose own query fails gets an error.
      await Promise.all(batch.map((w) => single(w.args).then(w.resolve, w.reject)));
    }
  };

  const next = (): void => {
    while (waiting.length > 0 && inFlight < IN_FLIGHT) {
      const batch = waiting.length <= MAX_KEYS ? waiting : waiting.slice(0, MAX_KEYS);
      waiting = waiting.length <= MAX_KEYS ? [] : waiting.slice(MAX_KEYS);
      inFlight++;
      void runMany(batch).finally(() => { inFlight--; next(); });
    }
  };

  return async (args: readonly unknown[]): Promise<QueryResult<unknown>> => {
    if (!args.every((a) => typeof a === 'string')) return single(args);
    if (inFlight >= IN_FLIGHT) {
      return new Promise((resolve, reject) => waiting.push({ args: args as string[], resolve, reject }));
    }
    inFlight++;
    try {
      return await single(args);
    } finally {
      inFlight--;
      next();
    }
  };
}
