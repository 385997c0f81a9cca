import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { Metrics } from '../metrics.js';
import { DIALECTS, dialectOf } from './dialect.js';
import { NO_CALLER } from './openapi.js';

/** The latency histogram's buckets (seconds). */
export const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of a request that matched none (a 404): one series for every unknown path. */
const UNMATCHED = 'unmatched';

/** A method's answers on one route: counted in plain numbers, handed to prom-client only when scraped. */
export class Series {
  readonly byStatus = new Map<number, number>();
  /** Answers by latency bucket (SECONDS), the last for the slower ones. */
  readonly buckets: number[] = new Array<number>(SECONDS.length + 1).fill(0);
  sum = 0;
  count = 0;

  constructor(readonly labels: { method: string; route: string; dialect: string }) {}

  observe(status: number, seconds: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < SECONDS.length && seconds > SECONDS[i]!) i++;
    this.buckets[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

const DURATION = 'ims_http_request_duration_seconds';
export const DURATION_HELP = 'Seconds from a request\'s arrival to its answer, by method, route pattern and dialect';

/** prom-client's histogram, its values the series' counts (what `observe` would have counted, one at a time). */
export class SeriesHistogram extends Histogram {
  constructor(private readonly series: Series[], registers: Registry[]) {
    super({ name: DURATION, help: DURATION_HELP, labelNames: ['method', 'route', 'dialect'], buckets: SECONDS, registers });
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, buckets, sum, count } of this.series) {
      let below = 0;
      SECONDS.forEach((le, i) => {
        below += buckets[i]!;
        values.push({ labels: { le, ...labels }, value: below, metricName: `${DURATION}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${DURATION}_bucket` },
        { labels, value: sum, metricName: `${DURATION}_sum` }, { labels, value: count, metricName: `${DURATION}_count` });
    }
    // prom-client's own shape (its typings call the type an enum; the registry reads the string).
    return { name: DURATION, help: DURATION_HELP, type: 'histogram' as never, aggregator: 'sum', collect: () => {}, values };
  }

  /** What the registry reads for the text format. */
  getForPromString(): ReturnType<SeriesHistogram['get']> {
    return this.get();
  }
}

/**
 * Counts every answer by method, route pattern (never the URL: ids would make a series each), dialect and
 * status, with its latency; and serves the registry at GET /metrics, unauthenticated like /healthz. An answer
 * adds to plain numbers: prom-client's own observe and inc, label checks and hashing at every call, cost some
 * 10 % of a cached image read (bench/README.md); they are read into its metrics at each scrape.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  const registers = [metrics.registry];
  const all: Series[] = [];
  new Counter({ name: 'ims_http_requests_total', help: 'HTTP requests answered, by method, route pattern, dialect '
    + 'and status', labelNames: ['method', 'route', 'dialect', 'status'], registers,
  collect() {
    this.reset();
    for (const { labels, byStatus } of all) for (const [status, n] of byStatus) this.inc({ ...labels, status }, n);
  } });
  new SeriesHistogram(all, registers);
  /** What counts the answers on `route` (`dialect` its dialect): a hook of its own, its series made once. */
  const observer = (route: string, dialect: string) => {
    const byMethod = new Map<string, Series>();
    return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const { method } = request;
      let series = byMethod.get(method);
      if (series === undefined) {
        byMethod.set(method, series = new Series({ method, route, dialect }));
        all.push(series);
      }
      series.observe(reply.statusCode, reply.elapsedTime / 1000);
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
