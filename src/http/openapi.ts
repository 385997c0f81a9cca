import { STATUS_CODES } from 'node:http';
import type { SwaggerOptions } from '@fastify/swagger';
import { type Dialect, dialectOf } from './dialect.js';
import { STATUS_TITLES } from './status-titles.js';

/**
 * /openapi.json (@fastify/swagger, from the routes' schemas). A route's schema names its request (params,
 * querystring, body), its answers (`response`: the bodies of its successes, and `failures(...)`: the error
 * statuses it answers), and `security: []` when it needs no caller. The document adds to each route what is
 * the same for every route of its dialect: the error body, and the statuses of every route with a caller.
 *
 * Response schemas only document: app.ts makes Fastify serialize with JSON.stringify whatever schema a route
 * has, so documenting a route changes no byte it sends (a schema would drop Glance's free-form properties).
 */

/** What every route with a caller may answer: no valid token or signature, a rate limit, the database down. */
const CALLER_STATUSES = [401, 429, 503];

/** The error statuses a route answers (besides CALLER_STATUSES), their bodies those of the route's dialect. */
export const failures = (...codes: number[]): Record<number, { description: string }> =>
  Object.fromEntries(codes.map((code) => [code, { description: STATUS_TITLES[code] ?? 'Error' }]));

/** A route that needs no caller. */
export const NO_CALLER: { security: [] } = { security: [] };

const string = { type: 'string' } as const;
/** Keystone's error, also the 401 of the Glance paths (keystonemiddleware's). */
const KEYSTONE_ERROR = {
  type: 'object', required: ['error'],
  properties: { error: { type: 'object', properties: { code: { type: 'integer' }, title: string, message: string } } },
};
/** Huawei's API gateway: failed authentication, throttling, unknown paths; and Organizations' own errors. */
const GATEWAY_ERROR = {
  type: 'object', required: ['error_code', 'error_msg'],
  properties: { error_code: string, error_msg: string, request_id: string },
};
const IMS_ERROR = {
  type: 'object', required: ['error'],
  properties: { error: { type: 'object', properties: { code: string, message: string } } },
};
/** webob's JSON error (for an Accept of JSON); HTML or plain text otherwise. */
const GLANCE_ERROR = {
  type: 'object', required: ['message', 'code', 'title'],
  properties: { message: string, code: string, title: string },
};

/** The error bodies of each dialect, by media type. */
const ERROR_CONTENT: Record<Dialect, Record<string, { schema: object }>> = {
  keystone: { 'application/json': { schema: KEYSTONE_ERROR } },
  glance: {
    'application/json': { schema: { oneOf: [GLANCE_ERROR, KEYSTONE_ERROR] } },
    'text/html': { schema: string },
    'text/plain': { schema: string },
  },
  ims: { 'application/json': { schema: { oneOf: [IMS_ERROR, GATEWAY_ERROR] } } },
  organizations: { 'application/json': { schema: GATEWAY_ERROR } },
  // IAM's own body; the key limit in Keystone's.
  iam: { 'application/json': { schema: { oneOf: [GATEWAY_ERROR, KEYSTONE_ERROR] } } },
};

type RouteSchema = Record<string, unknown> & { response?: Record<string, Record<string, unknown>>; security?: unknown[] };

/** A route's schema as the document shows it: the statuses of its dialect added, error bodies filled in. */
function documented(schema: RouteSchema, url: string): RouteSchema {
  const dialect = dialectOf(url);
  const response: Record<string, Record<string, unknown>> = { ...schema.response };
  const hasCaller = !(Array.isArray(schema.security) && schema.security.length === 0);
  for (const code of hasCaller ? CALLER_STATUSES : []) response[code] ??= failures(code)[code]!;
  for (const [code, answer] of Object.entries(response)) {
    const description = answer.description ?? STATUS_CODES[code];
    // An error answer with no body of its own (failures()) has the dialect's.
    if (Number(code) >= 400 && answer.type === undefined && answer.content === undefined) {
      response[code] = { description, content: ERROR_CONTENT[dialect] };
    } else {
      response[code] = { ...answer, description };
    }
  }
  return { ...schema, response };
}

/** @fastify/swagger's options: the document's frame, its security schemes, and `documented` on every route. */
export const OPENAPI_OPTIONS: SwaggerOptions = {
  openapi: {
    info: {
      title: 'ims', version: '0.1.0',
      description: 'IMS image sharing, Glance v2, Keystone v3 and Organizations subsets. Errors are in the dialect of '
        + 'the path (a caller signing with AK/SK gets IMS\'s). A method a path does not list answers 405 with an '
        + 'Allow header (401 first where the path needs a caller and has none). Every answer carries X-Request-Id '
        + 'and X-Openstack-Request-Id.',
    },
    components: {
      securitySchemes: {
        token: {
          type: 'apiKey', in: 'header', name: 'X-Auth-Token',
          description: 'A Keystone token (POST /v3/auth/tokens answers it in X-Subject-Token).',
        },
        aksk: {
          type: 'http', scheme: 'SDK-HMAC-SHA256',
          description: 'Huawei\'s AK/SK signature: `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., '
            + 'Signature=...`, with the X-Sdk-Date header it signs (yyyyMMddTHHmmssZ) and, to act in one of the '
            + 'user\'s projects, X-Project-Id.',
        },
      },
    },
    security: [{ token: [] }, { aksk: [] }],
  },
  transform: ({ schema, url }) => ({ schema: documented((schema ?? {}) as RouteSchema, url) as never, url }),
};
