import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { login } from '../helpers/faults.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** The documented bound (docs/identity.md): a second's poll, and the time a request takes. */
const BOUND_MS = 1500;

/** How long until `url` refuses `token` (401), polled every 20 ms for 5 s. */
async function refusedAfter(url: string, token: string, since: number): Promise<number> {
  while (Date.now() - since < 5000) {
    const res = await fetch(`${url}/v2/images`, { headers: { 'x-auth-token': token } });
    if (res.status === 401) return Date.now() - since;
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

const status = async (url: string, token: string) =>
  (await fetch(`${url}/v2/images`, { headers: { 'x-auth-token': token } })).status;

/** Two `ims serve` processes on one database: an SQLite file, and PostgreSQL where it is configured. */
const targets: { name: string; database: () => Promise<TestDatabase> }[] = [
  { name: 'one SQLite file', database: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-revoke-db-'));
    return { url: `sqlite:${path.join(dir, 'ims.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  } },
  ...databaseKinds().filter((k) => k.name === 'postgres').map((k) => ({ name: 'PostgreSQL', database: () => k.create() })),
];

for (const target of targets) {
  describe(`token revocation across two processes on ${target.name}`, () => {
    it('the revoking process refuses the token at once, the other within the poll bound', async () => {
      const database = await target.database();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-revoke-'));
      const boot = path.join(dir, 'boot.json');
      fs.writeFileSync(boot, JSON.stringify({ users: [
        { name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] },
        { name: 'demo', password: 'secret', project: 'demo' },
      ] }));
      const args = ['--database-url', database.url, '--bootstrap', boot, '--log-level', 'warn',
        '--master-key-file', path.join(dir, 'master.key')];
      const servers: RunningServer[] = [];
      try {
        // One after the other: the first migrates the database.
        servers.push(await startServer(args, { dataDir: path.join(dir, 'a') }));
        servers.push(await startServer(args, { dataDir: path.join(dir, 'b') }));
        const [a, b] = servers as [RunningServer, RunningServer];

        const token = (await login(a.url, 'demo')).token;
        assert.equal(await status(b.url, token), 200, 'a token issued by A works on B');
        const revokedAt = Date.now();
        const res = await fetch(`${a.url}/v3/auth/tokens`, { method: 'DELETE',
          headers: { 'x-auth-token': token, 'x-subject-token': token } });
        assert.equal(res.status, 204);
        assert.equal(await status(a.url, token), 401, 'A refuses it at once');
        const onB = await refusedAfter(b.url, token, revokedAt);
        assert.ok(onB <= BOUND_MS, `B refused it after ${onB} ms`);

        // A new password set through B ends the user's tokens on A too.
        const admin = (await login(b.url, 'root')).token;
        const other = (await login(a.url, 'demo')).token;
        const users = await (await fetch(`${b.url}/v3/users?name=demo`, { headers: { 'x-auth-token': admin } })).json() as
          { users: { id: string }[] };
        const changedAt = Date.now();
        const patch = await fetch(`${b.url}/v3/users/${users.users[0]!.id}`, { method: 'PATCH',
          headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
          body: JSON.stringify({ user: { password: 'new-secret' } }) });
        assert.equal(patch.status, 200);
        assert.equal(await status(b.url, other), 401, 'B, which changed it, refuses the token at once');
        const onA = await refusedAfter(a.url, other, changedAt);
        assert.ok(onA <= BOUND_MS, `A refused it after ${onA} ms`);
        const fresh = (await login(a.url, 'demo', 'new-secret')).token;
        assert.equal(await status(b.url, fresh), 200, 'a token issued after the change works on both');
        assert.equal(await status(a.url, fresh), 200);
      } finally {
        for (const s of servers) assert.equal(await s.stop(), 0);
        await database.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
