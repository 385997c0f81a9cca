/**
 * Visibility is defined once, in TypeScript (src/policy/visibility.ts); the SQL that answers it must agree. On
 * random images, memberships and viewers, on both engines: every list (the list query of repos/image-list-query.ts,
 * through ImageRepo and its caches) holds exactly the images `isListed` says, and every image read by id is
 * visible exactly when `canSee` says. Each run then changes visibilities, owners and memberships through the
 * repositories and asks again: a cached list the triggers failed to renew would answer from before the change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CacheSpace } from '../../src/cache/cache-space.js';
import type { Store } from '../../src/db/database.js';
import { type Image, IMAGE_TYPES, newImage, type Visibility, VISIBILITIES } from '../../src/domain/image.js';
import { parseListQuery } from '../../src/domain/image-query.js';
import { type MemberStatus, MEMBER_STATUSES } from '../../src/domain/member.js';
import type { Reach } from '../../src/domain/organization.js';
import { canSee, isListed, membershipMatters, type ListScope, type Viewer } from '../../src/policy/visibility.js';
import { ImageRepo } from '../../src/repos/image-repo.js';
import { MemberRepo } from '../../src/repos/member-repo.js';
import { databaseKinds, openTestStore } from '../helpers/databases.js';

const PROJECTS = ['p1', 'p2', 'p3'] as const;
/**
 * Every member id an image may be shared with: the projects, their accounts (d12 holds p1, d2 holds p2, d3 holds
 * p3) and the nodes of one organization (o12, its root r12, an OU ou12 under it).
 */
const MEMBER_IDS = [...PROJECTS, 'd12', 'd2', 'd3', 'ou12', 'r12', 'o12'] as const;
const T0 = '2026-01-01T00:00:00.000Z';

/** The accounts, projects and organization of REACH, as rows (the list SQL reads them). */
async function seedIdentity(store: Store): Promise<void> {
  const db = store.db;
  await db.insertInto('domains').values(['d12', 'd2', 'd3'].map((id) =>
    ({ id, name: id, description: '', enabled: 1, created_at: T0 }))).execute();
  await db.insertInto('projects').values(Object.values(REACH).map((r) =>
    ({ id: r.projectId, name: r.projectId, domain_id: r.domainId, created_at: T0 }))).execute();
  await db.insertInto('organizations').values({ id: 'o12', management_domain_id: 'd12', created_at: T0 }).execute();
  await db.insertInto('org_units').values([{ id: 'r12', org_id: 'o12', parent_id: null, name: 'Root', created_at: T0 },
    { id: 'ou12', org_id: 'o12', parent_id: 'r12', name: 'ou', created_at: T0 }]).execute();
  await db.insertInto('org_accounts').values([
    { domain_id: 'd12', org_id: 'o12', parent_id: 'ou12', join_method: 'created', joined_at: T0 },
    { domain_id: 'd2', org_id: 'o12', parent_id: 'r12', join_method: 'invited', joined_at: T0 },
  ]).execute();
}

const memberType = (id: string) => (id.startsWith('p') ? 'project' : id.startsWith('d') ? 'domain' : 'organization');
/** Account d12 sits in the OU, d2 under the root; d3 joins the OU and leaves it again as the changes say. */
const REACH: Record<string, Reach> = {
  p1: { projectId: 'p1', domainId: 'd12', orgNodes: ['ou12', 'r12', 'o12'] },
  p2: { projectId: 'p2', domainId: 'd2', orgNodes: ['r12', 'o12'] },
  p3: { projectId: 'p3', domainId: 'd3', orgNodes: [] },
};
const OWNERS = [...PROJECTS, null] as const;
const VIEWERS: Viewer[] = [...PROJECTS.map((projectId) => ({ projectId, isAdmin: false })),
  { projectId: 'p1', isAdmin: true }];
const SCOPES: ListScope[] = [undefined, 'all' as const, ...VISIBILITIES].flatMap((visibility) =>
  (['all', ...MEMBER_STATUSES] as const).map((memberStatus) => ({ ...(visibility ? { visibility } : {}), memberStatus })))
  // IMS `__imagetype`, with the visibilities and statuses that prune the SQL's branches.
  .concat(IMAGE_TYPES.flatMap((imagetype) => [undefined, 'all' as const, 'shared' as const, 'private' as const]
    .flatMap((visibility) => (['all', 'accepted'] as const).map((memberStatus) =>
      ({ ...(visibility ? { visibility } : {}), memberStatus, imagetype })))));

interface ImageSpec {
  owner: (typeof OWNERS)[number];
  visibility: Visibility;
  /** Status of each member id's membership (MEMBER_IDS), or null for none. */
  members: (MemberStatus | null)[];
}

const imageArb: fc.Arbitrary<ImageSpec> = fc.record({
  owner: fc.constantFrom(...OWNERS),
  visibility: fc.constantFrom(...VISIBILITIES),
  members: fc.array(fc.constantFrom<MemberStatus | null>(null, null, null, ...MEMBER_STATUSES), {
    minLength: MEMBER_IDS.length, maxLength: MEMBER_IDS.length,
  }),
});

/**
 * A change between two rounds of questions: the image at `index` (modulo the count) gets `spec`; with `move`,
 * account d3 joins the OU (or leaves the organization).
 */
