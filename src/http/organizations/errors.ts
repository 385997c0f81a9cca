import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { OrgError, orgCodeOf } from '../../errors/organizations.js';
import { renderGatewayError } from '../ims/errors.js';

/**
 * Huawei's Organizations error body, `{"error_code": "Organizations.xxxx", "error_msg", "request_id"}`; failed
 * authentication and throttling answer the API gateway's body, as on the IMS paths.
 */
export function renderOrgError(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  return (err instanceof OrgError ? undefined : renderGatewayError(err, request, reply))
    ?? reply.status(err.status).type('application/json')
      .send({ error_code: orgCodeOf(err), error_msg: err.message, request_id: request.id });
}
