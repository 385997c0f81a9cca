import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError, ErrorCode } from '../../errors/app-error.js';
import { AKSK_REASONS } from '../../auth/aksk.js';
import { RateLimitError } from '../rate-limits.js';
import { ApigwError } from './aksk-auth.js';

/** IMG codes for errors raised without one (ims-sharing.md §6.4). */
const DEFAULT_IMG: Record<ErrorCode, string> = {
  bad_request: 'IMG.0001',
  unauthorized: 'IMG.0087',
  forbidden: 'IMG.0161',
  not_found: 'IMG.0086',
  method_not_allowed: 'IMG.0017',
  request_timeout: 'IMG.0001',
  conflict: 'IMG.0001',
  payload_too_large: 'IMG.0001',
  uri_too_long: 'IMG.0017',
  quota_exceeded: 'IMG.0088',
  unsupported_media_type: 'IMG.0001',
  too_many_requests: 'IMG.0060',
  unavailable: 'IMG.0018',
  internal: 'IMG.0018',
};

/** IMS error bodies: `{"error": {"code": "IMG.xxxx", "message": ...}}`; gateway (auth) failures as APIGW bodies. */
export function renderImsError(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  if (err.headers) reply.headers(err.headers);
  if (err.code === 'unauthorized') {
    const apigw = err instanceof ApigwError ? err : new ApigwError(AKSK_REASONS.missing);
    return reply.status(401).type('application/json').send(apigw.body(request.id));
  }
  // Throttling is the API gateway's, as in Huawei Cloud.
  if (err instanceof RateLimitError) {
    return reply.status(429).type('application/json')
      .send({ error_msg: err.message, error_code: 'APIGW.0308', request_id: request.id });
  }
  return reply.status(err.status).type('application/json')
    .send({ error: { code: err.img ?? DEFAULT_IMG[err.code], message: err.message } });
}

/** The gateway's answer for a path no API lives on. */
export function renderUnknownApi(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).type('application/json').send({
    error_msg: 'The API does not exist or has not been published in the environment',
    error_code: 'APIGW.0101', request_id: request.id,
  });
}
