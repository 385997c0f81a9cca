import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { namedUser, passwordAuth } from '../helpers/keystone.js';
import { IMS_BIN, readOpenrc, startServer } from '../helpers/server.js';

const run = promisify(execFile);

describe('ims process', () => {
  it('serve creates the admin, writes the openrc (0600), answers, and drains on SIGTERM', async () => {
    const srv = await startServer();
    try {
      const rc = path.join(srv.dataDir, 'admin-openrc.sh');
      assert.equal(fs.statSync(rc).mode & 0o777, 0o600);
      const env = readOpenrc(rc);
      assert.equal(env.OS_AUTH_URL, `${srv.url}/v3`);
      assert.deepEqual([env.OS_USERNAME, env.OS_PROJECT_NAME, env.OS_USER_DOMAIN_NAME, env.OS_PROJECT_DOMAIN_NAME,
        env.OS_IDENTITY_API_VERSION, env.OS_REGION_NAME], ['admin', 'admin', 'Default', 'Default', '3', 'RegionOne']);
      assert.match(srv.output(), new RegExp(`password: ${env.OS_PASSWORD}`));
      const res = await fetch(`${srv.url}/v3/auth/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(passwordAuth(namedUser('admin', env.OS_PASSWORD!))),
      });
      assert.equal(res.status, 201);
      await srv.waitForOutput(/"msg":"request"/);
      const log = srv.output().split('\n').filter((l) => l.includes('"msg":"request"'));
      assert.equal(log.length, 1);
      assert.match(log[0]!, /"reqId":"req-[0-9a-f-]{36}".*"method":"POST","url":"\/v3\/auth\/tokens","status":201/);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
    assert.match(srv.output(), /"msg":"stopped"/);
  });

  it('a restart keeps the admin and does not print a new password', async () => {
    const first = await startServer();
    await first.stop();
    const second = await startServer([], { dataDir: first.dataDir });
    await second.stop('SIGINT');
    assert.doesNotMatch(second.output(), /password:/);
  });

  it('migrate and bootstrap apply idempotently; a bad bootstrap file fails with a clear message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-cli-'));
    const m1 = await run(process.execPath, [IMS_BIN, 'migrate', '--data-dir', dir]);
    assert.match(m1.stdout, /applied: 0001-initial/);
    const m2 = await run(process.execPath, [IMS_BIN, 'migrate', '--data-dir', dir]);
    assert.match(m2.stdout, /database is up to date/);
    const file = path.join(dir, 'boot.json');
    fs.writeFileSync(file, JSON.stringify({
      projects: [{ name: 'alt', id: '5b3d1e0f9a7c4e2b8d6f0a1c3e5b7d9f' }],
      users: [{ name: 'demo', password: 'secret', project: 'demo', roles: ['member', 'reader'] }],
      access_keys: [{ access: 'AKDEMO0000000000000001', secret: 'SK', user: 'demo' }],
    }));
    for (let i = 0; i < 2; i++) {
      const b = await run(process.execPath, [IMS_BIN, 'bootstrap', file, '--data-dir', dir]);
      assert.match(b.stdout, /applied/);
    }
    fs.writeFileSync(file, JSON.stringify({ users: [{ name: 'x' }] }));
    await assert.rejects(run(process.execPath, [IMS_BIN, 'bootstrap', file, '--data-dir', dir]),
      (err: { code: number; stderr: string }) => err.code === 1 && /ims: bootstrap: users\[0\]\.password must be a non-empty string/.test(err.stderr));
    await assert.rejects(run(process.execPath, [IMS_BIN, 'serve', '--port', 'x', '--data-dir', dir]),
      (err: { code: number; stderr: string }) => err.code === 1 && /ims: --port must be an integer/.test(err.stderr));
  });

  it('serve with --bootstrap authenticates the listed users and creates no admin password', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-boot-'));
    const file = path.join(dir, 'boot.json');
    fs.writeFileSync(file, JSON.stringify({ users: [{ name: 'demo', password: 'pw', project: 'demo' }] }));
    const srv = await startServer(['--bootstrap', file], { dataDir: dir });
    try {
      const res = await fetch(`${srv.url}/v3/auth/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(passwordAuth(namedUser('demo', 'pw'), { project: { name: 'demo', domain: { name: 'Default' } } })),
      });
      assert.equal(res.status, 201);
      assert.equal(fs.existsSync(path.join(dir, 'admin-openrc.sh')), false);
    } finally {
      await srv.stop();
    }
  });
});

describe('ims kms-grant', () => {
  it('adds, lists and removes grants; refuses a malformed project id', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-kms-'));
    const project = '0123456789abcdef0123456789abcdef';
    await run(process.execPath, [IMS_BIN, 'kms-grant', 'add', 'key-1', project, '--data-dir', dir]);
    const listed = await run(process.execPath, [IMS_BIN, 'kms-grant', 'list', '--data-dir', dir]);
    assert.match(listed.stdout, new RegExp(`^key-1\\t${project}\\t\\d{4}-`));
    await assert.rejects(run(process.execPath, [IMS_BIN, 'kms-grant', 'add', 'key-1', 'bad', '--data-dir', dir]),
      (err: { code: number; stderr: string }) => err.code === 1 && /ims: The project ID is incorrect: bad/.test(err.stderr));
    await run(process.execPath, [IMS_BIN, 'kms-grant', 'remove', 'key-1', project, '--data-dir', dir]);
    assert.equal((await run(process.execPath, [IMS_BIN, 'kms-grant', 'list', '--data-dir', dir])).stdout, '');
  });
});
