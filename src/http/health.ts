import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { transientReason } from '../db/errors.js';
import { pendingMigrations } from '../db/migrate.js';
import { RETRY_AFTER_MS } from '../errors/app-error.js';
import { retryAfter } from './errors.js';
import { NO_CALLER } from './openapi.js';

/** /readyz answers within this, whatever the database does. */
const PROBE_MS = 1000;

/** Why the service cannot serve requests now, or undefined when it can. */
async function notReady(container: Container): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`database unreachable: no answer within ${PROBE_MS} ms`), PROBE_MS);
  });
  const probe = (async () => {
    try {
      await container.store.ping();
    } catch (err) {
      return `database unreachable: ${transientReason(err) ?? (err as Error).message}`;
    }
    const pending = await pendingMigrations(container.store);
    return pending.length > 0 ? `migrations pending: ${pending.join(', ')}` : undefined;
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const STATUS = { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } };
const READY = {
  type: 'object', required: ['status', 'database'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] }, database: { type: 'string', enum: ['sqlite', 'postgres'] },
    reason: { type: 'string' },
  },
};

/** Liveness (the process answers; no database) and readiness (the database answers and is migrated), for orchestrators. */
export async function healthRoutes(app: FastifyInstance, { container }: { container: Container }) {
  const database = container.store.dialect;
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers (no database)', ...NO_CALLER,
    response: { 200: STATUS } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the database answers and is migrated', ...NO_CALLER,
    response: { 200: READY, 503: { ...READY, description: 'Not ready (reason), with Retry-After' } } },
  }, async (_request, reply) => {
    const reason = await notReady(container).catch((err: unknown) => `readiness check failed: ${(err as Error).message}`);
    if (reason === undefined) return { status: 'ok', database };
    return reply.status(503).headers(retryAfter(RETRY_AFTER_MS))
      .send({ status: 'unavailable', database, reason });
  });
}
