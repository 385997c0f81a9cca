import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Container } from '../../container.js';
import { AppError, badRequest, forbidden, notFound } from '../../errors/app-error.js';
import { accessOf, allows, GLANCE_RULES } from '../../policy/roles.js';
import { tokenContext } from '../context.js';
import { appErrorOf } from '../errors.js';
import { hasBody, parseJson } from '../body-parsers.js';
import { renderGlanceError } from './errors.js';
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

/** The Glance v2 scope (prefix /v2): token auth on every route, webob-style errors, Glance's body rules. */
export async function glancePlugin(app: FastifyInstance, { container }: { container: Container }) {
  app.setErrorHandler((error, request, reply) => {
    const err = glanceError(error, request);
    return renderGlanceError(err, request, reply);
  });
  // Glance reads any request body as JSON, whatever its Content-Type says.
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
  const authUrl = () => `${container.urls.publicUrl}/v3`;
  // The caller, then what its roles allow (reader reads, member writes), before anything else.
  app.addHook('onRequest', async (request) => {
    await tokenContext(container.identity, request, authUrl);
    const rule = GLANCE_RULES[`${request.method} ${request.routeOptions.url}`];
    if (rule !== undefined && !allows(request.ctx, accessOf(request.method))) {
      throw forbidden(`You are not authorized to complete ${rule} action.`);
    }
  });
  // GET and DELETE routes are `body_reject=True` in Glance's router.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if ((request.method === 'GET' || request.method === 'DELETE') && hasBody(request)) {
      throw badRequest('A body is not expected with this request.');
    }
    return payload;
  });
  app.setNotFoundHandler((request, reply) =>
    renderGlanceError(notFound('The resource could not be found.'), request, reply));

  await app.register(glanceImageRoutes, { container });
  await app.register(glanceImageActionRoutes, { container });
  await app.register(glanceMemberRoutes, { container });
  await app.register(glanceSchemaRoutes);
}
