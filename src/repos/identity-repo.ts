import type { Kysely } from 'kysely';
import type { Store } from '../db/database.js';
import type { Db } from '../db/prepared.js';
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Database, DomainTable, ProjectTable, RoleAssignmentTable, UserTable } from '../db/schema.js';

export type UserRow = Selectable<UserTable>;
export type ProjectRow = Selectable<ProjectTable>;
export type DomainRow = DomainTable;

/** A role assignment with the names `GET /v3/role_assignments?include_names` shows. */
export interface AssignmentRow extends RoleAssignmentTable {
  user_name: string;
  user_domain_id: string;
  user_domain_name: string;
  project_name: string;
  project_domain_id: string;
  project_domain_name: string;
}

/** What a list of projects or users may be narrowed to (Keystone's query filters). */
export interface ListFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
}

export type ProjectPatch = Pick<Updateable<ProjectTable>, 'name' | 'description' | 'enabled'>;
export type UserPatch = Pick<Updateable<UserTable>, 'name' | 'password_hash' | 'default_project_id' | 'enabled'
  | 'description' | 'email' | 'failed_auth_count' | 'failed_auth_at'>;

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

type Named = { domainId: string; name: string };

/** The identity queries of the token path, compiled once. */
function queries(store: Store) {
  const { db } = store;
  return {
    projectById: store.prepare((p: { id: string }) => db.selectFrom('projects').selectAll().where('id', '=', p.id),
      { coalesce: true }),
    projectByName: store.prepare((p: Named) => db.selectFrom('projects').selectAll()
      .where('domain_id', '=', p.domainId).where('name', '=', p.name), { coalesce: true }),
    userById: store.prepare((p: { id: string }) => db.selectFrom('users').selectAll().where('id', '=', p.id),
      { coalesce: true }),
    userByName: store.prepare((p: Named) => db.selectFrom('users').selectAll()
      .where('domain_id', '=', p.domainId).where('name', '=', p.name), { coalesce: true }),
    domainById: store.prepare((p: { id: string }) => db.selectFrom('domains').selectAll().where('id', '=', p.id),
      { coalesce: true }),
    domainByName: store.prepare((p: { name: string }) => db.selectFrom('domains').selectAll().where('name', '=', p.name),
      { coalesce: true }),
    rolesOn: store.prepare((p: { userId: string; projectId: string }) => db.selectFrom('role_assignments')
      .select('role').where('user_id', '=', p.userId).where('project_id', '=', p.projectId).orderBy('role')),
    signingRolesOn: store.prepare((p: { userId: string; projectId: string }) => db.selectFrom('role_assignments')
      .innerJoin('projects', 'projects.id', 'role_assignments.project_id').select('role_assignments.role')
      .where('role_assignments.user_id', '=', p.userId).where('role_assignments.project_id', '=', p.projectId)
      .where('projects.enabled', '=', 1).orderBy('role_assignments.role')),
  };
}

/** Domains (accounts), projects, users, role assignments, access keys and settings. */
export class IdentityRepo {
  private readonly db: Kysely<Database>;
  private readonly q: ReturnType<typeof queries>;

  constructor(store: Store) {
    this.db = store.db;
    this.q = queries(store);
  }

  domainById(id: string, trx?: Db): Promise<DomainRow | undefined> {
    return this.q.domainById.first({ id }, trx);
  }

  domainByName(name: string, trx?: Db): Promise<DomainRow | undefined> {
    return this.q.domainByName.first({ name }, trx);
  }

  listDomains(filter: { name?: string }, trx: Db = this.db): Promise<DomainRow[]> {
    let q = trx.selectFrom('domains').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    return q.execute();
  }

