import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { createJobRunner } from '../../src/jobs/tasks.js';
import { buildTestApp, json } from '../helpers/app.js';
import { type DatabaseKind, databaseKinds } from '../helpers/databases.js';
import { activeImage } from '../helpers/ims.js';
import { memoryLogger, pause } from '../helpers/jobs.js';

/** A test app logging JSON lines at debug into the array returned. */
async function loggingApp(tc: TestContext, kind: DatabaseKind) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { t: await buildTestApp(tc, kind, {}, { logger: { level: 'debug', stream } }), lines };
}

const GENERATED = /^req-[0-9a-f-]{36}$/;

for (const kind of databaseKinds()) {
  describe(`request ids and request logs (${kind.name})`, () => {
    it('answers with the caller\'s X-Request-Id or X-Openstack-Request-Id in both headers, else with a new one',
      async (tc) => {
        const t = await buildTestApp(tc, kind);
        const ids = async (headers: Record<string, string>) => {
          const res = await t.app.inject({ url: '/v2/images', headers: { 'x-auth-token': t.tokens.demo, ...headers } });
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['x-openstack-request-id'], res.headers['x-request-id']);
          return String(res.headers['x-request-id']);
        };
        assert.equal(await ids({ 'x-request-id': 'deploy-7f3a:step.2' }), 'deploy-7f3a:step.2');
        assert.equal(await ids({ 'x-openstack-request-id': 'req-0e6f1b2c-8d4a-4a9e-9b1f-3c2d1e0f9a8b' }),
          'req-0e6f1b2c-8d4a-4a9e-9b1f-3c2d1e0f9a8b');
        assert.equal(await ids({ 'x-request-id': 'first', 'x-openstack-request-id': 'second' }), 'first');
        // Unsafe or too long: replaced, as if none was given; a safe second header is taken then.
        assert.equal(await ids({ 'x-request-id': 'a b', 'x-openstack-request-id': 'second' }), 'second');
        for (const unsafe of ['a b', '<script>', 'x'.repeat(129), '-leading-dash', '', 'é']) {
          assert.match(await ids({ 'x-request-id': unsafe }), GENERATED, JSON.stringify(unsafe));
        }
        assert.equal(await ids({ 'x-request-id': 'x'.repeat(128) }), 'x'.repeat(128));
        const a = await ids({});
        const b = await ids({});
        assert.match(a, GENERATED);
        assert.notEqual(a, b);
        // Refusals carry it too, and IMS error bodies quote it.
        const refused = await t.app.inject({ url: '/v1/cloudimages/job/x', headers: { 'x-request-id': 'mine' } });
        assert.equal(refused.statusCode, 401);
        assert.equal(refused.headers['x-request-id'], 'mine');
        assert.equal((json(refused) as { request_id: string }).request_id, 'mine');
      });

    it('logs each request at info with its id, and the probes at debug (below the default level, info)', async (tc) => {
      const { t, lines } = await loggingApp(tc, kind);
      for (const url of ['/healthz', '/readyz', '/metrics']) assert.equal((await t.app.inject({ url })).statusCode, 200);
      const res = await t.app.inject({ url: '/v2/images', headers: { 'x-auth-token': t.tokens.demo, 'x-request-id': 'r-1' } });
      assert.equal(res.statusCode, 200);
      const requests = lines.filter((l) => l.msg === 'request').map((l) => [l.level, l.url, l.status, l.reqId]);
      assert.deepEqual(requests.map(([level, url, status]) => [level, url, status]),
        [[20, '/healthz', 200], [20, '/readyz', 200], [20, '/metrics', 200], [30, '/v2/images', 200]]);
      assert.ok(requests.slice(0, 3).every(([, , , reqId]) => GENERATED.test(String(reqId))));
      assert.equal(requests[3]![3], 'r-1');
    });

    it('passes the request id on to the log lines of the batch job the request submitted', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const image = await activeImage(t, t.tokens.demo);
      const add = await t.app.inject({ method: 'POST', url: '/v1/cloudimages/members',
        headers: { 'x-auth-token': t.tokens.demo, 'x-request-id': 'share-42' },
        payload: { images: [image], projects: [t.projects.alt] } });
      assert.equal(add.statusCode, 200, add.body);
      const { job_id: jobId } = json(add) as { job_id: string };
      const logger = memoryLogger();
      const runner = createJobRunner(t.container, logger);
      runner.start();
      tc.after(() => runner.stop());
      for (let i = 0; i < 400 && !logger.lines.some((l) => l.msg === 'job finished'); i++) await pause(10);
      const finished = logger.lines.find((l) => l.msg === 'job finished');
      assert.deepEqual(finished?.obj, { jobId, type: 'imsAddImageMembersJob', attempt: 1, reqId: 'share-42', status: 'SUCCESS' });
      // The job's wire view does not show it.
      const job = await t.app.inject({ url: `/v1/${t.projects.demo}/jobs/${jobId}`, headers: { 'x-auth-token': t.tokens.demo } });
      assert.doesNotMatch(job.body, /share-42/);
    });
  });
}
