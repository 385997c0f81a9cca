import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { login } from '../helpers/faults.js';
import { startServer } from '../helpers/server.js';

const postgres = databaseKinds().find((k) => k.name === 'postgres');

/** Several stateless `ims serve` processes on one PostgreSQL database (only where PostgreSQL is configured). */
for (const kind of postgres ? [postgres] : []) {
  describe('scale-out on PostgreSQL', () => {
    it('two processes started together share migrations, identity, tokens, images and jobs', async () => {
      const database = await kind.create();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-scale-'));
      const boot = path.join(dir, 'boot.json');
      fs.writeFileSync(boot, JSON.stringify({ users: [
        { name: 'owner', password: 'secret', project: 'owner' },
        { name: 'member', password: 'secret', project: 'member' },
      ] }));
      // Processes on one database share the master key that seals its secrets.
      const args = ['--database-url', database.url, '--bootstrap', boot, '--log-level', 'warn',
        '--master-key-file', path.join(dir, 'master.key')];
      const started = await Promise.allSettled([
        startServer(args, { dataDir: path.join(dir, 'a') }), startServer(args, { dataDir: path.join(dir, 'b') }),
      ]);
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) {
        for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
        await database.drop();
        throw (failed as PromiseRejectedResult).reason;
      }
      const [a, b] = started.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof startServer>>>).value) as
        [Awaited<ReturnType<typeof startServer>>, Awaited<ReturnType<typeof startServer>>];
      try {
        const owner = await login(a.url, 'owner');
        const member = await login(b.url, 'member');
        const headers = (token: string) => ({ 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json' });
        // An image made through A, with data uploaded through A (image data lives on A's disk).
        const created = await fetch(`${a.url}/v2/images`, { method: 'POST', headers: headers(owner.token),
          body: JSON.stringify({ name: 'x', container_format: 'bare', disk_format: 'raw' }) });
        const id = (await created.json() as { id: string }).id;
        const up = await fetch(`${a.url}/v2/images/${id}/file`, { method: 'PUT',
          headers: { 'x-auth-token': owner.token, 'content-type': 'application/octet-stream' }, body: 'data' });
        assert.equal(up.status, 204);
        // A token issued by A works on B, and a job submitted to B is run by one of them.
        const submit = await fetch(`${b.url}/v1/cloudimages/members`, { method: 'POST', headers: headers(owner.token),
          body: JSON.stringify({ images: [id], projects: [member.project] }) });
        assert.equal(submit.status, 200);
        const jobId = (await submit.json() as { job_id: string }).job_id;
        let status = '';
        for (let i = 0; i < 200 && status !== 'SUCCESS'; i++) {
          const job = await fetch(`${a.url}/v1/${owner.project}/jobs/${jobId}`, { headers: headers(owner.token) });
          status = (await job.json() as { status: string }).status;
          if (status !== 'SUCCESS') await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(status, 'SUCCESS');
        const seen = await fetch(`${a.url}/v2/images/${id}/members/${member.project}`, { headers: headers(member.token) });
        assert.equal((await seen.json() as { status: string }).status, 'pending');
      } finally {
        assert.equal(await a.stop(), 0);
        assert.equal(await b.stop(), 0);
        await database.drop();
      }
    });
  });
}
