import { type Clock, hexId, isoNow } from '../domain/clock.js';
import { clip } from '../domain/clip.js';
import type { RequestContext } from '../domain/context.js';
import { isUniqueViolation } from '../db/errors.js';
import { badRequest, conflict, notFound } from '../errors/app-error.js';
import { identityDenied, requireAdmin, requireAdminOrSelf } from '../policy/identity.js';
import type { IdentityRepo, ListFilter, ProjectPatch, ProjectRow } from '../repos/identity-repo.js';
import type { Revocations } from './revocation-service.js';

/** A new project as `POST /v3/projects` gives it. */
export interface ProjectInput {
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
}

/** What `PATCH /v3/projects/{id}` may change. */
export interface ProjectChange {
  name?: string;
  description?: string;
  enabled?: boolean;
  /** Given only to be refused when it differs: a project never moves to another domain. */
  domainId?: string;
}

export const projectNotFound = (id: string) => notFound(`Could not find project: ${clip(id)}.`);

const duplicate = (name: string, domainId: string) => conflict(
  `Conflict occurred attempting to store project - Duplicate entry found with name ${clip(name)} at domain ID ${domainId}.`);

/**
 * Keystone projects with Keystone's default policy: admins create, list, change and delete them; a user reads the
 * project it is scoped to and lists its own. Disabling or deleting a project revokes the tokens scoped to it;
 * deleting it takes its role assignments (its images stay, as Glance keeps a deleted project's: docs/identity.md).
 */
export class ProjectService {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly revocations: Revocations,
    private readonly clock: Clock,
    private readonly tokenTtl: number,
  ) {}

  async get(ctx: RequestContext, id: string): Promise<ProjectRow> {
    if (!ctx.isAdmin && id !== ctx.projectId) throw identityDenied('get_project');
    const project = await this.repo.projectById(id);
    if (!project) throw projectNotFound(id);
    return project;
  }

  async list(ctx: RequestContext, filter: ListFilter): Promise<ProjectRow[]> {
    requireAdmin(ctx, 'list_projects');
    return this.repo.listProjects(filter);
  }

  /** `GET /v3/users/{id}/projects`: the projects the user holds a role on (admins, or the user itself). */
  async ofUser(ctx: RequestContext, userId: string): Promise<ProjectRow[]> {
    requireAdminOrSelf(ctx, userId, 'list_user_projects');
    if (!(await this.repo.userById(userId))) throw notFound(`Could not find user: ${clip(userId)}.`);
    return this.repo.projectsWithRolesOf(userId);
  }

  /** `GET /v3/auth/projects`: the enabled projects, of enabled domains, the caller's user may scope a token to. */
  async forToken(ctx: RequestContext): Promise<ProjectRow[]> {
    const projects = await this.repo.projectsWithRolesOf(ctx.userId);
    const enabled: ProjectRow[] = [];
    for (const p of projects) {
      if (p.enabled === 1 && (await this.repo.domainById(p.domain_id))?.enabled === 1) enabled.push(p);
    }
    return enabled;
  }

  async create(ctx: RequestContext, input: ProjectInput): Promise<ProjectRow> {
    requireAdmin(ctx, 'create_project');
    if (!(await this.repo.domainById(input.domainId))) throw notFound(`Could not find domain: ${clip(input.domainId)}.`);
    const row: ProjectRow = { id: hexId(), name: input.name, domain_id: input.domainId, description: input.description,
      enabled: input.enabled ? 1 : 0, created_at: isoNow(this.clock) };
    if (!(await this.repo.insertProject(row))) throw duplicate(input.name, input.domainId);
    return row;
  }

  async update(ctx: RequestContext, id: string, change: ProjectChange): Promise<ProjectRow> {
    requireAdmin(ctx, 'update_project');
    const project = await this.repo.projectById(id);
    if (!project) throw projectNotFound(id);
    if (change.domainId !== undefined && change.domainId !== project.domain_id) {
      throw badRequest('Update of `domain_id` is not allowed.');
    }
    const patch: ProjectPatch = {
      ...(change.name === undefined ? {} : { name: change.name }),
      ...(change.description === undefined ? {} : { description: change.description }),
      ...(change.enabled === undefined ? {} : { enabled: change.enabled ? 1 : 0 }),
    };
    if (Object.keys(patch).length > 0) {
      try {
        if (!(await this.repo.updateProject(id, patch))) throw projectNotFound(id);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(change.name ?? project.name, project.domain_id);
        throw err;
      }
    }
    if (change.enabled === false && project.enabled === 1) {
      await this.revocations.revoke({ projectId: id }, this.tokenTtl);
    }
    return (await this.repo.projectById(id)) ?? project;
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx, 'delete_project');
    if (!(await this.repo.deleteProject(id))) throw projectNotFound(id);
    await this.revocations.revoke({ projectId: id }, this.tokenTtl);
  }
}
