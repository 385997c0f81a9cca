import type { Transaction } from 'kysely';
import type { Store } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Database, OrganizationTable, OrgUnitTable } from '../db/schema.js';
import { type Clock, isoNow } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import { clip } from '../domain/clip.js';
import { hasControl } from '../domain/control.js';
import { DOMAIN_ID_RE, newNodeId, PARENT_ID_RE } from '../domain/organization.js';
import {
  accountNotFound, alreadyInOrganization, managementCannotLeave, managementOnly, managementOrDelegated,
  notUnderSource, organizationNotEmpty, organizationNotFound, orgInvalid, parentNotFound, policyDenies, unitNameConflict,
  unitNotEmpty, unitNotFound,
} from '../errors/organizations.js';
import type { IdentityRepo } from '../repos/identity-repo.js';
import type { AccountRow, OrgRepo, PageRequest } from '../repos/org-repo.js';

/** Who calls, and the account the call acts for (Huawei's caller account: the management account, mostly). */
export interface OrgCaller {
  ctx: RequestContext;
  accountId: string;
}

/** An organization as it is shown: with its management account's name. */
export interface OrganizationView extends OrganizationTable {
  management_account_name: string;
}

/** A page of a listing, and whether more follow. */
export interface Page<T> {
  org: Pick<OrganizationTable, 'id' | 'management_domain_id'>;
  rows: T[];
  more: boolean;
}

/** An account added by the invitation shortcut: the handshake it stands for, already accepted. */
export interface Handshake {
  id: string;
  org: OrganizationView;
  target: { type: 'account' | 'name'; entity: string };
  notes: string;
  at: string;
}

type Org = Pick<OrganizationTable, 'id' | 'management_domain_id'>;

/** Huawei's OU name: 1 to 64 characters. */
const MAX_UNIT_NAME = 64;

/**
 * The Organizations admin API (and `ims org`): a cloud admin acts for an account, as that account's management
 * calls would on Huawei Cloud. Every write of an organization's tree runs in a transaction holding its row
 * (OrgRepo.lock), so it sees the tree as the previous write left it.
 */
export class OrganizationService {
  constructor(
    private readonly store: Store,
    private readonly orgs: OrgRepo,
    private readonly identity: IdentityRepo,
    private readonly clock: Clock,
  ) {}

  /** The caller acting for `accountId` when given (Huawei's `X-Domain-Id`), else for its project's account. */
  async caller(ctx: RequestContext, accountId: string | undefined): Promise<OrgCaller> {
    if (accountId !== undefined) {
      if (!DOMAIN_ID_RE.test(accountId)) throw orgInvalid(`The account ID is invalid: ${clip(accountId)}`);
      return { ctx, accountId };
    }
    const project = await this.identity.projectById(ctx.projectId);
    if (!project) throw organizationNotFound();
    return { ctx, accountId: project.domain_id };
  }

  /** CreateOrganization: the acting account becomes the management account, under a new root. */
  async create(caller: OrgCaller): Promise<OrganizationView> {
    allow(caller, 'organizations:organizations:create');
    const account = await this.identity.domainById(caller.accountId);
    if (!account) throw accountNotFound(caller.accountId);
    const now = isoNow(this.clock);
    const org = { id: newNodeId('o'), management_domain_id: account.id, created_at: now };
    try {
      await this.store.transaction(async (trx) => {
        if (await this.orgs.membership(account.id, trx)) throw alreadyInOrganization(account.id);
        await this.orgs.insertOrganization(org, { id: newNodeId('r'), org_id: org.id, parent_id: null, name: 'root',
          created_at: now }, trx);
      });
    } catch (err) {
      // Another organization took the account in the meantime.
      if (isUniqueViolation(err)) throw alreadyInOrganization(account.id);
      throw err;
    }
    return { ...org, management_account_name: account.name };
  }

  /** ShowOrganization: the organization of the acting account, which any member account may see. */
  async show(caller: OrgCaller): Promise<OrganizationView> {
    allow(caller, 'organizations:organizations:get');
    const membership = await this.orgs.membership(caller.accountId);
    const org = membership && await this.orgs.organization(membership.org_id);
    if (!org) throw organizationNotFound();
    return this.view(org);
  }

  /** DeleteOrganization: only an organization with no member account and no OU (Huawei's rule). */
  async remove(caller: OrgCaller): Promise<void> {
    const managed = await this.managed(caller, 'organizations:organizations:delete', 'write');
    await this.write(managed, async (org, trx) => {
      const { accounts, ous } = await this.orgs.contents(org, trx);
      if (accounts > 0 || ous > 0) throw organizationNotEmpty();
      await this.orgs.deleteOrganization(org.id, trx);
    });
  }

