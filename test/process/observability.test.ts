import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from '../helpers/server.js';

describe('observability of ims serve', () => {
  it('serves /metrics with the process metrics, logs probes below info, and takes the caller\'s request id',
    async () => {
      const srv = await startServer();
      try {
        for (const probe of ['/healthz', '/readyz']) assert.equal((await fetch(`${srv.url}${probe}`)).status, 200);
        const refused = await fetch(`${srv.url}/v2/images`, { headers: { 'X-Openstack-Request-Id': 'trace-9f2c' } });
        assert.equal(refused.status, 401);
        assert.equal(refused.headers.get('x-request-id'), 'trace-9f2c');
        assert.equal(refused.headers.get('x-openstack-request-id'), 'trace-9f2c');
        await srv.waitForOutput(/"msg":"request"/);

        const scrape = await fetch(`${srv.url}/metrics`);
        assert.equal(scrape.status, 200);
        const text = await scrape.text();
        for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds',
          'ims_http_request_duration_seconds_bucket', 'ims_job_queue_jobs', 'ims_cache_used_bytes', 'ims_db_up']) {
          assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), name);
        }
        assert.match(text, /^ims_http_requests_total\{method="GET",route="\/v2\/images",dialect="glance",status="401"\} 1$/m);
        assert.match(text, /^ims_http_requests_total\{method="GET",route="\/healthz",dialect="keystone",status="200"\} 1$/m);

        // At the default level (info): the request, not the probes.
        const requests = srv.output().split('\n').filter((l) => l.includes('"msg":"request"'));
        assert.equal(requests.length, 1, requests.join('\n'));
        assert.match(requests[0]!, /"reqId":"trace-9f2c".*"url":"\/v2\/images","status":401/);
      } finally {
        assert.equal(await srv.stop(), 0);
      }
    });
});
