import { type Kysely, sql, type Transaction } from 'kysely';
import type { Store } from '../db/database.js';
import type { Db } from '../db/prepared.js';
import type { Database, OrgAccountTable, OrganizationTable, OrgUnitTable } from '../db/schema.js';
import { nodeUrn, type OrgNode, parseNodeRef, type Reach } from '../domain/organization.js';

/** An account's place in its organization, with the organization's management account. */
export interface Membership extends OrgAccountTable {
  management_domain_id: string;
}

/** A member account with its name (the domain's). */
export interface AccountRow extends OrgAccountTable {
  name: string;
}

/** A page of a listing: rows in id order after `after` (exclusive). */
export interface PageRequest {
  limit: number;
  after?: string;
}

/**
 * What `reachOf` answers, as common table expressions one statement can join: `reach(member_id, depth)`, the
 * project's account (depth -1), the units above its account (0 for the one it sits in, up to the root), then its
 * organization (the greatest depth).
 */
export const reachTables = (projectId: unknown) => sql`chain(unit_id, parent_id, depth) as (
    select u.id, u.parent_id, 0 from projects p join org_accounts a on a.domain_id = p.domain_id
      join org_units u on u.id = a.parent_id where p.id = ${projectId}
    union all select u.id, u.parent_id, c.depth + 1 from chain c join org_units u on u.id = c.parent_id),
  reach(member_id, depth) as (
    select p.domain_id, -1 from projects p where p.id = ${projectId}
    union all select unit_id, depth from chain
    union all select a.org_id, 1000000 from projects p join org_accounts a on a.domain_id = p.domain_id
      where p.id = ${projectId})`;

/** The queries of the sharing path (every shared listing asks who a project reaches), compiled once. */
function queries(store: Store) {
  const { db } = store;
  return {
    /**
     * The project's account, its organization, and the chain of units from the one the account sits in up to
     * the root: one row per unit, nearest first (depth 0), or one row of nulls when the account is in none.
     */
    reach: store.prepare((p: { projectId: string }) => db
      .withRecursive('chain(unit_id, parent_id, depth)', (qb) => qb.selectFrom('projects as p')
        .innerJoin('org_accounts as a', 'a.domain_id', 'p.domain_id')
        .innerJoin('org_units as u', 'u.id', 'a.parent_id')
        .select(['u.id as unit_id', 'u.parent_id', sql<number>`0`.as('depth')])
        .where('p.id', '=', p.projectId)
        .unionAll((rec) => rec.selectFrom('chain as c').innerJoin('org_units as u', 'u.id', 'c.parent_id')
          .select(['u.id as unit_id', 'u.parent_id', sql<number>`c.depth + 1`.as('depth')])))
      .selectFrom('projects as p')
      .leftJoin('org_accounts as a', 'a.domain_id', 'p.domain_id')
      .leftJoin('chain as c', (join) => join.onTrue())
      .select(['p.domain_id', 'a.org_id', 'c.unit_id', 'c.depth'])
      .where('p.id', '=', p.projectId)
      .orderBy('c.depth')),
    organization: store.prepare((p: { id: string }) => db.selectFrom('organizations').selectAll().where('id', '=', p.id),
      { coalesce: true }),
    unit: store.prepare((p: { id: string }) => db.selectFrom('org_units as u')
      .innerJoin('organizations as o', 'o.id', 'u.org_id')
      .select(['u.id', 'u.org_id', 'u.parent_id', 'u.name', 'u.created_at', 'o.management_domain_id'])
      .where('u.id', '=', p.id), { coalesce: true }),
    membership: store.prepare((p: { domainId: string }) => db.selectFrom('org_accounts as a')
      .innerJoin('organizations as o', 'o.id', 'a.org_id')
      .select(['a.domain_id', 'a.org_id', 'a.parent_id', 'a.join_method', 'a.joined_at', 'o.management_domain_id'])
      .where('a.domain_id', '=', p.domainId), { coalesce: true }),
  };
}

/**
 * Organizations: their units (root and OUs) and member accounts. Writes of one organization's rows run in a
 * transaction that first takes the organization row (`lock`), so they happen one at a time and each sees the
 * tree as the one before left it.
 */
