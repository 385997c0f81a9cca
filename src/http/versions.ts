import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { NO_CALLER } from './openapi.js';

const VERSIONS: [string, string][] = [
  ['v2.15', 'CURRENT'], ['v2.9', 'SUPPORTED'], ['v2.7', 'SUPPORTED'], ['v2.6', 'SUPPORTED'], ['v2.5', 'SUPPORTED'],
  ['v2.4', 'SUPPORTED'], ['v2.3', 'SUPPORTED'], ['v2.2', 'SUPPORTED'], ['v2.1', 'SUPPORTED'], ['v2.0', 'SUPPORTED'],
];

const VERSIONS_BODY = {
  type: 'object',
  properties: {
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, status: { type: 'string', enum: ['CURRENT', 'SUPPORTED'] },
          links: { type: 'array', items: { type: 'object', properties: { rel: { type: 'string' }, href: { type: 'string' } } } },
        },
      },
    },
  },
};

/** Image API version discovery: `GET /` (300) and `GET /versions` (200), no token needed. */
export async function versionRoutes(app: FastifyInstance, { container }: { container: Container }) {
  const doc = () => {
    const href = `${container.urls.publicUrl}/v2/`;
    return { versions: VERSIONS.map(([id, status]) => ({ id, status, links: [{ rel: 'self', href }] })) };
  };
  app.get('/', { schema: { summary: 'Image API versions (Multiple Choices)', ...NO_CALLER, response: { 300: VERSIONS_BODY } } },
    async (_req, reply) => reply.status(300).send(doc()));
  app.get('/versions', { schema: { summary: 'Image API versions', ...NO_CALLER, response: { 200: VERSIONS_BODY } } },
    async () => doc());
}
