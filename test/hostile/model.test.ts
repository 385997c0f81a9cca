/**
 * Model-based test of image sharing: random sequences of member adds, status changes, removals,
 * visibility changes, image deletes and creates, each through Glance v2 or the IMS batch API (whose jobs
 * are waited for and their per-pair results checked), by random actors (owner, members, an unrelated
 * project, the cloud admin). After every step the server is compared with a small reference model derived
 * from Glance's and Huawei's rules plus the documented deviations of docs/compatibility.md
 * (private images can be shared and become `shared`, no self-share, member quota, idempotent batch add):
 * the step's status code, then the whole observable state as each project sees it: image shows, default,
 * `member_status=all` and one random filtered (and paged) list, member lists and every member's row.
 *
 * IMS_MODEL_SEED (default fixed), IMS_MODEL_RUNS and IMS_MODEL_STEPS run it longer or elsewhere;
 * IMS_MODEL_TALLY=1 prints how often each kind of step and answer came up. A failure names the seed and fast-check's
 * path, the (shrunk) steps with their answers, and the model's state.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createJobRunner } from '../../src/jobs/tasks.js';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { call, PATCH_21 } from '../helpers/glance.js';
import { memoryLogger } from '../helpers/jobs.js';

const SEED = Number(process.env.IMS_MODEL_SEED ?? 20260611);
const RUNS = Number(process.env.IMS_MODEL_RUNS ?? 20);
const STEPS = Number(process.env.IMS_MODEL_STEPS ?? 50);
/** Small, so the member quota (413 on Glance, IMG.0088 per pair in IMS jobs) is reached. */
const MEMBER_QUOTA = 3;
/** Creates beyond this many images in one run are skipped (each image costs observations every step). */
const MAX_IMAGES = 6;

const ACTORS = ['admin', 'demo', 'alt', 'other'] as const;
type Actor = (typeof ACTORS)[number];
/** Members: the four projects plus one that has no user (Glance never checks that a project exists). */
type MemberKey = Actor | 'ghost';
const MEMBER_KEYS: readonly MemberKey[] = [...ACTORS, 'ghost'];
const GHOST_PROJECT = 'f00dfeedf00dfeedf00dfeedf00dfeed';
/** An image id that never exists. */
const NO_IMAGE = '0b680482-acaa-4045-b14c-9a8c7dfe9c70';

type Vis = 'private' | 'shared' | 'community' | 'public';
const VISIBILITIES: readonly Vis[] = ['private', 'shared', 'community', 'public'];
type Status = 'pending' | 'accepted' | 'rejected';
type Api = 'glance' | 'ims';
/** An image of the run not deleted (index modulo their number), any image of the run, or one that does not exist. */
type Pick = number | { any: number } | 'none';

interface Probe { visibility?: Vis | 'all'; memberStatus?: Status | 'all'; limit?: number }

/**
 * Commands are generated before the state they act on exists, so they name their actors, images and members
 * relative to it, resolved when the step runs: the owner of the (first) image, one of its members, or a fixed
 * project; further images of a batch among the same owner's images, the images the member was added to, or any.
 */
type ActorSpec = Actor | 'owner' | 'member';
/** A member: the image's owner, the acting project itself, or the n-th of the keys that are not the owner. */
type MemberSpec = number | 'owner' | 'self';
interface Target { first: Pick; more: number[]; among: 'owner' | 'member' | 'any' }

type Cmd = { probe: Probe; who: number } & (
  | { op: 'create'; actor: Actor; visibility?: Vis; active: boolean }
  | { op: 'add'; api: Api; actor: ActorSpec; target: Target; members: MemberSpec[]; viaProgress: boolean }
  | { op: 'status'; api: Api; actor: ActorSpec; target: Target; member: MemberSpec; status: Status | 'bogus';
    viaProgress: boolean }
  | { op: 'remove'; api: Api; actor: ActorSpec; target: Target; members: MemberSpec[]; viaProgress: boolean }
  | { op: 'visibility'; actor: ActorSpec; target: Target; visibility: Vis; patchOp: 'add' | 'replace' }
  | { op: 'delete'; actor: ActorSpec; target: Target });

// ---------------------------------------------------------------------------------------------------------
// The reference model

interface MImage {
  id: string;
  owner: Actor;
  visibility: Vis;
  active: boolean;
  deleted: boolean;
  members: Map<MemberKey, Status>;
  /** When each membership was created (the model's step count): member lists are in creation order. */
  since: Map<MemberKey, number>;
}

