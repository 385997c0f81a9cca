import { randomBytes } from 'node:crypto';
import type { RouteKey } from './ceiling.js';
import type { RequestSpec } from './load.js';
import type { Account, Accounts } from './seed.js';

/** `cold`: a read whose answer is never one ims has kept (reported, not judged against a target). */
export type ScenarioKind = 'read' | 'write' | 'auth' | 'cold';

/** One autocannon scenario: the same requests go to ims and to the ceiling. */
export interface Scenario {
  name: string;
  title: string;
  kind: ScenarioKind;
  /** The ceiling route that answers it. */
  route: RouteKey;
  /** The status every response must have. */
  status: number;
  request: RequestSpec;
  /** Checks the captured ims body; returns what is wrong, if anything. */
  check?: (body: any) => string | undefined;
}

/** What the seeding step produced for the scenarios. */
export interface Seeded {
  accounts: Accounts;
  /** Shared with `member`, accepted. */
  imageGet: string;
  /** Shared with `member`, whose status the update scenario flips. */
  imageUpdate: string;
  /** Has 100 members. */
  imageList: string;
  /** Images the add-member scenario spreads its new members over. */
  addPool: string[];
  /** A finished job of the owner (10 pairs). */
  jobId: string;
}

const headers = (account: Account, body = false): Record<string, string> => ({
  accept: 'application/json',
  'x-auth-token': account.token,
  ...(body ? { 'content-type': 'application/json' } : {}),
});

/** Unique 32-hex project ids: a random prefix per bench run and a counter. */
function projectIds(): () => string {
  const prefix = randomBytes(8).toString('hex');
  let n = 0;
  return () => prefix + (n++).toString(16).padStart(16, '0');
}

const isImage = (b: any) => (typeof b?.id === 'string' && b.status === 'active' ? undefined : 'not an active image');

export function tokenScenario(s: Seeded): Scenario {
  const { owner } = s.accounts;
  const body = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: owner.name, domain: { name: 'Default' },
        password: owner.password } } },
      scope: { project: { name: owner.name, domain: { name: 'Default' } } },
    },
  });
  return {
    name: 'token-issue', title: 'issue a token (POST /v3/auth/tokens, password)', kind: 'auth',
    route: 'POST /v3/auth/tokens', status: 201,
    request: { method: 'POST', path: '/v3/auth/tokens', headers: headers(owner, true), body },
    check: (b) => (b?.token?.project?.id === owner.projectId ? undefined : 'no token scoped to the owner project'),
  };
}

