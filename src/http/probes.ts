import type { FastifyRequest } from 'fastify';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * What load balancers, orchestrators and scrapers poll: outside every rate limit (a load balancer must always learn
 * whether the process is up), and logged at debug, not info.
 */
export const isProbe = (request: FastifyRequest): boolean => PROBES.has(request.url);
