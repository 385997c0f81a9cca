import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/context.js';
import { AppError } from '../errors/app-error.js';
import type { IdentityService } from '../services/identity-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/** 401 for a missing or invalid token; carries the Keystone hint clients follow. */
export function authRequired(authUrl: string): AppError {
  return new AppError('unauthorized', 'The request you have made requires authentication.', {
    headers: { 'WWW-Authenticate': `Keystone uri="${authUrl}"` },
  });
}

/** Builds request.ctx from X-Auth-Token, without a database round trip (but for keys rotated elsewhere). */
export async function tokenContext(identity: IdentityService, request: FastifyRequest, authUrl: () => string): Promise<void> {
  const token = request.headers['x-auth-token'];
  const ctx = typeof token === 'string' && token !== ''
    ? identity.verify(token) ?? await identity.verifyWithReload(token) : undefined;
  if (!ctx) throw authRequired(authUrl());
  request.ctx = ctx;
}
