import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { contextFor } from '../../../src/domain/context.js';
import { AppError } from '../../../src/errors/app-error.js';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { assertGlanceError, call, createImage, share } from '../../helpers/glance.js';

const OCTET = { 'content-type': 'application/octet-stream' };

function upload(t: TestApp, token: string, id: string, data: Buffer | string, headers: Record<string, string> = OCTET) {
  return t.app.inject({ method: 'PUT', url: `/v2/images/${id}/file`, headers: { 'x-auth-token': token,
    accept: 'application/json', ...headers }, payload: data });
}

const download = (t: TestApp, token: string, id: string) =>
  t.app.inject({ method: 'GET', url: `/v2/images/${id}/file`, headers: { 'x-auth-token': token } });

/** A PUT with Transfer-Encoding: chunked over a real socket, as tempest sends it. */
async function chunkedUpload(t: TestApp, token: string, id: string, chunks: Buffer[]): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v2/images/${id}/file`,
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

for (const kind of databaseKinds()) {
  describe(`Glance image data (${kind.name})`, () => {
    it('upload: 204, then active with size, md5, sha512 and virtual size; download with Content-MD5', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const none = await download(t, t.tokens.demo, id);
      assert.equal(none.statusCode, 204);
      assert.equal(none.body, '');
      const data = Buffer.from('image bytes '.repeat(1000));
      const res = await upload(t, t.tokens.demo, id, data);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      const md5 = createHash('md5').update(data).digest('hex');
      const image = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)) as Record<string, unknown>;
      assert.deepEqual([image.status, image.size, image.virtual_size, image.checksum, image.os_hash_algo,
        image.os_hash_value], ['active', data.length, data.length, md5, 'sha512',
        createHash('sha512').update(data).digest('hex')]);
      const got = await download(t, t.tokens.demo, id);
      assert.equal(got.statusCode, 200);
      assert.equal(got.headers['content-type'], 'application/octet-stream');
      assert.equal(got.headers['content-md5'], md5);
      assert.equal(got.headers['content-length'], String(data.length));
      assert.deepEqual(got.rawPayload, data);
      assertGlanceError(await upload(t, t.tokens.demo, id, 'again'), 409, 'Conflict',
        'Image status transition from active to saving is not allowed');
      assert.deepEqual(fs.readdirSync(path.join(t.container.config.dataDir, 'images')), [id]);
      assert.equal((await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`)).statusCode, 204);
      assert.deepEqual(fs.readdirSync(path.join(t.container.config.dataDir, 'images')), []);
    });

    it('members of every status download; others get 404; only the owner uploads', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      await share(t, t.tokens.demo, id, 'alt', 'rejected');
      assertGlanceError(await upload(t, t.tokens.alt, id, 'x'), 403, 'Forbidden',
        `Not allowed to upload image data for image ${id}`);
      assertGlanceError(await upload(t, t.tokens.other, id, 'x'), 404, 'Not Found', `No image found with ID ${id}`);
      assert.equal((await upload(t, t.tokens.demo, id, 'payload')).statusCode, 204);
      const got = await download(t, t.tokens.alt, id);
      assert.equal(got.statusCode, 200);
      assert.equal(got.body, 'payload');
      const res = await t.app.inject({ method: 'GET', url: `/v2/images/${id}/file`,
        headers: { 'x-auth-token': t.tokens.other, accept: 'application/json' } });
      assertGlanceError(res, 404, 'Not Found', `No image found with ID ${id}`);
      const adminImage = (await createImage(t, t.tokens.demo, { visibility: 'private' })).id as string;
      assert.equal((await upload(t, t.tokens.admin, adminImage, 'by admin')).statusCode, 204);
      assert.equal((await download(t, t.tokens.admin, adminImage)).body, 'by admin');
    });

    it('upload errors: media type, formats not set, unknown image', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      assertGlanceError(await upload(t, t.tokens.demo, id, '{"a":', { 'content-type': 'application/json' }), 415,
        'Unsupported Media Type', 'Invalid content type application/json');
      assertGlanceError(await upload(t, t.tokens.demo, id, 'x', {}), 415, 'Unsupported Media Type',
        'Invalid content type None');
      const bare = (await createImage(t, t.tokens.demo, { container_format: null, disk_format: null })).id as string;
      assertGlanceError(await upload(t, t.tokens.demo, bare, 'x'), 400, 'Bad Request',
        'Properties disk_format, container_format must be set prior to saving data.');
      const half = (await createImage(t, t.tokens.demo, { disk_format: null })).id as string;
      assertGlanceError(await upload(t, t.tokens.demo, half, 'x'), 400, 'Bad Request',
        'Property disk_format must be set prior to saving data.');
      assertGlanceError(await upload(t, t.tokens.demo, 'nope', 'x'), 404, 'Not Found', 'No image found with ID nope');
      const image = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${bare}`)) as Record<string, unknown>;
      assert.equal(image.status, 'queued');
    });

    it('a chunked upload without Content-Length (tempest)', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const chunks = [Buffer.alloc(1024, 1), Buffer.alloc(1000, 2), Buffer.alloc(24, 3)];
      assert.equal(await chunkedUpload(t, t.tokens.demo, id, chunks), 204);
      const image = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)) as Record<string, unknown>;
      assert.deepEqual([image.status, image.size], ['active', 2048]);
      assert.deepEqual((await download(t, t.tokens.demo, id)).rawPayload, Buffer.concat(chunks));
    });

    it('a failed upload leaves no data and the image queued; the retry succeeds', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const ctx = contextFor('u', t.projects.demo, ['member']);
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(4096, 7));
          this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        },
      });
      await assert.rejects(t.container.images.upload(ctx, id, failing), (err: unknown) =>
        err instanceof AppError && err.code === 'bad_request'
        && err.message === 'The image data was not completely received.');
      const image = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)) as Record<string, unknown>;
      assert.deepEqual([image.status, image.size, image.checksum], ['queued', null, null]);
      assert.deepEqual(fs.readdirSync(path.join(t.container.config.dataDir, 'images')), []);
      assert.equal((await download(t, t.tokens.demo, id)).statusCode, 204);
      assert.equal((await upload(t, t.tokens.demo, id, 'second try')).statusCode, 204);
      assert.equal((await download(t, t.tokens.demo, id)).body, 'second try');
    });

    it('a client that disconnects mid-upload leaves no data and the image queued', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/v2/images/${id}/file`,
        headers: { 'x-auth-token': t.tokens.demo, 'content-type': 'application/octet-stream',
          'transfer-encoding': 'chunked' } });
      req.on('error', () => {});
      req.write(Buffer.alloc(64 * 1024, 1));
      const statusOf = async () => (await t.container.repos.images.get(id))!.status;
      const until = async (status: string) => {
        for (let i = 0; i < 200 && (await statusOf()) !== status; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(await statusOf(), status);
      };
      await until('saving');
      req.destroy();
      await until('queued');
      const image = (await t.container.repos.images.get(id))!;
      assert.deepEqual([image.size, image.checksum], [null, null]);
      assert.deepEqual(fs.readdirSync(path.join(t.container.config.dataDir, 'images')), []);
    });

    it('qcow2 uploads report the virtual size from the header', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo, { disk_format: 'qcow2' })).id as string;
      const header = Buffer.alloc(1024);
      header.writeUInt32BE(0x514649fb, 0);
      header.writeUInt32BE(3, 4);
      header.writeBigUInt64BE(20n * 1024n ** 3n, 24);
      assert.equal((await upload(t, t.tokens.demo, id, header)).statusCode, 204);
      const image = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)) as Record<string, unknown>;
      assert.deepEqual([image.size, image.virtual_size], [1024, 20 * 1024 ** 3]);
    });
  });
}
