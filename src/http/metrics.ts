import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.js';
import { dialectOf } from './dialect.js';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of a request that matched none (a 404): one series for every unknown path. */
const UNMATCHED = 'unmatched';

/**
 * Counts every answer by method, route pattern (never the URL: ids would make a series each), dialect and
 * status, with its latency; and serves the registry at GET /metrics, unauthenticated like /healthz.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  const registers = [metrics.registry];
  const requests = new Counter({ name: 'ims_http_requests_total', help: 'HTTP requests answered, by method, '
    + 'route pattern, dialect and status', labelNames: ['method', 'route', 'dialect', 'status'], registers });
  const seconds = new Histogram({ name: 'ims_http_request_duration_seconds', help: 'Seconds from a request\'s '
    + 'arrival to its answer, by method, route pattern and dialect', labelNames: ['method', 'route', 'dialect'],
  buckets: SECONDS, registers });
  /** The label sets' children, by method and route (and status): found once, not hashed again at each request. */
  const counted = new Map<string, Counter.Internal>();
  const timed = new Map<string, Histogram.Internal<string>>();

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const { method } = request;
    const pattern = request.routeOptions.url;
    // Unmatched paths: one series per dialect (their errors are in the path's).
    const key = pattern === undefined ? `${method} ${dialectOf(request.url)}` : `${method} ${pattern}`;
    const status = reply.statusCode;
    const statusKey = `${key} ${status}`;
    let timer = timed.get(key);
    let counter = counted.get(statusKey);
    if (timer === undefined || counter === undefined) {
      const route = pattern ?? UNMATCHED;
      const dialect = dialectOf(pattern ?? request.url);
      timer ??= seconds.labels({ method, route, dialect });
      counter ??= requests.labels({ method, route, dialect, status });
      timed.set(key, timer);
      counted.set(statusKey, counter);
    }
    counter.inc();
    timer.observe(reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
