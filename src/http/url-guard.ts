import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { hasControl } from '../domain/control.js';
import { renderError } from './dialect.js';

/** Longest path parameter routed; past it the router answers 414 (an id, a name or a tag is far shorter). */
export const MAX_PARAM_LENGTH = 1024;

/** Any route's path parameters and query string, as the router and Fastify's query parser give them. */
type AnyUrl = { Params: Record<string, string>; Querystring: Record<string, string | string[]> };

function badUrl(request: FastifyRequest<AnyUrl>): AppError | undefined {
  for (const value of Object.values(request.params)) {
    if (hasControl(value)) return new AppError('bad_request', 'The URL path contains a control character.');
  }
  const query = request.query;
  for (const key in query) {
    const value = query[key]!;
    if (key.includes('\u0000') || (Array.isArray(value) ? value.some((v) => v.includes('\u0000')) : value.includes('\u0000'))) {
      return new AppError('bad_request', 'The query string contains a NUL character.');
    }
  }
  return undefined;
}

/**
 * A query parameter a route reads as one value: absent, or a string. Given more than once it is a 400 in the
 * route's dialect (Fastify's parser makes repeated keys an array, which no such route can use).
 */
export function singleQuery(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(value)) throw new AppError('bad_request', `The query parameter ${name} may be given only once.`);
  return value;
}

/**
 * What no route accepts, refused before any route runs, in the dialect of the path: control characters in
 * path parameters, NUL characters in the query string (PostgreSQL's text cannot hold them; refused alike on
 * SQLite), and the router's own errors (a bad percent-escape: 400; a path parameter over MAX_PARAM_LENGTH: 414).
 */
export function registerUrlGuard(app: FastifyInstance): void {
  app.addHook<AnyUrl>('onRequest', (request, _reply, done) => done(badUrl(request)));
}

/** Fastify's `frameworkErrors`: the router's errors as AppErrors, in the dialect of the path (or the caller's). */
export function frameworkError(error: Error & { code?: string }, request: FastifyRequest, reply: Parameters<typeof renderError>[2]) {
  const err = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new AppError('uri_too_long', `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`)
    : new AppError('bad_request', 'The URL is not valid: it has a malformed percent-escape.');
  return renderError(err, request, reply);
}
