import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from '../../../src/auth/aksk.js';
import { DEMO_KEY as KEY, HOST, signed } from '../../helpers/aksk.js';
import { buildTestApp, json } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { activeImage } from '../../helpers/ims.js';

for (const kind of databaseKinds()) {
  describe(`IMS AK/SK and /v2/cloudimages (${kind.name})`, () => {
    it('a signed request submits a batch and reads its job; X-Project-Id and the path project are honoured', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const image = await activeImage(t, t.tokens.demo);
      const res = await signed(t, 'POST', '/v1/cloudimages/members', { body: { images: [image], projects: [t.projects.alt] },
        projectId: t.projects.demo });
      assert.equal(res.statusCode, 200, res.body);
      const { job_id: jobId } = json(res) as { job_id: string };
      const job = await signed(t, 'GET', `/v1/${t.projects.demo}/jobs/${jobId}`, { projectId: t.projects.demo });
      assert.equal(job.statusCode, 200, job.body);
      assert.equal((json(job) as { job_id: string }).job_id, jobId);
      const noHeader = await signed(t, 'GET', `/v1/${t.projects.demo}/jobs/${jobId}`);
      assert.equal(noHeader.statusCode, 200, 'the single project of the key is used');
      const otherPath = await signed(t, 'GET', `/v1/${t.projects.alt}/jobs/${jobId}`, { projectId: t.projects.demo });
      assert.equal(otherPath.statusCode, 400);
      assert.equal((json(otherPath) as { error: { code: string } }).error.code, 'IMG.0030');
    });

    it('bad signatures, stale dates and foreign projects get APIGW 401 bodies and change nothing', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const image = await activeImage(t, t.tokens.demo);
      const body = { images: [image], projects: [t.projects.alt] };
      const cases = [
        signed(t, 'POST', '/v1/cloudimages/members', { body, key: { ...KEY, secret: 'wrong' } }),
        signed(t, 'POST', '/v1/cloudimages/members', { body, date: new Date(Date.now() - 16 * 60_000) }),
        signed(t, 'POST', '/v1/cloudimages/members', { body, date: new Date(Date.now() + 16 * 60_000) }),
        signed(t, 'POST', '/v1/cloudimages/members', { body, projectId: t.projects.alt }),
      ];
      for (const res of await Promise.all(cases)) {
        assert.equal(res.statusCode, 401, res.body);
        const b = json(res) as { error_code: string; error_msg: string; request_id: string };
        assert.equal(b.error_code, 'APIGW.0301');
        assert.match(b.error_msg, /^Incorrect IAM authentication information: /);
        assert.equal(b.request_id, res.headers['x-request-id']);
      }
      const s = sign({ method: 'POST', host: HOST, path: '/v1/cloudimages/members', body: JSON.stringify(body),
        ak: KEY.access, sk: KEY.secret, date: new Date() });
      const tampered = await t.app.inject({ method: 'POST', url: '/v1/cloudimages/members',
        headers: { ...s.headers, host: HOST }, payload: JSON.stringify({ ...body, projects: [t.projects.other] }) });
      assert.equal(tampered.statusCode, 401);
      assert.equal((await t.container.store.db.selectFrom('jobs').select('id').execute()).length, 0);
    });

    it('GET /v2/cloudimages filters shared images by __imagetype, member_status and owner', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const shared = await activeImage(t, t.tokens.demo);
      const pending = await activeImage(t, t.tokens.demo);
      const own = await activeImage(t, t.tokens.alt, { visibility: 'private' });
      for (const id of [shared, pending]) {
        const r = await t.app.inject({ method: 'POST', url: `/v2/images/${id}/members`, headers: { 'x-auth-token': t.tokens.demo },
          payload: { member: t.projects.alt } });
        assert.equal(r.statusCode, 200);
      }
      const acc = await t.app.inject({ method: 'PUT', url: `/v2/images/${shared}/members/${t.projects.alt}`,
        headers: { 'x-auth-token': t.tokens.alt }, payload: { status: 'accepted' } });
      assert.equal(acc.statusCode, 200);
      const get = async (query: string) => {
        const res = await t.app.inject({ url: `/v2/cloudimages?${query}`, headers: { 'x-auth-token': t.tokens.alt } });
        assert.equal(res.statusCode, 200, res.body);
        const body = json(res) as { images: { id: string; __imagetype: string; owner: string }[] };
        assert.deepEqual(Object.keys(body), ['images']);
        return body.images;
      };
      const accepted = await get('member_status=accepted&visibility=shared&__imagetype=shared');
      assert.deepEqual(accepted.map((i) => [i.id, i.__imagetype, i.owner]), [[shared, 'shared', t.projects.demo]]);
      assert.deepEqual((await get('member_status=pending&visibility=shared&__imagetype=shared')).map((i) => i.id), [pending]);
      assert.deepEqual((await get(`owner=${t.projects.alt}`)).map((i) => i.id), [own]);
      assert.deepEqual((await get('__imagetype=private')).map((i) => i.id), [own]);
      const bad = await t.app.inject({ url: '/v2/cloudimages?__imagetype=bogus', headers: { 'x-auth-token': t.tokens.alt } });
      assert.equal(bad.statusCode, 400);
      assert.equal((json(bad) as { error: { code: string } }).error.code, 'IMG.0001');
      // The owner's view, signed with a query the verifier must re-canonicalise (repeated keys, reserved characters).
      const owner = await signed(t, 'GET', '/v2/cloudimages', { query: '__imagetype=shared&visibility=shared&name=a%20b(c)*!&name=i' });
      assert.equal(owner.statusCode, 200, owner.body);
      const ownerAll = await signed(t, 'GET', '/v2/cloudimages', { query: '__imagetype=shared&visibility=shared' });
      assert.deepEqual((json(ownerAll) as { images: { id: string }[] }).images.map((i) => i.id).sort(), [shared, pending].sort());
      const anon = await t.app.inject({ url: '/v2/cloudimages' });
      assert.equal((json(anon) as { error_code: string }).error_code, 'APIGW.0301');
    });
  });
}
