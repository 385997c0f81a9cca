import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../domain/context.js';
import { projectMismatch, roleInvalid } from '../../errors/catalogue.js';
import { memberBodies } from '../glance/bodies.js';
import { memberPage } from '../member-paging.js';
import { accessOf, allows } from '../../policy/roles.js';
import type { JobView } from '../../services/job-service.js';
import { appErrorOf } from '../errors.js';
import { BODY_LIMITS } from '../body-limits.js';
import { rejectOtherMethods } from '../method-guard.js';
import { sendJson } from '../rendered.js';
import { type Routes, unparsed } from '../request-schemas.js';
import { PAIRS_BODY, parsePairsBody, parseUpdateBody, UPDATE_BODY } from './batch-input.js';
import { cloudImageRoutes } from './cloudimages.js';
import { kmsGrantRoutes } from './kms-grants.js';
import { akskContext, akskDeps, akskPrecheck, ApigwError, parseRawJsonBody, registerRawJsonBody } from './aksk-auth.js';
import { renderImsError, renderUnknownApi } from './errors.js';
import { JOB_PARAMS, MEMBER_PARAMS, MEMBERS_PARAMS, MEMBERS_QUERY, PROJECT_JOB_PARAMS } from './params.js';

/** The E13 body of a large job, a page of results at a time: `entities.results` is the view's last member. */
async function* jobStream(body: { head: JobView; pages: () => AsyncGenerator<JobView['entities']['results']> })
  : AsyncGenerator<string> {
  const head = JSON.stringify(body.head);
  yield head.slice(0, -']}}'.length);
  let first = true;
  for await (const page of body.pages()) {
    const json = JSON.stringify(page).slice(1, -1);
    yield first ? json : `,${json}`;
    first = false;
  }
  yield ']}}';
}

const JOB_ID_SCHEMA = { type: 'object', properties: { job_id: { type: 'string' } } } as const;

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['ims'], summary, ...extra });

/** E1-E3: a body of at most BODY_LIMITS.batch bytes; the answer is the job's id. */
const batchRoute = (summary: string, body: TSchema) => ({
  bodyLimit: BODY_LIMITS.batch, schema: doc(summary, { body: unparsed(body), response: { 200: JOB_ID_SCHEMA } }),
});


/** The IMS extension (prefix-less: /v1/... and /v2/cloudimages): IMG errors, token or AK/SK auth. */
export const imsPlugin: Routes = async (app, { container }) => {
  const { batch, jobs, members } = container;
  const { memberJson, memberListJson } = memberBodies(container.caches);
  const deps = akskDeps(container);
  /** The E13 job body; kept for finished jobs, which never change. */
  const jobJson = container.caches.rendered((job: JobView) => JSON.stringify(job));
  registerRawJsonBody(app);
  app.setErrorHandler((error, request, reply) => {
    const err = appErrorOf(error, request);
    if (error instanceof ApigwError && error.detail) request.log.info({ detail: error.detail }, 'authentication failed');
    return renderImsError(err, request, reply);
  });

  /**
   * Authentication comes before the body is read: an X-Auth-Token is verified here; an SDK-HMAC-SHA256
   * signature's headers and access key are checked here, and the signature (which covers the body) once
   * the raw body is in, before it is parsed (preHandler).
   */
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const token = request.headers['x-auth-token'];
    if (typeof token === 'string' && token !== '') {
      const ctx = container.identity.verify(token) ?? await container.identity.verifyWithReload(token);
      if (!ctx) throw new ApigwError('token expires or is invalid', 'token verification failed');
      request.ctx = ctx;
    } else if (request.headers.authorization) {
      await akskPrecheck(request.headers, deps);
    } else {
      throw new ApigwError('x-auth-token not found');
    }
  });

  /** The signature, then the JSON body; a `{project_id}` in the path must be the caller's. */
  // preValidation: the caller is known before any preHandler (the per-project rate limit's).
  app.addHook<{ Params: { project_id?: string } }>('preValidation', async (request) => {
    const pathProject = request.params.project_id;
    if (request.ctx === undefined) request.ctx = await akskContext(request, deps, { pathProjectId: pathProject });
    if (!allows(request.ctx, accessOf(request.method))) {
      throw roleInvalid(`The role is invalid: ${accessOf(request.method) === 'read' ? 'reading needs the reader' : 'this '
        + 'operation needs the member'} role in the project.`);
    }
    request.body = parseRawJsonBody(request.rawBody);
    if (pathProject !== undefined && pathProject !== request.ctx.projectId) {
      throw projectMismatch();
    }
  });

  await app.register(async (scope) => {
    const v1 = scope.withTypeProvider<TypeBoxTypeProvider>();
    v1.setNotFoundHandler((request, reply) => renderUnknownApi(request, reply));
    v1.post('/cloudimages/members', batchRoute('E1: share images with projects', PAIRS_BODY),
      async (request) => ({ job_id: await batch.add(request.ctx, parsePairsBody(request.body)) }));
    v1.put('/cloudimages/members', batchRoute('E2: accept or reject images shared with the project', UPDATE_BODY),
      async (request) => ({ job_id: await batch.update(request.ctx, parseUpdateBody(request.body, request.ctx)) }));
    v1.delete('/cloudimages/members', batchRoute('E3: stop sharing images with projects', PAIRS_BODY),
      async (request) => ({ job_id: await batch.remove(request.ctx, parsePairsBody(request.body)) }));
    rejectOtherMethods(v1, '/cloudimages/members', ['POST', 'PUT', 'DELETE']);

    const showJob = async (ctx: RequestContext, jobId: string, reply: FastifyReply) => {
      const body = await jobs.show(ctx, jobId);
      if ('view' in body) return sendJson(reply, jobJson(body.view));
      return reply.header('content-type', 'application/json; charset=utf-8').send(Readable.from(jobStream(body)));
    };
    v1.get('/:project_id/jobs/:job_id', { schema: doc('E13: show a job', { params: PROJECT_JOB_PARAMS }) },
      (request, reply) => showJob(request.ctx, request.params.job_id, reply));
    v1.get('/cloudimages/job/:job_id', { schema: doc('E13: show a job', { params: JOB_PARAMS }) },
      (request, reply) => showJob(request.ctx, request.params.job_id, reply));

    v1.get('/:project_id/cloudimages/:image_id/members', {
      schema: doc('E4: list the members of an image, a page at a time',
        { params: MEMBERS_PARAMS, querystring: MEMBERS_QUERY }),
    }, async (request, reply) => {
      const { rows, more } = await memberPage(members, request, request.params.image_id, 500);
      return sendJson(reply, memberListJson(rows, more));
    });
    v1.get('/:project_id/cloudimages/:image_id/members/:member_id', {
      schema: doc('E5: show a member of an image', { params: MEMBER_PARAMS }),
    }, async (request, reply) => {
      const { image_id: imageId, member_id: memberId } = request.params;
      return sendJson(reply, memberJson(await members.show(request.ctx, imageId, memberId)));
    });
    await v1.register(kmsGrantRoutes, { container });
  }, { prefix: '/v1' });
  await app.register(cloudImageRoutes, { container, prefix: '/v2/cloudimages' });
};
