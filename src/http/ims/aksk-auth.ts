import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AKSK_REASONS, checkSignatureHeaders, verifySignature } from '../../auth/aksk.js';
import type { Cache, CacheSpace } from '../../cache/cache-space.js';
import type { Container } from '../../container.js';
import type { Clock } from '../../domain/clock.js';
import { contextFor, type RequestContext } from '../../domain/context.js';
import { AppError } from '../../errors/app-error.js';
import { img, projectAmbiguous } from '../../errors/catalogue.js';
import { parseJsonBody } from '../json-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact JSON body bytes, kept only in scopes that called registerRawJsonBody (AK/SK needs them). */
    rawBody?: Buffer;
  }
}

const APIGW_PREFIX = 'Incorrect IAM authentication information: ';

/**
 * An API-gateway authentication failure: HTTP 401 with the gateway's own body
 * `{"error_msg": "Incorrect IAM authentication information: <reason>", "error_code": "APIGW.0301", "request_id"}`
 * instead of the IMS `{"error": {...}}` body. An AppError (code `unauthorized`), so other dialects still render a 401.
 */
export class ApigwError extends AppError {
  readonly apigwCode = 'APIGW.0301';
  constructor(
    /** The gateway's reason text, e.g. "verify aksk signature fail". */
    readonly reason: string,
    /** What exactly failed, for the log; never sent. */
    readonly detail?: string,
  ) {
    super('unauthorized', `${APIGW_PREFIX}${reason}`);
    this.name = 'ApigwError';
  }

  body(requestId: string): { error_msg: string; error_code: string; request_id: string } {
    return { error_msg: this.message, error_code: this.apigwCode, request_id: requestId };
  }
}

/**
 * Keeps the exact bytes of JSON bodies as `request.rawBody` (a Buffer) in this scope only, unparsed: they are
 * parsed (`parseRawJsonBody`) only once the caller is authenticated, since an AK/SK signature covers the
 * bytes. Call it inside the IMS plugin; scopes that do not call it (Glance) keep the string parser.
 */
export function registerRawJsonBody(scope: FastifyInstance): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, undefined);
  });
}

/**
 * Authentication as Huawei's API gateway does it, before the body is read: an X-Auth-Token is verified here
 * (`request.ctx`); an SDK-HMAC-SHA256 signature's headers and access key are checked here, and the signature
 * (which covers the body) by akskContext once the raw body is in.
 */
export async function gatewayAuth(request: FastifyRequest, container: Pick<Container, 'identity'>, deps: AkskDeps)
  : Promise<void> {
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
}

/** The raw JSON body as parseJsonBody reads it (refusals are `IMG.0001`); no body is undefined. */
export function parseRawJsonBody(raw: Buffer | undefined): unknown {
  return raw === undefined ? undefined : parseJsonBody(raw.toString('utf8'), img('invalid'));
}

/**
 * Before the body is read: the signature's headers hold (form, date, skew) and name an access key that
 * exists; the signature itself, which covers the body, is checked after it (akskContext). A request that
 * fails here is refused without reading a byte of its body.
 */
export async function akskPrecheck(headers: IncomingHttpHeaders, deps: AkskDeps): Promise<void> {
  const checked = checkSignatureHeaders(headers, { now: deps.clock.now(), maxSkewMs: deps.maxSkewMs });
  if (!checked.ok) throw new ApigwError(checked.reason, checked.detail);
  const { access } = checked.auth;
  if (!(await deps.cache.accessKey(access))) {
    throw new ApigwError(AKSK_REASONS.unknownAccess(access), 'unknown access key');
  }
}

interface AccessKeyRow {
  access: string;
  secret: string;
  user_id: string;
}

/** The identity lookups AK/SK authentication needs (IdentityRepo has them). */
export interface AkskRepo {
  accessKey(access: string): Promise<AccessKeyRow | undefined>;
  rolesOn(userId: string, projectId: string): Promise<string[]>;
  projectsOf(userId: string): Promise<string[]>;
}

/**
 * Access keys, role lists and project lists, kept in the cache space for `ttlMs` so the hot path does not
 * query the database on every request (a revoked key or role keeps working for at most that long). Unknown
 * access keys are not cached. Concurrent misses share one query (while the space keeps it).
 */
export class AkskCache {
  private readonly entries: Cache<Promise<unknown>>;

  constructor(
    private readonly repo: AkskRepo,
    caches: CacheSpace,
    private readonly clock: Clock,
    readonly ttlMs = 30_000,
  ) {
    this.entries = caches.cache('aksk', () => clock.now().getTime());
  }

  accessKey(access: string): Promise<AccessKeyRow | undefined> {
    return this.cached(`a\0${access}`, () => this.repo.accessKey(access), (row) => row !== undefined);
  }

