import { hashPassword } from '../auth/password.js';
import { type Clock, hexId, isoNow } from '../domain/clock.js';
import { clip } from '../domain/clip.js';
import type { RequestContext } from '../domain/context.js';
import { isUniqueViolation } from '../db/errors.js';
import { badRequest, conflict, notFound } from '../errors/app-error.js';
import { requireAdmin, requireAdminOrSelf } from '../policy/identity.js';
import type { IdentityRepo, ListFilter, UserPatch, UserRow } from '../repos/identity-repo.js';
import { projectNotFound } from './project-service.js';
import type { Revocations } from './revocation-service.js';

/** Keystone's default `[identity] max_password_length`. */
export const MAX_PASSWORD_LENGTH = 4096;

/** The stored hash of a user created without a password: no password matches it (not an scrypt hash). */
const NO_PASSWORD = '!';

/** A new user as `POST /v3/users` gives it. */
export interface UserInput {
  name: string;
  domainId: string;
  password: string | null;
  defaultProjectId: string | null;
  enabled: boolean;
  description: string | null;
  email: string | null;
}

/** What `PATCH /v3/users/{id}` may change (null clears an optional field). */
export interface UserChange {
  name?: string;
  password?: string | null;
  defaultProjectId?: string | null;
  enabled?: boolean;
  description?: string | null;
  email?: string | null;
  /** Given only to be refused when it differs. */
  domainId?: string;
}

export const userNotFound = (id: string) => notFound(`Could not find user: ${clip(id)}.`);

const duplicate = (name: string, domainId: string) => conflict(
  `Conflict occurred attempting to store user - Duplicate entry found with name ${clip(name)} at domain ID ${domainId}.`);

/**
 * Keystone users with Keystone's default policy: admins create, list, change and delete them; a user reads
 * itself. A new password, disabling and deleting revoke the user's tokens; deleting takes its role assignments
 * and access keys.
 */
export class UserService {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly revocations: Revocations,
    private readonly clock: Clock,
    private readonly tokenTtl: number,
  ) {}

  async get(ctx: RequestContext, id: string): Promise<UserRow> {
    requireAdminOrSelf(ctx, id, 'get_user');
    const user = await this.repo.userById(id);
    if (!user) throw userNotFound(id);
    return user;
  }

  async list(ctx: RequestContext, filter: ListFilter): Promise<UserRow[]> {
    requireAdmin(ctx, 'list_users');
    return this.repo.listUsers(filter);
  }

  async create(ctx: RequestContext, input: UserInput): Promise<UserRow> {
    requireAdmin(ctx, 'create_user');
    if (!(await this.repo.domainById(input.domainId))) throw notFound(`Could not find domain: ${clip(input.domainId)}.`);
    if (input.defaultProjectId !== null) await this.checkProject(input.defaultProjectId);
    const row: UserRow = {
      id: hexId(), name: input.name, domain_id: input.domainId, password_hash: await this.hash(input.password),
      default_project_id: input.defaultProjectId, created_at: isoNow(this.clock), failed_auth_count: 0,
      failed_auth_at: null, enabled: input.enabled ? 1 : 0, description: input.description, email: input.email,
    };
    if (!(await this.repo.insertUser(row))) throw duplicate(input.name, input.domainId);
    return row;
  }

  async update(ctx: RequestContext, id: string, change: UserChange): Promise<UserRow> {
    requireAdmin(ctx, 'update_user');
    const user = await this.repo.userById(id);
    if (!user) throw userNotFound(id);
    if (change.domainId !== undefined && change.domainId !== user.domain_id) {
      throw badRequest('Update of `domain_id` is not allowed.');
    }
    if (change.defaultProjectId) await this.checkProject(change.defaultProjectId);
    const patch: UserPatch = {
      ...(change.name === undefined ? {} : { name: change.name }),
      ...(change.password === undefined ? {} : { password_hash: await this.hash(change.password), failed_auth_count: 0,
        failed_auth_at: null }),
      ...(change.defaultProjectId === undefined ? {} : { default_project_id: change.defaultProjectId }),
      ...(change.enabled === undefined ? {} : { enabled: change.enabled ? 1 : 0 }),
      ...(change.description === undefined ? {} : { description: change.description }),
      ...(change.email === undefined ? {} : { email: change.email }),
    };
    if (Object.keys(patch).length > 0) {
      try {
        if (!(await this.repo.updateUser(id, patch))) throw userNotFound(id);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(change.name ?? user.name, user.domain_id);
        throw err;
      }
    }
    if (change.password !== undefined || (change.enabled === false && user.enabled === 1)) {
      await this.revocations.revoke({ userId: id }, this.tokenTtl);
    }
    return (await this.repo.userById(id)) ?? user;
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx, 'delete_user');
    if (!(await this.repo.deleteUser(id))) throw userNotFound(id);
    await this.revocations.revoke({ userId: id }, this.tokenTtl);
  }

  private async checkProject(id: string): Promise<void> {
    if (!(await this.repo.projectById(id))) throw projectNotFound(id);
  }

  private async hash(password: string | null): Promise<string> {
    if (password === null) return NO_PASSWORD;
    if (password.length > MAX_PASSWORD_LENGTH) {
      throw badRequest(`Invalid input for field 'password': longer than ${MAX_PASSWORD_LENGTH} characters.`);
    }
    return hashPassword(password);
  }
}
