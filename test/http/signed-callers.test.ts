/**
 * AK/SK (`SDK-HMAC-SHA256`, as Huawei's SDKs sign) on every API path, and errors per caller: a signed caller gets
 * the IMS body (or the API gateway's, for authentication) on every path, as Huawei's SDK core parses it; a token
 * caller keeps each path's own dialect.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  authorizationHeader, canonicalRequest, formatSdkDate, sha256Hex, signature, stringToSign,
} from '../../src/auth/aksk.js';
import { DEMO_KEY, HOST, signed } from '../helpers/aksk.js';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { assertGlanceError, call, PATCH_21 } from '../helpers/glance.js';
import { activeImage } from '../helpers/ims.js';

/** Huawei's SDK core, as its clients turn a refused call into an exception (exception/ExceptionUtil.js). */
const { ExceptionUtil } = createRequire(import.meta.url)('@huaweicloud/huaweicloud-sdk-core/exception/ExceptionUtil') as {
  ExceptionUtil: { generalException(e: { data: unknown; status: number; requestId?: string }):
    { httpStatusCode: number; errorCode?: unknown; errorMsg?: string; requestId?: string } };
};

const ALT_KEY = { access: 'AKALT00000000000000001', secret: 'SKALT-secret-value-000000000000000000000' };
const ROOT_KEY = { access: 'AKROOT0000000000000001', secret: 'SKROOT-secret-value-00000000000000000000' };
const BAD_KEY = { ...DEMO_KEY, secret: `${DEMO_KEY.secret}x` };
const UNKNOWN_IMAGE = '00000000-0000-4000-8000-000000000009';

async function withKeys(t: TestApp): Promise<TestApp> {
  await t.container.identity.applyBootstrap({ access_keys: [{ ...ALT_KEY, user: 'alt' }, { ...ROOT_KEY, user: 'root' }] });
  return t;
}

function ok(res: LightMyRequestResponse, status = 200): any {
  assert.equal(res.statusCode, status, res.body);
  return res.body === '' ? undefined : json(res);
}

/** The API gateway's 401, and what Huawei's SDK makes of it. */
function assertApigw(res: LightMyRequestResponse, reason: string) {
  assert.equal(res.statusCode, 401, res.body);
  assert.deepEqual(json(res), { error_msg: `Incorrect IAM authentication information: ${reason}`,
    error_code: 'APIGW.0301', request_id: res.headers['x-request-id'] });
  assertSdkReads(res, 'APIGW.0301', `Incorrect IAM authentication information: ${reason}`);
}

/** An IMS error body, exactly, and what Huawei's SDK makes of it. */
function assertIms(res: LightMyRequestResponse, status: number, code: string, message: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(json(res), { error: { code, message } });
  assertSdkReads(res, code, message);
}

function assertSdkReads(res: LightMyRequestResponse, code: string, message: string) {
  const e = ExceptionUtil.generalException({ data: json(res), status: res.statusCode,
    requestId: res.headers['x-request-id'] as string });
  assert.deepEqual([e.httpStatusCode, e.errorCode, e.errorMsg, e.requestId],
    [res.statusCode, code, message, res.headers['x-request-id']]);
}

async function imageCount(t: TestApp): Promise<number> {
  return (await t.container.store.db.selectFrom('images').select('id').execute()).length;
}