/** What an IMS batch request must answer: a synchronous 400 with its IMG code, or a job with these results. */
type Expected =
  | { kind: 'ims-refused'; code: string }
  | { kind: 'ims-job'; jobType: string; results: [string, MemberKey, 'success' | 'failed', string | null][] };

const ADD_JOB = 'imsAddImageMembersJob';
const UPDATE_JOB = 'imsUpdateImageMembersJob';
const DELETE_JOB = 'imsDelImageMembersJob';

class Model {
  readonly images: MImage[] = [];
  /** Steps taken: a step's memberships are created at one moment, later than the earlier steps'. */
  tick = 0;

  pick(p: Pick): MImage | undefined {
    if (p === 'none') return undefined;
    const live = this.images.filter((i) => !i.deleted);
    const pool = typeof p === 'number' && live.length > 0 ? live : this.images;
    return pool.length === 0 ? undefined : pool[(typeof p === 'number' ? p : p.any) % pool.length];
  }

  byId(id: string): MImage | undefined {
    return this.images.find((i) => i.id === id && !i.deleted);
  }

  /** Glance's `is_image_visible`. */
  sees(actor: Actor, img: MImage | undefined): img is MImage {
    if (!img || img.deleted) return false;
    return actor === 'admin' || img.owner === actor || img.visibility === 'public' || img.visibility === 'community'
      || (img.visibility === 'shared' && img.members.has(actor));
  }

  /** Glance's `image_get_all`: whether `actor` gets the image from `GET /v2/images` with these filters. */
  listed(actor: Actor, img: MImage, probe: Probe): boolean {
    if (img.deleted) return false;
    const v = probe.visibility;
    if (v !== undefined && v !== 'all' && img.visibility !== v) return false;
    // Without a visibility filter community images are dropped unless the caller owns them (admins too).
    if (v === undefined && img.visibility === 'community' && img.owner !== actor) return false;
    if (actor === 'admin' || img.owner === actor || img.visibility === 'public' || img.visibility === 'community') {
      return true;
    }
    const status = img.members.get(actor);
    const wanted = probe.memberStatus ?? 'accepted';
    return img.visibility === 'shared' && status !== undefined && (wanted === 'all' || wanted === status);
  }

  /** What `GET /v2/images/{id}/members` answers: a status, and the (member, status) rows when 200. */
  memberList(actor: Actor, img: MImage): { status: number; rows?: [MemberKey, Status][] } {
    if (!this.sees(actor, img)) return { status: 404 };
    if (img.visibility !== 'shared') return { status: 403 };
    const all = actor === 'admin' || img.owner === actor;
    const rows = [...img.members].filter(([m]) => all || m === actor);
    return { status: 200, rows };
  }

  /** What `GET /v2/images/{id}/members/{member}` answers: every refusal is a 404. */
  memberShow(actor: Actor, img: MImage, member: MemberKey): { status: number; memberStatus?: Status } {
    if (!this.sees(actor, img) || img.visibility !== 'shared') return { status: 404 };
    if (!(actor === 'admin' || img.owner === actor || member === actor)) return { status: 404 };
    const s = img.members.get(member);
    return s === undefined ? { status: 404 } : { status: 200, memberStatus: s };
  }

  // --- Glance v2 (glance/api/v2/image_members.py, images.py) ---------------------------------------------

  glanceAdd(actor: Actor, img: MImage | undefined, member: MemberKey): number {
    if (!this.sees(actor, img)) return 404;
    if (img.visibility === 'public' || img.visibility === 'community') return 403;
    if (actor !== 'admin' && img.owner !== actor) return 403;
    // Deviations (docs/compatibility.md): no self-share (400); a private image may be shared and becomes shared.
    if (member === img.owner) return 400;
    if (img.members.size + 1 > MEMBER_QUOTA) return 413; // quota before duplicates
    if (img.members.has(member)) return 409;
    img.members.set(member, 'pending');
    img.since.set(member, this.tick);
    if (img.visibility === 'private') img.visibility = 'shared';
    return 200;
  }

  glanceStatus(actor: Actor, img: MImage | undefined, member: MemberKey, status: Status | 'bogus'): number {
    if (!this.sees(actor, img)) return 404;
    if (img.visibility !== 'shared') return 403;
    if (actor !== 'admin' && img.owner === actor) return 403; // the owner cannot set a status
    if (!(actor === 'admin' || member === actor) || !img.members.has(member)) return 404;
    if (status === 'bogus') return 400;
    img.members.set(member, status);
    return 200;
  }

  glanceRemove(actor: Actor, img: MImage | undefined, member: MemberKey): number {
    if (!this.sees(actor, img)) return 404;
    if (img.visibility !== 'shared') return 403;
    if (actor !== 'admin' && img.owner !== actor) return 403; // a member cannot remove itself
    if (!img.members.delete(member)) return 404;
    return 204;
  }

