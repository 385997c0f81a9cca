import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheSpace } from './cache/cache-space.js';
import type { Store } from './db/store.js';
import type { JobRepo } from './repos/job-repo.js';

/** What a job runner reports of each job it finishes. */
export interface JobMetrics {
  /** `seconds`: from its submission to its end, as ShowJob shows them (`begin_time`, `end_time`). */
  finished(type: string, status: string, seconds: number, pairs: number): void;
}

/** The metrics of a container: its own registry (never prom-client's global one), served by GET /metrics. */
export interface Metrics {
  registry: Registry;
  jobs: JobMetrics;
}

const JOB_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const JOB_PAIRS = [1, 10, 100, 1000, 10_000, 100_000];

/**
 * The service's metrics (names and labels: docs/observability.md): the job queue (read from the database at
 * each scrape, so every process sharing it shows the same), the jobs this process's runners finished, the
 * caches, and the database connections and failed statements. The HTTP metrics are added by the app.
 */
export function createMetrics(parts: { store: Store; caches: CacheSpace; jobRepo: JobRepo }): Metrics {
  const { store, caches, jobRepo } = parts;
  const registry = new Registry();
  const registers = [registry];

  // Both queue gauges of a scrape (collected at once) share one read; while the database does not answer, the
  // queue is unknown: no sample (the failure is counted in ims_db_errors_total).
  let reading: Promise<{ status: string; jobs: number; pairs: number }[] | undefined> | undefined;
  const queue = () => (reading ??= jobRepo.queue().catch(() => undefined).finally(() => { reading = undefined; }));
  const queueGauge = (name: string, help: string, value: 'jobs' | 'pairs') => new Gauge({
    name, help, labelNames: ['status'], registers,
    async collect() {
      const rows = await queue();
      this.reset();
      for (const status of rows === undefined ? [] : ['INIT', 'RUNNING']) {
        this.set({ status }, rows!.find((r) => r.status === status)?.[value] ?? 0);
      }
    },
  });
  queueGauge('ims_job_queue_jobs', 'Unfinished jobs of every process sharing the database, by status (INIT: '
    + 'waiting; RUNNING)', 'jobs');
  queueGauge('ims_job_queue_pairs', 'The (image, target) pairs of the unfinished jobs, by status', 'pairs');
  const jobSeconds = new Histogram({ name: 'ims_job_duration_seconds', help: 'Jobs finished by this process\'s '
    + 'runners: seconds from submission to end, by type and status', labelNames: ['type', 'status'], buckets: JOB_SECONDS,
  registers });
  const jobPairs = new Histogram({ name: 'ims_job_pairs', help: 'Jobs finished by this process\'s runners: their '
    + '(image, target) pairs, by type and status', labelNames: ['type', 'status'], buckets: JOB_PAIRS, registers });

  const cacheGauge = (name: string, help: string, value: (s: CacheStats) => number) => new Gauge({
    name, help, labelNames: ['cache'], registers,
    collect() {
      for (const [cache, stats] of Object.entries(caches.stats())) this.set({ cache }, value(stats));
    },
  });
  const cacheCounter = (name: string, help: string, value: (s: CacheStats) => number) => new Counter({
    name, help, labelNames: ['cache'], registers,
    collect() {
      this.reset();
      for (const [cache, stats] of Object.entries(caches.stats())) this.inc({ cache }, value(stats));
    },
  });
  cacheGauge('ims_cache_bytes', 'Bytes a cache holds (estimated), by cache', (s) => s.bytes);
  cacheGauge('ims_cache_entries', 'Entries a cache holds, by cache', (s) => s.entries);
  cacheCounter('ims_cache_hits_total', 'Lookups a cache answered, by cache', (s) => s.hits);
  cacheCounter('ims_cache_misses_total', 'Lookups a cache did not answer, by cache', (s) => s.misses);
  cacheGauge('ims_cache_hit_ratio', 'Hits over lookups since the start, by cache (0 before the first lookup)',
    (s) => (s.hits + s.misses === 0 ? 0 : s.hits / (s.hits + s.misses)));
  new Gauge({ name: 'ims_cache_budget_bytes', help: 'The memory all caches share (--cache-mb)', registers,
    collect() { this.set(caches.maxBytes); } });
  new Gauge({ name: 'ims_cache_used_bytes', help: 'Bytes all caches hold (estimated)', registers,
    collect() { this.set(caches.bytes); } });

  new Gauge({ name: 'ims_db_connections', help: 'Database connections by state: open, idle (of the open), and '
    + 'waiting (statements waiting for one)', labelNames: ['state'], registers,
  collect() {
    const use = store.pool();
    for (const state of ['open', 'idle', 'waiting'] as const) this.set({ state }, use[state]);
  } });
  new Counter({ name: 'ims_db_errors_total', help: 'Failed database statements, by kind (transient: the database '
    + 'unavailable, locked or too slow; other)', labelNames: ['kind'], registers,
  collect() {
    this.reset();
    for (const kind of ['transient', 'other'] as const) this.inc({ kind }, store.health.errors[kind]);
  } });
  new Gauge({ name: 'ims_db_up', help: '1 while the database answers this process\'s statements, 0 during a fault',
    registers, collect() { this.set(store.health.unavailable === undefined ? 1 : 0); } });

  return {
    registry,
    jobs: {
      finished(type, status, seconds, pairs) {
        jobSeconds.observe({ type, status }, seconds);
        jobPairs.observe({ type, status }, pairs);
      },
    },
  };
}

/**
 * prom-client's process and Node.js metrics (CPU, memory, event loop lag, GC, handles) on the registry: for the
 * one container of a server process (each call watches the event loop and GC for good).
 */
export function addProcessMetrics(metrics: Metrics): void {
  collectDefaultMetrics({ register: metrics.registry });
}

type CacheStats = ReturnType<CacheSpace['stats']>[string];
