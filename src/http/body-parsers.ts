import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSigned } from './aksk-auth.js';
import { parseJsonBody } from './json-body.js';

export const JSON_PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
];

/** webob's `has_body`: a chunked body, or a positive Content-Length. */
export const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * A content-type parser (`parseAs: 'buffer'`) of JSON bodies as parseJsonBody reads them. A signed caller's body
 * is kept as its bytes (`request.rawBody`), unparsed: its signature covers them, and it is parsed only once that
 * is verified (http/authentication.ts).
 */
export function parseJson(request: FastifyRequest, body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void): void {
  if (isSigned(request)) {
    request.rawBody = body as Buffer;
    done(null, undefined);
    return;
  }
  try {
    done(null, parseJsonBody(body.toString('utf8')));
  } catch (err) {
    done(err as Error);
  }
}

/** JSON bodies as parseJson reads them; refusals are a 400 in the caller's dialect. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', ...JSON_PATCH_TYPES], { parseAs: 'buffer' }, parseJson);
  // Image data is streamed by its route; the parser hands the raw request stream over.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
}