  /** PATCH /visibility: membership rows are never touched. */
  setVisibility(actor: Actor, img: MImage | undefined, visibility: Vis): number {
    if (!this.sees(actor, img)) return 404;
    if (visibility === 'public' && actor !== 'admin') return 403; // publicize_image
    if (actor !== 'admin' && img.owner !== actor) return 403;
    img.visibility = visibility;
    return 200;
  }

  deleteImage(actor: Actor, img: MImage | undefined): number {
    if (!this.sees(actor, img)) return 404;
    if (actor !== 'admin' && img.owner !== actor) return 403;
    img.deleted = true;
    img.members.clear(); // cascade (Glance's image_destroy)
    return 204;
  }

  // --- IMS batch (BatchAdd/Update/DeleteMembers; docs/compatibility.md "IMS batch APIs and jobs") --

  /** Synchronous checks shared by batch add and delete: each image must exist (for the caller) and be the caller's. */
  private ownedImages(actor: Actor, ids: string[]): MImage[] | { code: string } {
    const out: MImage[] = [];
    for (const id of ids) {
      const img = this.byId(id);
      // An image the caller can see (a member sees a shared image) exists for it and the refusal is
      // about ownership (IMG.0047), as Glance answers a member 403 and only a stranger 404.
      const visible = this.sees(actor, img);
      if (!img || !visible) return { code: 'IMG.0027' };
      if (actor !== 'admin' && img.owner !== actor) return { code: 'IMG.0047' };
      out.push(img);
    }
    return out;
  }

  imsAdd(actor: Actor, ids: string[], members: MemberKey[]): Expected {
    const owned = this.ownedImages(actor, ids);
    if (!Array.isArray(owned)) return { kind: 'ims-refused', code: owned.code };
    for (const img of owned) {
      if (img.visibility === 'public' || img.visibility === 'community') {
        return { kind: 'ims-refused', code: 'IMG.0089' };
      }
      if (!img.active) return { kind: 'ims-refused', code: 'IMG.0046' };
      if (members.includes(img.owner)) return { kind: 'ims-refused', code: 'IMG.0076' };
    }
    const results: Extract<Expected, { kind: 'ims-job' }>['results'] = [];
    for (const img of owned) {
      for (const m of members) {
        if (img.members.has(m)) {
          results.push([img.id, m, 'success', null]); // idempotent: the status is kept
        } else if (img.members.size >= MEMBER_QUOTA) {
          results.push([img.id, m, 'failed', 'IMG.0088']);
        } else {
          img.members.set(m, 'pending');
          img.since.set(m, this.tick);
          results.push([img.id, m, 'success', null]);
        }
      }
      // Adding a member to a private image makes it shared; so does re-adding one (the pair succeeds, so the
      // project must then have the image).
      const succeeded = members.some((k) => img.members.has(k));
      if (succeeded && img.visibility === 'private') img.visibility = 'shared';
    }
    return { kind: 'ims-job', jobType: ADD_JOB, results };
  }

  imsStatus(actor: Actor, ids: string[], member: MemberKey, status: Status | 'bogus'): Expected {
    if (member !== actor && actor !== 'admin') return { kind: 'ims-refused', code: 'IMG.0030' };
    if (status !== 'accepted' && status !== 'rejected') return { kind: 'ims-refused', code: 'IMG.0001' };
    // Each image must have been shared with the project (whatever its visibility now).
    for (const id of ids) if (!this.byId(id)?.members.has(member)) return { kind: 'ims-refused', code: 'IMG.0027' };
    const results: Extract<Expected, { kind: 'ims-job' }>['results'] = [];
    for (const id of ids) {
      const img = this.byId(id)!;
      if (img.visibility !== 'shared') {
        results.push([id, member, 'failed', 'IMG.0144']);
      } else {
        img.members.set(member, status);
        results.push([id, member, 'success', null]);
      }
    }
    return { kind: 'ims-job', jobType: UPDATE_JOB, results };
  }

