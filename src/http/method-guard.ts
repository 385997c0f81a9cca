import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Answers every method not routed on `url` with 405 and an `Allow` header, in the scope's own dialect. */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: readonly string[]): void {
  const others = METHODS.filter((m) => !allowed.includes(m));
  if (others.length === 0) return;
  const allow = allowed.join(', ');
  app.route({
    method: others,
    url,
    schema: { hide: true },
    handler: async () => {
      throw new AppError('method_not_allowed', 'The method is not allowed for the requested URL.', {
        headers: { Allow: allow },
      });
    },
  });
}
