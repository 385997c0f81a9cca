import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createJobRunner } from '../../../src/jobs/tasks.js';
import { buildTestApp, json, memberRows, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { call, JSON_HEADERS } from '../../helpers/glance.js';
import { activeImage } from '../../helpers/ims.js';
import { memoryLogger } from '../../helpers/jobs.js';

function startRunner(tc: TestContext, t: TestApp) {
  const runner = createJobRunner(t.container, memoryLogger());
  runner.start();
  tc.after(() => runner.stop());
}

type Job = { status: string; job_id: string; job_type: string; begin_time: string; end_time: string;
  error_code: string | null; fail_reason: string | null; entities: { results: { image_id: string; project_id: string; status: string }[] } };

async function waitJob(t: TestApp, token: string, project: string, jobId: string): Promise<Job> {
  for (let i = 0; i < 200; i++) {
    const res = await call(t, token, 'GET', `/v1/${project}/jobs/${jobId}`);
    assert.equal(res.statusCode, 200, res.body);
    const job = json(res) as Job;
    if (job.status === 'SUCCESS' || job.status === 'FAIL') return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${jobId} did not finish`);
}

const img = (code: string, message: string) => ({ error: { code, message } });

for (const kind of databaseKinds()) {
  describe(`IMS batch members (${kind.name})`, () => {
    it('add -> pending, accept -> listed, delete: jobs with per-pair results, same rows as Glance', async (tc) => {
      const t = await buildTestApp(tc, kind);
      startRunner(tc, t);
      const a = await activeImage(t, t.tokens.demo, { visibility: 'private' });
      const b = await activeImage(t, t.tokens.demo);
      const add = await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members',
        { images: [a, b], projects: [t.projects.alt, t.projects.other] });
      assert.equal(add.statusCode, 200);
      const { job_id: jobId } = json(add) as { job_id: string };
      assert.match(jobId, /^[0-9a-f]{32}$/);
      const job = await waitJob(t, t.tokens.demo, t.projects.demo, jobId);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.job_type, 'imsAddImageMembersJob');
      assert.equal(job.error_code, null);
      assert.equal(job.fail_reason, null);
      assert.match(job.begin_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(job.end_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(job.entities.results, [
        { image_id: a, project_id: t.projects.alt, status: 'success' },
        { image_id: a, project_id: t.projects.other, status: 'success' },
        { image_id: b, project_id: t.projects.alt, status: 'success' },
        { image_id: b, project_id: t.projects.other, status: 'success' },
      ]);
      const progress = await call(t, t.tokens.demo, 'GET', `/v1/cloudimages/job/${jobId}`);
      assert.deepEqual(json(progress), job);
      // The private image became shared; the Glance API shows the same membership rows.
      assert.equal((json(await call(t, t.tokens.demo, 'GET', `/v2/images/${a}`)) as { visibility: string }).visibility, 'shared');
      const glance = json(await call(t, t.tokens.alt, 'GET', `/v2/images/${a}/members/${t.projects.alt}`)) as { status: string };
      assert.equal(glance.status, 'pending');

      // Re-adding is idempotent and keeps the status.
      assert.equal((await call(t, t.tokens.alt, 'PUT', `/v2/images/${b}/members/${t.projects.alt}`, { status: 'rejected' })).statusCode, 200);
      const again = json(await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members', { images: [b], projects: [t.projects.alt] })) as { job_id: string };
      assert.equal((await waitJob(t, t.tokens.demo, t.projects.demo, again.job_id)).status, 'SUCCESS');
      assert.equal((await t.container.repos.members.get(b, t.projects.alt))!.status, 'rejected');

      const accept = json(await call(t, t.tokens.alt, 'PUT', '/v1/cloudimages/members',
        { images: [a, b], project_id: t.projects.alt, status: 'accepted' })) as { job_id: string };
      const accepted = await waitJob(t, t.tokens.alt, t.projects.alt, accept.job_id);
      assert.equal(accepted.status, 'SUCCESS');
      assert.equal(accepted.job_type, 'imsUpdateImageMembersJob');
      const listed = json(await call(t, t.tokens.alt, 'GET', '/v2/images?member_status=accepted&visibility=shared')) as { images: { id: string }[] };
      assert.deepEqual(listed.images.map((i) => i.id).sort(), [a, b].sort());

      // A job is visible only to its project.
      const foreign = await call(t, t.tokens.alt, 'GET', `/v1/${t.projects.alt}/jobs/${jobId}`);
      assert.equal(foreign.statusCode, 404);
      assert.equal((json(foreign) as { error: { code: string } }).error.code, 'IMG.0023');
      const foreignE14 = await call(t, t.tokens.alt, 'GET', `/v1/cloudimages/job/${jobId}`);
      assert.deepEqual([foreignE14.statusCode, foreignE14.body], [foreign.statusCode, foreign.body]);
      const wrongPath = await call(t, t.tokens.alt, 'GET', `/v1/${t.projects.demo}/jobs/${jobId}`);
      assert.equal(wrongPath.statusCode, 400);
      assert.equal((json(wrongPath) as { error: { code: string } }).error.code, 'IMG.0030');

      const del = json(await call(t, t.tokens.demo, 'DELETE', '/v1/cloudimages/members', { images: [a], projects: [t.projects.alt] })) as { job_id: string };
      const deleted = await waitJob(t, t.tokens.demo, t.projects.demo, del.job_id);
      assert.equal(deleted.job_type, 'imsDelImageMembersJob');
      assert.equal(deleted.status, 'SUCCESS');
      assert.equal((await call(t, t.tokens.alt, 'GET', `/v2/images/${a}`)).statusCode, 404);
    });

    it('partial failure: job FAIL with a result for every pair', async (tc) => {
      const t = await buildTestApp(tc, kind, { memberQuota: 1 });
      startRunner(tc, t);
      const a = await activeImage(t, t.tokens.demo);
      const enc = await activeImage(t, t.tokens.demo, { __system__cmkid: 'k1' });
      await t.container.repos.grants.grant('k1', t.projects.alt, new Date().toISOString());
      const res = json(await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members',
        { images: [a, enc], projects: [t.projects.alt, t.projects.other] })) as { job_id: string };
      const job = await waitJob(t, t.tokens.demo, t.projects.demo, res.job_id);
      assert.equal(job.status, 'FAIL');
      assert.deepEqual(job.entities.results.map((r) => [r.image_id, r.project_id, r.status]), [
        [a, t.projects.alt, 'success'], [a, t.projects.other, 'failed'],
        [enc, t.projects.alt, 'success'], [enc, t.projects.other, 'failed'],
      ]);
      assert.equal(job.error_code, 'IMG.0088');
      assert.match(job.fail_reason!, /maximum allowed/);
      assert.equal(await memberRows(t, a), 1);
    });

    it('synchronous validation: IMG errors and nothing is written', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const a = await activeImage(t, t.tokens.demo);
      const queued = json(await call(t, t.tokens.demo, 'POST', '/v2/images', { name: 'q' })) as { id: string };
      const pub = await activeImage(t, t.tokens.admin, { visibility: 'public' });
      const alt = t.projects.alt;
      const cases: ['POST' | 'PUT' | 'DELETE', unknown, number, string][] = [
        ['POST', undefined, 400, 'IMG.0007'],
        ['POST', [], 400, 'IMG.0001'],
        ['POST', { projects: [alt] }, 400, 'IMG.0001'],
        ['POST', { images: [], projects: [alt] }, 400, 'IMG.0001'],
        ['POST', { images: [a] }, 400, 'IMG.0001'],
        ['POST', { images: [a], projects: 'x' }, 400, 'IMG.0001'],
        ['POST', { images: ['id1;id2'], projects: [alt] }, 400, 'IMG.0066'],
        ['POST', { images: [a], projects: ['not-a-project'] }, 400, 'IMG.0067'],
        ['POST', { images: [a], projects: [alt.toUpperCase()] }, 400, 'IMG.0067'],
        ['POST', { images: ['0b680482-acaa-4045-b14c-9a8c7dfe9c70'], projects: [alt] }, 400, 'IMG.0027'],
        ['POST', { images: [a], projects: [t.projects.demo] }, 400, 'IMG.0076'],
        ['POST', { images: [pub], projects: [alt] }, 400, 'IMG.0047'],
        ['POST', { images: [queued.id], projects: [alt] }, 400, 'IMG.0046'],
        ['POST', { images: [a], domains: ['3A2D95404F964A6ABA78819BF8DDC1E3'] }, 400, 'IMG.0001'],
        ['POST', { images: [a], organizations: ['o-'] }, 400, 'IMG.0001'],
        ['POST', { images: [a], projects: [], domains: null }, 400, 'IMG.0001'],
        ['PUT', { images: [a], project_id: alt, status: 'accepted' }, 400, 'IMG.0030'],
        ['PUT', { images: [a], project_id: t.projects.demo, status: 'maybe' }, 400, 'IMG.0001'],
        ['PUT', { images: [a], project_id: 'x', status: 'accepted' }, 400, 'IMG.0067'],
        ['DELETE', { images: [a] }, 400, 'IMG.0001'],
        ['DELETE', { images: ['x'], projects: [alt] }, 400, 'IMG.0066'],
      ];
      for (const [method, body, status, code] of cases) {
        const res = await call(t, t.tokens.demo, method, '/v1/cloudimages/members', body);
        assert.equal(res.statusCode, status, `${method} ${JSON.stringify(body)}: ${res.body}`);
        assert.equal((json(res) as { error: { code: string } }).error.code, code, `${method} ${JSON.stringify(body)}`);
      }
      const adminPub = await call(t, t.tokens.admin, 'POST', '/v1/cloudimages/members', { images: [pub], projects: [alt] });
      assert.deepEqual(json(adminPub), img('IMG.0089', `The public image cannot be shared: ${pub}`));
      const notOwner = await call(t, t.tokens.alt, 'POST', '/v1/cloudimages/members', { images: [a], projects: [t.projects.other] });
      assert.equal((json(notOwner) as { error: { code: string } }).error.code, 'IMG.0027');
      const malformed = await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members', '{');
      assert.deepEqual(json(malformed), img('IMG.0001', 'Malformed JSON in request body.'));
      const jobs = await t.container.store.db.selectFrom('jobs').select('id').execute();
      assert.equal(jobs.length, 0);
    });

    it('auth: APIGW bodies for missing and bad tokens; 405 and unknown API', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const none = await t.app.inject({ method: 'POST', url: '/v1/cloudimages/members', headers: JSON_HEADERS, payload: '{}' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(json(none), { error_msg: 'Incorrect IAM authentication information: x-auth-token not found',
        error_code: 'APIGW.0301', request_id: none.headers['x-request-id'] });
      const bad = await call(t, 'ims1.x.y', 'GET', `/v1/${t.projects.demo}/jobs/${'0'.repeat(32)}`);
      assert.equal(bad.statusCode, 401);
      assert.equal((json(bad) as { error_code: string }).error_code, 'APIGW.0301');
      const method = await call(t, t.tokens.demo, 'PATCH', '/v1/cloudimages/members', {});
      assert.equal(method.statusCode, 405);
      assert.equal(method.headers.allow, 'POST, PUT, DELETE');
      const unknown = await call(t, t.tokens.demo, 'GET', '/v1/nothing/here/at/all');
      assert.equal(unknown.statusCode, 404);
      assert.equal((json(unknown) as { error_code: string }).error_code, 'APIGW.0101');
    });

    it('member listing ListImageMembers/ShowImageMember: limit, base64 marker, page_info', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const a = await activeImage(t, t.tokens.demo);
      const ids = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(32));
      for (const m of ids) assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${a}/members`, { member: m })).statusCode, 200);
      const base = `/v1/${t.projects.demo}/cloudimages/${a}/members`;
      const seen: string[] = [];
      let marker: string | undefined;
      for (let page = 0; page < 3; page++) {
        const res = await call(t, t.tokens.demo, 'GET', `${base}?limit=2${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`);
        assert.equal(res.statusCode, 200, res.body);
        const body = json(res) as { members: { member_id: string; member_type: string }[]; schema: string;
          page_info: { next_marker?: string; current_count: number } };
        assert.equal(body.schema, '/v2/schemas/members');
        assert.equal(body.page_info.current_count, body.members.length);
        assert.equal(body.members[0]!.member_type, 'project');
        seen.push(...body.members.map((m) => m.member_id));
        marker = body.page_info.next_marker;
        if (page < 2) assert.ok(marker);
        else assert.equal(marker, undefined);
      }
      assert.deepEqual(seen, ids);
      for (const q of ['limit=0', 'limit=1001', 'limit=x', 'marker=%%%']) {
        const res = await call(t, t.tokens.demo, 'GET', `${base}?${q}`);
        assert.equal(res.statusCode, 400, q);
      }
      const one = await call(t, t.tokens.demo, 'GET', `${base}/${ids[1]}`);
      assert.equal(one.statusCode, 200);
      assert.equal((json(one) as { member_id: string }).member_id, ids[1]);
      const missing = await call(t, t.tokens.demo, 'GET', `${base}/${'f'.repeat(32)}`);
      assert.equal(missing.statusCode, 404);
    });
  });
}
