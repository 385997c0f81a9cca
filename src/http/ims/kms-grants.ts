import type { FastifyInstance } from 'fastify';
import type { Container } from '../../container.js';
import { wireTime } from '../../domain/clock.js';
import { rejectOtherMethods } from '../method-guard.js';
import { singleQuery } from '../url-guard.js';

type GrantParams = { key_id: string; project: string };

/**
 * Operator API for KMS key grants (admins only): an encrypted image (`__system__cmkid`) can be shared only
 * with projects its key was granted to. Registered under /v1 in the IMS scope.
 */
export async function kmsGrantRoutes(app: FastifyInstance, { container }: { container: Container }) {
  const { members } = container;
  app.get('/kms-grants', async (request) => {
    const rows = await members.listGrants(request.ctx, singleQuery(request, 'key_id'));
    return { grants: rows.map((g) => ({ key_id: g.key_id, project_id: g.project_id, created_at: wireTime(g.created_at) })) };
  });
  rejectOtherMethods(app, '/kms-grants', ['GET']);
  app.put('/kms-grants/:key_id/projects/:project', async (request, reply) => {
    const p = request.params as GrantParams;
    await members.grantKey(request.ctx, p.key_id, p.project);
    return reply.status(204).send();
  });
  app.delete('/kms-grants/:key_id/projects/:project', async (request, reply) => {
    const p = request.params as GrantParams;
    await members.revokeKey(request.ctx, p.key_id, p.project);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/kms-grants/:key_id/projects/:project', ['PUT', 'DELETE']);
}
