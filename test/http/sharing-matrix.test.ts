/**
 * The authorization matrix of sharing (Glance's Zed policies, glance/policies/image.py, and Huawei's Restrictions on
 * Image Sharing), walked through the three paths that decide it: the native member API, the IMS batch submit, and the
 * batch job handlers (a job submitted straight to the queue, past the submit's checks). Each cell names the rule that
 * decides it (policy/sharing.ts); each path must reach that verdict, rendered in its own dialect. The few cells where a
 * path applies a rule of its own are listed, with their reason, in DIFFERENCES (docs/compatibility.md says the same).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextFor, type RequestContext } from '../../src/domain/context.js';
import type { MemberStatus } from '../../src/domain/member.js';
import { createJobRunner } from '../../src/jobs/tasks.js';
import { ADD_JOB, DELETE_JOB, UPDATE_JOB } from '../../src/services/batch-member-service.js';
import { BOOTSTRAP, buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { memoryLogger } from '../helpers/jobs.js';

/** The rules a cell can end on: `ok`, or a refusal of policy/sharing.ts. */
type Verdict = 'ok' | 'image_not_found' | 'not_owner' | 'not_shareable' | 'not_shared' | 'owner_cannot_update'
  | 'member_not_found' | 'unavailable' | 'self_share' | 'whole_image' | 'kms_not_granted' | 'quota' | 'vault_required';
type Path = 'native' | 'batch' | 'handler';
type Op = 'add' | 'update' | 'remove';
type Actor = 'O' | 'A' | 'Mp' | 'Ma' | 'Mr' | 'U';
type Vis = 'shared' | 'private' | 'public' | 'community';

const ACTORS: Actor[] = ['O', 'A', 'Mp', 'Ma', 'Mr', 'U'];
const MEMBERS: Actor[] = ['Mp', 'Ma', 'Mr'];
const ABBREVIATIONS: Record<string, Verdict> = {
  ok: 'ok', '404': 'image_not_found', own: 'not_owner', pub: 'not_shareable', nsh: 'not_shared',
  oup: 'owner_cannot_update', mnf: 'member_not_found',
};

/**
 * Glance's matrix, by operation and visibility, one cell per actor (O owner, A admin, Mp/Ma/Mr members pending,
 * accepted or rejected, U unrelated). `add` adds a new project; `update` accepts the actor's own membership (O and A:
 * Mp's); `remove` removes Ma.
 */
const MATRIX: Record<Op, Record<Vis, string>> = {
  add: {
    shared: 'ok ok own own own 404',
    private: 'ok ok 404 404 404 404',
    public: 'pub pub own own own own',
    community: 'pub pub own own own own',
  },
  update: {
    shared: 'oup ok ok ok ok 404',
    private: 'nsh nsh 404 404 404 404',
    public: 'nsh nsh nsh nsh nsh nsh',
    community: 'nsh nsh nsh nsh nsh nsh',
  },
  remove: {
    shared: 'ok ok own own own 404',
    private: 'nsh nsh 404 404 404 404',
    public: 'nsh nsh nsh nsh nsh nsh',
    community: 'nsh nsh nsh nsh nsh nsh',
  },
};

interface Case {
  name: string;
  op: Op;
  actor: Actor;
  visibility: Vis;
  /** The image's extra properties (full-ECS, KMS key). */
  extra?: Record<string, string>;
  /** Not uploaded: `queued` instead of `active`. */
  queued?: boolean;
  /** The project added: `new` (default) or the owner. */
  target?: 'new' | 'owner';
  /** The KMS key is granted to the new project. */
  granted?: boolean;
  /** A member quota of 3, which the image's three members reach. */
  fullQuota?: boolean;
  expected: Verdict;
}

