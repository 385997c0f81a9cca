import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.js';
import { DIALECTS, dialectOf } from './dialect.js';
import { NO_CALLER } from './openapi.js';

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
  /** A method's series on one route: its latency, and its count by status (label children, made once). */
  interface Series {
    timer: Histogram.Internal<string>;
    counts: Map<number, Counter.Internal>;
  }
  /** What counts the answers on `route` (`dialect` its dialect): a hook of its own, its labels found once. */
  const observer = (route: string, dialect: string) => {
    const byMethod = new Map<string, Series>();
    return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const { method } = request;
      const status = reply.statusCode;
      let series = byMethod.get(method);
      if (series === undefined) {
        byMethod.set(method, series = { timer: seconds.labels({ method, route, dialect }), counts: new Map() });
      }
      let count = series.counts.get(status);
      if (count === undefined) series.counts.set(status, count = requests.labels({ method, route, dialect, status }));
      count.inc();
      series.timer.observe(reply.elapsedTime / 1000);
      done();
    };
  };
  // Each route gets its observer as it is added (Fastify's route options would be built again at every request).
  app.addHook('onRoute', (route) => {
    const observe = observer(route.url, dialectOf(route.url));
    route.onResponse = [...[route.onResponse ?? []].flat(), observe];
  });
  // Unmatched paths (not-found handlers): one series per dialect (their errors are in the path's).
  const unmatched = new Map(DIALECTS.map((d) => [d, observer(UNMATCHED, d)]));
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched.get(dialectOf(request.url))!(request, reply, done);
    else done();
  });

  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (docs/observability.md)', ...NO_CALLER, produces: ['text/plain'],
      response: { 200: { type: 'string', description: 'The Prometheus text format, version 0.0.4' } } },
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
