import Fastify, {
  type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController,
} from 'fastify';
import swagger from '@fastify/swagger';
import type { Container } from './container.js';
import { notFound } from './errors/app-error.js';
import { Authenticator } from './http/authentication.js';
import { BODY_LIMITS } from './http/body-limits.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { consoleRoutes } from './http/console.js';
import { renderError } from './http/dialect.js';
import { appErrorOf } from './http/errors.js';
import { registerMetrics } from './http/metrics.js';
import { NO_CALLER, OPENAPI_OPTIONS } from './http/openapi.js';
import { isProbe } from './http/probes.js';
import { registerRateLimits } from './http/rate-limits.js';
import { requestIdOf } from './http/request-id.js';
import { registerRequestTimeouts } from './http/timeouts.js';
import { frameworkError, MAX_PARAM_LENGTH, registerUrlGuard } from './http/url-guard.js';
import { glancePlugin } from './http/glance/plugin.js';
import { healthRoutes } from './http/health.js';
import { iamPlugin } from './http/iam/plugin.js';
import { identityRoutes } from './http/identity/routes.js';
import { imsPlugin } from './http/ims/plugin.js';
import { organizationsPlugin } from './http/organizations/plugin.js';
import { versionRoutes } from './http/versions.js';

export interface AppOptions {
  /** pino options, or false for no logging (tests). */
  logger?: boolean | Record<string, unknown>;
  /** The process's logger (src/log.ts), instead. */
  loggerInstance?: FastifyBaseLogger;
}

/** One JSON log line per request, with its request id (pino's `reqId`); the probes' at debug. */
class RequestLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method, url: request.url, status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100, project: request.ctx?.projectId,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (isProbe(request)) reply.log.debug(line, 'request');
    else reply.log.info(line, 'request');
  }
}

/** One Fastify instance speaking every dialect on one port. */
export async function buildApp(container: Container, options: AppOptions = {}): Promise<FastifyInstance> {
  const { requestTimeoutMs } = container.config;
  const app = Fastify({
    // Headers must arrive within the request timeout (checked every second); bodies: registerRequestTimeouts.
    http: { headersTimeout: requestTimeoutMs, requestTimeout: 0, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) },
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    logController: new RequestLog(),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMITS.default,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkError,
    forceCloseConnections: 'idle',
  });
  registerBodyParsers(app);
  // Request schemas (TypeBox) describe the routes in /openapi.json and type their path parameters (always
  // strings); none is compiled: each dialect checks bodies and query strings in code, in its own order and
  // with its own messages, which ajv's would not match.
  app.setValidatorCompiler(() => () => true);
  // Response schemas only document (http/openapi.ts): answers are serialized as without one.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Outside the dialect scopes (/healthz, /readyz, /versions, unknown paths): errors in the path's dialect (a
  // signed caller's in IMS's), never Fastify's own body (which quotes the whole URL of a 404).
  app.setErrorHandler((error, request, reply) => renderError(appErrorOf(error, request), request, reply));
  app.setNotFoundHandler((request, reply) => renderError(notFound('The resource could not be found.'), request, reply));
  // First, so that every answer carries it, refusals of the hooks below included.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    reply.header('x-openstack-request-id', request.id);
  });
  registerRequestTimeouts(app, requestTimeoutMs);
  registerUrlGuard(app);
  await registerRateLimits(app, { perSource: container.config.rateLimitPerSource,
    perProject: container.config.rateLimitPerProject });

  // Once shutting down, each answer ends its connection, so the close does not wait on idle keep-alives.
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  // A 204 carries no body and no content type, whatever the handler produced.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('Connection', 'close');
    if (reply.statusCode === 204) {
      reply.removeHeader('content-type');
      return '';
    }
    return payload;
  });

  await app.register(swagger, OPENAPI_OPTIONS);
  registerMetrics(app, container.metrics);
  await app.register(healthRoutes, { container });
  await app.register(versionRoutes, { container });
  const authenticator = new Authenticator(container);
  await app.register(identityRoutes, { container, authenticator, prefix: '/v3' });
  await app.register(glancePlugin, { container, authenticator, prefix: '/v2' });
  await app.register(imsPlugin, { container, authenticator });
  await app.register(organizationsPlugin, { container, authenticator, prefix: '/v1/organizations' });
  await app.register(consoleRoutes);
  await app.register(iamPlugin, { container, authenticator, prefix: '/v3.0/OS-CREDENTIAL/credentials' });
  app.get('/openapi.json', { schema: { summary: 'This document', ...NO_CALLER,
    response: { 200: { type: 'object', additionalProperties: true } } } }, async () => app.swagger());
  return app;
}
