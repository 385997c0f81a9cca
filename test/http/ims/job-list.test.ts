import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hexId } from '../../../src/domain/clock.js';
import type { Lease } from '../../../src/repos/job-repo.js';
import { ADD_JOB, DELETE_JOB, UPDATE_JOB } from '../../../src/services/batch-member-service.js';
import { signed } from '../../helpers/aksk.js';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import { call } from '../../helpers/glance.js';
import { activeImage } from '../../helpers/ims.js';

const T0 = '2026-03-04T05:06:07.000Z';

type Summary = { status: string; job_id: string; job_type: string; begin_time: string; end_time: string;
  error_code: string | null; fail_reason: string | null; pairs: { total: number; done: number; failed: number } };

const imsError = (code: string, message: string) => ({ error: { code, message } });

/** The caller's project's jobs as ListJobs answers them (200 expected), `query` appended as given. */
async function listJobs(t: TestApp, token: string, project: string, query = ''): Promise<Summary[]> {
  const res = await call(t, token, 'GET', `/v1/${project}/jobs${query}`);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return (json(res) as { jobs: Summary[] }).jobs;
}

/** A job of `project` submitted at `at` (without a request: for order and paging). */
async function jobAt(t: TestApp, project: string, at: string, pairs = 1, type = ADD_JOB, id = hexId()): Promise<string> {
  await t.container.repos.jobs.insert({ id, projectId: project, type, payload: {}, pairs, now: at });
  return id;
}

/** A job still INIT, as ListJobs shows it. */
const waiting = (id: string, at: string, total: number, type = ADD_JOB): Summary => ({ status: 'INIT', job_id: id,
  job_type: type, begin_time: at, end_time: '', error_code: null, fail_reason: null, pairs: { total, done: 0, failed: 0 } });

/** Newest first: submission time, then id, both descending. */
const newestFirst = (a: { at: string; id: string }, b: { at: string; id: string }) =>
  (a.at === b.at ? (a.id < b.id ? 1 : -1) : (a.at < b.at ? 1 : -1));

