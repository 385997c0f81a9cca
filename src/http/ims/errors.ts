import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { errorHeaders } from '../errors.js';
import { imsCodeOf } from '../../errors/catalogue.js';
import { AKSK_REASONS } from '../../auth/aksk.js';
import { RateLimitError } from '../rate-limits.js';
import { ApigwError } from '../aksk-auth.js';

/** IMS error bodies: `{"error": {"code": "IMG.xxxx", "message": ...}}`; gateway (auth) failures as APIGW bodies. */
export function renderImsError(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  const headers = errorHeaders(err);
  if (headers) reply.headers(headers);
  if (err.code === 'unauthorized') {
    const apigw = err instanceof ApigwError ? err : new ApigwError(AKSK_REASONS.missing);
    if (apigw.detail) request.log.info({ detail: apigw.detail }, 'authentication failed');
    return reply.status(401).type('application/json').send(apigw.body(request.id));
  }
  // Throttling is the API gateway's, as in Huawei Cloud.
  if (err instanceof RateLimitError) {
    return reply.status(429).type('application/json')
      .send({ error_msg: err.message, error_code: 'APIGW.0308', request_id: request.id });
  }
  return reply.status(err.status).type('application/json')
    .send({ error: { code: imsCodeOf(err), message: err.message } });
}

/** The gateway's answer for a path no API lives on. */
export function renderUnknownApi(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).type('application/json').send({
    error_msg: 'The API does not exist or has not been published in the environment',
    error_code: 'APIGW.0101', request_id: request.id,
  });
}
