import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { ALGORITHM, AKSK_REASONS, checkSignatureHeaders, UNSIGNED_PAYLOAD, verifySignature } from '../auth/aksk.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';
import type { Container } from '../container.js';
import type { Clock } from '../domain/clock.js';
import { contextFor, type RequestContext } from '../domain/context.js';
import { AppError } from '../errors/app-error.js';
import { projectAmbiguous } from '../errors/catalogue.js';
import type { DomainCaller } from '../repos/access-key-repo.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** A signed caller's body bytes, kept unparsed until the signature (which covers them) is verified. */
    rawBody?: Buffer;
    /** A signed caller's key, as akskPrecheck read it (read once per request). */
    signingKey?: AccessKeyRow;
  }
}

/**
 * A Huawei-SDK caller: its Authorization header names the `SDK-HMAC-SHA256` scheme. The OpenStack clients
 * (tempest, openstacksdk, the openstack CLI) never sign a request; this is what chooses the error dialect
 * (http/dialect.ts) and keeps a body as bytes until its signature is verified (http/body-parsers.ts).
 */
export function isSigned(request: { headers: IncomingHttpHeaders }): boolean {
  const value = request.headers.authorization;
  return typeof value === 'string' && value.trimStart().startsWith(ALGORITHM);
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
 * Before the body is read: the signature's headers hold (form, date, skew) and name an access key that
 * exists and is active (the key it returns); the signature itself, which covers the body, is checked after it
 * (akskContext). A request that fails here is refused without reading a byte of its body.
 */
export async function akskPrecheck(headers: IncomingHttpHeaders, deps: AkskDeps): Promise<AccessKeyRow> {
  const checked = checkSignatureHeaders(headers, { now: deps.clock.now(), maxSkewMs: deps.maxSkewMs });
  if (!checked.ok) throw new ApigwError(checked.reason, checked.detail);
  const { access } = checked.auth;
  const key = await deps.cache.accessKey(access);
  if (!key) throw new ApigwError(AKSK_REASONS.unknownAccess(access), 'unknown or inactive access key');
  return key;
}

/** An active access key with its secret opened. */
export interface AccessKeyRow {
  access: string;
  secret: string;
  user_id: string;
}

/** The lookups AK/SK authentication needs (the access-key service and IdentityRepo have them). */
export interface AkskRepo {
  /** The active key: read on every request, so a deleted or inactive key fails at once in every process. */
  accessKey(access: string): Promise<AccessKeyRow | undefined>;
  rolesOn(userId: string, projectId: string): Promise<string[]>;
  projectsOf(userId: string): Promise<string[]>;
  /** The user's domain, default project and roles on any project: a caller naming its domain (X-Domain-Id). */
  domainCaller(userId: string): Promise<DomainCaller | undefined>;
  /** Notes that the key authenticated a request that succeeded. */
  used(access: string): Promise<void>;
}

/**
 * Role lists and project lists, kept in the cache space for `ttlMs` so the hot path does not query the
 * database for them on every request (a revoked role keeps working for at most that long); keys themselves
 * are read on every request. Concurrent misses share one query (while the space keeps it).
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
    return this.repo.accessKey(access);
  }

  domainCaller(userId: string): Promise<DomainCaller | undefined> {
    return this.repo.domainCaller(userId);
  }

  used(access: string): Promise<void> {
    return this.repo.used(access);
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

/** Dependencies for akskContext; build once per app (its cache, `aksk`, is one of the container's caches). */
export function akskDeps(container: Pick<Container, 'accessKeys' | 'clock' | 'repos' | 'caches'>,
  options: { ttlMs?: number } = {}): AkskDeps {
  const { accessKeys, repos } = container;
  const repo: AkskRepo = {
    accessKey: (access) => accessKeys.signingKey(access),
    rolesOn: (userId, projectId) => repos.identity.signingRolesOn(userId, projectId),
    projectsOf: (userId) => repos.identity.signingProjectsOf(userId),
    domainCaller: (userId) => accessKeys.domainCaller(userId),
    used: (access) => accessKeys.used(access),
  };
  return { cache: new AkskCache(repo, container.caches, container.clock, options.ttlMs), clock: container.clock };
}

/** The parts of a Fastify request AK/SK authentication reads. */
export interface AkskRequest {
  method: string;
  headers: IncomingHttpHeaders;
  raw: { url?: string };
  rawBody?: Buffer;
  signingKey?: AccessKeyRow;
}

export interface AkskOptions {
  /** `{project_id}` of the route, if it has one: the project when X-Project-Id is absent and the user has a role on it. */
  pathProjectId?: string;
  /** The body is streamed to the route, not in `rawBody` (see `verifySignature` and `checkedStream`). */
  streamed?: boolean;
  /**
   * X-Domain-Id, in a scope that takes it (Huawei's global services): without X-Project-Id, the caller acts in
   * its domain, which must be the key user's, with its roles on any project (and its default project).
   */
  domainId?: string;
}

const PROJECT_HEADER_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Authenticates an `SDK-HMAC-SHA256` request and builds its context. The project is X-Project-Id (the user must
 * hold a role on it), else the domain of `options.domainId`, else the route's `{project_id}` if the user holds a
 * role on it, else the user's only project (several: 400 `IMG.0104`). Signature and key failures throw ApigwError
 * (401 APIGW.0301).
 */
export async function akskContext(request: AkskRequest, deps: AkskDeps, options: AkskOptions = {})
  : Promise<RequestContext> {
  let key: AccessKeyRow | undefined;
  const known = request.signingKey;
  const result = await verifySignature(
    { method: request.method, url: request.raw.url ?? '/', headers: request.headers, body: request.rawBody,
      streamed: options.streamed },
    async (access) => (key = known?.access === access ? known : await deps.cache.accessKey(access))?.secret,
    { now: deps.clock.now(), maxSkewMs: deps.maxSkewMs },
  );
  if (!result.ok) throw new ApigwError(result.reason, result.detail);
  return signedContext(request, key!, deps, options);
}

/** The context of a request signed with `key`: its project and roles (akskContext). */
async function signedContext(request: AkskRequest, key: AccessKeyRow, deps: AkskDeps, options: AkskOptions)
  : Promise<RequestContext> {
  const { user_id: userId, access } = key;
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
  if (options.domainId !== undefined) {
    const domainId = options.domainId.trim();
    if (!PROJECT_HEADER_RE.test(domainId)) throw new ApigwError('x-domain-id is invalid', 'malformed X-Domain-Id');
    const caller = await deps.cache.domainCaller(userId);
    if (caller?.domainId !== domainId) {
      throw new ApigwError(`domain ${domainId} is not authorized for ak ${access}`, "X-Domain-Id is not the user's");
    }
    if (caller.roles.length === 0) {
      throw new ApigwError(`ak ${access} has no project`, 'the user holds no role on any project');
    }
    return contextFor(userId, caller.defaultProjectId, caller.roles);
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

/**
 * A streamed body as its route reads it. Signed with `UNSIGNED-PAYLOAD`, the stream itself; signed over the hash
 * X-Sdk-Content-Sha256 declares, the bytes pass through and the stream fails at its end with the APIGW 401 when
 * they do not hash to it (the upload reading it then fails, and keeps nothing).
 */
export function checkedStream(body: Readable, headers: IncomingHttpHeaders): Readable {
  const declared = headers['x-sdk-content-sha256'];
  if (typeof declared !== 'string' || declared.trim() === UNSIGNED_PAYLOAD) return body;
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      done(hash.digest('hex') === declared.trim().toLowerCase() ? null
        : new ApigwError(AKSK_REASONS.signature, 'the streamed body does not match X-Sdk-Content-Sha256'));
    },
  });
  body.once('error', (err) => check.destroy(err));
  return body.pipe(check);
}
