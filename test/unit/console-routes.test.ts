import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { consoleRoutes } from '../../src/http/console.js';

/** A console build as Vite and its precompress step leave it: each file with .br and .gz beside it. */
function fakeBuild(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-console-'));
  fs.mkdirSync(path.join(root, 'assets'));
  const files = { 'index.html': '<!doctype html><title>ims console</title>', 'assets/index-abc123.js': 'console.log(1)' };
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(root, name), text);
    fs.writeFileSync(path.join(root, `${name}.br`), brotliCompressSync(text));
    fs.writeFileSync(path.join(root, `${name}.gz`), gzipSync(text));
  }
  return root;
}

async function app(t: import('node:test').TestContext, root: string) {
  const a = Fastify();
  await a.register(consoleRoutes, { root });
  t.after(() => a.close());
  return a;
}

test('/console redirects to /console/, whose page is sent compressed, never cached stale, under a strict CSP', async (t) => {
  const a = await app(t, fakeBuild());
  const bare = await a.inject({ url: '/console' });
  assert.equal(bare.statusCode, 301);
  assert.equal(bare.headers.location, 'console/');
  const page = await a.inject({ url: '/console/', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(page.rawPayload).toString(), '<!doctype html><title>ims console</title>');
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /^default-src 'self';.*frame-ancestors 'none'$/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  const plain = await a.inject({ url: '/console/' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body, '<!doctype html><title>ims console</title>');
});

test('hashed assets are immutable; a missing file is a 404', async (t) => {
  const a = await app(t, fakeBuild());
  const js = await a.inject({ url: '/console/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-encoding'], 'gzip');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal((await a.inject({ url: '/console/assets/nope.js' })).statusCode, 404);
  assert.equal((await a.inject({ url: '/console/../package.json' })).statusCode, 404);
});

test('without a build, /console answers 404 and the server still starts', async (t) => {
  const a = await app(t, path.join(os.tmpdir(), 'ims-no-such-console-build'));
  assert.equal((await a.inject({ url: '/console/' })).statusCode, 404);
});
