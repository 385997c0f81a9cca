import type { FastifyReply } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { errorHeaders } from '../errors.js';
import { STATUS_TITLES } from '../status-titles.js';

/** Keystone's error body: `{"error": {"code": 401, "title": "Unauthorized", "message": ...}}`. */
export function renderKeystoneError(err: AppError, reply: FastifyReply) {
  const headers = errorHeaders(err);
  if (headers) reply.headers(headers);
  return reply.status(err.status).type('application/json').send({
    error: { code: err.status, title: STATUS_TITLES[err.status] ?? 'Error', message: err.message },
  });
}
