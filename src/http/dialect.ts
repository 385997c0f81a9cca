import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../errors/app-error.js';
import { isSigned } from './aksk-auth.js';
import { renderGlanceError } from './glance/errors.js';
import { renderIamError } from './iam/errors.js';
import { renderKeystoneError } from './identity/errors.js';
import { renderImsError } from './ims/errors.js';
import { renderOrgError } from './organizations/errors.js';

export const DIALECTS = ['keystone', 'glance', 'ims', 'organizations', 'iam'] as const;
export type Dialect = typeof DIALECTS[number];

/** The wire dialect a path belongs to. */
export function dialectOf(url: string): Dialect {
  if (url.startsWith('/v3.0/')) return 'iam';
  if (url.startsWith('/v3')) return 'keystone';
  if (url.startsWith('/v1/organizations')) return 'organizations';
  if (url.startsWith('/v1/') || url.startsWith('/v2/cloudimages')) return 'ims';
  return url.startsWith('/v2') ? 'glance' : 'keystone';
}

/**
 * An error in the caller's dialect, the one place it is chosen. A Huawei-SDK caller (it signs with
 * `SDK-HMAC-SHA256`) gets the IMS body on every path, which its SDK reads (`error.code`/`error.message`, or the
 * gateway's `error_code`/`error_msg`: docs/compatibility.md) on every path but the Organizations and IAM APIs',
 * whose bodies it reads as they are; any other caller the dialect of the path, `path`
 * (by default the one its URL belongs to, for errors raised before a scope is chosen).
 */
export function renderError(err: AppError, request: FastifyRequest, reply: FastifyReply,
  path: Dialect = dialectOf(request.url)) {
  // The Organizations and IAM APIs' own bodies (`error_code`/`error_msg`) are ones Huawei's SDK reads already.
  switch (isSigned(request) && path !== 'organizations' && path !== 'iam' ? 'ims' : path) {
    case 'glance': return renderGlanceError(err, request, reply);
    case 'ims': return renderImsError(err, request, reply);
    case 'organizations': return renderOrgError(err, request, reply);
    case 'iam': return renderIamError(err, request, reply);
    default: return renderKeystoneError(err, reply);
  }
}
