import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Container } from '../src/container.js';
import type { NewImageRow } from '../src/db/schema.js';
import { uuid } from '../src/domain/clock.js';
import { contextFor, type RequestContext } from '../src/domain/context.js';
import { newImage } from '../src/domain/image.js';
import { newNodeId, nodeUrn } from '../src/domain/organization.js';
import { DEFAULT_DOMAIN } from '../src/repos/identity-repo.js';
import { toRow } from '../src/repos/image-repo.js';
import { INDIRECT_MEMBERS } from '../src/repos/reach.js';
import type { MemberRow } from '../src/repos/member-repo.js';

/** A bootstrapped account: its context (for service calls) and a token (for HTTP calls). */
export interface Account {
  name: string;
  password: string;
  projectId: string;
  userId: string;
  ctx: RequestContext;
  token: string;
}

export interface Accounts {
  /** Owns every image. */
  owner: Account;
  /** Member of the images of the GET image / GET member / update scenarios. */
  member: Account;
  /** Has the accepted shares that "list images shared with me" pages through. */
  viewer: Account;
}

const PASSWORD = 'bench-secret';
const IMAGE_DATA = randomBytes(4096);

export const projectId = (): string => randomBytes(16).toString('hex');

/** Applies the identity bootstrap (three projects, one user each) and issues their tokens. */
export async function seedAccounts(c: Container): Promise<Accounts> {
  const names = ['bench-owner', 'bench-member', 'bench-viewer'] as const;
  await c.identity.applyBootstrap({
    projects: names.map((name) => ({ name })),
    users: names.map((name) => ({ name, password: PASSWORD, project: name, roles: ['member', 'reader'] })),
  });
  const account = async (name: string): Promise<Account> => {
    const project = await c.repos.identity.projectByName(DEFAULT_DOMAIN.id, name);
    const user = await c.repos.identity.userByName(DEFAULT_DOMAIN.id, name);
    if (!project || !user) throw new Error(`bootstrap did not create ${name}`);
    const roles = await c.repos.identity.rolesOn(user.id, project.id);
    return {
      name, password: PASSWORD, projectId: project.id, userId: user.id, ctx: contextFor(user.id, project.id, roles),
      token: c.identity.issueFor(user.id, project.id, roles),
    };
  };
  return { owner: await account(names[0]), member: await account(names[1]), viewer: await account(names[2]) };
}

/** Creates active images through the image service (create, then a 4 KiB upload), `concurrency` at a time. */
export async function createImages(c: Container, owner: Account, count: number, prefix: string, concurrency = 8)
  : Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const image = await c.images.create(owner.ctx, {
        fields: { name: `${prefix}-${i}`, container_format: 'bare', disk_format: 'raw' }, tags: [], extra: {},
      });
      await c.images.upload(owner.ctx, image.id, Readable.from([IMAGE_DATA]));
      ids[i] = image.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

/** Adds `member` to each image as the owner (service), then sets its status as the member. */
export async function share(c: Container, owner: Account, member: Account, imageIds: string[],
  status: 'pending' | 'accepted' | 'rejected'): Promise<void> {
  for (const id of imageIds) {
    await c.members.add(owner.ctx, id, member.projectId);
    if (status !== 'pending') await c.members.update(member.ctx, id, member.projectId, { status });
  }
}

/** Adds `count` new members (random project ids, pending) to one image through the member service. */
export async function addMembers(c: Container, owner: Account, imageId: string, count: number): Promise<string[]> {
  const members: string[] = [];
  for (let i = 0; i < count; i++) {
    const row = await c.members.add(owner.ctx, imageId, projectId());
    members.push(row.member_id);
  }
  return members;
}

/** Whom bulk shares go to: a project (a direct share), or an organization node. */
export interface ShareTarget {
  memberId: string;
  type: 'project' | 'organization';
  urn: string | null;
}

export const projectTarget = (account: Account): ShareTarget => ({ memberId: account.projectId, type: 'project', urn: null });

/**
 * Bulk seeding for the large share counts: `count` active shared images of `owner`, each shared (accepted) with
 * `target`, inserted with Kysely in multi-row INSERTs, `perTransaction` images per transaction. The rows are what
 * the services would write (same row builders), only much faster.
 */
