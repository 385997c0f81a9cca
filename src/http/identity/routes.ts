import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authRequired } from '../authentication.js';
import { renderError } from '../dialect.js';
import { appErrorOf } from '../errors.js';
import { BODY_LIMITS } from '../body-limits.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures, NO_CALLER } from '../openapi.js';
import type { ScopeRoutes } from '../request-schemas.js';
import { AppError, notFound, tooManyRequests } from '../../errors/app-error.js';
import { listLinks, NO_CONTENT, projectBody, PROJECTS_RESPONSE } from './bodies.js';
import { domainRoutes } from './domains.js';
import { LoginThrottle } from './login-throttle.js';
import { projectRoutes } from './projects.js';
import { roleRoutes } from './roles.js';
import { SUBJECT_TOKEN_HEADERS, TOKEN_REQUEST, TOKEN_RESPONSE, VERSION_RESPONSE } from './schemas.js';
import { userRoutes } from './users.js';

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['keystone'], summary, ...extra });

/** Keystone v3 subset; registered with prefix /v3. */
export const identityRoutes: ScopeRoutes = async (app, { container, authenticator }) => {
  const { identity } = container;
  const base = () => container.urls.publicUrl;
  app.setErrorHandler((error, request, reply) => renderError(appErrorOf(error, request), request, reply, 'keystone'));
  app.setNotFoundHandler((request, reply) =>
    renderError(notFound('The resource could not be found.'), request, reply, 'keystone'));

  const versionDoc = () => ({
    version: {
      id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${base()}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    },
  });
  app.get('/', { schema: doc('The identity API version', { ...NO_CALLER, response: { 200: VERSION_RESPONSE } }) },
    async () => versionDoc());

  const throttle = new LoginThrottle(container.config.loginFailuresPerMinute);
  app.post('/auth/tokens', {
    bodyLimit: BODY_LIMITS.identity,
    schema: doc('Issue a token (password)', {
      ...NO_CALLER, body: TOKEN_REQUEST, response: { 201: TOKEN_RESPONSE, ...failures(400, 401, 429) },
    }),
  }, async (request, reply) => {
    const wait = throttle.waitMs(request.ip, Date.now());
    if (wait > 0) throw tooManyRequests('Too many failed logins from this address; try again later.', wait);
    let issued;
    try {
      issued = await identity.authenticate(request.body);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') throttle.failed(request.ip, Date.now());
      throw err;
    }
    return reply.status(201).header('X-Subject-Token', issued.token).send(issued.body);
  });
  rejectOtherMethods(app, '/auth/tokens', ['GET', 'POST', 'DELETE']);

  // What needs a caller: a token, or (as Huawei's SDKs look projects up) an AK/SK signature.
  await app.register(async (scope) => {
    const authed = scope.withTypeProvider<TypeBoxTypeProvider>();
    authenticator.register(authed, {
      refuse: () => authRequired(`${base()}/v3`),
      pathProject: (request) => (request.params as { id?: string }).id,
    });
    authed.get('/auth/tokens', {
      schema: doc('Validate a token (X-Subject-Token)', {
        headers: SUBJECT_TOKEN_HEADERS, response: { 200: TOKEN_RESPONSE, ...failures(404) },
      }),
    }, async (request, reply) => {
      const subject = request.headers['x-subject-token'];
      const body = await identity.describe(request.ctx, typeof subject === 'string' ? subject : '');
      return reply.header('X-Subject-Token', subject).send(body);
    });
    authed.delete('/auth/tokens', { schema: doc('Revoke the token in X-Subject-Token (admins, or its own user)', {
      response: { ...NO_CONTENT, ...failures(403, 404) } }) }, async (request, reply) => {
      const subject = request.headers['x-subject-token'];
      await identity.revokeToken(request.ctx, typeof subject === 'string' ? subject : '');
      return reply.status(204).send();
    });
    authed.get('/auth/projects', { schema: doc('List the projects the caller\'s user may scope a token to', {
      response: { 200: PROJECTS_RESPONSE } }) }, async (request) => ({
      projects: (await container.projects.forToken(request.ctx)).map((p) => projectBody(p, base())),
      links: listLinks(base(), 'auth/projects'),
    }));
    rejectOtherMethods(authed, '/auth/projects', ['GET']);
    await authed.register(domainRoutes, { container });
    await authed.register(projectRoutes, { container });
    await authed.register(userRoutes, { container });
    await authed.register(roleRoutes, { container });
  });
};
