import pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { DbHealth } from './health.js';
import type { PoolUse } from './store.js';

export interface PostgresPoolOptions {
  max: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  health: DbHealth;
}

/** What a query through the pool takes: pg's query config. */
export type PoolQuery = pg.QueryConfig<unknown[]> & { rowMode?: 'array' };

/**
 * After these errors the connection cannot be used again: it is lost, or a statement on it had no answer
 * (the client gave up, the server may still run it). A server error (a SQLSTATE) leaves it usable unless
 * it is of class 08 (connection) or 57P (shutdown).
 */
function breaksConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57P');
  return true;
}

/** A statement with no answer this long after the server's statement_timeout: the server went silent. */
const CLIENT_GRACE_MS = 500;

/** The socket under a pg client, so a connection with no answer goes at once instead of waiting on its end. */
function destroySocket(client: pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** A checked-out connection as Kysely sees it; made once per pg client and reused at every checkout. */
class Connection {
  broken: unknown;

  constructor(private readonly client: pg.PoolClient, private readonly health: DbHealth) {}

  query(sqlOrCursor: unknown, parameters?: readonly unknown[]): unknown {
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor as pg.Submittable);
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return this.client.query(sqlOrCursor, parameters as unknown[]).then((res) => {
      this.health.succeeded();
      return res;
    }, (err: unknown) => {
      if (breaksConnection(err)) this.broken = err;
      this.health.failed(err);
      throw err;
    });
  }

  release(): void {
    const { broken } = this;
    this.broken = undefined;
    if (broken !== undefined) destroySocket(this.client);
    this.client.release(broken === undefined ? undefined : (broken as Error));
  }
}

/**
 * The pg pool of a store, made to survive the database's faults:
 * - every connection has an error listener, idle or checked out, so a terminated or reset connection
 *   (pg_terminate_backend, a restart, a network reset) fails only the statements that were using it;
 * - statements have a server-side `statement_timeout`, and a client-side read timeout half a second later for a
 *   server that went silent (a partition); getting a connection has `connectTimeoutMs`; sockets use TCP
 *   keepalive; a transaction left idle by a vanished client is ended by the server;
 * - a connection that failed that way is destroyed when released, never handed out again;
 * - every statement's outcome feeds `health` (one log line per episode, /readyz).
 */
export class FaultTolerantPool implements PostgresPool {
  private readonly pool: pg.Pool;
  private readonly connections = new WeakMap<pg.PoolClient, Connection>();
  private readonly health: DbHealth;

  constructor(url: string, options: PostgresPoolOptions) {
    this.health = options.health;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + CLIENT_GRACE_MS,
      idle_in_transaction_session_timeout: Math.max(10_000, 2 * options.statementTimeoutMs),
      application_name: new URL(url).searchParams.get('application_name') ?? 'ims',
    });
    // An idle connection died: the pool has dropped it already.
    this.pool.on('error', (err) => this.health.failed(err));
    // A checked-out connection died between statements: its user's next statement fails and release drops it.
    this.pool.on('connect', (client) => client.on('error', (err) => this.health.failed(err)));
  }

  /** One statement on any connection (pg-pool drops the connection when it fails). */
  async query(config: PoolQuery): Promise<pg.QueryResult> {
    try {
      const res = await this.pool.query(config as pg.QueryConfig);
      this.health.succeeded();
      return res;
    } catch (err) {
      this.health.failed(err);
      throw err;
    }
  }

  async connect(): Promise<PostgresPoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.health.failed(err);
      throw err;
    }
    let connection = this.connections.get(client);
    if (!connection) this.connections.set(client, connection = new Connection(client, this.health));
    return connection as unknown as PostgresPoolClient;
  }

  /** Connections open, idle, and the checkouts waiting for one. */
  use(): PoolUse {
    return { open: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
