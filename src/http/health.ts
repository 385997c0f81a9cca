import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';

/** Liveness and readiness for orchestrators. */
export async function healthRoutes(app: FastifyInstance, { container }: { container: Container }) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await container.store.ping();
      return { status: 'ok', database: container.store.dialect };
    } catch (err) {
      request.log.warn({ err }, 'database not ready');
      return reply.status(503).send({ status: 'unavailable', database: container.store.dialect });
    }
  });
}
