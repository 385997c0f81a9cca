/** The closed list of error kinds the services raise; each wire dialect renders them its own way. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'conflict'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'quota_exceeded'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  quota_exceeded: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

/** Longest error message sent. */
const MAX_MESSAGE = 1024;

export interface AppErrorOptions {
  /** The IMS `IMG.xxxx` code for this failure, used by the IMS dialect. */
  img?: string;
  /** Extra response headers the HTTP layer sets (Allow, Accept-Patch, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** How long the caller should wait before retrying (the HTTP layer says so in `Retry-After`). */
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly img: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(readonly code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    // Messages quote callers' values cut short (domain/clip.ts); this bounds any that slipped through.
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message);
    this.name = 'AppError';
    this.img = options.img;
    this.headers = options.headers;
    this.retryAfterMs = options.retryAfterMs;
  }
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** How long a client should wait before retrying a 503. */
export const RETRY_AFTER_MS = 2000;

/** The database did not answer (down, unreachable, restarting, locked): a 503 that asks to retry. */
export const unavailable = () => new AppError('unavailable',
  'The service is temporarily unavailable: its database did not answer in time. Please retry later.',
  { retryAfterMs: RETRY_AFTER_MS });

/** Too many requests (or failed logins) from one caller: a 429 that says when to come back. */
export const tooManyRequests = (message: string, retryAfterMs: number) => new AppError('too_many_requests', message,
  { retryAfterMs });

export const badRequest = (message: string, img?: string) => new AppError('bad_request', message, { img });
export const forbidden = (message: string, img?: string) => new AppError('forbidden', message, { img });
export const notFound = (message: string, img?: string) => new AppError('not_found', message, { img });
export const conflict = (message: string, img?: string) => new AppError('conflict', message, { img });