  /** ListRoots: the organization's one root. */
  async roots(caller: OrgCaller, page: PageRequest): Promise<Page<OrgUnitTable>> {
    const org = await this.managed(caller, 'organizations:roots:list', 'read');
    const root = await this.orgs.root(org.id);
    const rows = root && (page.after === undefined || root.id > page.after) ? [root] : [];
    return { org, rows: rows.slice(0, page.limit), more: false };
  }

  /** CreateOrganizationalUnit under the root or another OU of the organization. */
  async createUnit(caller: OrgCaller, name: string, parentId: string): Promise<{ org: Org; unit: OrgUnitTable }> {
    checkUnitName(name);
    checkParentId(parentId);
    const managed = await this.managed(caller, 'organizations:ous:create', 'write');
    const unit = { id: newNodeId('ou'), org_id: managed.id, parent_id: parentId, name, created_at: isoNow(this.clock) };
    await this.write(managed, async (org, trx) => {
      const parent = await this.orgs.unit(parentId, trx);
      if (parent?.org_id !== org.id) throw parentNotFound(parentId);
      if (await this.orgs.nameTaken(parentId, name, trx)) throw unitNameConflict(name);
      await this.orgs.insertUnit(unit, trx);
    });
    return { org: managed, unit };
  }

  /** ListOrganizationalUnits: every OU, or those right under `parentId`. */
  async units(caller: OrgCaller, parentId: string | undefined, page: PageRequest): Promise<Page<OrgUnitTable>> {
    if (parentId !== undefined) checkParentId(parentId);
    const org = await this.managed(caller, 'organizations:ous:list', 'read');
    if (parentId !== undefined) await this.unitOf(org, parentId, () => parentNotFound(parentId), true);
    return paged(org, page, (p) => this.orgs.ous(org.id, parentId, p));
  }

  /** ShowOrganizationalUnit. */
  async unit(caller: OrgCaller, id: string): Promise<{ org: Org; unit: OrgUnitTable }> {
    const org = await this.managed(caller, 'organizations:ous:get', 'read');
    return { org, unit: await this.unitOf(org, id, () => unitNotFound(id)) };
  }

  /** UpdateOrganizationalUnit: its name. */
  async renameUnit(caller: OrgCaller, id: string, name: string): Promise<{ org: Org; unit: OrgUnitTable }> {
    checkUnitName(name);
    const managed = await this.managed(caller, 'organizations:ous:update', 'write');
    const unit = await this.write(managed, async (org, trx) => {
      const found = await this.unitOf(org, id, () => unitNotFound(id), false, trx);
      if (found.name === name) return found;
      if (await this.orgs.nameTaken(found.parent_id!, name, trx)) throw unitNameConflict(name);
      await this.orgs.renameUnit(id, name, trx);
      return { ...found, name };
    });
    return { org: managed, unit };
  }

  /** DeleteOrganizationalUnit: only an empty one (no OU, no account under it). */
  async deleteUnit(caller: OrgCaller, id: string): Promise<void> {
    const managed = await this.managed(caller, 'organizations:ous:delete', 'write');
    await this.write(managed, async (org, trx) => {
      await this.unitOf(org, id, () => unitNotFound(id), false, trx);
      if (await this.orgs.hasChildren(id, trx)) throw unitNotEmpty();
      await this.orgs.deleteUnit(id, trx);
    });
  }

  /** ListAccounts: every account of the organization, or those right under `parentId`. */
  async accounts(caller: OrgCaller, parentId: string | undefined, page: PageRequest): Promise<Page<AccountRow>> {
    if (parentId !== undefined) checkParentId(parentId);
    const org = await this.managed(caller, 'organizations:accounts:list', 'read');
    if (parentId !== undefined) await this.unitOf(org, parentId, () => parentNotFound(parentId), true);
    return paged(org, page, (p) => this.orgs.accounts(org.id, parentId, p));
  }

  /** ShowAccount: an account of the organization. */
  async account(caller: OrgCaller, accountId: string): Promise<{ org: Org; account: AccountRow }> {
    const org = await this.managed(caller, 'organizations:accounts:get', 'read');
    const account = await this.orgs.account(org.id, accountId);
    if (!account) throw accountNotFound(accountId);
    return { org, account };
  }