const CASES: Case[] = [
  ...(Object.entries(MATRIX) as [Op, Record<Vis, string>][]).flatMap(([op, byVis]) =>
    (Object.entries(byVis) as [Vis, string][]).flatMap(([visibility, row]) => row.split(' ').map((cell, i) => ({
      name: `${op}, ${visibility} image, actor ${ACTORS[i]}`, op, actor: ACTORS[i]!, visibility,
      expected: ABBREVIATIONS[cell]!,
    })))),
  { name: 'self-share', op: 'add', actor: 'O', visibility: 'shared', target: 'owner', expected: 'self_share' },
  { name: 'full-ECS image without a CBR backup', op: 'add', actor: 'O', visibility: 'shared',
    extra: { __whole_image: 'true' }, expected: 'whole_image' },
  { name: 'full-ECS image from a CBR backup', op: 'add', actor: 'O', visibility: 'shared',
    extra: { __whole_image: 'true', __backup_id: 'b-1' }, expected: 'ok' },
  { name: 'KMS key not granted', op: 'add', actor: 'O', visibility: 'private', extra: { __system__cmkid: 'k-1' },
    expected: 'kms_not_granted' },
  { name: 'KMS key granted', op: 'add', actor: 'O', visibility: 'private', extra: { __system__cmkid: 'k-1' },
    granted: true, expected: 'ok' },
  { name: 'member quota reached', op: 'add', actor: 'O', visibility: 'shared', fullQuota: true, expected: 'quota' },
  { name: 'queued image', op: 'add', actor: 'O', visibility: 'shared', queued: true, expected: 'unavailable' },
  { name: 'accepting a full-ECS image from a CBR backup without a vault', op: 'update', actor: 'Mp',
    visibility: 'shared', extra: { __whole_image: 'true', __backup_id: 'b-1' }, expected: 'vault_required' },
];

/**
 * Cells where a path applies a rule of its own, with the verdict it gives there:
 * - native add follows Glance, which shares images in any status (tempest adds members to queued images);
 * - batch add and delete refuse a member of the image as not its owner (IMG.0047) whatever the image's
 *   visibility now is, where Glance hides a private image from its members (policy `batchOwnImage`);
 * - batch delete removes members whatever the image's visibility now is (policy `ownImage`);
 * - batch update names the project it acts for: an owner names its own, which is no member (IMG.0027 at
 *   submit, "not shared with you"); a job queued past the submit still meets `modify_member`.
 */
function difference(c: Case, path: Path): Verdict | undefined {
  if (c.expected === 'unavailable' && path === 'native') return 'ok';
  if (c.op !== 'update' && path !== 'native' && c.expected === 'image_not_found' && MEMBERS.includes(c.actor)) {
    return 'not_owner';
  }
  if (c.op === 'remove' && path !== 'native' && c.expected === 'not_shared') {
    return c.actor === 'O' || c.actor === 'A' ? 'ok' : 'not_owner';
  }
  if (c.op === 'update' && path === 'batch' && c.actor === 'O') return 'member_not_found';
  return undefined;
}

/** How each path renders a verdict: HTTP status and IMS code of the refusal, or the job's pair code. */
const NATIVE: Record<Op, Partial<Record<Verdict, string>>> = {
  add: {
    ok: '200', image_not_found: '404 IMG.0027', not_owner: '403 IMG.0047', not_shareable: '403 IMG.0047',
    self_share: '400 IMG.0076', whole_image: '403 IMG.0135', kms_not_granted: '403 IMG.0099', quota: '413 IMG.0088',
  },
  update: {
    ok: '200', image_not_found: '404 IMG.0027', not_shared: '403 IMG.0026', owner_cannot_update: '403 IMG.0026',
    member_not_found: '404 IMG.0144', vault_required: '400 IMG.0184',
  },
  remove: { ok: '204', image_not_found: '404 IMG.0027', not_owner: '403 IMG.0047', not_shared: '403 IMG.0047' },
};
/** Refusals of the batch submit; any other verdict is the job's. */
const SUBMIT: Record<Op, Partial<Record<Verdict, string>>> = {
  add: { image_not_found: '400 IMG.0027', not_owner: '400 IMG.0047', not_shareable: '400 IMG.0089',
    unavailable: '400 IMG.0046', self_share: '400 IMG.0076' },
  update: { image_not_found: '400 IMG.0027', not_shared: '400 IMG.0027', member_not_found: '400 IMG.0027' },
  remove: { image_not_found: '400 IMG.0027', not_owner: '400 IMG.0047' },
};
const PAIR: Record<Op, Partial<Record<Verdict, string>>> = {
  add: { ok: 'success', image_not_found: 'IMG.0027', not_owner: 'IMG.0047', not_shareable: 'IMG.0089',
    unavailable: 'IMG.0046', self_share: 'IMG.0076', whole_image: 'IMG.0135', kms_not_granted: 'IMG.0099',
    quota: 'IMG.0088' },
  update: { ok: 'success', image_not_found: 'IMG.0144', not_shared: 'IMG.0144', member_not_found: 'IMG.0144',
    owner_cannot_update: 'IMG.0026', vault_required: 'IMG.0184' },
  remove: { ok: 'success', image_not_found: 'IMG.0027', not_owner: 'IMG.0047' },
};