export async function bulkAcceptedShares(c: Container, owner: Account, target: ShareTarget, count: number,
  perTransaction = 10_000): Promise<void> {
  const start = Date.now() - 86_400_000;
  const step = 86_400_000 / Math.max(count, 1);
  for (let done = 0; done < count; done += perTransaction) {
    const n = Math.min(perTransaction, count - done);
    const images: NewImageRow[] = [];
    const members: MemberRow[] = [];
    for (let i = 0; i < n; i++) {
      const at = new Date(start + (done + i) * step).toISOString();
      const image = newImage({
        id: uuid(), owner: owner.projectId, created_at: at, name: `bulk-${done + i}`, visibility: 'shared',
        status: 'active', container_format: 'bare', disk_format: 'raw', size: IMAGE_DATA.length,
        virtual_size: IMAGE_DATA.length, checksum: '0'.repeat(32), os_hash_algo: 'sha512',
        os_hash_value: '0'.repeat(128),
      });
      images.push(toRow(image));
      members.push({ image_id: image.id, member_id: target.memberId, status: 'accepted', vault_id: null,
        member_type: target.type, urn: target.urn, image_created_at: at, created_at: at, updated_at: at });
    }
    await c.store.db.transaction().execute(async (trx) => {
      // As MemberRepo.insertMany records it: a share with an organization node exists.
      if (target.type !== 'project') {
        await trx.insertInto('settings').values({ key: INDIRECT_MEMBERS, value: '1' })
          .onConflict((oc) => oc.column('key').doNothing()).execute();
      }
      for (let i = 0; i < images.length; i += 500) await trx.insertInto('images').values(images.slice(i, i + 500)).execute();
      for (let i = 0; i < members.length; i += 1000) {
        await trx.insertInto('image_members').values(members.slice(i, i + 1000)).execute();
      }
    });
  }
}

/**
 * A viewer reached through an organization: account `bench-org-viewer` (its project and user) placed in an OU two
 * levels below the root of an organization that `bench-org-admin` manages. The target is the OU.
 */
export async function seedOrganizationViewer(c: Container): Promise<{ viewer: Account; ou: ShareTarget }> {
  const name = 'bench-org-viewer';
  await c.identity.applyBootstrap({
    domains: [{ name: 'bench-org-admin' }, { name }],
    projects: [{ name, domain: name }],
    users: [{ name, password: PASSWORD, project: name, domain: name, roles: ['member', 'reader'] }],
  });
  const admin = (await c.repos.identity.domainByName('bench-org-admin'))!;
  const domain = (await c.repos.identity.domainByName(name))!;
  const at = new Date().toISOString();
  const org = { id: newNodeId('o'), management_domain_id: admin.id, created_at: at };
  const root = { id: newNodeId('r'), org_id: org.id, parent_id: null, name: 'Root', created_at: at };
  const dept = { id: newNodeId('ou'), org_id: org.id, parent_id: root.id, name: 'dept', created_at: at };
  const team = { id: newNodeId('ou'), org_id: org.id, parent_id: dept.id, name: 'team', created_at: at };
  await c.store.transaction(async (trx) => {
    await c.repos.orgs.insertOrganization(org, root, trx);
    await c.repos.orgs.insertUnit(dept, trx);
    await c.repos.orgs.insertUnit(team, trx);
    await c.repos.orgs.insertAccount({ domain_id: domain.id, org_id: org.id, parent_id: team.id, join_method: 'invited',
      joined_at: at }, trx);
  });
  const project = (await c.repos.identity.projectByName(domain.id, name))!;
  const user = (await c.repos.identity.userByName(domain.id, name))!;
  const roles = await c.repos.identity.rolesOn(user.id, project.id);
  const viewer: Account = { name, password: PASSWORD, projectId: project.id, userId: user.id,
    ctx: contextFor(user.id, project.id, roles), token: c.identity.issueFor(user.id, project.id, roles) };
  return { viewer, ou: { memberId: dept.id, type: 'organization', urn: nodeUrn('ou', admin.id, org.id, dept.id) } };
}

/** The ids of the target's newest accepted shares, newest first (the order of its "shared with me" pages). */
export async function newestShares(c: Container, target: ShareTarget, count: number): Promise<string[]> {
  const rows = await c.store.db.selectFrom('image_members').select('image_id')
    .where('member_id', '=', target.memberId).where('status', '=', 'accepted')
    .orderBy('image_created_at', 'desc').orderBy('image_id', 'desc').limit(count).execute();
  return rows.map((r) => r.image_id);
}
