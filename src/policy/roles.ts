import type { RequestContext } from '../domain/context.js';

/** What a request does to the cloud's state. */
export type Access = 'read' | 'write';

/**
 * What the roles let a caller do, as Glance's secure-RBAC defaults and IMS's IAM actions have it, for tokens
 * and AK/SK alike: `reader` reads; `member` also creates, changes, shares and accepts; `admin` is the cloud
 * admin (and may do both).
 */
export function allows(ctx: Pick<RequestContext, 'roles' | 'isAdmin'>, access: Access): boolean {
  if (ctx.isAdmin || ctx.roles.includes('member')) return true;
  return access === 'read' && ctx.roles.includes('reader');
}

/** A method's access: reads are GET and HEAD. */
export const accessOf = (method: string): Access => (method === 'GET' || method === 'HEAD' ? 'read' : 'write');

/** Glance's policy rule of each route ims serves under /v2 (its name is what Glance's 403 says). */
export const GLANCE_RULES: Record<string, string> = {
  'POST /v2/images': 'add_image',
  'GET /v2/images': 'get_images',
  'GET /v2/images/:id': 'get_image',
  'PATCH /v2/images/:id': 'modify_image',
  'DELETE /v2/images/:id': 'delete_image',
  'PUT /v2/images/:id/file': 'upload_image',
  'GET /v2/images/:id/file': 'download_image',
  'PUT /v2/images/:id/tags/*': 'modify_image',
  'DELETE /v2/images/:id/tags/*': 'modify_image',
  'POST /v2/images/:id/actions/deactivate': 'deactivate',
  'POST /v2/images/:id/actions/reactivate': 'reactivate',
  'POST /v2/images/:id/members': 'add_member',
  'GET /v2/images/:id/members': 'get_members',
  'GET /v2/images/:id/members/:member': 'get_member',
  'PUT /v2/images/:id/members/:member': 'modify_member',
  'DELETE /v2/images/:id/members/:member': 'delete_member',
};
