import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createJobRunner } from '../../../src/jobs/tasks.js';
import { buildTestApp, json, memberRows, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { call } from '../../helpers/glance.js';
import { activeImage } from '../../helpers/ims.js';
import { memoryLogger } from '../../helpers/jobs.js';

/**
 * Shares with accounts (domains) and organization nodes (batch add and delete): they reach every project of the
 * accounts they cover, projects and accounts added later included, and stop when they leave; an account's projects
 * accept for the account; an organization's accounts use the image without accepting it.
 */

const hex = (n: number) => n.toString(16).padStart(32, '0');
const ORG = `o-${'a'.repeat(32)}`;
const ROOT = `r-${'b'.repeat(32)}`;
const OU = `ou-${'c'.repeat(32)}`;
const T0 = '2026-01-01T00:00:00.000Z';

type Job = { status: string; error_code: string | null; entities: { results: { project_id: string; status: string }[] } };

/** Accounts A (management, demo's project is not in it) and B, C; B sits in the OU, C under the root. */
async function seedAccounts(t: TestApp) {
  const db = t.container.store.db;
  const [a, b, c] = [hex(0xa), hex(0xb), hex(0xc)];
  await db.insertInto('domains').values([a, b, c].map((id, i) =>
    ({ id, name: `acct-${i}`, description: '', enabled: 1, created_at: T0 }))).execute();
  await db.insertInto('organizations').values({ id: ORG, management_domain_id: a, created_at: T0 })
    .execute();
  await db.insertInto('org_units').values([
    { id: ROOT, org_id: ORG, parent_id: null, name: 'Root', created_at: T0 },
    { id: OU, org_id: ORG, parent_id: ROOT, name: 'ou', created_at: T0 },
  ]).execute();
  const project = async (id: string, domain: string) => {
    await db.insertInto('projects').values({ id, name: `p-${id.slice(-4)}`, domain_id: domain, created_at: T0 }).execute();
  };
  await project(hex(0xb1), b);
  await project(hex(0xb2), b);
  await project(hex(0xc1), c);
  const join = async (domain: string, parent: string) => {
    await db.insertInto('org_accounts').values({ domain_id: domain, org_id: ORG, parent_id: parent,
      join_method: 'invited', joined_at: T0 }).execute();
  };
  await join(b, OU);
  await join(c, ROOT);
  return { a, b, c, join, project };
}

/** A token for a project the test made (demo's user, member role). */
async function tokenFor(t: TestApp, projectId: string): Promise<string> {
  const user = await t.container.repos.identity.userByName('default', 'demo');
  return t.container.identity.issueFor(user!.id, projectId, ['member', 'reader']);
}

function startRunner(tc: TestContext, t: TestApp) {
  const runner = createJobRunner(t.container, memoryLogger());
  runner.start();
  tc.after(() => runner.stop());
}

async function runJob(t: TestApp, token: string, method: 'POST' | 'PUT' | 'DELETE', body: object): Promise<Job> {
  const res = await call(t, token, method, '/v1/cloudimages/members', body);
  assert.equal(res.statusCode, 200, res.body);
  const { job_id: id } = json(res) as { job_id: string };
  for (let i = 0; i < 400; i++) {
    const job = json(await call(t, token, 'GET', `/v1/cloudimages/job/${id}`)) as Job;
    if (job.status === 'SUCCESS' || job.status === 'FAIL') return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

const ids = async (t: TestApp, token: string, query: string) => {
  const res = await call(t, token, 'GET', `/v2/cloudimages?${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return (json(res) as { images: { id: string }[] }).images.map((i) => i.id).sort();
};

for (const kind of databaseKinds()) {
  describe(`sharing with accounts and organizations (${kind.name})`, () => {
    it('an account share reaches every project of the account, is pending until one of them accepts it, and '
      + 'reaches projects added later', async (tc) => {
      const t = await buildTestApp(tc, kind);
      startRunner(tc, t);
      const { b, project } = await seedAccounts(t);
      const image = await activeImage(t, t.tokens.demo);
      const job = await runJob(t, t.tokens.demo, 'POST', { images: [image], domains: [b] });
      assert.equal(job.status, 'SUCCESS', JSON.stringify(job));
      assert.deepEqual(job.entities.results.map((r) => [r.project_id, r.status]), [[b, 'success']]);

      const members = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${image}/members`)) as
        { members: Record<string, unknown>[]; page_info: unknown };
      assert.deepEqual(members.members.map((m) => [m.member_id, m.member_type, m.status, 'urn' in m]),
        [[b, 'domain', 'pending', false]]);
      assert.deepEqual(members.page_info, { current_count: 1 });

      const b1 = await tokenFor(t, hex(0xb1));
      const b2 = await tokenFor(t, hex(0xb2));
      assert.deepEqual(await ids(t, b1, 'member_status=pending'), [image]);
      assert.deepEqual(await ids(t, b1, '__imagetype=shared'), [], 'pending: not in the default (accepted) list');
      const shown = await call(t, b1, 'GET', `/v2/images/${image}`);
      assert.equal(shown.statusCode, 200);
      assert.equal((json(shown) as { __imagetype: string }).__imagetype, 'shared');
      // Its member view: the account's row.
      const own = json(await call(t, b1, 'GET', `/v2/images/${image}/members`)) as { members: { member_id: string }[] };
      assert.deepEqual(own.members.map((m) => m.member_id), [b]);

      // One project accepts for the account (the batch update names the caller's own project).
      const accept = await runJob(t, b1, 'PUT', { images: [image], project_id: hex(0xb1), status: 'accepted' });
      assert.equal(accept.status, 'SUCCESS', JSON.stringify(accept));
      assert.deepEqual(await ids(t, b2, '__imagetype=shared'), [image], 'accepted for the whole account');
      // A project added to the account later is reached too.
      await project(hex(0xb3), b);
      assert.deepEqual(await ids(t, await tokenFor(t, hex(0xb3)), '__imagetype=shared'), [image]);
      // Natively, a project names itself (or its account): the account's row changes.
      const reject = await call(t, b2, 'PUT', `/v2/images/${image}/members/${hex(0xb2)}`, { status: 'rejected' });
      assert.equal(reject.statusCode, 200, reject.body);
      assert.deepEqual([(json(reject) as { member_id: string }).member_id, (json(reject) as { status: string }).status],
        [b, 'rejected']);
      assert.deepEqual(await ids(t, b1, '__imagetype=shared'), []);
      // Projects of other accounts are not reached.
      assert.equal((await call(t, await tokenFor(t, hex(0xc1)), 'GET', `/v2/images/${image}`)).statusCode, 404);

      const removed = await runJob(t, t.tokens.demo, 'DELETE', { images: [image], domains: [b] });
      assert.equal(removed.status, 'SUCCESS');
      assert.equal((await call(t, b1, 'GET', `/v2/images/${image}`)).statusCode, 404);
    });

    it('an organization share is accepted for every account below the node, follows accounts that join, move '
      + 'and leave, and cannot be rejected by them', async (tc) => {
      const t = await buildTestApp(tc, kind);
      startRunner(tc, t);
      const { b, c, project } = await seedAccounts(t);
      const image = await activeImage(t, t.tokens.demo);
      const urn = `organizations::${hex(0xa)}:ou:${ORG}/${OU}`;
      const job = await runJob(t, t.tokens.demo, 'POST', { images: [image], organizations: [urn] });
      assert.equal(job.status, 'SUCCESS', JSON.stringify(job));
      const member = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${image}/members/${OU}`)) as
        Record<string, unknown>;
      assert.deepEqual([member.member_id, member.member_type, member.status, member.urn], [OU, 'organization', 'accepted', urn]);
      const v1 = json(await call(t, t.tokens.demo, 'GET', `/v1/${t.projects.demo}/cloudimages/${image}/members`)) as
        { members: Record<string, unknown>[] };
      assert.equal(v1.members[0]!.urn, urn);

      const b1 = await tokenFor(t, hex(0xb1));
      const c1 = await tokenFor(t, hex(0xc1));
      assert.deepEqual(await ids(t, b1, '__imagetype=shared'), [image], 'accepted without acceptance');
      assert.deepEqual(await ids(t, c1, '__imagetype=shared'), [], 'C is under the root, not the OU');
      const refused = await call(t, b1, 'PUT', `/v2/images/${image}/members/${hex(0xb1)}`, { status: 'rejected' });
      assert.equal(refused.statusCode, 403, refused.body);
      const batch = await runJob(t, b1, 'PUT', { images: [image], project_id: hex(0xb1), status: 'rejected' });
      assert.deepEqual([batch.status, batch.error_code, batch.entities.results[0]!.status], ['FAIL', 'IMG.0161', 'failed']);

      // C moves into the OU: reached at once; B leaves the organization: no longer reached.
      const db = t.container.store.db;
      await db.updateTable('org_accounts').set({ parent_id: OU }).where('domain_id', '=', c)
        .execute();
      assert.deepEqual(await ids(t, c1, '__imagetype=shared'), [image]);
      await project(hex(0xc2), c);
      assert.deepEqual(await ids(t, await tokenFor(t, hex(0xc2)), '__imagetype=shared'), [image]);
      await db.deleteFrom('org_accounts').where('domain_id', '=', b).execute();
      assert.deepEqual(await ids(t, b1, '__imagetype=shared'), []);
      assert.equal((await call(t, b1, 'GET', `/v2/images/${image}`)).statusCode, 404);

      // A direct share is nearer than the organization's: its own status decides.
      const direct = await runJob(t, t.tokens.demo, 'POST', { images: [image], projects: [hex(0xc1)] });
      assert.equal(direct.status, 'SUCCESS');
      assert.deepEqual(await ids(t, c1, '__imagetype=shared'), [], 'its own pending membership is nearer');
      assert.deepEqual(await ids(t, c1, 'member_status=pending'), [image]);

      // Delete by the bare id (Huawei's delete example) removes the URN's member.
      const removed = await runJob(t, t.tokens.demo, 'DELETE', { images: [image], organizations: [OU] });
      assert.equal(removed.status, 'SUCCESS');
      assert.deepEqual(await ids(t, await tokenFor(t, hex(0xc2)), '__imagetype=shared'), []);
    });

    it('refuses unknown accounts and organization nodes per pair, and malformed ones at once', async (tc) => {
      const t = await buildTestApp(tc, kind);
      startRunner(tc, t);
      await seedAccounts(t);
      const image = await activeImage(t, t.tokens.demo);
      const job = await runJob(t, t.tokens.demo, 'POST',
        { images: [image], domains: [hex(0xdd)], organizations: [`ou-${'d'.repeat(32)}`] });
      assert.deepEqual([job.status, job.error_code], ['FAIL', 'IMG.0067']);
      assert.deepEqual(job.entities.results.map((r) => r.status), ['failed', 'failed']);
      assert.equal(await memberRows(t, image), 0);
      for (const body of [{ images: [image], domains: ['not-a-domain'] }, { images: [image], organizations: ['x:y'] },
        { images: [image], projects: [], domains: [], organizations: [] }]) {
        const res = await call(t, t.tokens.demo, 'POST', '/v1/cloudimages/members', body);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal((json(res) as { error: { code: string } }).error.code, 'IMG.0001');
      }
    });

    it('pages the native member list with limit and a base64 marker', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const image = await activeImage(t, t.tokens.demo);
      // Added in the order they are listed, so a comparison of runs (cache-off) numbers them alike.
      for (const p of [t.projects.alt, t.projects.other, hex(0x51)].sort()) {
        assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${image}/members`, { member: p })).statusCode, 200);
      }
      const page = async (q: string) => {
        const res = await call(t, t.tokens.demo, 'GET', `/v2/images/${image}/members?${q}`);
        assert.equal(res.statusCode, 200, res.body);
        return json(res) as { members: { member_id: string }[]; page_info: { next_marker?: string; current_count: number } };
      };
      const first = await page('limit=2');
      assert.equal(first.members.length, 2);
      assert.equal(first.page_info.current_count, 2);
      assert.equal(Buffer.from(first.page_info.next_marker!, 'base64').toString(), first.members[1]!.member_id);
      const second = await page(`limit=2&marker=${encodeURIComponent(first.page_info.next_marker!)}`);
      assert.deepEqual(second.page_info, { current_count: 1 });
      const all = await page('');
      assert.deepEqual([...first.members, ...second.members].map((m) => m.member_id), all.members.map((m) => m.member_id));
      for (const q of ['limit=0', 'limit=1001', 'marker=%%%']) {
        const res = await call(t, t.tokens.demo, 'GET', `/v2/images/${image}/members?${q}`);
        assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
      }
    });
  });
}