const H = { accept: 'application/json', 'content-type': 'application/json' };
const EXTRA_PROJECTS = ['mr', 'stranger', 'target'];

interface World {
  t: TestApp;
  tokens: Record<Actor, string>;
  ctx: Record<Actor, RequestContext>;
  project: Record<Actor | 'target', string>;
}

async function world(t: TestApp): Promise<World> {
  await t.container.identity.applyBootstrap({
    projects: EXTRA_PROJECTS.map((name) => ({ name })),
    users: EXTRA_PROJECTS.map((name) => ({ name, password: 'secret', project: name, roles: ['member', 'reader'] })),
  });
  const ids: Record<string, { user: string; project: string }> = {};
  for (const name of ['admin', 'demo', 'alt', 'other', ...EXTRA_PROJECTS]) {
    const user = BOOTSTRAP.users.find((u) => u.project === name)?.name ?? name;
    const u = (await t.container.repos.identity.userByName('default', user))!;
    const p = (await t.container.repos.identity.projectByName('default', name))!;
    ids[name] = { user: u.id, project: p.id };
  }
  const names: Record<Actor, string> = { O: 'demo', A: 'admin', Mp: 'alt', Ma: 'other', Mr: 'mr', U: 'stranger' };
  const tokens = {} as Record<Actor, string>;
  const ctx = {} as Record<Actor, RequestContext>;
  const project = { target: ids.target!.project } as World['project'];
  for (const actor of ACTORS) {
    const { user, project: p } = ids[names[actor]]!;
    const roles = await t.container.repos.identity.rolesOn(user, p);
    tokens[actor] = t.container.identity.issueFor(user, p, roles);
    ctx[actor] = contextFor(user, p, roles);
    project[actor] = p;
  }
  return { t, tokens, ctx, project };
}

