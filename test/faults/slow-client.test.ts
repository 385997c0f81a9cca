import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { SQLITE } from '../helpers/databases.js';
import { assertAlive, call, createImage, login, serveOn, startUpload, waitUntil } from '../helpers/faults.js';
import { startServer } from '../helpers/server.js';

const TIMEOUT_MS = 1000;

/** Sends `head` (and part of a body) on a raw connection, then nothing; resolves with what came back and when. */
function stall(port: number, head: string): Promise<{ raw: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let raw = '';
    socket.on('data', (chunk) => { raw += chunk.toString(); });
    socket.on('close', () => resolve({ raw, ms: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => reject(new Error(`no answer and no close after 10 s; got: ${raw}`)));
  });
}

/** The status line, headers and JSON body of a raw HTTP/1.1 answer. */
function parse(raw: string): { status: number; headers: string; body: any } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head!)?.[1]), headers: head!.toLowerCase(), body: body ? JSON.parse(body) : undefined };
}

const partialBody = (method: string, path: string, extra: string, type = 'application/json') =>
  `${method} ${path} HTTP/1.1\r\nHost: ims\r\nContent-Type: ${type}\r\nAccept: application/json\r\n${extra}`
  + 'Content-Length: 200\r\n\r\n{"auth": ';

describe('slow clients', () => {
  it('a body that does not arrive within --request-timeout is cut off with 408 in the route\'s dialect', async (t) => {
    const { srv } = await serveOn(t, SQLITE, ['--request-timeout', String(TIMEOUT_MS / 1000)]);
    const { token } = await login(srv.url, 'owner');
    const image = await createImage(srv.url, token);
    const cases = [
      { path: '/v3/auth/tokens', method: 'POST', auth: '', body: { error: { code: 408, title: 'Request Timeout',
        message: 'The request body was not received within 1 s.' } } },
      { path: '/v1/cloudimages/members', method: 'POST', auth: `X-Auth-Token: ${token}\r\n`, body: { error: { code: 'IMG.0001',
        message: 'The request body was not received within 1 s.' } } },
      { path: `/v2/images/${image}`, method: 'PATCH', auth: `X-Auth-Token: ${token}\r\n`,
        type: 'application/openstack-images-v2.1-json-patch', body: {
        message: 'The request body was not received within 1 s.<br /><br />\n\n\n', code: '408 Request Timeout', title: 'Request Timeout' } },
    ];
    const answers = await Promise.all(cases.map((c) => stall(srv.port, partialBody(c.method, c.path, c.auth, c.type))));
    answers.forEach((answer, i) => {
      const res = parse(answer.raw);
      assert.equal(res.status, 408, answer.raw);
      assert.match(res.headers, /\r\nconnection: close/);
      assert.deepEqual(res.body, cases[i]!.body);
      assert.ok(answer.ms >= TIMEOUT_MS - 50 && answer.ms < TIMEOUT_MS + 1500, `cut off after ${answer.ms} ms`);
    });
    // A body nobody reads (a GET of one image is refused before it is read, as Glance's router rejects bodies
    // there), left unfinished: the connection goes.
    const unread = await stall(srv.port, `GET /v2/images/${image} HTTP/1.1\r\nHost: ims\r\nAccept: application/json\r\n`
      + `X-Auth-Token: ${token}\r\nContent-Length: 100\r\n\r\n{`);
    assert.equal(parse(unread.raw).status, 400);
    assert.ok(unread.ms < TIMEOUT_MS + 1500, `closed after ${unread.ms} ms`);
    // Refused before its body is read (no token), in both dialects: the connection goes too.
    const refused = await Promise.all(['/v1/cloudimages/members', `/v2/images/${image}`].map((path) =>
      stall(srv.port, partialBody(path.startsWith('/v1') ? 'POST' : 'PATCH', path, ''))));
    for (const answer of refused) {
      assert.equal(parse(answer.raw).status, 401, answer.raw);
      assert.ok(answer.ms < TIMEOUT_MS + 1500, `closed after ${answer.ms} ms`);
    }
    assertAlive(srv);
  });

  it('headers that do not arrive in time close the connection with 408', async (t) => {
    const srv = await startServer(['--log-level', 'warn', '--request-timeout', String(TIMEOUT_MS / 1000)]);
    t.after(() => srv.stop());
    const answer = await stall(srv.port, 'GET /healthz HTTP/1.1\r\nHost: ims\r\n');
    assert.match(answer.raw, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(answer.ms < TIMEOUT_MS + 1500, `closed after ${answer.ms} ms`);
    assert.equal((await call(`${srv.url}/healthz`)).status, 200);
  });

  it('an upload that stalls for --request-timeout is cut off with 408 and the image is queued again; a slow steady one is not', async (t) => {
    const { srv } = await serveOn(t, SQLITE, ['--request-timeout', String(TIMEOUT_MS / 1000)]);
    const { token } = await login(srv.url, 'owner');
    const stalled = await createImage(srv.url, token);
    const up = await startUpload(srv.url, token, stalled);
    await up.write(Buffer.alloc(1000));
    const answer = await up.answered;
    assert.equal(answer.status, 408);
    assert.deepEqual(JSON.parse(answer.body), { message: 'No image data was received within 1 s.<br /><br />\n\n\n',
      code: '408 Request Timeout', title: 'Request Timeout' });
    up.abort();
    await waitUntil(async () => (await call(`${srv.url}/v2/images/${stalled}`, { token })).json().status === 'queued', 2000,
      'the image is queued again');

    // Longer in all than the timeout, but never silent for it.
    const steady = await createImage(srv.url, token);
    const slow = await startUpload(srv.url, token, steady);
    const started = Date.now();
    while (Date.now() - started < 2.5 * TIMEOUT_MS) {
      await slow.write(Buffer.alloc(100));
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 4));
    }
    assert.deepEqual(await slow.end(), { status: 204, body: '' });
    assertAlive(srv);
  });
});