  imsRemove(actor: Actor, ids: string[], members: MemberKey[]): Expected {
    const owned = this.ownedImages(actor, ids);
    if (!Array.isArray(owned)) return { kind: 'ims-refused', code: owned.code };
    const results: Extract<Expected, { kind: 'ims-job' }>['results'] = [];
    for (const img of owned) {
      for (const m of members) {
        img.members.delete(m); // removing a project that is not a member succeeds
        results.push([img.id, m, 'success', null]);
      }
    }
    return { kind: 'ims-job', jobType: DELETE_JOB, results };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Commands

const w = <T>(arbitrary: fc.Arbitrary<T>, weight: number) => ({ arbitrary, weight });
const actorArb = fc.constantFrom<Actor>(...ACTORS);
const apiArb = fc.constantFrom<Api>('glance', 'ims');
const visArb = fc.constantFrom<Vis>(...VISIBILITIES);
const pickArb: fc.Arbitrary<Pick> = fc.oneof(w(fc.nat(60), 20), w(fc.record({ any: fc.nat(60) }), 1),
  w(fc.constant('none' as const), 1));
const targetArb = (among: fc.Arbitrary<Target['among']>): fc.Arbitrary<Target> =>
  fc.record({ first: pickArb, more: fc.array(fc.nat(60), { maxLength: 2 }), among });
/** Who acts, for steps that are the owner's to take (add, remove, visibility, delete). */
const ownerSideArb = fc.oneof(w(fc.constant<ActorSpec>('owner'), 8), w(fc.constant<ActorSpec>('member'), 1),
  w(actorArb, 2));
/** Who acts, for status changes (the member's to take). */
const memberSideArb = fc.oneof(w(fc.constant<ActorSpec>('member'), 6), w(fc.constant<ActorSpec>('owner'), 1),
  w(actorArb, 2));
const memberArb = fc.oneof(w(fc.nat(3), 10), w(fc.constant<MemberSpec>('owner'), 1));
const membersArb = fc.array(memberArb, { minLength: 1, maxLength: 3 });
const probeArb: fc.Arbitrary<Probe> = fc.record({
  visibility: fc.constantFrom<Vis | 'all'>(...VISIBILITIES, 'all'),
  memberStatus: fc.constantFrom<Status | 'all'>('pending', 'accepted', 'rejected', 'all'),
  limit: fc.integer({ min: 1, max: 3 }),
}, { requiredKeys: [] });
const common = { probe: probeArb, who: fc.nat(11) };

const createArb: fc.Arbitrary<Cmd> = fc.record({
  op: fc.constant('create' as const), actor: fc.constantFrom<Actor>('demo', 'demo', 'alt', 'other', 'admin'),
  active: fc.oneof(w(fc.constant(true), 7), w(fc.constant(false), 1)),
  visibility: fc.oneof(w(fc.constant(undefined), 3), w(visArb, 2)), ...common,
}, { requiredKeys: ['op', 'actor', 'active', 'probe', 'who'] });

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  w(createArb, 1),
  w(fc.record({ op: fc.constant('add' as const), api: apiArb, actor: ownerSideArb,
    target: targetArb(fc.constantFrom<Target['among']>('owner', 'owner', 'any')), members: membersArb,
    viaProgress: fc.boolean(), ...common }), 5),
  w(fc.record({ op: fc.constant('status' as const), api: apiArb, actor: memberSideArb,
    target: targetArb(fc.constantFrom<Target['among']>('member', 'member', 'any')),
    member: fc.oneof(w(fc.constant<MemberSpec>('self'), 6), w(memberArb, 1)),
    status: fc.constantFrom<Status | 'bogus'>('accepted', 'accepted', 'accepted', 'rejected', 'rejected', 'rejected',
      'pending', 'bogus'),
    viaProgress: fc.boolean(), ...common }), 5),
  w(fc.record({ op: fc.constant('remove' as const), api: apiArb, actor: ownerSideArb,
    target: targetArb(fc.constantFrom<Target['among']>('owner', 'owner', 'any')), members: membersArb,
    viaProgress: fc.boolean(), ...common }), 2),
  w(fc.record({ op: fc.constant('visibility' as const), actor: ownerSideArb, target: targetArb(fc.constant('any')),
    visibility: fc.constantFrom<Vis>('private', 'shared', 'shared', 'community', 'public'),
    patchOp: fc.constantFrom<'add' | 'replace'>('add', 'replace'), ...common }), 3),
  w(fc.record({ op: fc.constant('delete' as const), actor: ownerSideArb, target: targetArb(fc.constant('any')),
    ...common }), 1),
);

/** A run: one to three images first, then the random steps. */
const runArb = fc.tuple(fc.array(createArb, { minLength: 1, maxLength: 3 }),
  fc.array(cmdArb, { maxLength: STEPS, size: 'max' })).map(([creates, steps]) => [...creates, ...steps]);

/** A command made concrete against the model's current state. */
interface Resolved {
  actor: Actor;
  /** The (first) image; undefined when none is meant or the run has none. */
  image: MImage | undefined;
  /** Image ids of the request as sent: the first, then the batch's others (IMS), maybe repeated. */
  sentIds: string[];
  /** The same without duplicates: what the server must act on. */
  ids: string[];
  /** Members of the request as sent (a status change has one), and without duplicates. */
  sentMembers: MemberKey[];
  members: MemberKey[];
}

function resolve(m: Model, c: Cmd): Resolved {
  if (c.op === 'create') {
    return { actor: c.actor, image: undefined, sentIds: [], ids: [], sentMembers: [], members: [] };
  }
  const first = c.target.first;
  // A status change by "a member" is about an image that has members, if any has.
  const withMembers = m.images.filter((i) => !i.deleted && ACTORS.some((a) => i.members.has(a)));
  const image = c.op === 'status' && c.actor === 'member' && typeof first === 'number' && withMembers.length > 0
    ? withMembers[first % withMembers.length] : m.pick(first);
  const actorMembers = image ? ACTORS.filter((a) => image.members.has(a)) : [];
  const actor: Actor = c.actor === 'owner' ? image?.owner ?? ACTORS[c.who % 4]!
    : c.actor === 'member' ? actorMembers[c.who % Math.max(1, actorMembers.length)] ?? ACTORS[c.who % 4]!
      : c.actor;
  const memberOf = (spec: MemberSpec): MemberKey => {
    if (spec === 'self') return actor;
    if (spec === 'owner') return image?.owner ?? 'demo';
    return MEMBER_KEYS.filter((k) => k !== image?.owner)[spec % 4]!;
  };
  const sentMembers = c.op === 'status' ? [memberOf(c.member)] : 'members' in c ? c.members.map(memberOf) : [];
  const members = unique(sentMembers);
  const live = m.images.filter((i) => !i.deleted);
  const pool = c.target.among === 'owner' ? live.filter((i) => i.owner === image?.owner)
    : c.target.among === 'member' ? live.filter((i) => i.members.has(members[0]!)) : m.images;
  const batch = 'api' in c && c.api === 'ims' && pool.length > 0;
  const more = batch ? c.target.more.map((n) => pool[n % pool.length]!.id) : [];
  const sentIds = [image?.id ?? NO_IMAGE, ...more];
  return { actor, image, sentIds, ids: unique(sentIds), sentMembers, members };
}

// ---------------------------------------------------------------------------------------------------------
// Talking to the server

type Job = { status: string; job_id: string; job_type: string; end_time: string; error_code: string | null;
  fail_reason: string | null; entities: { results: { image_id: string; project_id: string; status: string }[] } };

const unique = <T>(xs: T[]) => [...new Set(xs)];

class Driver {
  constructor(readonly t: TestApp) {}

