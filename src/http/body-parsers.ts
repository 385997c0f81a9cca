import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

export const JSON_PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
];

/**
 * JSON bodies: an empty body is "no body" (clients send Content-Type: application/json on GET and DELETE),
 * and malformed JSON is a 400 in the caller's dialect.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseJson = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch {
      done(new AppError('bad_request', 'Malformed JSON in request body.'));
    }
  };
  app.addContentTypeParser(['application/json', ...JSON_PATCH_TYPES], { parseAs: 'string' }, parseJson);
  // Image data is streamed by its route; the parser hands the raw request stream over.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
}
