import type { FastifyRequest } from 'fastify';
import { isTransient } from '../db/errors.js';
import { AppError, type ErrorCode, unavailable } from '../errors/app-error.js';

const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError('payload_too_large', 'Request body is too large.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new AppError('unsupported_media_type', 'Unsupported Content-Type.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError('bad_request', 'Request body size did not match Content-Length.'),
  FST_ERR_CTP_INVALID_TYPE: () => new AppError('bad_request', 'Invalid Content-Type header.'),
};

const STATUS_CODES: Record<number, ErrorCode> = {
  401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 408: 'request_timeout', 409: 'conflict',
  413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests',
};

/**
 * Any thrown value as an AppError: `unavailable` (503, Retry-After) when the database did not answer,
 * `internal` for faults that are ours (the caller logs those; database faults are logged once per episode).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isTransient(err)) return unavailable();
  const e = err as { code?: string; statusCode?: number; validation?: unknown; message?: string } | null;
  const known = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return known();
  if (e?.validation) return new AppError('bad_request', e.message ?? 'Invalid request.');
  const status = e?.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'bad_request';
    return new AppError(code, code === 'bad_request' || !e?.message ? e?.message ?? 'Bad request.' : e.message);
  }
  return new AppError('internal', 'The server has either erred or is incapable of performing the requested operation.');
}

/** `Retry-After` in whole seconds (at least 1) for a wait of `ms`. */
export const retryAfter = (ms: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) });

/** The response headers an error asks for: its own, and `Retry-After` when it says when to retry. */
export function errorHeaders(err: AppError): Record<string, string> | undefined {
  return err.retryAfterMs === undefined ? err.headers : { ...err.headers, ...retryAfter(err.retryAfterMs) };
}

/** `toAppError`, logging our own faults with their stack (database faults are logged once per episode). */
export function appErrorOf(error: unknown, request: FastifyRequest): AppError {
  const err = toAppError(error);
  if (err.code === 'internal') request.log.error({ err: error }, 'internal error');
  return err;
}