  /**
   * InviteAccount, accepted at once: the account (by id or by name) joins the organization under its root.
   * The cloud admin stands for both sides, so there is no handshake to wait for.
   */
  async invite(caller: OrgCaller, target: Handshake['target'], notes: string): Promise<Handshake> {
    const managed = await this.managed(caller, 'organizations:accounts:invite', 'write');
    const account = target.type === 'account'
      ? DOMAIN_ID_RE.test(target.entity) ? await this.identity.domainById(target.entity) : undefined
      : await this.identity.domainByName(target.entity);
    if (!account) throw accountNotFound(target.entity);
    const at = isoNow(this.clock);
    try {
      await this.write(managed, async (org, trx) => {
        if (await this.orgs.membership(account.id, trx)) throw alreadyInOrganization(account.id);
        const root = await this.orgs.root(org.id, trx);
        await this.orgs.insertAccount({ domain_id: account.id, org_id: org.id, parent_id: root!.id, join_method: 'invited',
          joined_at: at }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyInOrganization(account.id);
      throw err;
    }
    const org = await this.orgs.organization(managed.id);
    return { id: newNodeId('h'), org: await this.view(org!), target, notes, at };
  }

  /** MoveAccount from `sourceId` (where it must be) to `destinationId`, both the root or an OU. */
  async moveAccount(caller: OrgCaller, accountId: string, sourceId: string, destinationId: string): Promise<void> {
    checkParentId(sourceId);
    checkParentId(destinationId);
    const managed = await this.managed(caller, 'organizations:accounts:move', 'write');
    await this.write(managed, async (org, trx) => {
      const account = await this.orgs.account(org.id, accountId, trx);
      if (!account) throw accountNotFound(accountId);
      if (account.parent_id !== sourceId) throw notUnderSource(accountId, sourceId);
      await this.unitOf(org, destinationId, () => parentNotFound(destinationId), true, trx);
      await this.orgs.moveAccount(accountId, destinationId, trx);
    });
  }

  /** RemoveAccount: a member account (not the management account) leaves the organization. */
  async removeAccount(caller: OrgCaller, accountId: string): Promise<void> {
    const managed = await this.managed(caller, 'organizations:accounts:remove', 'write');
    await this.write(managed, async (org, trx) => {
      if (!(await this.orgs.account(org.id, accountId, trx))) throw accountNotFound(accountId);
      if (accountId === org.management_domain_id) throw managementCannotLeave();
      await this.orgs.deleteAccount(accountId, trx);
    });
  }

  /**
   * The organization the acting account manages. A member account that is not its manager is refused as Huawei
   * refuses it: reads name delegated administrators too (ims has none), writes only the management account.
   */
  private async managed(caller: OrgCaller, action: string, access: 'read' | 'write'): Promise<Org> {
    allow(caller, action);
    const membership = await this.orgs.membership(caller.accountId);
    if (!membership) throw organizationNotFound();
    if (membership.management_domain_id !== caller.accountId) {
      throw access === 'read' ? managementOrDelegated() : managementOnly();
    }
    return { id: membership.org_id, management_domain_id: membership.management_domain_id };
  }

  /** Runs `fn` in a transaction holding the organization's row (gone meanwhile: not found). */
  private write<T>(managed: Org, fn: (org: OrganizationTable, trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.store.transaction(async (trx) => {
      const org = await this.orgs.lock(managed.id, trx);
      if (!org) throw organizationNotFound();
      return fn(org, trx);
    });
  }

  /** The organization's OU `id` (or its root too, when `rootToo`), else the error `missing` makes. */
  private async unitOf(org: Org, id: string, missing: () => Error, rootToo = false, trx?: Transaction<Database>)
    : Promise<OrgUnitTable> {
    const unit = await this.orgs.unit(id, trx);
    if (!unit || unit.org_id !== org.id || (unit.parent_id === null && !rootToo)) throw missing();
    return unit;
  }

  private async view(org: OrganizationTable): Promise<OrganizationView> {
    const account = await this.identity.domainById(org.management_domain_id);
    return { ...org, management_account_name: account?.name ?? '' };
  }
}

/** Only a cloud admin manages organizations; Huawei names the IAM action a caller lacks. */
function allow(caller: OrgCaller, action: string): void {
  if (!caller.ctx.isAdmin) throw policyDenies(action);
}

async function paged<T>(org: Org, page: PageRequest, list: (p: PageRequest) => Promise<T[]>): Promise<Page<T>> {
  const rows = await list({ limit: page.limit + 1, after: page.after });
  return { org, rows: rows.slice(0, page.limit), more: rows.length > page.limit };
}

function checkUnitName(name: string): void {
  if (name.length < 1 || name.length > MAX_UNIT_NAME || hasControl(name) || name.trim() === '') {
    throw orgInvalid(`The organizational unit name must be 1 to ${MAX_UNIT_NAME} characters, not blank, without `
      + 'control characters.');
  }
}

function checkParentId(id: string): void {
  if (!PARENT_ID_RE.test(id)) throw orgInvalid(`The parent ID is invalid: ${clip(id)}`);
}
