import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../errors/app-error.js';
import { renderGlanceError } from './glance/errors.js';
import { renderKeystoneError } from './identity/errors.js';
import { renderImsError } from './ims/errors.js';
import { renderOrgError } from './organizations/errors.js';

/** The wire dialect a path belongs to. */
export function dialectOf(url: string): 'keystone' | 'glance' | 'ims' | 'organizations' {
  if (url.startsWith('/v3')) return 'keystone';
  if (url.startsWith('/v1/organizations')) return 'organizations';
  if (url.startsWith('/v1/') || url.startsWith('/v2/cloudimages')) return 'ims';
  return url.startsWith('/v2') ? 'glance' : 'keystone';
}

/**
 * An error in the dialect of the request's path, for errors raised before any route scope is chosen
 * (the router's own: a bad percent-escape, an overlong path parameter).
 */
export function renderForPath(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  switch (dialectOf(request.url)) {
    case 'glance': return renderGlanceError(err, request, reply);
    case 'ims': return renderImsError(err, request, reply);
    case 'organizations': return renderOrgError(err, request, reply);
    default: return renderKeystoneError(err, reply);
  }
}
