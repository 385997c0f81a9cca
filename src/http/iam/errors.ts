import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { IamError, iamCodeOf } from '../../errors/iam.js';
import { STATUS_TITLES } from '../status-titles.js';
import { renderGatewayError } from '../ims/errors.js';

/**
 * Huawei IAM's error body, `{"error_msg", "error_code": "IAM.xxxx", "request_id"}`; the key limit in the Keystone
 * form IAM gives it; a failed signature and throttling in the API gateway's body, as on every Huawei path.
 */
export function renderIamError(err: AppError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof IamError && err.keystoneForm) {
    return reply.status(err.status).type('application/json')
      .send({ error: { message: err.message, code: err.status, title: STATUS_TITLES[err.status] ?? 'Error' } });
  }
  return (err instanceof IamError ? undefined : renderGatewayError(err, request, reply))
    ?? reply.status(err.status).type('application/json')
      .send({ error_msg: err.message, error_code: iamCodeOf(err), request_id: request.id });
}
