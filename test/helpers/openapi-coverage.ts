import type { RouteStatus } from './recording.js';

/** The parts of /openapi.json the coverage check reads. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

/**
 * Documented statuses no HTTP suite answers, and why that is right; by status (any route) or by
 * `METHOD /path status`. Anything else documented must be observed.
 */
export const UNOBSERVED: Record<string, string> = {
  401: 'every route with a caller refuses one without a valid token or signature in the same code '
    + '(src/http/authentication.ts); the HTTP suites check it on routes of each scope',
  429: 'rate limits and the login throttle are tested in test/hostile (rate-limits, login), not in the HTTP suites',
  503: 'an unavailable database is tested in test/faults, not in the HTTP suites',
};

/** What a method a path does not serve answers: 405, or 401 first in a scope with callers. */
const OTHER_METHODS = [405, 401];

/** Fastify's route pattern as @fastify/swagger writes the path: `:id` as `{id}`, `*` as `{*}`; no trailing slash. */
export const pathOf = (route: string): string =>
  trim(route.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}'));
const trim = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * What the HTTP suites observed against what the document says, both ways:
 * - `undocumented`: an answered (method, route, status) the document does not list. Not counted: the answers of
 *   no route (`unmatched`, a scope's not-found answer), a HEAD the document does not list as its GET, and a 405 on a method the document
 *   does not list for the path (every path answers the methods it does not serve so, as the document says), or
 *   the 401 that comes first when the scope finds no caller.
 * - `unobserved`: a documented (method, path, status) no suite got, unless UNOBSERVED says why.
 */
export function coverage(doc: OpenApiDoc, observed: readonly RouteStatus[]) {
  const documented = new Map<string, Set<string>>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      documented.set(`${method.toUpperCase()} ${trim(path)}`, new Set(Object.keys(operation.responses ?? {})));
    }
  }
  const seen = new Set<string>();
  const undocumented = new Set<string>();
  for (const { method, route, status } of observed) {
    if (route === 'unmatched') continue;
    const path = pathOf(route);
    // A HEAD the document lists is its own operation; else it is Fastify's HEAD of the GET.
    const operation = method === 'HEAD' && !documented.has(`HEAD ${path}`) ? `GET ${path}` : `${method} ${path}`;
    seen.add(`${operation} ${status}`);
    const statuses = documented.get(operation);
    const known = statuses === undefined ? OTHER_METHODS.includes(status) : statuses.has(String(status));
    if (!known) undocumented.add(`${operation} ${status}`);
  }
  const unobserved: string[] = [];
  for (const [operation, statuses] of documented) {
    for (const status of statuses) {
      const key = `${operation} ${status}`;
      if (!seen.has(key) && UNOBSERVED[status] === undefined && UNOBSERVED[key] === undefined) unobserved.push(key);
    }
  }
  return { undocumented: [...undocumented].sort(), unobserved: unobserved.sort() };
}
