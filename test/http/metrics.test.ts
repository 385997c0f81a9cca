import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJobRunner } from '../../src/jobs/tasks.js';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { activeImage } from '../helpers/ims.js';
import { memoryLogger, pause } from '../helpers/jobs.js';

/** The value of the sample `name{labels}` in a scrape, or undefined when there is none. */
function sample(scrape: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of scrape.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (have.length === wanted.length && wanted.every((l) => have.includes(l))) return Number(m[3]);
  }
  return undefined;
}

async function scrape(t: TestApp): Promise<string> {
  const res = await t.app.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return res.body;
}

for (const kind of databaseKinds()) {
  describe(`GET /metrics (${kind.name})`, () => {
    it('counts requests by method, route pattern, dialect and status, with latency histograms; unauthenticated',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const image = await activeImage(t, t.tokens.demo);
        const headers = { 'x-auth-token': t.tokens.demo };
        for (let i = 0; i < 3; i++) assert.equal((await t.app.inject({ url: `/v2/images/${image}`, headers })).statusCode, 200);
        assert.equal((await t.app.inject({ url: '/v2/images/00000000-0000-0000-0000-000000000000', headers })).statusCode, 404);
        assert.equal((await t.app.inject({ url: '/v2/nothing-here', headers })).statusCode, 404);
        assert.equal((await t.app.inject({ url: '/v1/nothing-here', headers })).statusCode, 404);
        assert.equal((await t.app.inject({ url: '/v3/projects' })).statusCode, 401);
        const text = await scrape(t);
        const requests = (method: string, route: string, dialect: string, status: string) =>
          sample(text, 'ims_http_requests_total', { method, route, dialect, status });
        assert.equal(requests('GET', '/v2/images/:id', 'glance', '200'), 3);
        assert.equal(requests('GET', '/v2/images/:id', 'glance', '404'), 1);
        assert.equal(requests('POST', '/v2/images', 'glance', '201'), 1);
        assert.equal(requests('PUT', '/v2/images/:id/file', 'glance', '204'), 1);
        assert.equal(requests('GET', 'unmatched', 'glance', '404'), 1);
        assert.equal(requests('GET', 'unmatched', 'ims', '404'), 1);
        assert.equal(requests('GET', '/v3/projects', 'keystone', '401'), 1);
        assert.doesNotMatch(text, new RegExp(image), 'route patterns, never URLs');
        const timed = { method: 'GET', route: '/v2/images/:id', dialect: 'glance' };
        assert.equal(sample(text, 'ims_http_request_duration_seconds_count', timed), 4);
        assert.equal(sample(text, 'ims_http_request_duration_seconds_bucket', { ...timed, le: '+Inf' }), 4);
        assert.ok(sample(text, 'ims_http_request_duration_seconds_sum', timed)! > 0);
        // The scrape itself is counted once it has been answered.
        assert.equal(requests('GET', '/metrics', 'keystone', '200'), undefined);
        assert.equal(sample(await scrape(t), 'ims_http_requests_total',
          { method: 'GET', route: '/metrics', dialect: 'keystone', status: '200' }), 1);
      });

    it('shows the job queue, and the durations and pairs of the jobs this process ran', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const images = [await activeImage(t, t.tokens.demo), await activeImage(t, t.tokens.demo)];
      const add = await t.app.inject({ method: 'POST', url: '/v1/cloudimages/members', headers: { 'x-auth-token': t.tokens.demo },
        payload: { images, projects: [t.projects.alt, t.projects.other] } });
      assert.equal(add.statusCode, 200, add.body);
      let text = await scrape(t);
      assert.equal(sample(text, 'ims_job_queue_jobs', { status: 'INIT' }), 1);
      assert.equal(sample(text, 'ims_job_queue_pairs', { status: 'INIT' }), 4);
      assert.equal(sample(text, 'ims_job_queue_jobs', { status: 'RUNNING' }), 0);
      const job = { type: 'imsAddImageMembersJob', status: 'SUCCESS' };
      assert.equal(sample(text, 'ims_job_duration_seconds_count', job), undefined);

      const logger = memoryLogger();
      const runner = createJobRunner(t.container, logger);
      runner.start();
      tc.after(() => runner.stop());
      for (let i = 0; i < 400 && !logger.lines.some((l) => l.msg === 'job finished'); i++) await pause(10);
      const { job_id: jobId } = json(add) as { job_id: string };
      const view = json(await t.app.inject({ url: `/v1/${t.projects.demo}/jobs/${jobId}`,
        headers: { 'x-auth-token': t.tokens.demo } })) as { begin_time: string; end_time: string };
      text = await scrape(t);
      assert.equal(sample(text, 'ims_job_queue_jobs', { status: 'INIT' }), 0);
      assert.equal(sample(text, 'ims_job_queue_pairs', { status: 'INIT' }), 0);
      assert.equal(sample(text, 'ims_job_duration_seconds_count', job), 1);
      const seconds = sample(text, 'ims_job_duration_seconds_sum', job)!;
      const wire = (Date.parse(view.end_time) - Date.parse(view.begin_time)) / 1000;
      assert.ok(seconds >= wire && seconds < wire + 1, `${seconds} s, the wire's ${wire} s`);
      assert.equal(sample(text, 'ims_job_pairs_sum', job), 4);
      assert.equal(sample(text, 'ims_job_pairs_bucket', { ...job, le: '10' }), 1);
      assert.equal(sample(text, 'ims_job_pairs_bucket', { ...job, le: '1' }), 0);
    });

    it('shows the caches (bytes, hits, misses, ratio) and the database (connections, errors, up)', async (tc) => {
      const t = await buildTestApp(tc, kind, { cacheMb: 64 });
      const image = await activeImage(t, t.tokens.demo);
      const headers = { 'x-auth-token': t.tokens.demo };
      for (let i = 0; i < 4; i++) assert.equal((await t.app.inject({ url: `/v2/images/${image}`, headers })).statusCode, 200);
      const text = await scrape(t);
      const stats = t.container.caches.stats();
      for (const [cache, s] of Object.entries(stats)) {
        assert.equal(sample(text, 'ims_cache_hits_total', { cache }), s.hits, cache);
        assert.equal(sample(text, 'ims_cache_misses_total', { cache }), s.misses, cache);
        assert.equal(sample(text, 'ims_cache_bytes', { cache }), s.bytes, cache);
        assert.equal(sample(text, 'ims_cache_entries', { cache }), s.entries, cache);
      }
      const images = stats.images!;
      assert.ok(images.hits >= 3, JSON.stringify(images));
      assert.equal(sample(text, 'ims_cache_hit_ratio', { cache: 'images' }), images.hits / (images.hits + images.misses));
      assert.equal(sample(text, 'ims_cache_budget_bytes'), t.container.caches.maxBytes);
      assert.equal(sample(text, 'ims_cache_used_bytes'), t.container.caches.bytes);
      assert.ok(sample(text, 'ims_cache_used_bytes')! > 0);

      const open = sample(text, 'ims_db_connections', { state: 'open' })!;
      assert.ok(open >= 1 && open <= (kind.name === 'sqlite' ? 1 : 10), String(open));
      assert.ok(sample(text, 'ims_db_connections', { state: 'idle' })! <= open);
      // The scrape's own read of the job queue may be waiting for a connection.
      assert.ok(sample(text, 'ims_db_connections', { state: 'waiting' })! >= 0);
      assert.equal(sample(text, 'ims_db_errors_total', { kind: 'transient' }), 0);
      assert.equal(sample(text, 'ims_db_up'), 1);
      // A failed statement is counted.
      await assert.rejects(t.container.store.db.selectFrom('no_such_table' as never).selectAll().execute());
      assert.equal(sample(await scrape(t), 'ims_db_errors_total', { kind: 'other' }), 1);
    });

    it('keeps a registry per app: two apps in one process count their own requests', async (tc) => {
      const a = await buildTestApp(tc, kind);
      const b = await buildTestApp(tc, kind);
      assert.equal((await a.app.inject({ url: '/healthz' })).statusCode, 200);
      const healthz = { method: 'GET', route: '/healthz', dialect: 'keystone', status: '200' };
      assert.equal(sample(await scrape(a), 'ims_http_requests_total', healthz), 1);
      assert.equal(sample(await scrape(b), 'ims_http_requests_total', healthz), undefined);
    });
  });
}
