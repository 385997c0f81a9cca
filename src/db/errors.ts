/** Driver errors, translated once for both engines. */

/** A unique-constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** SQLite could not take the write lock before the statement timeout: another process holds it. */
export class DatabaseBusyError extends Error {
  readonly code = 'IMS_DB_BUSY';
  constructor(waitedMs: number) {
    super(`the database is locked by another connection (waited ${waitedMs} ms)`);
    this.name = 'DatabaseBusyError';
  }
}

/**
 * A query inside `store.transaction(fn)` that did not go through `fn`'s `trx` (the transaction rule, see
 * src/db/README.md). On SQLite it would wait for the transaction to end, which waits for it: forever.
 */
export class OutsideTransactionError extends Error {
  readonly code = 'IMS_OUTSIDE_TRX';
  constructor() {
    super('a query inside store.transaction(fn) did not use fn\'s trx: inside a transaction every query must use its '
      + 'trx (src/db/README.md, the transaction rule)');
    this.name = 'OutsideTransactionError';
  }
}

/** PostgreSQL SQLSTATEs after which the same request may succeed later: the fault is the server's state. */
const TRANSIENT_SQLSTATES: Record<string, string> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock',
  '53300': 'too many connections',
  '55P03': 'lock not available',
  '57014': 'statement timeout',
  '57P01': 'server shutting down',
  '57P02': 'server crashed',
  '57P03': 'server starting up',
};

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
};

/** pg's own errors carry no code; their messages are stable. */
const PG_CLIENT_MESSAGES: [RegExp, string][] = [
  [/timeout exceeded when trying to connect|connection timeout/i, 'connection timed out'],
  [/Query read timeout/, 'no answer (statement timed out on the client)'],
  [/Connection terminated|not queryable|Client was closed/i, 'connection lost'],
];

/**
 * Why the database could not serve a statement just now, when a later try may succeed (the server is
 * down, restarting, unreachable, overloaded or locked by another process); undefined for every other
 * error (a constraint violation, a bug). Callers answer 503 for these, and jobs retry them.
 */
export function transientReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code !== undefined) {
    if (code === 'IMS_DB_BUSY' || /^SQLITE_(BUSY|LOCKED)/.test(code)) return 'database locked by another process';
    if (code.startsWith('08')) return 'connection failure';
    const reason = TRANSIENT_SQLSTATES[code] ?? NETWORK_CODES[code];
    if (reason) return reason;
  }
  const message = typeof e?.message === 'string' ? e.message : '';
  return PG_CLIENT_MESSAGES.find(([pattern]) => pattern.test(message))?.[1];
}

export const isTransient = (err: unknown): boolean => transientReason(err) !== undefined;

/**
 * Why a database cannot be used at all (at start: unreachable, refusing the credentials, missing, a SQLite file that
 * cannot be opened), or undefined for every other error.
 */
export function unusableReason(err: unknown): string | undefined {
  const transient = transientReason(err);
  if (transient !== undefined) return transient;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  // SQLite's own codes; PostgreSQL's invalid authorization (28xxx) and invalid catalog name (3D000).
  if (/^SQLITE_/.test(code) || /^(28|3D)[0-9A-Z]{3}$/.test(code)) return message;
  return undefined;
}
