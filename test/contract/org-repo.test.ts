import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { hexId, systemClock } from '../../src/domain/clock.js';
import { contextFor } from '../../src/domain/context.js';
import { OrgError } from '../../src/errors/organizations.js';
import { IdentityRepo } from '../../src/repos/identity-repo.js';
import { OrgRepo } from '../../src/repos/org-repo.js';
import { type OrgCaller, OrganizationService } from '../../src/services/organization-service.js';
import { databaseKinds, type DatabaseKind, openTestStore } from '../helpers/databases.js';

const NOW = '2026-03-01T00:00:00.000Z';

async function setup(t: TestContext, kind: DatabaseKind) {
  const store = await openTestStore(t, kind);
  const identity = new IdentityRepo(store);
  const orgs = new OrgRepo(store);
  const service = new OrganizationService(store, orgs, identity, systemClock);
  const account = async (name: string) => {
    const id = hexId();
    await identity.insertDomain({ id, name, description: '', enabled: 1, created_at: NOW });
    return id;
  };
  const project = async (domainId: string, name: string) => {
    const id = hexId();
    await identity.insertProject({ id, name, domain_id: domainId, created_at: NOW });
    return id;
  };
  const as = (accountId: string): OrgCaller => ({ ctx: contextFor('operator', 'operator', ['admin']), accountId });
  return { store, identity, orgs, service, account, project, as };
}