for (const kind of databaseKinds()) {
  describe(`signed callers on every path (${kind.name})`, () => {
    it('a good signature is accepted on every Glance, IMS and Keystone path, with the bodies the SDK sends', async (tc) => {
      const t = await withKeys(await buildTestApp(tc, kind));
      const { demo, alt } = t.projects;
      const created = ok(await signed(t, 'POST', '/v2/images', { projectId: demo,
        body: { name: 'signed', container_format: 'bare', disk_format: 'raw' } }), 201);
      const id = created.id as string;
      assert.equal(created.owner, demo);
      // Huawei's SDK sends `{}` with every GET (its signature covers it): read, checked and ignored.
      assert.equal(ok(await signed(t, 'GET', `/v2/images/${id}`, { body: {} })).id, id);
      assert.deepEqual(ok(await signed(t, 'GET', '/v2/images', { body: {}, query: 'limit=5' })).images
        .map((i: { id: string }) => i.id), [id]);
      // JSON patch: not application/json, so the SDK signs it UNSIGNED-PAYLOAD; a signer may cover its bytes instead.
      const ops = [{ op: 'replace', path: '/name', value: 'renamed' }];
      assert.equal(ok(await signed(t, 'PATCH', `/v2/images/${id}`, { body: ops, contentType: PATCH_21 })).name, 'renamed');
      const ops2 = JSON.stringify([{ op: 'add', path: '/color', value: 'blue' }]);
      assert.equal(ok(await signed(t, 'PATCH', `/v2/images/${id}`, { body: ops2, contentType: PATCH_21,
        headers: { 'X-Sdk-Content-Sha256': sha256Hex(ops2) } })).color, 'blue');
      // Image data is streamed: UNSIGNED-PAYLOAD, as the SDK signs any non-JSON body.
      ok(await signed(t, 'PUT', `/v2/images/${id}/file`, { body: Buffer.from('data'),
        contentType: 'application/octet-stream' }), 204);
      assert.equal(ok(await signed(t, 'GET', `/v2/images/${id}`)).status, 'active');
      ok(await signed(t, 'PUT', `/v2/images/${id}/tags/blue`, { body: {} }), 204);
      ok(await signed(t, 'DELETE', `/v2/images/${id}/tags/blue`), 204);
      for (const name of ['image', 'images', 'member', 'members']) {
        assert.equal(ok(await signed(t, 'GET', `/v2/schemas/${name}`, { body: {} })).name, name);
      }

      assert.equal(ok(await signed(t, 'POST', `/v2/images/${id}/members`, { body: { member: alt } })).status, 'pending');
      assert.equal(ok(await signed(t, 'GET', `/v2/images/${id}/members`, { body: {} })).members.length, 1);
      assert.equal(ok(await signed(t, 'PUT', `/v2/images/${id}/members/${alt}`, { body: { status: 'accepted' },
        key: ALT_KEY })).status, 'accepted');
      assert.equal(ok(await signed(t, 'GET', `/v2/images/${id}/members/${alt}`, { key: ALT_KEY })).status, 'accepted');
      ok(await signed(t, 'DELETE', `/v2/images/${id}/members/${alt}`), 204);

      const { job_id: jobId } = ok(await signed(t, 'POST', '/v1/cloudimages/members', { projectId: demo,
        body: { images: [id], projects: [alt] } }));
      assert.equal(ok(await signed(t, 'GET', `/v1/${demo}/jobs/${jobId}`, { body: {} })).job_id, jobId);
      assert.equal(ok(await signed(t, 'GET', `/v1/cloudimages/job/${jobId}`, { body: {} })).job_id, jobId);
      assert.equal(ok(await signed(t, 'GET', `/v1/${demo}/cloudimages/${id}/members`, { body: {} })).schema,
        '/v2/schemas/members');
      assert.ok(Array.isArray(ok(await signed(t, 'GET', '/v2/cloudimages', { body: {}, key: ALT_KEY })).images));

      assert.equal(ok(await signed(t, 'GET', `/v3/projects/${demo}`, { body: {} })).project.id, demo);
      assert.ok(ok(await signed(t, 'GET', '/v3/projects', { query: 'name=demo', key: ROOT_KEY })).projects
        .some((p: { id: string }) => p.id === demo));

      // GlanceDeleteImage sends a body (`delete_backup`), signed and ignored.
      ok(await signed(t, 'DELETE', `/v2/images/${id}`, { body: { delete_backup: false } }), 204);
      assert.equal(await imageCount(t), 0);
    });

    it('a bad signature is the API gateway 401 on every path, and changes nothing', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await activeImage(t, t.tokens.demo);
      const fail = 'verify aksk signature fail';
      for (const [method, path, body] of [['GET', '/v2/images'], ['POST', '/v2/images', { name: 'x' }],
        ['GET', `/v2/images/${id}`, {}], ['DELETE', `/v2/images/${id}`], ['POST', `/v2/images/${id}/members`, { member: 'm' }],
        ['GET', '/v2/schemas/member'], ['GET', '/v2/nowhere'], ['POST', '/v1/cloudimages/members', { images: [id] }],
        ['GET', '/v2/cloudimages'], ['GET', `/v3/projects/${t.projects.demo}`], ['GET', '/v3/projects']] as const) {
        assertApigw(await signed(t, method, path, { body, key: BAD_KEY }), fail);
      }
      assertApigw(await signed(t, 'PATCH', `/v2/images/${id}`, { body: [], contentType: PATCH_21, key: BAD_KEY }), fail);
      // The body is covered: a GET's `{}`, a create's JSON.
      assertApigw(await signed(t, 'GET', `/v2/images/${id}`, { body: {}, sent: '{"a":1}' }), fail);
      assertApigw(await signed(t, 'POST', '/v2/images', { body: { name: 'a' }, sent: '{"name":"b"}' }), fail);
      assertApigw(await signed(t, 'GET', '/v2/images', { key: { access: 'AKNOBODY', secret: 's' } }), 'ak AKNOBODY not exist');
      assertApigw(await signed(t, 'GET', '/v2/images', { date: new Date(Date.now() - 16 * 60_000) }), 'signature expired');
      assert.equal(await imageCount(t), 1);
      assert.equal(ok(await signed(t, 'GET', `/v2/images/${id}`)).name, 'i');
    });

    it('streamed image data: signed by its declared hash, checked as it arrives; never by a hash it does not declare',
      async (tc) => {
      const t = await buildTestApp(tc, kind);
      const data = Buffer.from('image data');
      const queued = async () => ok(await call(t, t.tokens.demo, 'POST', '/v2/images',
        { name: 'q', container_format: 'bare', disk_format: 'raw' }), 201).id as string;
      const status = async (id: string) => ok(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)).status;
      const octet = { contentType: 'application/octet-stream', body: data };

      const wrong = await queued();
      assertApigw(await signed(t, 'PUT', `/v2/images/${wrong}/file`,
        { ...octet, headers: { 'X-Sdk-Content-Sha256': sha256Hex('other data') } }), 'verify aksk signature fail');
      assert.equal(await status(wrong), 'queued');
      ok(await signed(t, 'PUT', `/v2/images/${wrong}/file`, { ...octet, headers: { 'X-Sdk-Content-Sha256': sha256Hex(data) } }),
        204);
      assert.equal(await status(wrong), 'active');

      // Signed over the body's hash without declaring it (the Go SDK's header list): the check would need the
      // whole body first, so it is refused before any byte is stored.
      const undeclared = await queued();
      const path = `/v2/images/${undeclared}/file`;
      const sdkDate = formatSdkDate(t.container.clock.now());
      const headers = { host: HOST, 'x-sdk-date': sdkDate, 'content-type': 'application/octet-stream' };
      const signedHeaders = ['host', 'x-sdk-date'];
      const creq = canonicalRequest({ method: 'PUT', path, canonicalQuery: '', headers, signedHeaders,
        payloadHash: sha256Hex(data) });
      const authorization = authorizationHeader(DEMO_KEY.access, signedHeaders,
        signature(DEMO_KEY.secret, stringToSign(sdkDate, creq)));
      assertApigw(await t.app.inject({ method: 'PUT', url: path, headers: { ...headers, authorization }, payload: data }),
        'verify aksk signature fail');
      assert.equal(await status(undeclared), 'queued');
    });

    it('X-Project-Id must name a project the key holds a role on, on every path', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const { demo, alt } = t.projects;
      const refused = `project ${alt} is not authorized for ak ${DEMO_KEY.access}`;
      for (const [method, path] of [['GET', '/v2/images'], ['GET', '/v2/schemas/image'], ['GET', '/v2/cloudimages'],
        ['GET', `/v1/${alt}/cloudimages/${UNKNOWN_IMAGE}/members`], ['GET', `/v3/projects/${alt}`]] as const) {
        assertApigw(await signed(t, method, path, { projectId: alt }), refused);
        assert.equal((await signed(t, method, path.replace(alt, demo), { projectId: demo })).statusCode < 500, true);
      }
      ok(await signed(t, 'GET', '/v2/images', { projectId: demo }));
      // A path project that is not the caller's is IMS's own refusal, as with a token.
      assertIms(await signed(t, 'GET', `/v1/${alt}/cloudimages/${UNKNOWN_IMAGE}/members`, { projectId: demo }), 400,
        'IMG.0030', 'The project ID and token in the request are invalid.');
    });

    it('errors per caller: IMS bodies for a signed caller on every path; the path\'s dialect for a token', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const unknown = `/v2/images/${UNKNOWN_IMAGE}`;
      const noImage = `No image found with ID ${UNKNOWN_IMAGE}`;
      // Glance paths.
      assertGlanceError(await call(t, t.tokens.demo, 'GET', unknown), 404, 'Not Found', noImage);
      assertIms(await signed(t, 'GET', unknown), 404, 'IMG.0086', noImage);
      assertIms(await signed(t, 'GET', '/v2/nowhere'), 404, 'IMG.0086', 'The resource could not be found.');
      const put = await signed(t, 'PUT', '/v2/images', { body: {} });
      assertIms(put, 405, 'IMG.0017', 'The method PUT is not allowed for this resource.');
      assert.equal(put.headers.allow, 'GET, POST');
      assertIms(await signed(t, 'POST', '/v2/images', { body: '{"name": ' }), 400, 'IMG.0001',
        'Malformed JSON in request body.');
      const anonymous = await t.app.inject({ url: '/v2/images', headers: { accept: 'application/json' } });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.headers['www-authenticate'], 'Keystone uri="http://ims.test:9292/v3"');
      assert.deepEqual(json(anonymous), { error: { code: 401, title: 'Unauthorized',
        message: 'The request you have made requires authentication.' } });
      // IMS paths: the IMS dialect for both.
      for (const res of [await signed(t, 'POST', '/v1/cloudimages/members', { body: {} }),
        await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members', {})]) {
        assertIms(res, 400, 'IMG.0001', 'The request message format is invalid: images is required.');
      }
      // Keystone paths.
      const listProjects = 'You are not authorized to perform the requested action: identity:list_projects.';
      const forbidden = await call(t, t.tokens.demo, 'GET', '/v3/projects');
      assert.equal(forbidden.statusCode, 403);
      assert.deepEqual(json(forbidden), { error: { code: 403, title: 'Forbidden', message: listProjects } });
      assertIms(await signed(t, 'GET', '/v3/projects'), 403, 'IMG.0161', listProjects);
      assertIms(await signed(t, 'GET', '/v3/nowhere'), 404, 'IMG.0086', 'The resource could not be found.');
    });
  });
}