const changeArb = fc.record({ index: fc.nat(), spec: imageArb, move: fc.boolean() });

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const listQuery = (scope: ListScope) => parseListQuery([
  ...(scope.visibility ? [['visibility', scope.visibility] as [string, string]] : []),
  ['member_status', scope.memberStatus], ['limit', '1000'],
  ...(scope.imagetype ? [['__imagetype', scope.imagetype] as [string, string]] : []),
]);

for (const kind of databaseKinds()) {
  describe(`visibility: SQL against policy/visibility.ts (${kind.name})`, () => {
    it('lists and shows exactly what the TypeScript rule says, before and after changes', async (t) => {
      const store = await openTestStore(t, kind);
      const caches = new CacheSpace(16 * 1024 * 1024);
      const reach = structuredClone(REACH);
      const images = new ImageRepo(store, caches);
      await seedIdentity(store);
      /** Account d3 joins the OU, or leaves the organization, in the tables and in the model. */
      const moveD3 = async (into: boolean) => {
        await store.db.deleteFrom('org_accounts').where('domain_id', '=', 'd3').execute();
        if (into) {
          await store.db.insertInto('org_accounts').values({ domain_id: 'd3', org_id: 'o12', parent_id: 'ou12',
            join_method: 'invited', joined_at: T0 }).execute();
        }
        reach.p3!.orgNodes = into ? ['ou12', 'r12', 'o12'] : [];
      };
      const members = new MemberRepo(store, caches);
      let clock = Date.parse('2026-01-01T00:00:00.000Z');
      const now = () => new Date(clock += 1000).toISOString();

      /** Makes image `n` what `spec` says: its row, and one membership per project as given. */
      const apply = async (n: number, spec: ImageSpec, existing?: Image) => {
        const at = now();
        const image: Image = existing
          ? { ...existing, owner: spec.owner, visibility: spec.visibility, updated_at: at }
          : newImage({ id: id(n), owner: spec.owner, visibility: spec.visibility, created_at: at });
        if (existing) assert.ok(await images.update(image.id, image));
        else assert.ok(await images.insert(image));
        await store.transaction(async (trx) => {
          const lock = (await images.lock(image.id, trx))!;
          await members.deleteMany(lock, MEMBER_IDS.filter((_p, i) => spec.members[i] === null));
          const wanted = MEMBER_IDS.flatMap((p, i) => (spec.members[i] ? [[p, spec.members[i]!] as const] : []));
          await members.insertMany(lock, wanted.map(([p, status]) => ({ image_id: image.id, member_id: p, status,
            vault_id: null, member_type: memberType(p), urn: null, image_created_at: image.created_at, created_at: at,
            updated_at: at })));
          for (const [p, status] of wanted) await members.updateStatus(lock, p, status, undefined, at);
        });
        return image;
      };

      /** Every viewer's every list, and every image by id, against the rule. */
      const check = async (model: { image: Image; spec: ImageSpec }[]) => {
        for (const viewer of VIEWERS) {
          // The nearest of the member ids the viewer answers to: its project, its account, its organization nodes.
          const { domainId, orgNodes } = reach[viewer.projectId]!;
          const mine = [viewer.projectId, domainId, ...orgNodes];
          const membership = (spec: ImageSpec) => mine.map((m) => spec.members[MEMBER_IDS.indexOf(m as 'p1')])
            .find((s) => s !== null && s !== undefined) ?? undefined;
          for (const scope of SCOPES) {
            const expected = model.filter(({ image, spec }) => isListed(viewer, image, membership(spec), scope))
              .map(({ image }) => image.id).sort();
            // Twice: the second answer comes from the caches (a page is kept from its second request on).
            for (const round of ['read', 'cached']) {
              const listed = (await images.list(viewer, listQuery(scope))).map((image) => image.id).sort();
              assert.deepEqual(listed, expected, `${round} list of ${JSON.stringify(viewer)} ${JSON.stringify(scope)}`);
            }
          }
          for (const { image, spec } of model) {
            const found = await images.getWithMembership(image.id, viewer.projectId);
            assert.ok(found, image.id);
            // Shares with its account or organization are looked up only where the membership decides.
            if (membershipMatters(viewer, image)) {
              assert.equal(found.memberStatus, membership(spec), `membership of ${viewer.projectId} in ${image.id}`);
            }
            assert.equal(found.image.visibility, image.visibility);
            assert.equal(found.image.owner, image.owner);
            assert.equal(canSee(viewer, found.image, found.memberStatus), canSee(viewer, image, membership(spec)));
          }
        }
      };

      let runs = 0;
      await fc.assert(fc.asyncProperty(fc.array(imageArb, { minLength: 1, maxLength: 8 }),
        fc.array(changeArb, { maxLength: 4 }), async (specs, changes) => {
          await store.db.deleteFrom('images').execute();
          await moveD3(false);
          const model: { image: Image; spec: ImageSpec }[] = [];
          for (const [n, spec] of specs.entries()) model.push({ image: await apply(runs * 100 + n, spec), spec });
          await check(model);
          for (const { index, spec, move } of changes) {
            const entry = model[index % model.length]!;
            entry.image = await apply(0, spec, entry.image);
            entry.spec = spec;
            if (move) await moveD3(reach.p3!.orgNodes.length === 0);
          }
          if (changes.length > 0) await check(model);
          runs++;
        }), { numRuns: kind.name === 'sqlite' ? 40 : 15 });
    });
  });
}