async function call(w: World, actor: Actor, method: string, url: string, payload?: unknown) {
  return w.t.app.inject({ method: method as 'GET', url, headers: { ...H, 'x-auth-token': w.tokens[actor] },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
}

/** The image of a case, owned by O, with members Mp, Ma and Mr in their statuses. */
async function imageFor(w: World, c: Case): Promise<string> {
  const res = await call(w, 'A', 'POST', '/v2/images', { name: c.name, container_format: 'bare', disk_format: 'raw',
    owner: w.project.O, visibility: c.visibility, ...c.extra });
  assert.equal(res.statusCode, 201, res.body);
  const id = (json(res) as { id: string }).id;
  if (!c.queued) {
    const up = await w.t.app.inject({ method: 'PUT', url: `/v2/images/${id}/file`, payload: Buffer.from('data'),
      headers: { 'x-auth-token': w.tokens.O, 'content-type': 'application/octet-stream' } });
    assert.equal(up.statusCode, 204, up.body);
  }
  const { repos, store } = w.t.container;
  const members: [Actor, MemberStatus][] = [['Mp', 'pending'], ['Ma', 'accepted'], ['Mr', 'rejected']];
  await store.transaction(async (trx) => {
    const lock = (await repos.images.lock(id, trx))!;
    const now = new Date().toISOString();
    await repos.members.insertMany(lock, members.map(([actor, status]) => ({ image_id: id, member_id: w.project[actor],
      status, vault_id: null, member_type: 'project', urn: null, image_created_at: lock.image.created_at, created_at: now, updated_at: now })));
  });
  if (c.granted) await repos.grants.grant(c.extra!.__system__cmkid!, w.project.target, new Date().toISOString());
  return id;
}

/**
 * The project the case's operation is about. An update names the member: through the native API the owner and the
 * admin name Mp; through the batch API (which acts for the project it names, the caller's own unless an admin
 * calls) the owner can only name itself.
 */
function subject(w: World, c: Case, path: Path): string {
  if (c.op === 'add') return c.target === 'owner' ? w.project.O : w.project.target;
  if (c.op === 'remove') return w.project.Ma;
  if (c.actor === 'O') return path === 'native' ? w.project.Mp : w.project.O;
  return c.actor === 'A' ? w.project.Mp : w.project[c.actor];
}

async function jobResult(w: World, actor: Actor, jobId: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const res = await call(w, actor, 'GET', `/v1/${w.project[actor]}/jobs/${jobId}`);
    assert.equal(res.statusCode, 200, res.body);
    const job = json(res) as { status: string; error_code: string | null };
    if (job.status === 'SUCCESS') return 'success';
    if (job.status === 'FAIL') return job.error_code!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** What a path answers for a case, as NATIVE, SUBMIT and PAIR write it. */
async function run(w: World, c: Case, path: Path): Promise<string> {
  const image = await imageFor(w, c);
  const project = subject(w, c, path);
  if (path === 'native') {
    const url = `/v2/images/${image}/members`;
    const res = c.op === 'add' ? await call(w, c.actor, 'POST', url, { member: project })
      : c.op === 'update' ? await call(w, c.actor, 'PUT', `${url}/${project}`, { status: 'accepted' })
        : await call(w, c.actor, 'DELETE', `${url}/${project}`);
    if (res.statusCode < 300) return String(res.statusCode);
    // The native API answers in Glance's dialect; its IMS code is the one the IMS dialect would give.
    return `${res.statusCode} ${await imsCodeOf(w, c, image, project)}`;
  }
  const type = { add: ADD_JOB, update: UPDATE_JOB, remove: DELETE_JOB }[c.op];
  const payload = c.op === 'update' ? { images: [image], project_id: project, status: 'accepted' }
    : { images: [image], projects: [project] };
  if (path === 'batch') {
    const method = { add: 'POST', update: 'PUT', remove: 'DELETE' }[c.op];
    const res = await call(w, c.actor, method, '/v1/cloudimages/members', payload);
    if (res.statusCode !== 200) return `${res.statusCode} ${(json(res) as { error: { code: string } }).error.code}`;
    return jobResult(w, c.actor, (json(res) as { job_id: string }).job_id);
  }
  const ctx = w.ctx[c.actor];
  const queued = c.op === 'update' ? payload : { ...payload, ...(ctx.isAdmin ? { admin: true } : {}) };
  const jobId = await w.t.container.store.transaction((trx) => w.t.container.jobs.submit(trx, ctx, type, queued));
  w.t.container.jobs.notify();
  return jobResult(w, c.actor, jobId);
}

/**
 * The IMS code of a refusal of the native API: the same request's error in the IMS dialect
 * (ListImageMembers/ShowImageMember paths).
 */
async function imsCodeOf(w: World, c: Case, image: string, project: string): Promise<string> {
  // Glance's error body has no IMS code: ask the error the service raised, through the service itself.
  const { members } = w.t.container;
  const ctx = w.ctx[c.actor];
  try {
    if (c.op === 'add') await members.add(ctx, image, project);
    else if (c.op === 'update') await members.update(ctx, image, project, { status: 'accepted' });
    else await members.remove(ctx, image, project);
  } catch (err) {
    return (err as { img?: string }).img ?? 'none';
  }
  return 'none';
}

for (const kind of databaseKinds()) {
  describe(`sharing matrix: native API, batch submit and job handlers agree (${kind.name})`, () => {
    it('every cell, through every path, ends on the rule the matrix names', async (tc) => {
      const fullQuota = buildTestApp(tc, kind, { memberQuota: 3 });
      const t = await buildTestApp(tc, kind);
      const runners = [t, await fullQuota].map((app) => {
        const runner = createJobRunner(app.container, memoryLogger());
        runner.start();
        return runner;
      });
      tc.after(() => Promise.all(runners.map((r) => r.stop())));
      const worlds = [await world(t), await world(await fullQuota)];
      const failures: string[] = [];
      for (const c of CASES) {
        const w = worlds[c.fullQuota ? 1 : 0]!;
        for (const path of ['native', 'batch', 'handler'] as const) {
          const verdict = difference(c, path) ?? c.expected;
          // The batch path refuses at submit what it can tell from the request, the rest in the job.
          const tables = path === 'native' ? [NATIVE] : path === 'batch' ? [SUBMIT, PAIR] : [PAIR];
          const expected = tables.map((table) => table[c.op][verdict]).filter((e) => e !== undefined);
          assert.ok(expected.length > 0, `${path} has no rendering of ${verdict} for ${c.op}`);
          const actual = await run(w, c, path);
          if (!expected.includes(actual)) {
            failures.push(`${c.name} via ${path}: ${actual}, expected ${expected.join(' or ')} (${verdict})`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });
  });
}