/** The autocannon scenarios that run on the base seed, in order. */
export function baseScenarios(s: Seeded): Scenario[] {
  const { owner, member } = s.accounts;
  const nextProject = projectIds();
  let add = 0;
  let flip = 0;
  const statusBody = (i: number) => JSON.stringify({ status: i % 2 === 0 ? 'accepted' : 'rejected' });
  return [
    tokenScenario(s),
    {
      name: 'image-get', title: 'GET image (as an accepted member)', kind: 'read',
      route: 'GET /v2/images/:id', status: 200,
      request: { method: 'GET', path: `/v2/images/${s.imageGet}`, headers: headers(member) },
      check: isImage,
    },
    {
      name: 'member-get', title: 'GET one member (as the owner)', kind: 'read',
      route: 'GET /v2/images/:id/members/:member', status: 200,
      request: { method: 'GET', path: `/v2/images/${s.imageGet}/members/${member.projectId}`, headers: headers(owner) },
      check: (b) => (b?.member_id === member.projectId ? undefined : 'not the member'),
    },
    {
      name: 'members-list-100', title: 'list members of an image with 100 members', kind: 'read',
      route: 'GET /v2/images/:id/members', status: 200,
      request: { method: 'GET', path: `/v2/images/${s.imageList}/members`, headers: headers(owner) },
      check: (b) => (b?.members?.length === 100 ? undefined : `${b?.members?.length} members, not 100`),
    },
    {
      name: 'member-add', title: 'add member (a new project each request)', kind: 'write',
      route: 'POST /v2/images/:id/members', status: 200,
      request: {
        method: 'POST', path: `/v2/images/${s.addPool[0]}/members`, headers: headers(owner, true),
        body: JSON.stringify({ member: nextProject() }),
        next: () => {
          const image = s.addPool[add++ % s.addPool.length];
          return { path: `/v2/images/${image}/members`, body: JSON.stringify({ member: nextProject() }) };
        },
      },
      check: (b) => (b?.status === 'pending' ? undefined : 'not a pending member'),
    },
    {
      name: 'member-update', title: 'update member status (PUT by the member, accepted/rejected)', kind: 'write',
      route: 'PUT /v2/images/:id/members/:member', status: 200,
      request: {
        method: 'PUT', path: `/v2/images/${s.imageUpdate}/members/${member.projectId}`, headers: headers(member, true),
        body: statusBody(0), next: () => ({ body: statusBody(flip++) }),
      },
      check: (b) => (b?.member_id === member.projectId ? undefined : 'not the member'),
    },
    {
      name: 'job-get', title: 'job query (GET /v1/{project_id}/jobs/{job_id}, 10 results)', kind: 'read',
      route: 'GET /v1/:project_id/jobs/:job_id', status: 200,
      request: { method: 'GET', path: `/v1/${owner.projectId}/jobs/${s.jobId}`, headers: headers(owner) },
      check: (b) => (b?.status === 'SUCCESS' && b?.entities?.results?.length === 10 ? undefined : 'not a 10-pair SUCCESS'),
    },
  ];
}

/** `shared-list-100k`, `shared-list-100k-org`, `shared-list-100k-org-cold`... */
export function sharedListName(shares: number, org: boolean, cold: boolean): string {
  const label = shares >= 1000 && shares % 1000 === 0 ? `${shares / 1000}k` : String(shares);
  return `shared-list-${label}${org ? '-org' : ''}${cold ? '-cold' : ''}`;
}

/** A viewer the shares reach through an organization node above its account, not directly. */
export interface Through {
  viewer: Account;
}

/**
 * "Images shared with me", accepted, 25 a page, as the viewer holding `shares` accepted shares (or, `through`, the
 * viewer whose account sits below the OU that holds them).
 */
export function sharedListScenario(s: Seeded, shares: number, through?: Through): Scenario {
  return {
    name: sharedListName(shares, through !== undefined, false),
    title: `list images shared with me (${shares.toLocaleString('en')} accepted shares${through ? ', through an OU' : ''})`,
    kind: 'read', route: 'GET /v2/images', status: 200,
    request: {
      method: 'GET', path: '/v2/images?member_status=accepted&visibility=shared&limit=25',
      headers: headers(through?.viewer ?? s.accounts.viewer),
    },
    check: (b) => (b?.images?.length === 25 && typeof b?.next === 'string' ? undefined
      : `${b?.images?.length} images${b?.next ? '' : ', no next link'}`),
  };
}

/**
 * The same listing, a different page each request: the marker moves one share at a time over the newest
 * `markers`, more pages than ims keeps (5,000), so every request runs the page query.
 */
export function sharedPagesScenario(s: Seeded, shares: number, markers: string[], through?: Through): Scenario {
  const path = (marker: string) => `/v2/images?member_status=accepted&visibility=shared&limit=25&marker=${marker}`;
  let i = 0;
  return {
    name: sharedListName(shares, through !== undefined, true),
    title: `list images shared with me, a new page each request (${shares.toLocaleString('en')} shares`
      + `${through ? ', through an OU' : ''})`,
    kind: 'cold', route: 'GET /v2/images', status: 200,
    request: {
      method: 'GET', path: path(markers[0]!), headers: headers(through?.viewer ?? s.accounts.viewer),
      next: () => ({ path: path(markers[i++ % markers.length]!) }),
    },
    check: (b) => (b?.images?.length === 25 ? undefined : `${b?.images?.length} images`),
  };
}