for (const kind of databaseKinds()) {
  describe(`IMS ListJobs (${kind.name})`, () => {
    it('shows the batch jobs of the project newest first, with their pairs while they run and after', async (tc) => {
      const clock = new FakeClock(T0);
      const t = await buildTestApp(tc, kind, {}, { clock });
      const { demo, alt, other } = t.projects;
      const a = await activeImage(t, t.tokens.demo);
      const b = await activeImage(t, t.tokens.demo);
      const submit = async (method: 'POST' | 'DELETE', body: object) => {
        const res = await call(t, t.tokens.demo, method, '/v1/cloudimages/members', body);
        assert.equal(res.statusCode, 200, res.body);
        return (json(res) as { job_id: string }).job_id;
      };
      // Four pairs; a second later one; a millisecond later two (a project and an account). Ties are the next
      // test's, with ids of its choosing: random ones would order these differently from run to run.
      const add = await submit('POST', { images: [a, b], projects: [alt, other] });
      clock.advance(1000);
      const t1 = clock.now().toISOString();
      const del = await submit('DELETE', { images: [a], projects: [other] });
      clock.advance(1);
      const t2 = clock.now().toISOString();
      const account = await submit('POST', { images: [b], projects: [alt], domains: ['default'] });
      // alt's own job (it accepts a) is not demo's.
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${a}/members`, { member: alt })).statusCode, 200);
      const accept = await call(t, t.tokens.alt, 'PUT', '/v1/cloudimages/members',
        { images: [a], project_id: alt, status: 'accepted' });
      assert.equal(accept.statusCode, 200, accept.body);
      const altJob = (json(accept) as { job_id: string }).job_id;

      // A job submitted before jobs kept their pairs (0), with two results written.
      const day = new Date(Date.parse(T0) - 86_400_000).toISOString();
      const old = await jobAt(t, demo, day, 0, DELETE_JOB);
      await t.container.repos.jobs.appendResults(old, [{ imageId: a, projectId: alt, status: 'success' },
        { imageId: b, projectId: alt, status: 'failed', errorCode: 'IMG.0027' }]);
      const legacy = { ...waiting(old, day, 2, DELETE_JOB), pairs: { total: 2, done: 2, failed: 1 } };

      const first = waiting(account, t2, 2);
      const second = waiting(del, t1, 1, DELETE_JOB);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo), [first, second, waiting(add, T0, 4), legacy]);
      assert.deepEqual(await listJobs(t, t.tokens.alt, alt), [waiting(altJob, t2, 1, UPDATE_JOB)]);

      // The add job runs: three of its four pairs written, one failed.
      const jobs = t.container.repos.jobs;
      const row = await jobs.claim('test-runner', [ADD_JOB], t1, '2099-01-01T00:00:00.000Z');
      assert.equal(row?.id, add);
      const lease: Lease = { jobId: add, owner: 'test-runner', attempt: row!.attempts };
      await jobs.appendResults(add, [{ imageId: a, projectId: alt, status: 'success' },
        { imageId: a, projectId: other, status: 'failed', errorCode: 'IMG.0088' },
        { imageId: b, projectId: alt, status: 'success' }]);
      const running = { ...waiting(add, T0, 4), status: 'RUNNING', pairs: { total: 4, done: 3, failed: 1 } };
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo), [first, second, running, legacy]);
      // ShowJob agrees.
      const { pairs: _, ...head } = running;
      assert.deepEqual(json(await call(t, t.tokens.demo, 'GET', `/v1/${demo}/jobs/${add}`)), { ...head, entities: {
        results: [{ image_id: a, project_id: alt, status: 'success' }, { image_id: a, project_id: other, status: 'failed' },
          { image_id: b, project_id: alt, status: 'success' }] } });

      // It ends: four pairs done, one failed, FAIL with the first failure.
      await jobs.appendResults(add, [{ imageId: b, projectId: other, status: 'success' }]);
      clock.advance(500);
      const end = clock.now().toISOString();
      const reason = `The number of shared images has reached the maximum allowed. (image ${a}, project ${other})`;
      assert.ok(await jobs.finish(lease, { status: 'FAIL', errorCode: 'IMG.0088', failReason: reason }, end));
      const failed = { ...running, status: 'FAIL', end_time: end, error_code: 'IMG.0088', fail_reason: reason,
        pairs: { total: 4, done: 4, failed: 1 } };
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo), [first, second, failed, legacy]);
      const body = (await call(t, t.tokens.demo, 'GET', `/v1/${demo}/jobs`)).body;
      assert.ok(body.startsWith(`{"jobs":[{"status":"INIT","job_id":"${account}","job_type":`), body);
      assert.ok(body.endsWith(`,"pairs":{"total":4,"done":4,"failed":1}},${JSON.stringify(legacy)}]}`), body);

      // The purger deletes the finished job: it is in no page, and no longer a marker.
      assert.equal(await jobs.purge('2099-01-01T00:00:00.000Z'), 1);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo), [first, second, legacy]);
      const purged = await call(t, t.tokens.demo, 'GET', `/v1/${demo}/jobs?marker=${add}`);
      assert.equal(purged.statusCode, 400);
      assert.deepEqual(json(purged), imsError('IMG.0001', `The marker is invalid: ${add} is not a job of this project.`));
    });

    it('pages newest first after the job_id marker: 20 by default, 1 to 100', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { demo, alt } = t.projects;
      // 23 jobs over 8 seconds, three to a second (ties go by id); and alt's, in the same seconds.
      const made: { at: string; id: string }[] = [];
      for (let i = 0; i < 23; i++) {
        const at = new Date(Date.parse(T0) + Math.floor(i / 3) * 1000).toISOString();
        // Ids out of submission order (7 is prime to 23), the same every run.
        const n = ((i * 7) % 23).toString(16);
        made.push({ at, id: await jobAt(t, demo, at, i + 1, ADD_JOB, n.padStart(32, 'd')) });
        await jobAt(t, alt, at, 1, ADD_JOB, n.padStart(32, 'a'));
      }
      const expected = [...made].sort(newestFirst).map(({ at, id }) => waiting(id, at, made.findIndex((m) => m.id === id) + 1));
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, '?limit=100'), expected);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo), expected.slice(0, 20));

      const seen: Summary[] = [];
      const pages: number[] = [];
      for (let marker = ''; ;) {
        const page = await listJobs(t, t.tokens.demo, demo, `?limit=5${marker && `&marker=${marker}`}`);
        pages.push(page.length);
        seen.push(...page);
        if (page.length < 5) break;
        marker = page.at(-1)!.job_id;
      }
      assert.deepEqual(pages, [5, 5, 5, 5, 3]);
      assert.deepEqual(seen, expected);
      // After the oldest job: an empty page. limit=1 steps across a tie one job at a time.
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, `?marker=${expected.at(-1)!.job_id}`), []);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, `?limit=1&marker=${expected[2]!.job_id}`), [expected[3]]);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, `?marker=${expected[1]!.job_id}&limit=2`), expected.slice(2, 4));
      // Other projects' jobs are in no page of demo's.
      assert.equal((await listJobs(t, t.tokens.alt, alt, '?limit=100')).length, 23);
      assert.deepEqual(await listJobs(t, t.tokens.other, t.projects.other), []);
    });

    it('refuses a bad limit or marker with 400 IMG.0001, as ListImageMembers does', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { demo, alt } = t.projects;
      const own = await jobAt(t, demo, T0);
      const foreign = await jobAt(t, alt, T0);
      const limit = 'The limit must be an integer from 1 to 100.';
      const marker = (m: string) => `The marker is invalid: ${m} is not a job of this project.`;
      const cases: [string, string][] = [
        ['limit=0', limit], ['limit=101', limit], ['limit=x', limit], ['limit=', limit], ['limit=-1', limit],
        ['limit=1.5', limit], ['limit=1e1', limit], ['limit=%2B5', limit],
        ['limit=1&limit=2', 'The query parameter limit may be given only once.'],
        ['marker=', marker('')], ['marker=nope', marker('nope')], [`marker=${own.toUpperCase()}`, marker(own.toUpperCase())],
        [`marker=${'0'.repeat(32)}`, marker('0'.repeat(32))], [`marker=${foreign}`, marker(foreign)],
        [`marker=${own}&marker=${own}`, 'The query parameter marker may be given only once.'],
        [`limit=0&marker=${own}`, limit],
      ];
      for (const [query, message] of cases) {
        const res = await call(t, t.tokens.demo, 'GET', `/v1/${demo}/jobs?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.deepEqual(json(res), imsError('IMG.0001', message), query);
      }
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, '?limit=1&limit_other=x'), [waiting(own, T0, 1)]);
      assert.deepEqual(await listJobs(t, t.tokens.demo, demo, `?limit=100&marker=${own}`), []);
    });

    it('authorizes as ShowJob does: the caller\'s project only, a reader role, tokens and AK/SK signatures', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { demo, alt, admin } = t.projects;
      const job = await jobAt(t, demo, T0, 2);
      const list = `/v1/${demo}/jobs`;
      const show = `/v1/${demo}/jobs/${job}`;
      const same = async (token: string, listUrl: string, showUrl: string, status: number) => {
        const [l, s] = [await call(t, token, 'GET', listUrl), await call(t, token, 'GET', showUrl)];
        assert.equal(l.statusCode, status, l.body);
        assert.deepEqual([l.statusCode, json(l)], [s.statusCode, json(s)]);
        return json(l);
      };
      // A path project that is not the caller's: alt naming demo, and the admin naming demo.
      const mismatch = imsError('IMG.0030', 'The project ID and token in the request are invalid.');
      assert.deepEqual(await same(t.tokens.alt, list, show, 400), mismatch);
      assert.deepEqual(await same(t.tokens.admin, list, show, 400), mismatch);
      assert.deepEqual(await listJobs(t, t.tokens.admin, admin), []);
      // A token of demo with no role there.
      const user = (await t.container.repos.identity.userByName('default', 'demo'))!;
      const roleless = t.container.identity.issueFor(user.id, demo, []);
      const noRole = imsError('IMG.0026', 'The role is invalid: reading needs the reader role in the project.');
      assert.deepEqual(await same(roleless, list, show, 403), noRole);
      assert.deepEqual(await same(roleless, list, `/v1/cloudimages/job/${job}`, 403), noRole);
      // No token, a bad one: the gateway's 401.
      for (const headers of [{}, { 'x-auth-token': 'ims1.x.y' }]) {
        const res = await t.app.inject({ method: 'GET', url: list, headers });
        assert.equal(res.statusCode, 401);
        const body = json(res) as { error_code: string; error_msg: string; request_id: string };
        assert.equal(body.error_code, 'APIGW.0301');
        assert.equal(body.request_id, res.headers['x-request-id']);
        const shown = await t.app.inject({ method: 'GET', url: show, headers });
        assert.deepEqual([shown.statusCode, (json(shown) as typeof body).error_msg], [401, body.error_msg]);
      }
      // AK/SK: demo's key lists demo's jobs (with X-Project-Id, or its one project), query signed; not alt's.
      const byToken = await listJobs(t, t.tokens.demo, demo, '?limit=5');
      assert.deepEqual(byToken, [waiting(job, T0, 2)]);
      for (const projectId of [demo, undefined]) {
        const res = await signed(t, 'GET', list, { query: 'limit=5', projectId });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(json(res), { jobs: byToken });
      }
      const signedOther = await signed(t, 'GET', `/v1/${alt}/jobs`, { projectId: demo });
      assert.equal(signedOther.statusCode, 400);
      assert.deepEqual(json(signedOther), mismatch);
      const signedBad = await signed(t, 'GET', list, { query: 'limit=500', projectId: demo });
      assert.deepEqual([signedBad.statusCode, json(signedBad)],
        [400, imsError('IMG.0001', 'The limit must be an integer from 1 to 100.')]);
    });
  });
}