export class OrgRepo {
  private readonly db: Kysely<Database>;
  private readonly q: ReturnType<typeof queries>;

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.q = queries(store);
  }

  /**
   * Who the project reaches: one query, not cached (a move is seen at once by every process); undefined if there
   * is no such project.
   */
  async reachOf(projectId: string, trx?: Db): Promise<Reach | undefined> {
    const rows = await this.q.reach.all({ projectId }, trx);
    const first = rows[0];
    if (!first) return undefined;
    const orgNodes = rows.flatMap((r) => (r.unit_id === null ? [] : [r.unit_id]));
    if (first.org_id !== null) orgNodes.push(first.org_id);
    return { projectId, domainId: first.domain_id, orgNodes };
  }

  /** The organization, root or OU a bare id names, or a URN names exactly. */
  async orgNode(idOrUrn: string, trx?: Db): Promise<OrgNode | undefined> {
    const ref = parseNodeRef(idOrUrn);
    if (!ref) return undefined;
    let node: OrgNode | undefined;
    if (ref.kind === 'organization') {
      const org = await this.q.organization.first({ id: ref.id }, trx);
      node = org && { id: org.id, kind: 'organization', orgId: org.id, managementDomainId: org.management_domain_id,
        urn: nodeUrn('organization', org.management_domain_id, org.id, org.id) };
    } else {
      const unit = await this.q.unit.first({ id: ref.id }, trx);
      const kind = unit?.parent_id === null ? 'root' : 'ou';
      node = unit && kind === ref.kind ? { id: unit.id, kind, orgId: unit.org_id,
        managementDomainId: unit.management_domain_id, urn: nodeUrn(kind, unit.management_domain_id, unit.org_id, unit.id) }
        : undefined;
    }
    return node && (!ref.urn || node.urn === idOrUrn) ? node : undefined;
  }

  /** The organization the account is in (as manager or member), and its place there. */
  membership(domainId: string, trx?: Db): Promise<Membership | undefined> {
    return this.q.membership.first({ domainId }, trx);
  }

  organization(id: string, trx?: Db): Promise<OrganizationTable | undefined> {
    return this.q.organization.first({ id }, trx);
  }

  /** Takes the organization row for the rest of the transaction (SQLite's one writer needs no row lock). */
  async lock(orgId: string, trx: Transaction<Database>): Promise<OrganizationTable | undefined> {
    const q = trx.selectFrom('organizations').selectAll().where('id', '=', orgId);
    return (this.store.caps.rowLocks ? q.forUpdate() : q).executeTakeFirst();
  }

  /** A new organization with its root and its management account under the root. */
  async insertOrganization(org: OrganizationTable, root: OrgUnitTable, trx: Transaction<Database>): Promise<void> {
    await trx.insertInto('organizations').values(org).execute();
    await trx.insertInto('org_units').values(root).execute();
    await trx.insertInto('org_accounts').values({ domain_id: org.management_domain_id, org_id: org.id, parent_id: root.id,
      join_method: 'created', joined_at: org.created_at }).execute();
  }

  /** Deletes an organization that holds only its root and its management account. */
  async deleteOrganization(orgId: string, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('org_accounts').where('org_id', '=', orgId).execute();
    await trx.deleteFrom('org_units').where('org_id', '=', orgId).execute();
    await trx.deleteFrom('organizations').where('id', '=', orgId).execute();
  }

  root(orgId: string, trx: Db = this.db): Promise<OrgUnitTable | undefined> {
    return trx.selectFrom('org_units').selectAll().where('org_id', '=', orgId).where('parent_id', 'is', null)
      .executeTakeFirst();
  }

  unit(id: string, trx: Db = this.db): Promise<OrgUnitTable | undefined> {
    return trx.selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The organization's OUs (not its root), under `parentId` only when given. */
  ous(orgId: string, parentId: string | undefined, page: PageRequest, trx: Db = this.db): Promise<OrgUnitTable[]> {
    let q = trx.selectFrom('org_units').selectAll().where('org_id', '=', orgId).where('parent_id', 'is not', null);
    if (parentId !== undefined) q = q.where('parent_id', '=', parentId);
    if (page.after !== undefined) q = q.where('id', '>', page.after);
    return q.orderBy('id').limit(page.limit).execute();
  }

  /** Whether an OU named `name` is under `parentId` already. */
  async nameTaken(parentId: string, name: string, trx: Db = this.db): Promise<boolean> {
    const row = await trx.selectFrom('org_units').select('id').where('parent_id', '=', parentId).where('name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether anything (an OU or an account) is under the unit. */
  async hasChildren(unitId: string, trx: Db = this.db): Promise<boolean> {
    const row = await trx.selectFrom('org_units').select('id').where('parent_id', '=', unitId)
      .union(trx.selectFrom('org_accounts').select('domain_id as id').where('parent_id', '=', unitId))
      .limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async insertUnit(row: OrgUnitTable, trx: Transaction<Database>): Promise<void> {
    await trx.insertInto('org_units').values(row).execute();
  }

  async renameUnit(id: string, name: string, trx: Transaction<Database>): Promise<void> {
    await trx.updateTable('org_units').set({ name }).where('id', '=', id).execute();
  }

  async deleteUnit(id: string, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('org_units').where('id', '=', id).execute();
  }

  /** How many accounts and OUs the organization has besides its management account and root. */
  async contents(org: OrganizationTable, trx: Db = this.db): Promise<{ accounts: number; ous: number }> {
    const [accounts, ous] = await Promise.all([
      trx.selectFrom('org_accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', org.id)
        .where('domain_id', '!=', org.management_domain_id).executeTakeFirstOrThrow(),
      trx.selectFrom('org_units').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', org.id)
        .where('parent_id', 'is not', null).executeTakeFirstOrThrow(),
    ]);
    return { accounts: Number(accounts.n), ous: Number(ous.n) };
  }

  /** The organization's accounts with their names, under `parentId` only when given. */
  accounts(orgId: string, parentId: string | undefined, page: PageRequest, trx: Db = this.db): Promise<AccountRow[]> {
    let q = trx.selectFrom('org_accounts as a').innerJoin('domains as d', 'd.id', 'a.domain_id').selectAll('a')
      .select('d.name').where('a.org_id', '=', orgId);
    if (parentId !== undefined) q = q.where('a.parent_id', '=', parentId);
    if (page.after !== undefined) q = q.where('a.domain_id', '>', page.after);
    return q.orderBy('a.domain_id').limit(page.limit).execute();
  }

  account(orgId: string, domainId: string, trx: Db = this.db): Promise<AccountRow | undefined> {
    return trx.selectFrom('org_accounts as a').innerJoin('domains as d', 'd.id', 'a.domain_id').selectAll('a')
      .select('d.name').where('a.org_id', '=', orgId).where('a.domain_id', '=', domainId).executeTakeFirst();
  }

  async insertAccount(row: OrgAccountTable, trx: Transaction<Database>): Promise<void> {
    await trx.insertInto('org_accounts').values(row).execute();
  }

  async moveAccount(domainId: string, parentId: string, trx: Transaction<Database>): Promise<void> {
    await trx.updateTable('org_accounts').set({ parent_id: parentId }).where('domain_id', '=', domainId).execute();
  }

  async deleteAccount(domainId: string, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('org_accounts').where('domain_id', '=', domainId).execute();
  }
}