  rolesOn(userId: string, projectId: string): Promise<string[]> {
    return this.cached(`r\0${userId}\0${projectId}`, () => this.repo.rolesOn(userId, projectId), () => true);
  }

  projectsOf(userId: string): Promise<string[]> {
    return this.cached(`p\0${userId}`, () => this.repo.projectsOf(userId), () => true);
  }

  private cached<T>(key: string, load: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const hit = this.entries.get(key, 0);
    if (hit) return hit as Promise<T>;
    const value = load();
    // The key, and a row, a role list or a project list.
    this.entries.set(key, 0, value, 512 + 2 * key.length, this.clock.now().getTime() + this.ttlMs);
    const forget = () => this.entries.delete(key, value);
    value.then((v) => { if (!keep(v)) forget(); }, forget);
    return value;
  }
}

export interface AkskDeps {
  cache: AkskCache;
  clock: Clock;
  /** Default 15 minutes. */
  maxSkewMs?: number;
}

/** The dependencies built for each cache space: the scopes that verify AK/SK (IMS, Organizations) share them. */
const depsOfSpace = new WeakMap<CacheSpace, AkskDeps>();

/**
 * Dependencies for akskContext: one per cache space (their cache, `aksk`, is one of the space's caches), built
 * by the first scope that asks.
 */
export function akskDeps(container: Pick<Container, 'identity' | 'clock' | 'repos' | 'caches'>,
  options: { ttlMs?: number } = {}): AkskDeps {
  const kept = depsOfSpace.get(container.caches);
  if (kept) return kept;
  const { identity, repos } = container;
  const repo: AkskRepo = {
    accessKey: (access) => identity.accessKey(access),
    rolesOn: (userId, projectId) => repos.identity.rolesOn(userId, projectId),
    projectsOf: (userId) => repos.identity.projectsOf(userId),
  };
  const deps = { cache: new AkskCache(repo, container.caches, container.clock, options.ttlMs), clock: container.clock };
  depsOfSpace.set(container.caches, deps);
  return deps;
}

/** The parts of a Fastify request AK/SK authentication reads. */
export interface AkskRequest {
  method: string;
  headers: IncomingHttpHeaders;
  raw: { url?: string };
  rawBody?: Buffer;
}

export interface AkskOptions {
  /** `{project_id}` of the route, if it has one: the project when X-Project-Id is absent and the user has a role on it. */
  pathProjectId?: string;
}

const PROJECT_HEADER_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Authenticates an `SDK-HMAC-SHA256` request and builds its context. The project is X-Project-Id (the user must
 * hold a role on it), else the route's `{project_id}` if the user holds a role on it, else the user's only project
 * (several: 400 `IMG.0104`). Signature and key failures throw ApigwError (401 APIGW.0301).
 */
export async function akskContext(request: AkskRequest, deps: AkskDeps, options: AkskOptions = {})
  : Promise<RequestContext> {
  let key: AccessKeyRow | undefined;
  const result = await verifySignature(
    { method: request.method, url: request.raw.url ?? '/', headers: request.headers, body: request.rawBody },
    async (access) => (key = await deps.cache.accessKey(access))?.secret,
    { now: deps.clock.now(), maxSkewMs: deps.maxSkewMs },
  );
  if (!result.ok) throw new ApigwError(result.reason, result.detail);
  const { user_id: userId, access } = key!;

  const header = request.headers['x-project-id'];
  if (header !== undefined) {
    const projectId = typeof header === 'string' ? header.trim() : '';
    if (!PROJECT_HEADER_RE.test(projectId)) throw new ApigwError('x-project-id is invalid', 'malformed X-Project-Id');
    const roles = await deps.cache.rolesOn(userId, projectId);
    if (roles.length === 0) {
      throw new ApigwError(`project ${projectId} is not authorized for ak ${access}`, 'no role on X-Project-Id');
    }
    return contextFor(userId, projectId, roles);
  }
  if (options.pathProjectId !== undefined && PROJECT_HEADER_RE.test(options.pathProjectId)) {
    const roles = await deps.cache.rolesOn(userId, options.pathProjectId);
    if (roles.length > 0) return contextFor(userId, options.pathProjectId, roles);
  }
  const projects = await deps.cache.projectsOf(userId);
  if (projects.length > 1) {
    throw projectAmbiguous();
  }
  const projectId = projects[0];
  const roles = projectId === undefined ? [] : await deps.cache.rolesOn(userId, projectId);
  if (projectId === undefined || roles.length === 0) {
    throw new ApigwError(`ak ${access} has no project`, 'the user holds no role on any project');
  }
  return contextFor(userId, projectId, roles);
}
