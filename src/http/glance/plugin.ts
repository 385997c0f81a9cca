import type { FastifyRequest } from 'fastify';
import { AppError, forbidden, notFound } from '../../errors/app-error.js';
import { accessOf, allows, GLANCE_RULES } from '../../policy/roles.js';
import { authRequired } from '../authentication.js';
import { parseJson } from '../body-parsers.js';
import { renderError } from '../dialect.js';
import { appErrorOf } from '../errors.js';
import type { ScopeRoutes } from '../request-schemas.js';
import { rejectBody } from './body-reject.js';
import { glanceImageActionRoutes } from './image-actions.js';
import { glanceImageRoutes } from './images.js';
import { glanceMemberRoutes } from './members.js';
import { glanceSchemaRoutes } from './schemas.js';

/** Errors as Glance words them, where its wording differs from the shared one. */
function glanceError(error: unknown, request: FastifyRequest): AppError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new AppError('unsupported_media_type',
      `The request media type ${request.headers['content-type'] ?? 'None'} is not supported by this server.`);
  }
  const err = appErrorOf(error, request);
  if (err.code === 'method_not_allowed') {
    return new AppError(err.code, `The method ${request.method} is not allowed for this resource.`,
      { headers: err.headers ?? {} });
  }
  return err;
}

/** The image list: the one GET route of Glance's router without `body_reject`. */
const IMAGE_LIST = '/v2/images';

/** The Glance v2 scope (prefix /v2): token or AK/SK auth on every route, webob-style errors, Glance's body rules. */
export const glancePlugin: ScopeRoutes = async (app, { container, authenticator }) => {
  app.setErrorHandler((error, request, reply) => renderError(glanceError(error, request), request, reply, 'glance'));
  // Glance reads any request body as JSON, whatever its Content-Type says.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parseJson);
  const authUrl = () => `${container.urls.publicUrl}/v3`;
  authenticator.register(app, {
    refuse: () => authRequired(authUrl()),
    // What the caller's roles allow (reader reads, member writes), before anything else.
    authorize: (request) => {
      const rule = GLANCE_RULES[`${request.method} ${request.routeOptions.url}`];
      if (rule !== undefined && !allows(request.ctx, accessOf(request.method))) {
        throw forbidden(`You are not authorized to complete ${rule} action.`);
      }
    },
  });
  app.addHook('preParsing', async (request, reply, payload) =>
    ((request.method === 'GET' || request.method === 'DELETE') && request.routeOptions.url !== IMAGE_LIST
      ? rejectBody(request, reply, payload) : payload));
  app.setNotFoundHandler((request, reply) =>
    renderError(notFound('The resource could not be found.'), request, reply, 'glance'));

  await app.register(glanceImageRoutes, { container });
  await app.register(glanceImageActionRoutes, { container });
  await app.register(glanceMemberRoutes, { container });
  await app.register(glanceSchemaRoutes);
};
