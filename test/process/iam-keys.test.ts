import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sign } from '../../src/auth/aksk.js';
import { databaseKinds } from '../helpers/databases.js';
import { login } from '../helpers/faults.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const BASE = '/v3.0/OS-CREDENTIAL/credentials';
const BOOT_KEY = { access: 'HPUAOWNER00000000001', secret: 'OwnerSecretKey0000000000000000000000000a' };

/** A signed GET of `path` on `srv` with `key`: its status. */
async function signedGet(srv: RunningServer, path: string, key: { access: string; secret: string }): Promise<number> {
  const host = new URL(srv.url).host;
  const s = sign({ method: 'GET', host, path, ak: key.access, sk: key.secret, date: new Date() });
  return (await fetch(`${srv.url}${path}`, { headers: { ...s.headers, host, accept: 'application/json' } })).status;
}

/**
 * Two `ims serve` processes on one database: a key disabled or deleted through one is refused by the other on
 * its very next request (each reads the key on every signed request), on a SQLite file and on PostgreSQL.
 */
for (const kind of databaseKinds()) {
  describe(`access keys across processes (${kind.name})`, () => {
    it('a key disabled or deleted through one process is refused at once by another', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-iam-keys-'));
      const database = kind.name === 'sqlite'
        ? { url: `sqlite:${path.join(dir, 'shared.db')}`, drop: async () => {} } : await kind.create();
      const boot = path.join(dir, 'boot.json');
      fs.writeFileSync(boot, JSON.stringify({ users: [{ name: 'owner', password: 'secret', project: 'owner' }],
        access_keys: [{ ...BOOT_KEY, user: 'owner' }] }));
      // Processes on one database share the master key that seals its secrets.
      const args = ['--database-url', database.url, '--log-level', 'warn', '--master-key-file', path.join(dir, 'master.key')];
      const servers: RunningServer[] = [];
      try {
        servers.push(await startServer([...args, '--bootstrap', boot], { dataDir: path.join(dir, 'a') }));
        servers.push(await startServer(args, { dataDir: path.join(dir, 'b') }));
        const [a, b] = servers as [RunningServer, RunningServer];
        const owner = await login(a.url, 'owner');
        const call = (srv: RunningServer, method: string, url: string, body?: unknown) => fetch(`${srv.url}${url}`, {
          method, headers: { 'x-auth-token': owner.token, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        const images = `/v1/cloudimages/job/${'0'.repeat(32)}`; // a signed read: 404 once authenticated
        const own = ((await (await call(a, 'GET', BASE)).json()) as { credentials: { user_id: string }[] }).credentials;
        const created = await call(a, 'POST', BASE, { credential: { user_id: own[0]!.user_id } });
        assert.equal(created.status, 201);
        const { access, secret } = ((await created.json()) as { credential: { access: string; secret: string } }).credential;
        const key = { access, secret };

        // B accepts the key A made, both warm (and A too), then refuses it the moment A disables it.
        for (const srv of [b, a, b]) assert.equal(await signedGet(srv, images, key), 404);
        assert.equal((await call(a, 'PUT', `${BASE}/${access}`, { credential: { status: 'inactive' } })).status, 200);
        assert.equal(await signedGet(b, images, key), 401);
        // Enabled through B, accepted by A; deleted through B, refused by A at once.
        assert.equal((await call(b, 'PUT', `${BASE}/${access}`, { credential: { status: 'active' } })).status, 200);
        assert.equal(await signedGet(a, images, key), 404);
        assert.equal((await call(b, 'DELETE', `${BASE}/${access}`)).status, 204);
        assert.equal(await signedGet(a, images, key), 401);
        // The bootstrap file's key still signs on both.
        for (const srv of [a, b]) assert.equal(await signedGet(srv, images, BOOT_KEY), 404);
      } finally {
        for (const srv of servers) assert.equal(await srv.stop(), 0);
        await database.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
