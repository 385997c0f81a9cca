import autocannon, { type RequestParams } from 'autocannon';

/** One kind of request a scenario sends; `next` (if given) builds each request (autocannon `setupRequest`). */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
  next?: () => { path?: string; body?: string };
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** Responses received (any status). */
  requests: number;
  /** Responses per second over the measured window. */
  rps: number;
  /** Latency percentiles in milliseconds, from every response's own time (µs resolution). */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
}

/** A growable array of latencies (ms). */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  percentile(p: number): number {
    if (this.length === 0) return NaN;
    const sorted = this.data.slice(0, this.length).sort();
    return sorted[Math.min(this.length - 1, Math.ceil((p / 100) * this.length) - 1)]!;
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Drives `baseUrl` with autocannon for `seconds` at `connections`, one request in flight per connection. */
export async function runLoad(baseUrl: string, spec: RequestSpec, connections: number, seconds: number)
  : Promise<LoadResult> {
  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  const next = spec.next;
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [{
      method: spec.method, path: spec.path, headers: spec.headers,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(next ? { setupRequest: (request: RequestParams) => ({ ...request, ...next() }) } : {}),
    }],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const started = performance.now();
  const result = await instance;
  const elapsed = (performance.now() - started) / 1000;
  const non2xx = Object.entries(statuses).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  return {
    connections,
    seconds: round(elapsed, 2),
    requests: latencies.length,
    rps: round(latencies.length / elapsed, 1),
    p50: round(latencies.percentile(50), 3),
    p99: round(latencies.percentile(99), 3),
    non2xx,
    errors: result.errors,
    statuses,
  };
}

const mid = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Repeated runs as one: median req/s and latencies, summed counts. */
export function medianLoad(runs: LoadResult[]): LoadResult {
  if (runs.length === 1) return runs[0]!;
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const sum = (f: (r: LoadResult) => number) => runs.reduce((n, r) => n + f(r), 0);
  return {
    connections: runs[0]!.connections, seconds: round(sum((r) => r.seconds), 2), requests: sum((r) => r.requests),
    rps: round(mid(runs.map((r) => r.rps)), 1), p50: round(mid(runs.map((r) => r.p50)), 3),
    p99: round(mid(runs.map((r) => r.p99)), 3), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), statuses,
  };
}
