import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseAuthorization, verifySignature, type VerifyResult } from '../../src/auth/aksk.js';
import { ImsClient, ImsClientError, ImsJobError, type Job } from '../../src/client/ims-client.js';

const AK = 'AKCLIENTTEST000000001';
const SK = 'client-test-secret-key';
const PID = '0123456789abcdef0123456789abcdef';
const IMAGE = 'd164b5df-1bc3-4c3f-893e-3e471fd16e64';
const TARGET = 'edc89b490d7d4392898e19b2deb34797';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: VerifyResult | undefined;
}
type Reply = { status: number; body?: unknown; text?: string; headers?: Record<string, string> };

/** A tiny server that checks every AK/SK signature with verifySignature and answers from a per-test script. */
let server: http.Server;
let endpoint: string;
let seen: Seen[] = [];
let script: (req: Seen) => Reply = () => ({ status: 404, body: { error: { code: 'IMG.0017', message: 'no route' } } });

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const record: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: raw.toString(), verified: undefined };
      const done = (reply: Reply) => {
        seen.push(record);
        const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        res.writeHead(reply.status, { 'content-type': 'application/json', 'x-request-id': 'req-test-1', ...reply.headers });
        res.end(text);
      };
      if (req.headers.authorization === undefined) return done(script(record));
      void verifySignature({ method: req.method!, url: req.url!, headers: req.headers, body: raw },
        (access) => (access === AK ? SK : undefined), { now: new Date() }).then((result) => {
        record.verified = result;
        if (!result.ok) {
          return done({ status: 401, body: { error_msg: `Incorrect IAM authentication information: ${result.reason}`,
            error_code: 'APIGW.0301', request_id: 'req-apigw' }, headers: { 'x-request-id': 'req-apigw' } });
        }
        done(script(record));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
});

const client = (over: Partial<ConstructorParameters<typeof ImsClient>[0]> = {}) =>
  new ImsClient({ endpoint, auth: { ak: AK, sk: SK, projectId: PID }, ...over });

function assertSigned(req: Seen, signedHeaders = ['content-type', 'host', 'x-project-id', 'x-sdk-date']) {
  assert.equal(req.verified?.ok, true, JSON.stringify(req.verified));
  assert.deepEqual(parseAuthorization(req.headers.authorization!)!.signedHeaders, signedHeaders);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.accept, 'application/json');
  assert.equal(req.headers.host, new URL(endpoint).host);
}

const job = (status: Job['status'], extra: Partial<Job> = {}): Job => ({
  status, job_id: 'j1', job_type: 'imsAddImageMembersJob', begin_time: '2025-01-01T00:00:00.000Z',
  end_time: status === 'SUCCESS' || status === 'FAIL' ? '2025-01-01T00:00:01.000Z' : '', error_code: null,
  fail_reason: null, entities: {}, ...extra,
});