/** The error code an organizations call is refused with. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof OrgError) return err.orgCode;
    throw err;
  }
  throw new Error('the call was not refused');
}

for (const kind of databaseKinds()) {
  describe(`organization repository contract (${kind.name})`, () => {
    it('reachOf: an account in no organization reaches only itself; an unknown project reaches nothing', async (t) => {
      const { orgs, account, project } = await setup(t, kind);
      const acme = await account('acme');
      const p = await project(acme, 'web');
      assert.deepEqual(await orgs.reachOf(p), { projectId: p, domainId: acme, orgNodes: [] });
      assert.equal(await orgs.reachOf(hexId()), undefined);
    });

    it('reachOf lists the unit the account is in, its ancestors, the root, then the organization', async (t) => {
      const { orgs, service, account, project, as } = await setup(t, kind);
      const boss = await account('boss');
      const member = await account('member');
      const p = await project(member, 'app');
      const bossProject = await project(boss, 'ops');
      const org = await service.create(as(boss));
      const [root] = (await service.roots(as(boss), { limit: 10 })).rows;
      const a = (await service.createUnit(as(boss), 'a', root!.id)).unit;
      const b = (await service.createUnit(as(boss), 'b', a.id)).unit;
      const c = (await service.createUnit(as(boss), 'c', b.id)).unit;
      await service.invite(as(boss), { type: 'name', entity: 'member' }, '');
      assert.deepEqual(await orgs.reachOf(p), { projectId: p, domainId: member, orgNodes: [root!.id, org.id] });
      await service.moveAccount(as(boss), member, root!.id, c.id);
      assert.deepEqual((await orgs.reachOf(p))!.orgNodes, [c.id, b.id, a.id, root!.id, org.id]);
      // The management account is in its organization too, under the root.
      assert.deepEqual((await orgs.reachOf(bossProject))!.orgNodes, [root!.id, org.id]);
    });

    it('a move is seen at once; a removal leaves nothing; accounts and projects added later are covered', async (t) => {
      const { orgs, service, account, project, as } = await setup(t, kind);
      const boss = await account('boss');
      const org = await service.create(as(boss));
      const root = (await orgs.root(org.id))!;
      const east = (await service.createUnit(as(boss), 'east', root.id)).unit;
      const west = (await service.createUnit(as(boss), 'west', root.id)).unit;
      const late = await account('late');
      await service.invite(as(boss), { type: 'account', entity: late }, 'welcome');
      await service.moveAccount(as(boss), late, root.id, east.id);
      const first = await project(late, 'first');
      const second = await project(late, 'second');
      for (const p of [first, second]) assert.deepEqual((await orgs.reachOf(p))!.orgNodes, [east.id, root.id, org.id]);
      await service.moveAccount(as(boss), late, east.id, west.id);
      assert.deepEqual((await orgs.reachOf(second))!.orgNodes, [west.id, root.id, org.id]);
      await service.removeAccount(as(boss), late);
      assert.deepEqual(await orgs.reachOf(first), { projectId: first, domainId: late, orgNodes: [] });
      // Out of the organization, it may join another.
      const other = await account('other');
      const otherOrg = await service.create(as(other));
      await service.invite(as(other), { type: 'account', entity: late }, '');
      assert.deepEqual((await orgs.reachOf(first))!.orgNodes, [(await orgs.root(otherOrg.id))!.id, otherOrg.id]);
    });

    it('orgNode: a bare id or the exact URN of an organization, its root or an OU', async (t) => {
      const { orgs, service, account, as } = await setup(t, kind);
      const boss = await account('boss');
      const org = await service.create(as(boss));
      const root = (await orgs.root(org.id))!;
      const ou = (await service.createUnit(as(boss), 'dev', root.id)).unit;
      const expected = {
        organization: { id: org.id, kind: 'organization', orgId: org.id, managementDomainId: boss,
          urn: `organizations::${boss}:organization:${org.id}` },
        root: { id: root.id, kind: 'root', orgId: org.id, managementDomainId: boss,
          urn: `organizations::${boss}:root:${org.id}/${root.id}` },
        ou: { id: ou.id, kind: 'ou', orgId: org.id, managementDomainId: boss, urn: `organizations::${boss}:ou:${org.id}/${ou.id}` },
      } as const;
      for (const node of Object.values(expected)) {
        assert.deepEqual(await orgs.orgNode(node.id), node);
        assert.deepEqual(await orgs.orgNode(node.urn), node);
      }
      const wrong = [
        `organizations::${hexId()}:ou:${org.id}/${ou.id}`, // another management account
        `organizations::${boss}:root:${org.id}/${ou.id}`, // an OU named as a root
        `organizations::${boss}:ou:o-${'x'.repeat(32)}/${ou.id}`, // another organization
        `organizations::${boss}:organization:${org.id}/${root.id}`,
        `o-${'x'.repeat(32)}`, `ou-${'x'.repeat(32)}`, ou.id.toUpperCase(), '', 'default',
      ];
      for (const ref of wrong) assert.equal(await orgs.orgNode(ref), undefined, ref);
    });

    it('domainById and projectsOfDomain', async (t) => {
      const { identity, account, project } = await setup(t, kind);
      const acme = await account('acme');
      const ids = [await project(acme, 'b'), await project(acme, 'a')].sort();
      await project(await account('other'), 'c');
      assert.deepEqual((await identity.domainById(acme))?.name, 'acme');
      assert.deepEqual((await identity.domainById('default'))?.name, 'Default');
      assert.equal(await identity.domainById(hexId()), undefined);
      assert.deepEqual((await identity.projectsOfDomain(acme)).map((p) => p.id), ids);
      assert.deepEqual(await identity.projectsOfDomain(hexId()), []);
    });

    it('an account joins one organization only, even when two add it at once', async (t) => {
      const { orgs, service, account, as } = await setup(t, kind);
      const [one, two, target] = [await account('one'), await account('two'), await account('target')];
      await service.create(as(one));
      await service.create(as(two));
      const results = await Promise.allSettled([one, two].map((boss) =>
        service.invite(as(boss), { type: 'account', entity: target }, '')));
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal((rejected.reason as OrgError).orgCode, 'Organizations.1101');
      assert.equal(await refusal(service.create(as(target))), 'Organizations.1101');
      assert.ok(await orgs.membership(target));
    });

    it('refuses as Huawei does: non-empty OU and organization, wrong source, the management account, members', async (t) => {
      const { orgs, service, account, as } = await setup(t, kind);
      const boss = await account('boss');
      const member = await account('member');
      const org = await service.create(as(boss));
      const root = (await orgs.root(org.id))!;
      const ou = (await service.createUnit(as(boss), 'ou', root.id)).unit;
      const child = (await service.createUnit(as(boss), 'child', ou.id)).unit;
      assert.equal(await refusal(service.createUnit(as(boss), 'child', ou.id)), 'Organizations.1205');
      assert.equal(await refusal(service.deleteUnit(as(boss), ou.id)), 'Organizations.1202');
      await service.invite(as(boss), { type: 'account', entity: member }, '');
      await service.moveAccount(as(boss), member, root.id, child.id);
      assert.equal(await refusal(service.deleteUnit(as(boss), child.id)), 'Organizations.1202');
      assert.equal(await refusal(service.moveAccount(as(boss), member, root.id, ou.id)), 'Organizations.1201');
      assert.equal(await refusal(service.removeAccount(as(boss), boss)), 'Organizations.1304');
      assert.equal(await refusal(service.remove(as(boss))), 'Organizations.1102');
      assert.equal(await refusal(service.createUnit(as(member), 'x', root.id)), 'Organizations.1001');
      assert.equal(await refusal(service.units(as(member), undefined, { limit: 10 })), 'Organizations.1002');
      await service.removeAccount(as(boss), member);
      await service.deleteUnit(as(boss), child.id);
      await service.deleteUnit(as(boss), ou.id);
      await service.remove(as(boss));
      assert.equal(await orgs.membership(boss), undefined);
      assert.equal(await orgs.orgNode(org.id), undefined);
      assert.equal(await orgs.orgNode(root.id), undefined);
    });
  });
}
