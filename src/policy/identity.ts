import type { RequestContext } from '../domain/context.js';
import { forbidden } from '../errors/app-error.js';

/** Keystone's 403: the policy rule (`create_project`, ...) that refused the caller. */
export const identityDenied = (rule: string) =>
  forbidden(`You are not authorized to perform the requested action: identity:${rule}.`);

/** Keystone's default policy for identity writes and lists: admins only. */
export function requireAdmin(ctx: Pick<RequestContext, 'isAdmin'>, rule: string): void {
  if (!ctx.isAdmin) throw identityDenied(rule);
}

/** Keystone's rules that let a user act on itself (`get_user`, `list_user_projects`, `revoke_token`): or admins. */
export function requireAdminOrSelf(ctx: Pick<RequestContext, 'isAdmin' | 'userId'>, userId: string, rule: string): void {
  if (!ctx.isAdmin && ctx.userId !== userId) throw identityDenied(rule);
}