  /** Inserts the domain unless its id or name is taken (another process may be inserting it too): whether it did. */
  async insertDomain(row: DomainRow, trx: Db = this.db): Promise<boolean> {
    const res = await trx.insertInto('domains').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** The account's projects, in id order. */
  projectsOfDomain(domainId: string, trx: Db = this.db): Promise<ProjectRow[]> {
    return trx.selectFrom('projects').selectAll().where('domain_id', '=', domainId).orderBy('id').execute();
  }

  projectById(id: string, trx?: Db): Promise<ProjectRow | undefined> {
    return this.q.projectById.first({ id }, trx);
  }

  projectByName(domainId: string, name: string, trx?: Db): Promise<ProjectRow | undefined> {
    return this.q.projectByName.first({ domainId, name }, trx);
  }

  listProjects(filter: ListFilter, trx: Db = this.db): Promise<ProjectRow[]> {
    let q = trx.selectFrom('projects').selectAll().orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return q.execute();
  }

  /** Inserts the project unless its id or name is taken (another process may be inserting it too): whether it did. */
  async insertProject(row: Insertable<ProjectTable>, trx: Db = this.db): Promise<boolean> {
    const res = await trx.insertInto('projects').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Whether the project was there; a name taken in its domain throws a unique violation. */
  async updateProject(id: string, patch: ProjectPatch, trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('projects').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Deletes the project and (foreign keys) its role assignments; users whose default it was keep none. */
  async deleteProject(id: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** The projects on which the user holds a role, by name. */
  projectsWithRolesOf(userId: string, trx: Db = this.db): Promise<ProjectRow[]> {
    return trx.selectFrom('projects').selectAll()
      .where('id', 'in', (eb) => eb.selectFrom('role_assignments').select('project_id').where('user_id', '=', userId))
      .orderBy('name').orderBy('id').execute();
  }

  userById(id: string, trx?: Db): Promise<UserRow | undefined> {
    return this.q.userById.first({ id }, trx);
  }

  userByName(domainId: string, name: string, trx?: Db): Promise<UserRow | undefined> {
    return this.q.userByName.first({ domainId, name }, trx);
  }

  async countUsers(trx: Db = this.db): Promise<number> {
    const row = await trx.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  listUsers(filter: ListFilter, trx: Db = this.db): Promise<UserRow[]> {
    let q = trx.selectFrom('users').selectAll().orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return q.execute();
  }

  /** Inserts the user unless its id or name is taken (another process may be inserting it too): whether it did. */
  async insertUser(row: Insertable<UserTable>, trx: Db = this.db): Promise<boolean> {
    const res = await trx.insertInto('users').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Whether the user was there; a name taken in its domain throws a unique violation. */
  async updateUser(id: string, patch: UserPatch, trx: Db = this.db): Promise<boolean> {
    const res = await trx.updateTable('users').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Deletes the user and (foreign keys) its role assignments and access keys. */
  async deleteUser(id: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async rolesOn(userId: string, projectId: string, trx?: Db): Promise<string[]> {
    return (await this.q.rolesOn.all({ userId, projectId }, trx)).map((r) => r.role);
  }

  /** Replaces the user's roles on one project (safe against another process doing the same). */
  async setRoles(userId: string, projectId: string, roles: string[], trx: Db = this.db): Promise<void> {
    let stale = trx.deleteFrom('role_assignments').where('user_id', '=', userId).where('project_id', '=', projectId);
    if (roles.length > 0) stale = stale.where('role', 'not in', roles);
    await stale.execute();
    if (roles.length > 0) {
      await trx.insertInto('role_assignments')
        .values(roles.map((role) => ({ user_id: userId, project_id: projectId, role })))
        .onConflict((oc) => oc.columns(['user_id', 'project_id', 'role']).doNothing()).execute();
    }
  }

  /** Gives the user the role on the project (already held: nothing changes). */
  async grantRole(userId: string, projectId: string, role: string, trx: Db = this.db): Promise<void> {
    await trx.insertInto('role_assignments').values({ user_id: userId, project_id: projectId, role })
      .onConflict((oc) => oc.columns(['user_id', 'project_id', 'role']).doNothing()).execute();
  }

  /** Whether the user held the role on the project. */
  async revokeRole(userId: string, projectId: string, role: string, trx: Db = this.db): Promise<boolean> {
    const res = await trx.deleteFrom('role_assignments').where('user_id', '=', userId)
      .where('project_id', '=', projectId).where('role', '=', role).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /**
   * Role assignments with their user's and project's names, narrowed to a user, a project and a role; by user
   * name, project name and role (the same order in every run, whatever the ids).
   */
  assignments(filter: { userId?: string; projectId?: string; role?: string }, trx: Db = this.db)
    : Promise<AssignmentRow[]> {
    let q = trx.selectFrom('role_assignments as a')
      .innerJoin('users as u', 'u.id', 'a.user_id').innerJoin('projects as p', 'p.id', 'a.project_id')
      .innerJoin('domains as ud', 'ud.id', 'u.domain_id').innerJoin('domains as pd', 'pd.id', 'p.domain_id')
      .select(['a.user_id', 'a.project_id', 'a.role', 'u.name as user_name', 'u.domain_id as user_domain_id',
        'ud.name as user_domain_name', 'p.name as project_name', 'p.domain_id as project_domain_id',
        'pd.name as project_domain_name'])
      .orderBy('u.name').orderBy('a.user_id').orderBy('p.name').orderBy('a.project_id').orderBy('a.role');
    if (filter.userId !== undefined) q = q.where('a.user_id', '=', filter.userId);
    if (filter.projectId !== undefined) q = q.where('a.project_id', '=', filter.projectId);
    if (filter.role !== undefined) q = q.where('a.role', '=', filter.role);
    return q.execute();
  }

  /** Every role name some user holds. */
  async assignedRoles(trx: Db = this.db): Promise<string[]> {
    const rows = await trx.selectFrom('role_assignments').select('role').distinct().orderBy('role').execute();
    return rows.map((r) => r.role);
  }

  /** The user's roles on a project a signature may act in: none while the project is disabled. */
  async signingRolesOn(userId: string, projectId: string): Promise<string[]> {
    return (await this.q.signingRolesOn.all({ userId, projectId })).map((r) => r.role);
  }

  /** The enabled projects on which the user holds at least one role (what a signature may act in). */
  async signingProjectsOf(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('role_assignments')
      .innerJoin('projects', 'projects.id', 'role_assignments.project_id').select('role_assignments.project_id').distinct().where('role_assignments.user_id', '=', userId)
      .where('projects.enabled', '=', 1).orderBy('role_assignments.project_id').execute();
    return rows.map((r) => r.project_id);
  }

  async upsertAccessKey(access: string, secret: string, userId: string, now: string, trx: Db = this.db): Promise<void> {
    await trx.insertInto('access_keys').values({ access, secret, user_id: userId, created_at: now })
      .onConflict((oc) => oc.column('access').doUpdateSet({ secret, user_id: userId })).execute();
  }

  async setting(key: string, trx: Db = this.db): Promise<string | undefined> {
    const row = await trx.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  async putSetting(key: string, value: string, trx: Db = this.db): Promise<void> {
    await trx.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async deleteSetting(key: string, trx: Db = this.db): Promise<void> {
    await trx.deleteFrom('settings').where('key', '=', key).execute();
  }

  /** Every access key with its stored secret (for sealing the ones written before secrets were sealed). */
  allAccessKeys(trx: Db = this.db): Promise<{ access: string; secret: string }[]> {
    return trx.selectFrom('access_keys').select(['access', 'secret']).execute();
  }

  async setAccessKeySecret(access: string, secret: string, trx: Db = this.db): Promise<void> {
    await trx.updateTable('access_keys').set({ secret }).where('access', '=', access).execute();
  }

  /** Counts a failed password check of the user. */
  async failedAuth(userId: string, now: string): Promise<void> {
    await this.db.updateTable('users').set((eb) => ({ failed_auth_count: eb('failed_auth_count', '+', 1), failed_auth_at: now }))
      .where('id', '=', userId).execute();
  }

  async clearFailedAuth(userId: string): Promise<void> {
    await this.db.updateTable('users').set({ failed_auth_count: 0, failed_auth_at: null }).where('id', '=', userId).execute();
  }

  /** Inserts the setting unless present; returns the value that is stored (first writer wins). */
  async settingOrInsert(key: string, value: string, trx: Db = this.db): Promise<string> {
    await trx.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.setting(key, trx))!;
  }
}
