import type { IncomingMessage } from 'node:http';
import { uuid } from '../domain/clock.js';

/** The headers a caller may name its request with, in order of preference; the answer carries both. */
export const REQUEST_ID_HEADERS = ['x-request-id', 'x-openstack-request-id'] as const;

/** What a caller's id may be: 1 to 128 characters that are safe in a log line and a header. */
const SAFE_ID = /^[A-Za-z0-9][\w.:@=+/-]{0,127}$/;

/**
 * The request's id: the caller's (X-Request-Id, else X-Openstack-Request-Id) when it is safe, else a new
 * `req-<uuid>` as Glance makes them. An unsafe one is not an error: it is replaced, and the answer says by what.
 */
export function requestIdOf(raw: IncomingMessage): string {
  for (const name of REQUEST_ID_HEADERS) {
    const given = raw.headers[name];
    if (typeof given === 'string' && SAFE_ID.test(given)) return given;
  }
  return `req-${uuid()}`;
}