  project(k: MemberKey): string {
    return k === 'ghost' ? GHOST_PROJECT : this.t.projects[k];
  }

  memberKey(project: string): MemberKey {
    const k = MEMBER_KEYS.find((m) => this.project(m) === project);
    assert.ok(k, `unknown member ${project}`);
    return k;
  }

  req(actor: Actor, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown,
    headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return call(this.t, this.t.tokens[actor], method, url, payload, headers);
  }

  /** Every image the caller gets from `GET /v2/images` with the probe's filters, following `next`. */
  async list(actor: Actor, probe: Probe): Promise<string[]> {
    const q = new URLSearchParams();
    if (probe.visibility) q.set('visibility', probe.visibility);
    if (probe.memberStatus) q.set('member_status', probe.memberStatus);
    if (probe.limit) q.set('limit', String(probe.limit));
    let url: string | undefined = q.size > 0 ? `/v2/images?${q}` : '/v2/images';
    const ids: string[] = [];
    for (let pages = 0; url !== undefined; pages++) {
      assert.ok(pages < 50, `too many pages listing as ${actor}`);
      const res = await this.req(actor, 'GET', url);
      assert.equal(res.statusCode, 200, res.body);
      const body = json(res) as { images: { id: string }[]; next?: string };
      ids.push(...body.images.map((i) => i.id));
      url = body.next;
    }
    assert.equal(new Set(ids).size, ids.length, `duplicates in the list of ${actor}: ${ids}`);
    return ids.sort();
  }

