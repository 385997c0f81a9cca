import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../container.js';
import { imsMemberBody } from '../../domain/member.js';
import { invalidRequest, projectMismatch, roleInvalid } from '../../errors/catalogue.js';
import { accessOf, allows } from '../../policy/roles.js';
import type { JobView } from '../../services/job-service.js';
import { appErrorOf } from '../errors.js';
import { BODY_LIMITS } from '../body-limits.js';
import { rejectOtherMethods } from '../method-guard.js';
import { singleQuery } from '../url-guard.js';
import { rendered, sendJson } from '../rendered.js';
import { cloudImageRoutes } from './cloudimages.js';
import { kmsGrantRoutes } from './kms-grants.js';
import { akskContext, akskDeps, akskPrecheck, ApigwError, parseRawJsonBody, registerRawJsonBody } from './aksk-auth.js';
import { renderImsError, renderUnknownApi } from './errors.js';

type ProjectParams = { project_id?: string };

/** The E13 job body; kept for finished jobs, which never change. */
const jobJson = rendered((job: JobView) => JSON.stringify(job));

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

function decodeMarker(marker: string): string {
  const decoded = Buffer.from(marker, 'base64').toString('utf8');
  if (!marker || Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') !== marker.replace(/=+$/, '')) {
    throw invalidRequest('The marker is invalid: it must be base64-encoded.');
  }
  return decoded;
}

function limitParam(raw: string | undefined): number {
  if (raw === undefined) return 500;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 1000)) throw invalidRequest('The limit must be an integer from 1 to 1000.');
  return n;
}

/** The IMS extension (prefix-less: /v1/... and /v2/cloudimages): IMG errors, token or AK/SK auth. */
export async function imsPlugin(app: FastifyInstance, { container }: { container: Container }) {
  const { batch, jobs, members } = container;
  const deps = akskDeps(container);
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
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const pathProject = (request.params as ProjectParams).project_id;
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

  await app.register(async (v1) => {
    v1.setNotFoundHandler((request, reply) => renderUnknownApi(request, reply));
    const opts = { bodyLimit: BODY_LIMITS.batch, schema: { response: { 200: JOB_ID_SCHEMA } } };
    v1.post('/cloudimages/members', opts, async (request) => ({ job_id: await batch.add(request.ctx, request.body) }));
    v1.put('/cloudimages/members', opts, async (request) => ({ job_id: await batch.update(request.ctx, request.body) }));
    v1.delete('/cloudimages/members', opts, async (request) => ({ job_id: await batch.remove(request.ctx, request.body) }));
    rejectOtherMethods(v1, '/cloudimages/members', ['POST', 'PUT', 'DELETE']);

    const showJob = async (request: FastifyRequest, reply: FastifyReply) => {
      const body = await jobs.show(request.ctx, (request.params as { job_id: string }).job_id);
      if ('view' in body) return sendJson(reply, jobJson(body.view));
      return reply.header('content-type', 'application/json; charset=utf-8').send(Readable.from(jobStream(body)));
    };
    v1.get('/:project_id/jobs/:job_id', showJob);
    v1.get('/cloudimages/job/:job_id', showJob);

    v1.get('/:project_id/cloudimages/:image_id/members', async (request) => {
      const { image_id: imageId } = request.params as { image_id: string };
      const limit = limitParam(singleQuery(request, 'limit'));
      const marker = singleQuery(request, 'marker');
      const after = marker === undefined ? undefined : decodeMarker(marker);
      const { rows, more } = await members.page(request.ctx, imageId, limit, after);
      const last = rows[rows.length - 1];
      return {
        members: rows.map(imsMemberBody),
        schema: '/v2/schemas/members',
        page_info: {
          ...(more && last ? { next_marker: Buffer.from(last.member_id).toString('base64') } : {}),
          current_count: rows.length,
        },
      };
    });
    v1.get('/:project_id/cloudimages/:image_id/members/:member_id', async (request) => {
      const p = request.params as { image_id: string; member_id: string };
      return imsMemberBody(await members.show(request.ctx, p.image_id, p.member_id));
    });
    await v1.register(kmsGrantRoutes, { container });
  }, { prefix: '/v1' });
  await app.register(cloudImageRoutes, { container, prefix: '/v2/cloudimages' });
}
