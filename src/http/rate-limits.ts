import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { isProbe } from './probes.js';

/** Requests a minute; 0: no limit. */
export interface RateLimits {
  perSource: number;
  perProject: number;
}

const WINDOW_MS = 60_000;
/** Sources and projects counted at once (least recently seen forgotten first). */
const KEYS = 10_000;

/**
 * A request over a rate limit: 429 with `Retry-After`; the IMS dialect answers as Huawei's API gateway does
 * (`APIGW.0308`), the others with their own 429 body.
 */
export class RateLimitError extends AppError {
  constructor(what: string, max: number, retryAfterMs: number) {
    super('too_many_requests', `The throttling threshold has been reached: at most ${max} requests a minute ${what}.`,
      { retryAfterMs });
    this.name = 'RateLimitError';
  }
}

/**
 * Rate limits (off unless set; each process counts its own requests): per source address, from the first
 * byte, before authentication; per project, once the caller is known (Glance, IMS with a token or AK/SK).
 * @fastify/rate-limit counts; the 429 is ours, in the route's dialect.
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  if (limits.perSource === 0 && limits.perProject === 0) return;
  await app.register(rateLimit, { global: false, cache: KEYS });
  const limiter = (max: number, key: (request: FastifyRequest) => string, what: string) => {
    const count = app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: key });
    return async (request: FastifyRequest) => {
      const result = await count(request);
      if (!result.isAllowed && result.isExceeded) throw new RateLimitError(what, max, result.ttl);
    };
  };
  if (limits.perSource > 0) {
    const check = limiter(limits.perSource, (request) => request.ip, 'from one address');
    app.addHook('onRequest', async (request) => { if (!isProbe(request)) await check(request); });
  }
  if (limits.perProject > 0) {
    const check = limiter(limits.perProject, (request) => request.ctx!.projectId, 'for one project');
    // preHandler: after every authentication (Glance's and IMS tokens on request, AK/SK once the body is in).
    app.addHook('preHandler', async (request) => { if (request.ctx) await check(request); });
  }
}