describe('ImsClient with AK/SK', () => {
  it('batchAddMembers posts the exact JSON body, signed like the node SDK', async () => {
    script = () => ({ status: 200, body: { job_id: 'job-add' } });
    assert.deepEqual(await client().batchAddMembers({ images: [IMAGE], projects: [TARGET] }), { job_id: 'job-add' });
    const [req] = seen;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, '/v1/cloudimages/members');
    assert.equal(req!.body, `{"images":["${IMAGE}"],"projects":["${TARGET}"]}`);
    assert.equal(req!.headers['x-project-id'], PID);
    assert.match(req!.headers['x-sdk-date'] as string, /^\d{8}T\d{6}Z$/);
    assertSigned(req!);
  });

  it('batchUpdateMembers sends images, project_id, status[, vault_id] in that order', async () => {
    script = () => ({ status: 200, body: { job_id: 'job-upd' } });
    await client().batchUpdateMembers({ status: 'accepted', project_id: TARGET, images: [IMAGE] });
    await client().batchUpdateMembers({ vault_id: 'v1', status: 'rejected', project_id: TARGET, images: [IMAGE] });
    assert.equal(seen[0]!.body, `{"images":["${IMAGE}"],"project_id":"${TARGET}","status":"accepted"}`);
    assert.equal(seen[1]!.body, `{"images":["${IMAGE}"],"project_id":"${TARGET}","status":"rejected","vault_id":"v1"}`);
    assert.equal(seen[1]!.method, 'PUT');
    for (const r of seen) assertSigned(r);
  });

  it('batchDeleteMembers sends DELETE with a JSON body', async () => {
    script = () => ({ status: 200, body: { job_id: 'job-del' } });
    assert.deepEqual(await client().batchDeleteMembers({ images: [IMAGE], projects: [TARGET] }), { job_id: 'job-del' });
    assert.equal(seen[0]!.method, 'DELETE');
    assert.equal(seen[0]!.body, `{"images":["${IMAGE}"],"projects":["${TARGET}"]}`);
    assertSigned(seen[0]!);
  });

  it('listImages sends the node wire query, which the server re-canonicalises', async () => {
    script = () => ({ status: 200, body: { images: [{ id: IMAGE }] } });
    const out = await client().listImages({ __imagetype: 'shared', visibility: 'shared', member_status: 'accepted',
      name: 'a b(c)*!', tag: ['z', 'y'], owner: undefined });
    assert.deepEqual(out, { images: [{ id: IMAGE }] });
    assert.equal(seen[0]!.url,
      '/v2/cloudimages?__imagetype=shared&visibility=shared&member_status=accepted&name=a%20b(c)*!&tag=z&tag=y');
    assertSigned(seen[0]!);
  });

  it('listImageMembers, showImageMember, showJob and showJobProgress hit the documented paths', async () => {
    script = (req) => req.url.includes('/jobs/') || req.url.includes('/job/')
      ? { status: 200, body: job('RUNNING') }
      : req.url.endsWith(`/members/${TARGET}`)
        ? { status: 200, body: { member_id: TARGET } }
        : { status: 200, body: { members: [], schema: '/v2/schemas/members', page_info: { current_count: 0 } } };
    const c = client();
    assert.deepEqual(await c.listImageMembers(PID, IMAGE, { limit: 2, marker: 'YWJj+/=' }),
      { members: [], schema: '/v2/schemas/members', page_info: { current_count: 0 } });
    await c.showImageMember(PID, IMAGE, TARGET);
    assert.equal((await c.showJob(PID, 'j1')).status, 'RUNNING');
    await c.showJobProgress('j1');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.url} ${r.body}`), [
      `GET /v1/${PID}/cloudimages/${IMAGE}/members?limit=2&marker=YWJj%2B%2F%3D `,
      `GET /v1/${PID}/cloudimages/${IMAGE}/members/${TARGET} `,
      `GET /v1/${PID}/jobs/j1 `,
      'GET /v1/cloudimages/job/j1 ',
    ]);
    for (const r of seen) assertSigned(r);
  });

  it('Glance member calls', async () => {
    const member = { status: 'pending', created_at: 'c', updated_at: 'u', image_id: IMAGE, member_id: TARGET,
      schema: '/v2/schemas/member' };
    script = (req) => req.method === 'DELETE' ? { status: 204 }
      : req.method === 'GET' && req.url.endsWith('/members') ? { status: 200, body: { members: [member], schema: '/v2/schemas/members' } }
        : { status: 200, body: member };
    const c = client();
    assert.deepEqual(await c.glanceAddMember(IMAGE, TARGET), member);
    assert.deepEqual(await c.glanceUpdateMember(IMAGE, TARGET, { status: 'accepted' }), member);
    assert.deepEqual(await c.glanceShowMember(IMAGE, TARGET), member);
    assert.deepEqual(await c.glanceListMembers(IMAGE), { members: [member], schema: '/v2/schemas/members' });
    assert.equal(await c.glanceDeleteMember(IMAGE, TARGET), undefined);
    assert.deepEqual(seen.map((r) => `${r.method} ${r.url} ${r.body}`), [
      `POST /v2/images/${IMAGE}/members {"member":"${TARGET}"}`,
      `PUT /v2/images/${IMAGE}/members/${TARGET} {"status":"accepted"}`,
      `GET /v2/images/${IMAGE}/members/${TARGET} `,
      `GET /v2/images/${IMAGE}/members `,
      `DELETE /v2/images/${IMAGE}/members/${TARGET} `,
    ]);
    for (const r of seen) assertSigned(r);
  });

  it('without a project id, X-Project-Id is neither sent nor signed', async () => {
    script = () => ({ status: 200, body: { images: [] } });
    await client({ auth: { ak: AK, sk: SK } }).listImages();
    assert.equal(seen[0]!.headers['x-project-id'], undefined);
    assertSigned(seen[0]!, ['content-type', 'host', 'x-sdk-date']);
  });
});

describe('ImsClient.waitForJob', () => {
  /** A clock that moves `step` ms per request served: the deadline counts polls, not the machine's load. */
  const pollClock = (step: number) => {
    const start = Date.now();
    return () => new Date(start + step * seen.length);
  };

  it('polls until SUCCESS and resolves the final job', async () => {
    let n = 0;
    script = () => ({ status: 200, body: job(++n < 3 ? (n === 1 ? 'INIT' : 'RUNNING') : 'SUCCESS') });
    const done = await client({ now: pollClock(5) }).waitForJob(PID, 'j1', { intervalMs: 5, timeoutMs: 20 });
    assert.equal(done.status, 'SUCCESS');
    assert.equal(seen.length, 3);
  });

  it('rejects on FAIL with the reason', async () => {
    script = () => ({ status: 200, body: job('FAIL', { error_code: 'IMG.0088', fail_reason: 'too many members' }) });
    await assert.rejects(client().waitForJob(PID, 'j1', { intervalMs: 5 }), (err: unknown) => {
      assert.ok(err instanceof ImsJobError);
      assert.equal(err.reason, 'failed');
      assert.equal(err.message, 'job j1 ended FAIL: IMG.0088 too many members');
      assert.equal(err.job?.status, 'FAIL');
      return true;
    });
  });

  it('rejects on timeout with the last job seen, by its clock: polls at 0 and 20 ms, none at 40 (+20 > 50)', async () => {
    script = () => ({ status: 200, body: job('RUNNING') });
    await assert.rejects(client({ now: pollClock(20) }).waitForJob(PID, 'j1', { intervalMs: 20, timeoutMs: 50 }),
      (err: unknown) => {
        assert.ok(err instanceof ImsJobError);
        assert.equal(err.reason, 'timeout');
        assert.equal(err.message, 'job j1 still RUNNING after 50 ms');
        assert.equal(err.job?.status, 'RUNNING');
        return true;
      });
    assert.equal(seen.length, 2);
  });
});

describe('ImsClient errors', () => {
  const rejectsWith = (p: Promise<unknown>, expected: Partial<ImsClientError>) => assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ImsClientError, String(err));
    assert.deepEqual({ status: err.status, code: err.code, message: err.message, requestId: err.requestId },
      { status: expected.status, code: expected.code, message: expected.message, requestId: expected.requestId });
    return true;
  });

  it('reads the IMS error body', async () => {
    script = () => ({ status: 400, body: { error: { code: 'IMG.0066', message: 'The image ID is incorrect.' } } });
    await rejectsWith(client().batchAddMembers({ images: ['x'], projects: [TARGET] }),
      { status: 400, code: 'IMG.0066', message: 'The image ID is incorrect.', requestId: 'req-test-1' });
  });

  it('reads the gateway body when the signature is refused: wrong secret, stale clock', async () => {
    await rejectsWith(client({ auth: { ak: AK, sk: `${SK}x`, projectId: PID } }).listImages(),
      { status: 401, code: 'APIGW.0301', message: 'Incorrect IAM authentication information: verify aksk signature fail',
        requestId: 'req-apigw' });
    await rejectsWith(client({ now: () => new Date(Date.now() - 20 * 60_000) }).listImages(),
      { status: 401, code: 'APIGW.0301', message: 'Incorrect IAM authentication information: signature expired',
        requestId: 'req-apigw' });
    await rejectsWith(client({ auth: { ak: 'AKOTHER', sk: SK } }).showJobProgress('j'),
      { status: 401, code: 'APIGW.0301', message: 'Incorrect IAM authentication information: ak AKOTHER not exist',
        requestId: 'req-apigw' });
  });

  it('reads Glance and plain-text bodies without inventing a code', async () => {
    script = () => ({ status: 404, body: { message: `No image found with ID ${IMAGE}<br /><br />\n\n\n`,
      code: '404 Not Found', title: 'Not Found' } });
    await rejectsWith(client().glanceShowMember(IMAGE, TARGET),
      { status: 404, code: undefined, message: `No image found with ID ${IMAGE}`, requestId: 'req-test-1' });
    script = () => ({ status: 502, text: 'Bad Gateway', headers: { 'content-type': 'text/plain' } });
    await rejectsWith(client().showJob(PID, 'j1'),
      { status: 502, code: undefined, message: 'Bad Gateway', requestId: 'req-test-1' });
  });
});

describe('ImsClient with a token, and an endpoint with a path', () => {
  it('sends X-Auth-Token and content-type, no signature', async () => {
    script = () => ({ status: 200, body: { job_id: 'j' } });
    await new ImsClient({ endpoint, auth: { token: 'tok-123' } }).batchAddMembers({ images: [IMAGE], projects: [TARGET] });
    const [req] = seen;
    assert.equal(req!.headers['x-auth-token'], 'tok-123');
    assert.equal(req!.headers.authorization, undefined);
    assert.equal(req!.headers['x-sdk-date'], undefined);
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.equal(req!.body, `{"images":["${IMAGE}"],"projects":["${TARGET}"]}`);
  });

  it('keeps a path prefix of the endpoint (and signs it)', async () => {
    script = () => ({ status: 200, body: { images: [] } });
    await client({ endpoint: `${endpoint}/ims/` }).listImages({ limit: 1 });
    assert.equal(seen[0]!.url, '/ims/v2/cloudimages?limit=1');
    assertSigned(seen[0]!);
  });
});
