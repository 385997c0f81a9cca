import { clip } from '../domain/clip.js';
import type { RequestContext } from '../domain/context.js';
import { stableId } from '../domain/stable-id.js';
import { notFound } from '../errors/app-error.js';
import { requireAdmin } from '../policy/identity.js';
import type { AssignmentRow, IdentityRepo } from '../repos/identity-repo.js';
import { projectNotFound } from './project-service.js';
import type { Revocations } from './revocation-service.js';
import { userNotFound } from './user-service.js';

/** A role: its name, and an id derived from it (the same in every process and token). */
export interface Role {
  id: string;
  name: string;
}

/** The roles the policies know (policy/roles.ts); others exist while someone holds them (a bootstrap file's). */
const KNOWN_ROLES = ['admin', 'member', 'reader'];

export const roleOf = (name: string): Role => ({ id: stableId('role', name), name });

/** Narrows a list of role assignments; `none` when it asks for what ims has not (groups, domain or system scope). */
export interface AssignmentFilter {
  userId?: string;
  projectId?: string;
  roleId?: string;
  none?: boolean;
}

/**
 * Keystone roles and their assignments to users on projects, with Keystone's default policy (admins only).
 * Removing a role revokes the user's tokens on that project, which carry it.
 */
export class RoleService {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly revocations: Revocations,
    private readonly tokenTtl: number,
  ) {}

  async list(ctx: RequestContext, name: string | undefined): Promise<Role[]> {
    requireAdmin(ctx, 'list_roles');
    return (await this.roles()).filter((r) => name === undefined || r.name === name);
  }

  async get(ctx: RequestContext, id: string): Promise<Role> {
    requireAdmin(ctx, 'get_role');
    return this.role(id);
  }

  /** `PUT /v3/projects/{p}/users/{u}/roles/{r}`. */
  async grant(ctx: RequestContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(ctx, 'create_grant');
    const role = await this.target(projectId, userId, roleId);
    await this.repo.grantRole(userId, projectId, role.name);
  }

  /** `HEAD /v3/projects/{p}/users/{u}/roles/{r}`: 404 when the user does not hold the role there. */
  async check(ctx: RequestContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(ctx, 'check_grant');
    const role = await this.target(projectId, userId, roleId);
    if (!(await this.repo.rolesOn(userId, projectId)).includes(role.name)) {
      throw assignmentNotFound(roleId, userId, projectId);
    }
  }

  /** `DELETE /v3/projects/{p}/users/{u}/roles/{r}`. */
  async revoke(ctx: RequestContext, projectId: string, userId: string, roleId: string): Promise<void> {
    requireAdmin(ctx, 'revoke_grant');
    const role = await this.target(projectId, userId, roleId);
    if (!(await this.repo.revokeRole(userId, projectId, role.name))) throw assignmentNotFound(roleId, userId, projectId);
    await this.revocations.revoke({ userId, projectId }, this.tokenTtl);
  }

  /** `GET /v3/role_assignments`, with each assignment's role. */
  async assignments(ctx: RequestContext, filter: AssignmentFilter): Promise<{ row: AssignmentRow; role: Role }[]> {
    requireAdmin(ctx, 'list_role_assignments');
    if (filter.none) return [];
    let roleName: string | undefined;
    if (filter.roleId !== undefined) {
      roleName = (await this.roles()).find((r) => r.id === filter.roleId)?.name;
      if (roleName === undefined) return [];
    }
    const rows = await this.repo.assignments({ userId: filter.userId, projectId: filter.projectId, role: roleName });
    return rows.map((row) => ({ row, role: roleOf(row.role) }));
  }

  private async roles(): Promise<Role[]> {
    const names = new Set([...KNOWN_ROLES, ...(await this.repo.assignedRoles())]);
    return [...names].sort().map(roleOf);
  }

  private async role(id: string): Promise<Role> {
    const role = (await this.roles()).find((r) => r.id === id);
    if (!role) throw notFound(`Could not find role: ${clip(id)}.`);
    return role;
  }

  /** The role of a grant, once the role, the user and the project are known to exist (Keystone's order). */
  private async target(projectId: string, userId: string, roleId: string): Promise<Role> {
    const role = await this.role(roleId);
    if (!(await this.repo.userById(userId))) throw userNotFound(userId);
    if (!(await this.repo.projectById(projectId))) throw projectNotFound(projectId);
    return role;
  }
}

const assignmentNotFound = (roleId: string, userId: string, projectId: string) => notFound(
  `Could not find role assignment with role: ${clip(roleId)}, user or group: ${clip(userId)}, `
  + `project, domain, or system: ${clip(projectId)}.`);
