import { Type } from '@sinclair/typebox';
import { wireTime } from '../../domain/clock.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import { GRANTS_RESPONSE } from './schemas.js';

const GRANTS_QUERY = unparsed(Type.Object({ key_id: Type.Optional(Type.String({ description: 'Only this key\'s grants' })) }));

/** The ids are checked by the member service, after the caller is found to be an admin. */
const GRANT_PARAMS = Type.Object({
  key_id: Type.String({ description: 'KMS key id: 1 to 255 letters, digits and _ : . / -' }),
  project: Type.String({ description: 'Project id (32 lowercase hex digits)' }),
});

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['ims'], summary, ...extra });

/**
 * Operator API for KMS key grants (admins only): an encrypted image (`__system__cmkid`) can be shared only
 * with projects its key was granted to. Registered under /v1 in the IMS scope.
 */
export const kmsGrantRoutes: Routes = async (app, { container }) => {
  const { members } = container;
  app.get('/kms-grants', {
    schema: doc('List KMS key grants', { querystring: GRANTS_QUERY, response: { 200: GRANTS_RESPONSE } }),
  }, async (request) => {
    const rows = await members.listGrants(request.ctx, singleQuery(request, 'key_id'));
    return { grants: rows.map((g) => ({ key_id: g.key_id, project_id: g.project_id, created_at: wireTime(g.created_at) })) };
  });
  rejectOtherMethods(app, '/kms-grants', ['GET']);
  app.put('/kms-grants/:key_id/projects/:project', {
    schema: doc('Grant a KMS key to a project', {
      params: GRANT_PARAMS, response: { 204: { type: 'null' }, ...failures(400, 403) },
    }),
  }, async (request, reply) => {
    await members.grantKey(request.ctx, request.params.key_id, request.params.project);
    return reply.status(204).send();
  });
  app.delete('/kms-grants/:key_id/projects/:project', {
    schema: doc('Revoke a KMS key grant', { params: GRANT_PARAMS, response: { 204: { type: 'null' }, ...failures(404) } }),
  }, async (request, reply) => {
    await members.revokeKey(request.ctx, request.params.key_id, request.params.project);
    return reply.status(204).send();
  });
  rejectOtherMethods(app, '/kms-grants/:key_id/projects/:project', ['PUT', 'DELETE']);
};
