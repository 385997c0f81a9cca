import type { FastifyRequest } from 'fastify';
import { iamUnauthenticated } from '../../errors/iam.js';
import { appErrorOf } from '../errors.js';
import { renderError } from '../dialect.js';
import { rejectOtherMethods } from '../method-guard.js';
import type { ScopeRoutes } from '../request-schemas.js';
import { singleQuery } from '../url-guard.js';
import {
  ACCESS_PARAMS, CREATE_BODY, CREATED, DELETED, LIST_QUERY, LISTED, SHOWN, UPDATE_BODY, UPDATED,
} from './schemas.js';

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['iam'], summary, ...extra });

/**
 * Huawei IAM's permanent access keys, `/v3.0/OS-CREDENTIAL/credentials` (docs/iam.md), with a token or an AK/SK
 * signature; a signed caller may name its account with X-Domain-Id, as Huawei's IAM SDK does (GlobalCredentials).
 */
export const iamPlugin: ScopeRoutes = async (app, { container, authenticator }) => {
  const keys = container.accessKeys;
  app.setErrorHandler((error, request, reply) => renderError(appErrorOf(error, request), request, reply, 'iam'));
  authenticator.register(app, { refuse: () => iamUnauthenticated(), domainScoped: true });

  app.post('', { schema: doc('CreatePermanentAccessKey: the secret is shown this once', {
    body: CREATE_BODY, response: CREATED,
  }) }, async (request, reply) => reply.status(201).send({ credential: await keys.create(request.ctx, request.body) }));
  app.get('', { schema: doc('ListPermanentAccessKeys', { querystring: LIST_QUERY, response: LISTED }) },
    async (request: FastifyRequest) =>
      ({ credentials: await keys.list(request.ctx, singleQuery(request, 'user_id')) }));
  rejectOtherMethods(app, '', ['GET', 'POST']);

  const one = '/:access_key';
  app.get(one, { schema: doc('ShowPermanentAccessKey', { params: ACCESS_PARAMS, response: SHOWN }) },
    async (request) => ({ credential: await keys.show(request.ctx, request.params.access_key) }));
  app.put(one, { schema: doc('UpdatePermanentAccessKey: its status and description', {
    params: ACCESS_PARAMS, body: UPDATE_BODY, response: UPDATED,
  }) }, async (request) => ({ credential: await keys.update(request.ctx, request.params.access_key, request.body) }));
  app.delete(one, { schema: doc('DeletePermanentAccessKey', { params: ACCESS_PARAMS, response: DELETED }) },
    async (request, reply) => {
      await keys.remove(request.ctx, request.params.access_key);
      return reply.status(204).send();
    });
  rejectOtherMethods(app, one, ['GET', 'PUT', 'DELETE']);
};
