import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Container } from '../container.js';
import type { RequestContext } from '../domain/context.js';
import { AppError } from '../errors/app-error.js';
import { akskContext, akskDeps, type AkskDeps, akskPrecheck, checkedStream, isSigned } from './aksk-auth.js';
import { BODY_LIMITS } from './body-limits.js';
import { hasBody } from './body-parsers.js';
import { parseJsonBody } from './json-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/** 401 for a missing or invalid token; carries the Keystone hint clients follow. */
export function authRequired(authUrl: string): AppError {
  return new AppError('unauthorized', 'The request you have made requires authentication.', {
    headers: { 'WWW-Authenticate': `Keystone uri="${authUrl}"` },
  });
}

/** How one API scope authenticates, beyond what every scope shares. */
export interface ScopeAuthentication {
  /** The refusal of a caller with no valid token and no signature, in the scope's dialect. */
  refuse(why: 'missing' | 'invalid'): AppError;
  /** What the caller's roles allow, checked once it is known: before the body with a token, after the signature. */
  authorize?(request: FastifyRequest): void;
  /** The project the route's path names: the AK/SK project when X-Project-Id is absent (and the user holds a role on it). */
  pathProject?(request: FastifyRequest): string | undefined;
  /** A signed caller may name its domain with X-Domain-Id instead of a project (Huawei's global services). */
  domainScoped?: boolean;
}

/** Methods whose body Fastify does not read: a signed caller's is read here, as its signature covers it. */
const BODYLESS = new Set(['GET', 'HEAD']);

/** The bytes of a body no parser reads, up to `limit` (else 413). */
function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        raw.off('data', onData);
        raw.resume();
        reject(new AppError('payload_too_large', 'Request body is too large.'));
      }
    };
    raw.on('data', onData);
    raw.once('end', () => resolve(Buffer.concat(chunks)));
    raw.once('error', reject);
  });
}

/**
 * The one authentication of every API scope (Glance, IMS, the Keystone project reads): an `X-Auth-Token`, or an
 * `SDK-HMAC-SHA256` signature as Huawei's API gateway checks it, with the same X-Project-Id rules on every path.
 * A token is verified before the body is read. A signature's headers and access key are checked then too; the
 * signature itself, which covers the body, once the body's bytes are in (kept unparsed by http/body-parsers.ts,
 * read here for GET and HEAD, or for streamed image data its declared hash), and the body is parsed only after.
 */
export class Authenticator {
  private readonly aksk: AkskDeps;

  constructor(private readonly container: Pick<Container, 'identity' | 'accessKeys' | 'clock' | 'repos' | 'caches'>) {
    this.aksk = akskDeps(container);
  }

  /** Authenticates every request of `scope`, unknown paths included. */
  register(scope: FastifyInstance, auth: ScopeAuthentication): void {
    const { identity } = this.container;
    scope.addHook('onRequest', async (request) => {
      const token = request.headers['x-auth-token'];
      if (typeof token === 'string' && token !== '') {
        const ctx = identity.verify(token) ?? await identity.verifyWithReload(token);
        if (!ctx) throw auth.refuse('invalid');
        request.ctx = ctx;
        auth.authorize?.(request);
      } else if (isSigned(request)) {
        request.signingKey = await akskPrecheck(request.headers, this.aksk);
      } else {
        throw auth.refuse('missing');
      }
    });
    // A signed request that succeeded: its key's last use, written before the answer (no promise for the others).
    scope.addHook('onSend', (request, reply, payload, done) => {
      if (!request.signingKey || !request.ctx || reply.statusCode >= 400) return done(null, payload);
      this.aksk.cache.used(request.signingKey.access).then(() => done(null, payload), done);
    });
    // preValidation: the caller is known before any preHandler (the per-project rate limit's).
    scope.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      if (request.ctx !== undefined && request.rawBody === undefined) {
        done();
        return;
      }
      this.signedCaller(request, auth).then(() => done(), done);
    });
  }

  /** The signature and the context of a signed request, then its body. */
  private async signedCaller(request: FastifyRequest, auth: ScopeAuthentication): Promise<void> {
    if (request.ctx === undefined) {
      const streamed = request.body instanceof Readable;
      if (BODYLESS.has(request.method) && hasBody(request)) {
        request.rawBody = await readBody(request.raw, request.routeOptions.bodyLimit ?? BODY_LIMITS.default);
      }
      const domain = request.headers['x-domain-id'];
      request.ctx = await akskContext(request, this.aksk, { pathProjectId: auth.pathProject?.(request), streamed,
        domainId: auth.domainScoped && domain !== undefined ? String(domain) : undefined });
      if (streamed) request.body = checkedStream(request.body as Readable, request.headers);
      auth.authorize?.(request);
    }
    // A body without one (GET, HEAD) served the signature only.
    if (request.rawBody !== undefined && !BODYLESS.has(request.method)) {
      request.body = parseJsonBody(request.rawBody.toString('utf8'));
    }
  }
}
