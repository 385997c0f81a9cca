import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { AKSK_REASONS } from '../../auth/aksk.js';
import type { RequestContext } from '../../domain/context.js';
import { projectMismatch, roleInvalid } from '../../errors/catalogue.js';
import { MEMBER_RESPONSE, memberBodies, MEMBERS_RESPONSE } from '../glance/bodies.js';
import { memberPage, pageLimit } from '../member-paging.js';
import { accessOf, allows } from '../../policy/roles.js';
import type { JobView } from '../../services/job-service.js';
import { ApigwError } from '../aksk-auth.js';
import { appErrorOf } from '../errors.js';
import { BODY_LIMITS } from '../body-limits.js';
import { renderError } from '../dialect.js';
import { rejectOtherMethods } from '../method-guard.js';
import { failures } from '../openapi.js';
import { sendJson } from '../rendered.js';
import { singleQuery } from '../url-guard.js';
import { type ScopeRoutes, unparsed } from '../request-schemas.js';
import { PAIRS_BODY, parsePairsBody, parseUpdateBody, UPDATE_BODY } from './batch-input.js';
import { cloudImageRoutes } from './cloudimages.js';
import { kmsGrantRoutes } from './kms-grants.js';
import { renderUnknownApi } from './errors.js';
import { JOB_ID_RESPONSE, JOB_RESPONSE, JOBS_RESPONSE } from './schemas.js';
import {
  JOB_PARAMS, JOBS_QUERY, MEMBER_PARAMS, MEMBERS_PARAMS, MEMBERS_QUERY, PROJECT_JOB_PARAMS, PROJECT_PARAMS,
} from './params.js';

/** The ShowJob body of a large job, a page of results at a time: `entities.results` is the view's last member. */
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

const doc = <T extends object>(summary: string, extra: T) => ({ tags: ['ims'], summary, ...extra });

/** The batch member APIs: a body of at most BODY_LIMITS.batch bytes; the answer is the job's id. */
const batchRoute = (summary: string, body: TSchema) => ({
  bodyLimit: BODY_LIMITS.batch,
  schema: doc(summary, { body: unparsed(body), response: { 200: JOB_ID_RESPONSE, ...failures(400) } }),
});


/** The IMS extension (prefix-less: /v1/... and /v2/cloudimages): IMG errors, token or AK/SK auth. */
export const imsPlugin: ScopeRoutes = async (app, { container, authenticator }) => {
  const { batch, jobs, members } = container;
  const { memberJson, memberListJson } = memberBodies(container.caches);
  /** The job body; kept for finished jobs, which never change. */
  const jobJson = container.caches.rendered((job: JobView) => JSON.stringify(job));
  app.setErrorHandler((error, request, reply) => renderError(appErrorOf(error, request), request, reply, 'ims'));

  authenticator.register(app, {
    refuse: (why) => (why === 'missing' ? new ApigwError(AKSK_REASONS.missing)
      : new ApigwError('token expires or is invalid', 'token verification failed')),
    authorize: (request) => {
      if (!allows(request.ctx, accessOf(request.method))) {
        throw roleInvalid(`The role is invalid: ${accessOf(request.method) === 'read' ? 'reading needs the reader' : 'this '
          + 'operation needs the member'} role in the project.`);
      }
    },
    pathProject: (request) => (request.params as { project_id?: string }).project_id,
  });
  /** A `{project_id}` in the path must be the caller's (after the authentication's preValidation, and the body). */
  app.addHook<{ Params: { project_id?: string } }>('preValidation', async (request) => {
    const pathProject = request.params.project_id;
    if (pathProject !== undefined && pathProject !== request.ctx.projectId) throw projectMismatch();
  });

  await app.register(async (scope) => {
    const v1 = scope.withTypeProvider<TypeBoxTypeProvider>();
    v1.setNotFoundHandler((request, reply) => renderUnknownApi(request, reply));
    v1.post('/cloudimages/members', batchRoute('BatchAddMembers: share images with projects', PAIRS_BODY),
      async (request) => ({ job_id: await batch.add(request.ctx, parsePairsBody(request.body), request.id) }));
    v1.put('/cloudimages/members', batchRoute('BatchUpdateMembers: accept or reject shared images', UPDATE_BODY),
      async (request) => ({ job_id: await batch.update(request.ctx,
        parseUpdateBody(request.body, request.ctx), request.id) }));
    v1.delete('/cloudimages/members', batchRoute('BatchDeleteMembers: stop sharing images with projects', PAIRS_BODY),
      async (request) => ({ job_id: await batch.remove(request.ctx, parsePairsBody(request.body), request.id) }));
    rejectOtherMethods(v1, '/cloudimages/members', ['POST', 'PUT', 'DELETE']);

    const showJob = async (ctx: RequestContext, jobId: string, reply: FastifyReply) => {
      const body = await jobs.show(ctx, jobId);
      if ('view' in body) return sendJson(reply, jobJson(body.view));
      return reply.header('content-type', 'application/json; charset=utf-8').send(Readable.from(jobStream(body)));
    };
    v1.get('/:project_id/jobs/:job_id', {
      schema: doc('ShowJob: show a job',
        { params: PROJECT_JOB_PARAMS, response: { 200: JOB_RESPONSE, ...failures(400, 403, 404) } }),
    },
      (request, reply) => showJob(request.ctx, request.params.job_id, reply));
    v1.get('/cloudimages/job/:job_id', {
      schema: doc('ShowJobProgress: show a job',
        { params: JOB_PARAMS, response: { 200: JOB_RESPONSE, ...failures(403, 404) } }),
    },
      (request, reply) => showJob(request.ctx, request.params.job_id, reply));
    v1.get('/:project_id/jobs', {
      schema: doc('ListJobs (an ims addition): the project\'s jobs, newest first, with their progress',
        { params: PROJECT_PARAMS, querystring: JOBS_QUERY, response: { 200: JOBS_RESPONSE, ...failures(400, 403) } }),
    }, async (request) => {
      const limit = singleQuery(request, 'limit');
      const marker = singleQuery(request, 'marker');
      return { jobs: await jobs.list(request.ctx, limit === undefined ? 20 : pageLimit(limit, 100), marker) };
    });

    v1.get('/:project_id/cloudimages/:image_id/members', {
      schema: doc('ListImageMembers: list the members of an image, a page at a time',
        { params: MEMBERS_PARAMS, querystring: MEMBERS_QUERY, response: { 200: MEMBERS_RESPONSE, ...failures(400, 404) } }),
    }, async (request, reply) => {
      const { rows, more } = await memberPage(members, request, request.params.image_id, 500);
      return sendJson(reply, memberListJson(rows, more));
    });
    v1.get('/:project_id/cloudimages/:image_id/members/:member_id', {
      schema: doc('ShowImageMember: show a member of an image', {
        params: MEMBER_PARAMS, response: { 200: MEMBER_RESPONSE, ...failures(404) },
      }),
    }, async (request, reply) => {
      const { image_id: imageId, member_id: memberId } = request.params;
      return sendJson(reply, memberJson(await members.show(request.ctx, imageId, memberId)));
    });
    await v1.register(kmsGrantRoutes, { container });
  }, { prefix: '/v1' });
  await app.register(cloudImageRoutes, { container, prefix: '/v2/cloudimages' });
};
