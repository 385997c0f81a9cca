import { ImsClientError, ImsJobError } from '../client/ims-client.js';

/** The exit codes of the client commands (docs/cli.md lists them). */
export const EXIT = {
  ok: 0,
  /** Anything else: a fault of the command itself. */
  internal: 1,
  /** Bad arguments or options, or credentials missing from the environment. */
  usage: 2,
  /** The service refused the request (4xx other than 401, or 5xx). */
  refused: 3,
  /** The credentials were refused (401). */
  auth: 4,
  /** A job finished with failed pairs (FAIL). */
  jobFailed: 5,
  /** The service could not be reached, or did not answer in time. */
  connection: 6,
  /** `--wait`/`job wait` gave up before the job finished (`--timeout`). */
  waitTimeout: 7,
} as const;

/** A mistake in what the caller gave: exits with EXIT.usage. */
export class UsageError extends Error {}

/** A name the service knows nothing of: exits with EXIT.refused, as its 404 would. */
export class NotFoundError extends Error {}

/** How an error ends the command: its exit code and the line written to stderr. */
export function failure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof NotFoundError) return { code: EXIT.refused, message: err.message };
  if (err instanceof ImsClientError) {
    const request = err.requestId ? `, request ${err.requestId}` : '';
    const what = err.code ? `${err.code} (HTTP ${err.status}${request})` : `HTTP ${err.status}${request}`;
    return { code: err.status === 401 ? EXIT.auth : EXIT.refused, message: `${what}: ${err.message}` };
  }
  if (err instanceof ImsJobError) {
    return { code: err.reason === 'failed' ? EXIT.jobFailed : EXIT.waitTimeout, message: err.message };
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || (err instanceof TypeError && err.message === 'fetch failed'))) {
    const cause = (err.cause as { code?: string; message?: string } | undefined);
    const why = err.name === 'TimeoutError' ? 'no answer in time' : cause?.code ?? cause?.message ?? err.message;
    return { code: EXIT.connection, message: `cannot reach the service: ${why}` };
  }
  return { code: EXIT.internal, message: err instanceof Error ? err.stack ?? err.message : String(err) };
}
