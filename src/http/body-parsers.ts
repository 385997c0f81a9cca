import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJsonBody } from './json-body.js';

export const JSON_PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
];

/** webob's `has_body`: a chunked body, or a positive Content-Length. */
export const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** A content-type parser (`parseAs: 'string'`) of JSON bodies as parseJsonBody reads them. */
export function parseJson(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonBody(body as string));
  } catch (err) {
    done(err as Error);
  }
}

/** JSON bodies as parseJsonBody reads them; refusals are a 400 in the caller's dialect. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', ...JSON_PATCH_TYPES], { parseAs: 'string' }, parseJson);
  // Image data is streamed by its route; the parser hands the raw request stream over.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
}
