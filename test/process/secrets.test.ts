import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { login } from '../helpers/faults.js';
import { IMS_BIN, readOpenrc, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const SECRET = `SK-${randomBytes(12).toString('hex')}`;

const tokenOf = async (url: string, name: string, password: string) => (await login(url, name, password)).token;

const images = (url: string, token: string) => fetch(`${url}/v2/images`, { headers: { 'x-auth-token': token } })
  .then((r) => r.status);

describe('secrets at rest', () => {
  it('the data dir is 0700; database, WAL, key and openrc 0600; the database holds no secret in clear', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-secrets-')), 'data');
    const srv = await startServer([], { dataDir: dir });
    try {
      const boot = path.join(os.tmpdir(), `boot-${randomBytes(4).toString('hex')}.json`);
      fs.writeFileSync(boot, JSON.stringify({ users: [{ name: 'demo', password: 'secret', project: 'demo' }],
        access_keys: [{ access: 'AKSECRETS00000000001', secret: SECRET, user: 'demo' }] }));
      await run(process.execPath, [IMS_BIN, 'bootstrap', boot, '--data-dir', dir]);
      const token = await tokenOf(srv.url, 'admin', readOpenrc(path.join(dir, 'admin-openrc.sh')).OS_PASSWORD!);
      assert.equal(await images(srv.url, token), 200);
    } finally {
      await srv.stop();
    }
    assert.equal(mode(dir), 0o700);
    for (const file of ['ims.db', 'master.key', 'admin-openrc.sh']) assert.equal(mode(path.join(dir, file)), 0o600, file);
    const db = new BetterSqlite3(path.join(dir, 'ims.db'), { readonly: true });
    try {
      const settings = db.prepare('select key, value from settings').all() as { key: string; value: string }[];
      assert.deepEqual(settings.map((s) => s.key).sort(), ['token_keys']);
      for (const k of JSON.parse(settings[0]!.value) as { key: string }[]) assert.match(k.key, /^enc1:/);
      const keys = db.prepare('select secret from access_keys').all() as { secret: string }[];
      assert.equal(keys.length, 1);
      assert.match(keys[0]!.secret, /^enc1:/);
    } finally {
      db.close();
    }
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('ims.db'))) {
      assert.equal(fs.readFileSync(path.join(dir, file)).includes(SECRET), false, `${file} holds the AK/SK secret in clear`);
    }
  });

  it('a process with another master key refuses to start, saying why', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-secrets-'));
    await run(process.execPath, [IMS_BIN, 'migrate', '--data-dir', dir]);
    await (await startServer([], { dataDir: dir })).stop();
    const other = path.join(dir, 'other.key');
    await assert.rejects(run(process.execPath, [IMS_BIN, 'serve', '--port', '0', '--data-dir', dir, '--master-key-file', other]),
      (err: { code: number; stderr: string }) => err.code === 1
        && err.stderr === 'ims: a stored secret cannot be decrypted with this master key (another --master-key-file?)\n');
  });

  it('secrets an earlier version stored in clear are sealed at start; its tokens stay valid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-secrets-'));
    const first = await startServer([], { dataDir: dir });
    const password = readOpenrc(path.join(dir, 'admin-openrc.sh')).OS_PASSWORD!;
    await first.stop();
    // What the previous version wrote: the token key as hex in clear, an AK/SK secret in clear.
    const clearKey = randomBytes(32).toString('hex');
    const db = new BetterSqlite3(path.join(dir, 'ims.db'));
    db.prepare("delete from settings where key = 'token_keys'").run();
    db.prepare("insert into settings (key, value) values ('token_key', ?)").run(clearKey);
    const user = (db.prepare("select id from users where name = 'admin'").get() as { id: string }).id;
    db.prepare("insert into access_keys (access, secret, user_id, created_at) values ('AKOLD0000000000000001', ?, ?, '2026-01-01T00:00:00.000Z')")
      .run(SECRET, user);
    db.close();
    const srv = await startServer([], { dataDir: dir });
    try {
      assert.equal(await images(srv.url, await tokenOf(srv.url, 'admin', password)), 200);
    } finally {
      await srv.stop();
    }
    const after = new BetterSqlite3(path.join(dir, 'ims.db'), { readonly: true });
    try {
      assert.equal(after.prepare("select value from settings where key = 'token_key'").get(), undefined);
      assert.match((after.prepare("select secret from access_keys where access = 'AKOLD0000000000000001'").get() as
        { secret: string }).secret, /^enc1:/);
    } finally {
      after.close();
    }
  });

  it('ims rotate-token-key: new tokens use a new key, tokens of the old one stay valid, every process follows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-secrets-'));
    const srv = await startServer([], { dataDir: dir });
    try {
      const password = readOpenrc(path.join(dir, 'admin-openrc.sh')).OS_PASSWORD!;
      const before = await tokenOf(srv.url, 'admin', password);
      const { stdout } = await run(process.execPath, [IMS_BIN, 'rotate-token-key', '--data-dir', dir]);
      assert.match(stdout, /token signing key rotated/);
      // Another process started after the rotation signs with the new key; the running one learns it.
      const other = await startServer([], { dataDir: dir });
      try {
        const after = await tokenOf(other.url, 'admin', password);
        assert.notEqual(after.split('.')[2], before.split('.')[2]);
        assert.equal(await images(srv.url, after), 200, 'a token of the new key, on the process that started before');
        assert.equal(await images(other.url, before), 200, 'a token of the old key, until it expires');
        assert.equal(await images(srv.url, before), 200);
      } finally {
        await other.stop();
      }
    } finally {
      await srv.stop();
    }
  });
});