  async waitJob(actor: Actor, jobId: string, viaProgress: boolean): Promise<Job> {
    const url = viaProgress ? `/v1/cloudimages/job/${jobId}` : `/v1/${this.t.projects[actor]}/jobs/${jobId}`;
    for (let i = 0; i < 2000; i++) {
      const res = await this.req(actor, 'GET', url);
      assert.equal(res.statusCode, 200, res.body);
      const job = json(res) as Job;
      if (job.status === 'SUCCESS' || job.status === 'FAIL') return job;
      assert.ok(job.status === 'INIT' || job.status === 'RUNNING', `job status ${job.status}`);
      await new Promise((r) => setTimeout(r, i < 10 ? 1 : 5));
    }
    throw new Error(`job ${jobId} did not finish`);
  }
}

function describe_(c: Cmd, r: Resolved, m: Model): string {
  const img = (id: string) => { const n = m.images.findIndex((i) => i.id === id); return n < 0 ? 'none' : `#${n}`; };
  const imgs = `[${r.sentIds.map(img)}]`;
  switch (c.op) {
    case 'create': return `${c.actor} creates a ${c.visibility ?? '(default)'} ${c.active ? 'active' : 'queued'} image`;
    case 'add': return `${c.api}: ${r.actor} adds [${c.api === 'ims' ? r.sentMembers : r.members[0]}] to ${imgs}`;
    case 'status': return `${c.api}: ${r.actor} sets ${r.members[0]} ${c.status} on ${imgs}`;
    case 'remove':
      return `${c.api}: ${r.actor} removes [${c.api === 'ims' ? r.sentMembers : r.members[0]}] from ${imgs}`;
    case 'visibility': return `${r.actor} makes ${imgs} ${c.visibility} (${c.patchOp})`;
    case 'delete': return `${r.actor} deletes ${imgs}`;
  }
}

/** Runs one command on the server and the model; asserts the step's answer. */
async function step(d: Driver, m: Model, c: Cmd, r: Resolved): Promise<string> {
  const { actor, image } = r;
  const id = r.ids[0]!;
  switch (c.op) {
    case 'create': {
      if (m.images.filter((i) => !i.deleted).length >= MAX_IMAGES) return 'skipped (enough images)';
      const res = await d.req(actor, 'POST', '/v2/images', {
        name: 'model', container_format: 'bare', disk_format: 'raw',
        ...(c.visibility ? { visibility: c.visibility } : {}),
      });
      if (c.visibility === 'public' && actor !== 'admin') {
        assert.equal(res.statusCode, 403, res.body); // publicize_image
        return '403';
      }
      assert.equal(res.statusCode, 201, res.body);
      const body = json(res) as { id: string; owner: string; visibility: string };
      assert.equal(body.owner, d.t.projects[actor]);
      assert.equal(body.visibility, c.visibility ?? 'private'); // IMS's default (docs/compatibility.md)
      if (c.active) {
        const up = await d.t.app.inject({ method: 'PUT', url: `/v2/images/${body.id}/file`,
          payload: Buffer.from('data'),
          headers: { 'x-auth-token': d.t.tokens[actor], 'content-type': 'application/octet-stream' } });
        assert.equal(up.statusCode, 204, up.body);
      }
      m.images.push({ id: body.id, owner: actor, visibility: c.visibility ?? 'private', active: c.active, deleted: false,
        members: new Map(), since: new Map() });
      return `201 #${m.images.length - 1}`;
    }
    case 'visibility': {
      const res = await d.req(actor, 'PATCH', `/v2/images/${id}`,
        [{ op: c.patchOp, path: '/visibility', value: c.visibility }], { 'content-type': PATCH_21 });
      const want = m.setVisibility(actor, image, c.visibility);
      assert.equal(res.statusCode, want, res.body);
      if (want === 200) assert.equal((json(res) as { visibility: string }).visibility, c.visibility);
      return String(want);
    }
    case 'delete': {
      const res = await d.req(actor, 'DELETE', `/v2/images/${id}`);
      const want = m.deleteImage(actor, image);
      assert.equal(res.statusCode, want, res.body);
      return String(want);
    }
    default:
      return c.api === 'glance' ? glanceMemberStep(d, m, c, r) : imsStep(d, m, c, r);
  }
}

type MemberCmd = Extract<Cmd, { op: 'add' | 'status' | 'remove' }>;

async function glanceMemberStep(d: Driver, m: Model, c: MemberCmd, r: Resolved): Promise<string> {
  const { actor, image } = r;
  const member = r.members[0]!;
  const base = `/v2/images/${r.ids[0]}/members`;
  let res: LightMyRequestResponse;
  let want: number;
  if (c.op === 'add') {
    res = await d.req(actor, 'POST', base, { member: d.project(member) });
    want = m.glanceAdd(actor, image, member);
  } else if (c.op === 'status') {
    res = await d.req(actor, 'PUT', `${base}/${d.project(member)}`, { status: c.status });
    want = m.glanceStatus(actor, image, member, c.status);
  } else {
    res = await d.req(actor, 'DELETE', `${base}/${d.project(member)}`);
    want = m.glanceRemove(actor, image, member);
  }
  assert.equal(res.statusCode, want, res.body);
  if (want === 200) {
    const body = json(res) as { member_id: string; image_id: string; status: string };
    assert.equal(body.member_id, d.project(member));
    assert.equal(body.image_id, image!.id);
    assert.equal(body.status, image!.members.get(member));
  }
  return String(want);
}

async function imsStep(d: Driver, m: Model, c: MemberCmd, r: Resolved): Promise<string> {
  const { actor, ids, members } = r;
  let res: LightMyRequestResponse;
  let want: Expected;
  if (c.op === 'status') {
    res = await d.req(actor, 'PUT', '/v1/cloudimages/members', { images: r.sentIds, project_id: d.project(members[0]!),
      status: c.status });
    want = m.imsStatus(actor, ids, members[0]!, c.status);
  } else {
    const body = { images: r.sentIds, projects: r.sentMembers.map((k) => d.project(k)) };
    res = await d.req(actor, c.op === 'add' ? 'POST' : 'DELETE', '/v1/cloudimages/members', body);
    want = c.op === 'add' ? m.imsAdd(actor, ids, members) : m.imsRemove(actor, ids, members);
  }
  if (want.kind === 'ims-refused') {
    assert.equal(res.statusCode, 400, res.body);
    assert.equal((json(res) as { error: { code: string } }).error.code, want.code, res.body);
    return `400 ${want.code}`;
  }
  assert(want.kind === 'ims-job');
  assert.equal(res.statusCode, 200, res.body);
  const { job_id: jobId } = json(res) as { job_id: string };
  const job = await d.waitJob(actor, jobId, c.viaProgress);
  assert.equal(job.job_id, jobId);
  assert.equal(job.job_type, want.jobType);
  assert.deepEqual(job.entities.results.map((x) => [x.image_id, d.memberKey(x.project_id), x.status]),
    want.results.map(([i, p, s]) => [i, p, s]), 'per-pair results');
  const failed = want.results.find((x) => x[2] === 'failed');
  assert.equal(job.status, failed ? 'FAIL' : 'SUCCESS');
  assert.equal(job.error_code, failed ? failed[3] : null);
  if (failed) assert.ok(job.fail_reason?.includes(failed[0]), `fail_reason ${job.fail_reason}`);
  else assert.equal(job.fail_reason, null);
  // The job is its project's alone.
  const spy = ACTORS.find((a) => a !== actor)!;
  const foreign = await d.req(spy, 'GET', `/v1/${d.t.projects[spy]}/jobs/${jobId}`);
  assert.equal(foreign.statusCode, 404, foreign.body);
  assert.equal((json(foreign) as { error: { code: string } }).error.code, 'IMG.0023');
  return `job ${job.status} [${want.results.map((x) => (x[2] === 'success' ? 'ok' : x[3])).join(',')}]`;
}

/** The whole observable state against the model, as every project sees it. */
async function observe(d: Driver, m: Model, probe: Probe): Promise<void> {
  const checks: Promise<void>[] = [];
  for (const actor of ACTORS) {
    for (const p of [{}, { memberStatus: 'all' } as Probe, probe]) {
      checks.push(d.list(actor, p).then((ids) => {
        const want = m.images.filter((i) => m.listed(actor, i, p)).map((i) => i.id).sort();
        const names = (xs: string[]) => `[${xs.map((id) => `#${m.images.findIndex((i) => i.id === id)}`)}]`;
        assert.deepEqual(ids, want,
          `GET /v2/images as ${actor} with ${JSON.stringify(p)}: ${names(ids)} != ${names(want)}`);
      }));
    }
    for (const [n, img] of m.images.entries()) {
      const where = `image #${n} as ${actor}`;
      checks.push(d.req(actor, 'GET', `/v2/images/${img.id}`).then((res) => {
        if (!m.sees(actor, img)) {
          assert.equal(res.statusCode, 404, `GET ${where}: ${res.body}`);
          return;
        }
        assert.equal(res.statusCode, 200, `GET ${where}: ${res.body}`);
        const body = json(res) as { visibility: string; owner: string; __imagetype: string };
        assert.equal(body.visibility, img.visibility, `visibility of ${where}`);
        const gold = img.visibility === 'public' || img.visibility === 'community';
        assert.equal(body.__imagetype, gold ? 'gold' : img.owner === actor ? 'private' : img.visibility,
          `__imagetype of ${where}`);
        assert.equal(body.owner, d.t.projects[img.owner]);
      }));
      // The member list, from Glance and from IMS (ListImageMembers, with its own paging: all of it fits one page).
      for (const url of [`/v2/images/${img.id}/members`, `/v1/${d.t.projects[actor]}/cloudimages/${img.id}/members`]) {
        checks.push(d.req(actor, 'GET', url).then((res) => {
          const want = m.memberList(actor, img);
          assert.equal(res.statusCode, want.status, `${url} as ${actor} (image #${n}): ${res.body}`);
          if (!want.rows) return;
          const rows = (json(res) as { members: { member_id: string; status: string; image_id: string }[] }).members
            .map((r) => { assert.equal(r.image_id, img.id); return [d.memberKey(r.member_id), r.status]; });
          // Creation order; members created together (one batch job) by member id.
          const order = ([a]: [MemberKey, Status], [b]: [MemberKey, Status]) =>
            img.since.get(a)! - img.since.get(b)! || (d.project(a) < d.project(b) ? -1 : 1);
          assert.deepEqual(rows, [...want.rows].sort(order), `${url} as ${actor} (image #${n})`);
        }));
      }
      if (img.deleted) continue; // its member rows: the 404 of the list says it all
      for (const member of MEMBER_KEYS) {
        checks.push(d.req(actor, 'GET', `/v2/images/${img.id}/members/${d.project(member)}`).then((res) => {
          const want = m.memberShow(actor, img, member);
          assert.equal(res.statusCode, want.status, `member ${member} of ${where}: ${res.body}`);
          if (want.memberStatus) assert.equal((json(res) as { status: string }).status, want.memberStatus);
        }));
      }
    }
  }
  await Promise.all(checks);
}

/** Deletes every image left by earlier runs (the admin sees them all). */
async function clean(d: Driver): Promise<void> {
  const ids = await d.list('admin', { visibility: 'all' });
  for (const id of ids) {
    const res = await d.req('admin', 'DELETE', `/v2/images/${id}`);
    assert.equal(res.statusCode, 204, res.body);
  }
}

async function runModel(tc: TestContext, t: TestApp)
  : Promise<{ runs: number; steps: number; tally: Map<string, number> }> {
  const runner = createJobRunner(t.container, memoryLogger());
  runner.start();
  tc.after(() => runner.stop());
  const d = new Driver(t);
  let runs = 0;
  let steps = 0;
  const tally = new Map<string, number>();
  await fc.assert(fc.asyncProperty(runArb, async (cmds) => {
    runs++;
    await clean(d);
    const m = new Model();
    const log: string[] = [];
    for (const c of cmds) {
      m.tick++;
      const r = resolve(m, c);
      const what = describe_(c, r, m);
      let failed = `${what} <- FAILED`;
      try {
        const outcome = await step(d, m, c, r);
        log.push(`${what} -> ${outcome}`);
        failed = `then the state (probe ${JSON.stringify(c.probe)}) <- FAILED`;
        steps++;
        const kind = outcome.replace(/ #\d+$/, '')
          .replace(/\[.*\]/, (x) => (x.includes('IMG') ? '[some failed]' : '[all ok]'));
        const key = `${c.op}${'api' in c ? `/${c.api}` : ''}: ${kind}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        await observe(d, m, c.probe);
      } catch (err) {
        const state = m.images.map((i, n) => `#${n} ${i.owner} ${i.visibility}${i.active ? '' : ' queued'}`
          + `${i.deleted ? ' DELETED' : ''} {${[...i.members].map(([k, st]) => `${k}:${st}`).join(' ')}}`);
        throw new Error(`${(err as Error).message}\n  steps:\n    ${[...log, failed].join('\n    ')}`
          + `\n  model after the step:\n    ${state.join('\n    ')}`, { cause: err });
      }
    }
  }), { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 10 * 60_000 });
  return { runs, steps, tally };
}

for (const kind of databaseKinds()) {
  describe(`sharing model (${kind.name})`, () => {
    it(`random Glance and IMS sharing steps match the reference model (seed ${SEED}, ${RUNS} runs of up to `
      + `${STEPS + 3} steps)`, async (tc) => {
      const t = await buildTestApp(tc, kind, { memberQuota: MEMBER_QUOTA });
      assert.ok(t.container.config.cacheMb > 0, 'caches must be on');
      const started = Date.now();
      const { runs, steps, tally } = await runModel(tc, t);
      tc.diagnostic(`${runs} runs, ${steps} steps in ${Date.now() - started} ms`);
      if (process.env.IMS_MODEL_TALLY) {
        for (const [k, n] of [...tally].sort()) tc.diagnostic(`${String(n).padStart(5)} ${k}`);
      }
    });
  });
}
