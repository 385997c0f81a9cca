import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore } from '../../src/db/database.js';
import { ImsClient } from '../../src/client/ims-client.js';
import { databaseKinds } from '../helpers/databases.js';
import { login } from '../helpers/faults.js';
import { startServer } from '../helpers/server.js';

const IMAGES = 120;
const PROJECTS = 200;

for (const kind of databaseKinds()) {
  describe(`crash recovery (${kind.name})`, () => {
    it('a batch job cut off by SIGKILL finishes after restart with exactly the rows it would have made', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-crash-'));
      const database = kind.name === 'postgres' ? await kind.create() : { url: `sqlite:${path.join(dir, 'ims.db')}`, drop: async () => {} };
      const boot = path.join(dir, 'boot.json');
      fs.writeFileSync(boot, JSON.stringify({ users: [{ name: 'owner', password: 'secret', project: 'owner' }] }));
      const args = ['--bootstrap', boot, '--database-url', database.url, '--job-lease', '2', '--log-level', 'warn'];
      const store = openStore(database.url);
      try {
        let srv = await startServer(args, { dataDir: dir });
        const { token: tok, project } = await login(srv.url, 'owner');
        // Seed active images straight into the store: seeding is not what this test is about.
        const now = new Date().toISOString();
        const images = Array.from({ length: IMAGES }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
        await store.db.insertInto('images').values(images.map((id) => ({
          id, name: id, owner: project, visibility: 'private', status: 'active', container_format: 'bare',
          disk_format: 'raw', size: 1, virtual_size: 1, checksum: null, os_hash_algo: null, os_hash_value: null,
          min_disk: 0, min_ram: 0, protected: 0, os_hidden: 0, tags: '[]', extra: '{}', created_at: now, updated_at: now,
        }))).execute();
        const projects = Array.from({ length: PROJECTS }, (_, i) => (i + 1).toString(16).padStart(32, '0'));
        const client = new ImsClient({ endpoint: srv.url, auth: { token: tok } });

        let jobId = '';
        let cut = false;
        for (let attempt = 0; attempt < 3 && !cut; attempt++) {
          if (attempt > 0) {
            await store.db.deleteFrom('image_members').execute();
            await store.db.deleteFrom('jobs').execute();
          }
          jobId = (await client.batchAddMembers({ images, projects })).job_id;
          for (let i = 0; i < 4000; i++) {
            const row = await sql<{ n: number; status: string }>`select (select count(*) from job_results where job_id = ${jobId}) as n, (select status from jobs where id = ${jobId}) as status`.execute(store.db);
            const { n, status } = row.rows[0]!;
            if (status === 'RUNNING' && Number(n) > 0 && Number(n) < IMAGES * PROJECTS / 2) {
              srv.proc.kill('SIGKILL');
              await srv.stop();
              cut = true;
              break;
            }
            if (status === 'SUCCESS' || status === 'FAIL') break;
          }
        }
        assert.ok(cut, 'the job was cut off in the middle');
        const before = await store.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', jobId).executeTakeFirstOrThrow();
        assert.equal(before.status, 'RUNNING');

        srv = await startServer(args, { dataDir: dir });
        try {
          const restarted = new ImsClient({ endpoint: srv.url, auth: { token: tok } });
          const job = await restarted.waitForJob(project, jobId, { timeoutMs: 60_000, intervalMs: 100 });
          assert.equal(job.status, 'SUCCESS');
        } finally {
          await srv.stop();
        }
        const results = await sql<{ n: number; pairs: number }>`select count(*) as n, count(distinct image_id || '/' || project_id) as pairs from job_results where job_id = ${jobId}`.execute(store.db);
        assert.equal(Number(results.rows[0]!.n), IMAGES * PROJECTS, 'one result per pair');
        assert.equal(Number(results.rows[0]!.pairs), IMAGES * PROJECTS, 'no pair recorded twice');
        const members = await sql<{ n: number }>`select count(*) as n from image_members`.execute(store.db);
        assert.equal(Number(members.rows[0]!.n), IMAGES * PROJECTS);
        const after = await store.db.selectFrom('jobs').select(['attempts', 'status']).where('id', '=', jobId).executeTakeFirstOrThrow();
        assert.equal(after.attempts, before.attempts + 1);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
