/**
 * The bad-input catalogue: bad requests to every route, in every dialect, on both engines. Each refused
 * request gets exactly its status and an error body in the dialect of its path (exactly, where it is stable),
 * quotes at most 64 characters of a long value, and leaves the store as it was (stateDigest). Values that are
 * valid free text (SQL metacharacters, prototype names, control characters in a name) are stored verbatim and
 * match only themselves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { formatSdkDate, sign } from '../../src/auth/aksk.js';
import { BOOTSTRAP, buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { stateDigest } from '../helpers/digest.js';
import { activeImage } from '../helpers/ims.js';
import { passwordAuth } from '../helpers/keystone.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Request {
  method?: Method;
  url: string;
  /** The X-Auth-Token: a bootstrapped account's, or none (AK/SK requests carry their own headers). Default demo. */
  as?: keyof TestApp['tokens'] | null;
  /** Content-Type defaults to application/json when there is a body; Accept is application/json. */
  headers?: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  /** The exact JSON body; `request_id: REQUEST_ID` stands for the answer's X-Request-Id. */
  body?: unknown;
  /** The exact body and Content-Type of an answer that is not JSON. */
  text?: { type: string; body: string };
  headers?: Record<string, string>;
  /** Further checks of a JSON answer (the reads that succeed). */
  check?: (body: any) => void;
}

interface Case extends Request {
  name: string;
  expect: Answer;
}

/** A request accepted because its value is valid free text: it must be stored verbatim. */
interface Stored extends Request {
  name: string;
  status: number;
  /** Reads the value back (API and store) and checks it matches only itself. */
  verify: (t: TestApp, res: LightMyRequestResponse) => Promise<void>;
}

// ---- The dialects' error bodies ----

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
};
const REQUEST_ID = '<the X-Request-Id of the answer>';
const AUTH_REQUIRED = 'The request you have made requires authentication.';

/** Glance (webob) JSON error. */
const glance = (status: number, message: string): Answer =>
  ({ status, body: { message: `${message}<br /><br />\n\n\n`, code: `${status} ${TITLES[status]}`, title: TITLES[status] } });
/** Keystone error (also Glance's 401, which keystonemiddleware answers, with the hint). */
const keystone = (status: number, message: string): Answer =>
  ({ status, body: { error: { code: status, title: TITLES[status], message } } });
const glance401: Answer = { ...keystone(401, AUTH_REQUIRED),
  headers: { 'www-authenticate': 'Keystone uri="http://ims.test:9292/v3"' } };
/** IMS error. */
const ims = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });
/** The API gateway's authentication failure (IMS paths). */
const apigw = (reason: string): Answer => ({ status: 401, body: {
  error_msg: `Incorrect IAM authentication information: ${reason}`, error_code: 'APIGW.0301', request_id: REQUEST_ID } });
const UNKNOWN_API: Answer = { status: 404, body: {
  error_msg: 'The API does not exist or has not been published in the environment', error_code: 'APIGW.0101',
  request_id: REQUEST_ID } };
/** A read that succeeds, and what its body must be. */
const ok = (check: (body: any) => void): Answer => ({ status: 200, check });

// ---- Inputs ----

/** Every long value is a run of L: no answer may hold a run longer than CLIP (messages quote 64 characters). */
const L = (n: number) => 'L'.repeat(n);
const CLIP = 64;
const CLIPPED = `${L(CLIP)}...`;
/** jsonschema quotes repr(value), clipped: the opening quote and 63 characters. */
const REPR_CLIPPED = `'${L(CLIP - 1)}...`;
const SQL1 = "' OR 1=1 --";
const SQL2 = '"; drop table images; --';
const KIB = 1024;
const MIB = 1024 * KIB;
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';
const OCTETS = 'application/octet-stream';
const NO_JOB = '0'.repeat(32);
const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const SORT_KEYS = 'name, status, container_format, disk_format, size, id, created_at, updated_at';
/** `{"a":{"a":...1...}}`, `depth` objects deep. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const DEEP_OBJECT = nested(4000);
const DEEP_ARRAY = `${'['.repeat(4000)}${']'.repeat(4000)}`;
/** A JSON object of exactly `bytes` bytes: `{"x":"LLL..."}`. */
const sized = (bytes: number) => `{"x":"${L(bytes - 8)}"}`;
const enc = encodeURIComponent;
/** `n` query pairs, `&`-joined. */
const many = (n: number, pair: (i: number) => string) => Array.from({ length: n }, (_, i) => pair(i)).join('&');
const login = (user: Record<string, unknown>, scope?: unknown) => JSON.stringify(passwordAuth(user, scope));
const byName = (name: unknown) => ({ name, domain: { name: 'Default' }, password: 'secret' });

const KEY = BOOTSTRAP.access_keys[0]!;
const HOST = 'ims.test:9292';

interface Fixtures {
  t: TestApp;
  /** demo's active image, shared with alt (pending). */
  img: string;
  p: TestApp['projects'];
}

interface SignOptions {
  body?: string;
  /** Sent instead of the signed body. */
  sent?: string;
  date?: Date;
  ak?: string;
  sk?: string;
  projectId?: string;
  /** Headers sent but not signed (they replace signed ones). */
  headers?: Record<string, string>;
  /** Changes the Authorization header after signing. */
  authorization?: (value: string) => string;
  /** Appended to the URL after signing. */
  query?: string;
}

/** A request signed with demo's access key, as the Huawei SDK signs it (then spoiled as `o` says). */
function signed(t: TestApp, method: Method, path: string, o: SignOptions = {}): Request {
  const s = sign({ method, host: HOST, path, body: o.body, projectId: o.projectId, ak: o.ak ?? KEY.access,
    sk: o.sk ?? KEY.secret, date: o.date ?? t.container.clock.now() });
  const headers: Record<string, string> = { host: HOST };
  for (const [k, v] of Object.entries(s.headers)) headers[k.toLowerCase()] = v;
  if (o.authorization) headers.authorization = o.authorization(headers.authorization!);
  const body = o.sent ?? o.body;
  return { method, url: o.query ? `${path}?${o.query}` : path, as: null, headers: { ...headers, ...o.headers },
    ...(body === undefined ? {} : { body }) };
}

// ---- The catalogue ----

const FAMILIES: [string, (f: Fixtures) => Case[]][] = [
  ['malformed JSON', ({ img, p }) => [
    { name: 'POST /v2/images', method: 'POST', url: '/v2/images', body: '{"name": ',
      expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'POST /v2/images, trailing garbage', method: 'POST', url: '/v2/images', body: '{"name": "x"} x',
      expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'POST /v2/images as text/plain (Glance reads any type as JSON)', method: 'POST', url: '/v2/images',
      body: "{'name': 1}", headers: { 'content-type': 'text/plain' }, expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'PATCH /v2/images/{id}', method: 'PATCH', url: `/v2/images/${img}`, body: '[{',
      headers: { 'content-type': PATCH_TYPE }, expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'POST /v2/images/{id}/members', method: 'POST', url: `/v2/images/${img}/members`, body: '{"member":',
      expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'PUT /v2/images/{id}/members/{member}', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`, as: 'alt',
      body: '{"status" "accepted"}', expect: glance(400, 'Malformed JSON in request body.') },
    { name: 'POST /v3/auth/tokens', method: 'POST', url: '/v3/auth/tokens', as: null, body: '{"auth":',
      expect: keystone(400, 'Malformed JSON in request body.') },
    ...(['POST', 'PUT', 'DELETE'] as const).map((method): Case => ({ name: `${method} /v1/cloudimages/members`, method,
      url: '/v1/cloudimages/members', body: '{"images": [', expect: ims(400, 'IMG.0001', 'Malformed JSON in request body.') })),
    { name: 'PUT /v1/kms-grants/{key}/projects/{project}', method: 'PUT', url: `/v1/kms-grants/k/projects/${p.alt}`, as: 'admin',
      body: '{', expect: ims(400, 'IMG.0001', 'Malformed JSON in request body.') },
  ]],

  ['wrong types', ({ img, p }) => {
    const schema = (why: string) => glance(400, `Provided object does not match schema 'image': ${why}`);
    const create = (name: string, body: string, expect: Answer): Case => ({ name: `POST /v2/images, ${name}`, method: 'POST',
      url: '/v2/images', body, expect });
    const patch = (name: string, ops: unknown, expect: Answer): Case => ({ name: `PATCH /v2/images/{id}, ${name}`,
      method: 'PATCH', url: `/v2/images/${img}`, headers: { 'content-type': PATCH_TYPE }, body: JSON.stringify(ops), expect });
    const batch = (method: Method, name: string, body: unknown, expect: Answer, as: 'demo' | 'alt' = 'demo'): Case =>
      ({ name: `${method} /v1/cloudimages/members, ${name}`, method, url: '/v1/cloudimages/members', as,
        body: JSON.stringify(body), expect });
    const invalid = (why: string) => ims(400, 'IMG.0001', `The request message format is invalid${why}`);
    return [
      create('name a number', '{"name": 123}', schema("123 is not of type 'null', 'string'")),
      create('min_disk a string', '{"min_disk": "1"}', schema("'1' is not of type 'integer'")),
      create('min_ram a float', '{"min_ram": 1.5}', schema("1.5 is not of type 'integer'")),
      create('protected a string', '{"protected": "yes"}', schema("'yes' is not of type 'boolean'")),
      create('tags a string', '{"tags": "x"}', schema("'x' is not of type 'array'")),
      create('a tag a number', '{"tags": [1]}', schema("1 is not of type 'string'")),
      create('an extra property an object', '{"p": {"a": 1}}', schema("{'a': 1} is not of type 'string'")),
      create('visibility not in the enum', '{"visibility": "everyone"}',
        schema("'everyone' is not one of ['community', 'public', 'private', 'shared']")),
      create('the body a list', '[]', schema("[] is not of type 'object'")),
      create('the body null', 'null', schema("None is not of type 'object'")),
      patch('the body an object', { op: 'replace', path: '/name', value: 'x' },
        glance(400, 'Request body must be a JSON array of operation objects.')),
      patch('an operation a number', [1], glance(400, 'Operations must be JSON objects.')),
      patch('the path a number', [{ op: 'replace', path: 5, value: 'x' }], glance(400, 'Pointer `5` does not start with "/".')),
      patch('the name a number', [{ op: 'replace', path: '/name', value: 5 }], schema("5 is not of type 'null', 'string'")),
      patch('min_disk a string', [{ op: 'replace', path: '/min_disk', value: '5' }], schema("'5' is not of type 'integer'")),
      { name: 'POST /v2/images/{id}/members, member a number', method: 'POST', url: `/v2/images/${img}/members`,
        body: '{"member": 5}', expect: glance(400, 'Member must be a string.') },
      { name: 'POST /v2/images/{id}/members, the body a list', method: 'POST', url: `/v2/images/${img}/members`,
        body: '["x"]', expect: glance(400, 'Expected a member in the form: {"member": "image_id"}') },
      { name: 'POST /v2/images/{id}/members, the body a string', method: 'POST', url: `/v2/images/${img}/members`,
        body: '"x"', expect: glance(400, 'Unexpected body type. Expected list/dict.') },
      { name: 'PUT /v2/images/{id}/members/{member}, status a list', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
        as: 'alt', body: '{"status": ["accepted"]}',
        expect: glance(400, 'Incorrect request: Status must be "pending", "accepted" or "rejected".') },
      { name: 'PUT /v2/images/{id}/members/{member}, vault_id a number', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
        as: 'alt', body: '{"status": "accepted", "vault_id": 5}',
        expect: glance(400, 'vault_id must be a string of 1 to 255 characters, none of them a control character.') },
      { name: 'POST /v3/auth/tokens, the user name a number', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ name: 5, domain: { name: 'Default' }, password: 'x' }),
        expect: keystone(400, 'Expecting to find user.id or user.name in request body.') },
      { name: 'POST /v3/auth/tokens, the password a number', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ name: 'demo', domain: { name: 'Default' }, password: 5 }),
        expect: keystone(400, 'Expecting to find password.user.password in request body.') },
      { name: 'POST /v3/auth/tokens, the body a list', method: 'POST', url: '/v3/auth/tokens', as: null, body: '[]',
        expect: keystone(400, 'Expecting to find auth.identity in request body.') },
      { name: 'POST /v3/auth/tokens, the scope a string (right password)', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login(byName('demo'), 'x'), expect: keystone(400, 'Only project scope is supported.') },
      batch('POST', 'images a string', { images: 'x', projects: [p.alt] }, invalid(': images must be an array of strings.')),
      batch('POST', 'a project a number', { images: [img], projects: [5] }, invalid(': projects must be an array of strings.')),
      batch('DELETE', 'the body a list', [img], invalid('.')),
      batch('POST', 'the body null', null, ims(400, 'IMG.0007', 'The request body is empty.')),
      batch('PUT', 'status a number', { images: [img], project_id: p.alt, status: 5 },
        invalid(': status must be "accepted" or "rejected".'), 'alt'),
      batch('PUT', 'project_id a number', { images: [img], project_id: 5, status: 'accepted' },
        invalid(': project_id is required.'), 'alt'),
      batch('PUT', 'vault_id a number', { images: [img], project_id: p.alt, status: 'accepted', vault_id: 5 },
        invalid(': vault_id must be a string of 1 to 255 characters, none of them a control character.'), 'alt'),
    ];
  }],

  ['NUL and control characters', ({ t, img, p }) => {
    const nulString = 'A string in the request body contains a NUL character (\\u0000).';
    const surrogate = 'A string in the request body contains a lone surrogate (not valid Unicode).';
    const inPath = 'The URL path contains a control character.';
    const inQuery = 'The query string contains a NUL character.';
    const token = (url: string, value: string, expect: Answer, method: Method = 'GET'): Case =>
      ({ name: `X-Auth-Token ${JSON.stringify(value)} on ${method} ${url.split('?')[0]}`, method, url, as: null,
        headers: { 'x-auth-token': value }, expect });
    return [
      // In JSON bodies (escaped as \u0000 in the text): NUL and lone surrogates are refused wherever they are.
      { name: 'POST /v2/images, NUL in the name', method: 'POST', url: '/v2/images', body: '{"name": "a\\u0000b"}',
        expect: glance(400, nulString) },
      { name: 'POST /v2/images, NUL in a key', method: 'POST', url: '/v2/images', body: '{"a\\u0000": "x"}',
        expect: glance(400, 'A key in the request body contains a NUL character (\\u0000).') },
      { name: 'POST /v2/images, lone surrogate in a property', method: 'POST', url: '/v2/images', body: '{"p": "a\\ud800"}',
        expect: glance(400, surrogate) },
      { name: 'POST /v2/images, lone surrogate in a tag', method: 'POST', url: '/v2/images', body: '{"tags": ["\\udc00x"]}',
        expect: glance(400, surrogate) },
      { name: 'PATCH /v2/images/{id}, NUL in the value', method: 'PATCH', url: `/v2/images/${img}`,
        headers: { 'content-type': PATCH_TYPE },
        body: '[{"op": "replace", "path": "/name", "value": "\\u0000"}]', expect: glance(400, nulString) },
      { name: 'POST /v2/images/{id}/members, NUL in the member', method: 'POST', url: `/v2/images/${img}/members`,
        body: '{"member": "a\\u0000"}', expect: glance(400, nulString) },
      { name: 'POST /v2/images/{id}/members, a control character in the member', method: 'POST', url: `/v2/images/${img}/members`,
        body: '{"member": "a\\u0001"}',
        expect: glance(400, 'Invalid member a\u0001: a member is 1 to 255 characters, none of them a control character.') },
      { name: 'PUT /v2/images/{id}/members/{member}, ESC in vault_id', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
        as: 'alt', body: '{"status": "accepted", "vault_id": "v\\u001b"}',
        expect: glance(400, 'vault_id must be a string of 1 to 255 characters, none of them a control character.') },
      { name: 'POST /v3/auth/tokens, NUL in the user name', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login(byName('demo\u0000')), expect: keystone(400, nulString) },
      { name: 'POST /v3/auth/tokens, lone surrogate in the password', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ name: 'demo', domain: { name: 'Default' }, password: '\ud83d' }), expect: keystone(400, surrogate) },
      { name: 'POST /v1/cloudimages/members, NUL in an image id', method: 'POST', url: '/v1/cloudimages/members',
        body: '{"images": ["a\\u0000"], "projects": ["x"]}', expect: ims(400, 'IMG.0001', nulString) },
      { name: 'POST /v1/cloudimages/members, lone surrogate in a project id', method: 'POST', url: '/v1/cloudimages/members',
        body: JSON.stringify({ images: [img], projects: ['\udfff'] }), expect: ims(400, 'IMG.0001', surrogate) },
      { name: 'PUT /v1/cloudimages/members, ESC in vault_id', method: 'PUT', url: '/v1/cloudimages/members', as: 'alt',
        body: JSON.stringify({ images: [img], project_id: p.alt, status: 'accepted', vault_id: 'v\u001b' }),
        expect: ims(400, 'IMG.0001', 'The request message format is invalid: vault_id must be a string of 1 to 255 '
          + 'characters, none of them a control character.') },
      // In path parameters: refused before any route runs, in the dialect of the path.
      { name: 'GET /v2/images/{id}, NUL', url: '/v2/images/a%00b', expect: glance(400, inPath) },
      { name: 'GET /v2/images/{id}, SOH, without a token', url: '/v2/images/a%01b', as: null, expect: glance(400, inPath) },
      { name: 'GET /v2/images/{id}/members/{member}, US', url: `/v2/images/${img}/members/a%1fb`, expect: glance(400, inPath) },
      { name: 'PUT /v2/images/{id}/tags/{tag}, DEL', method: 'PUT', url: `/v2/images/${img}/tags/a%7fb`,
        expect: glance(400, inPath) },
      { name: 'DELETE /v2/images/{id}/tags/{tag}, NUL', method: 'DELETE', url: `/v2/images/${img}/tags/a%00`,
        expect: glance(400, inPath) },
      { name: 'POST /v2/images/{id}/actions/deactivate, LF', method: 'POST', url: '/v2/images/a%0a/actions/deactivate',
        expect: glance(400, inPath) },
      { name: 'PUT /v2/images/{id}/file, CR', method: 'PUT', url: '/v2/images/a%0d/file', headers: { 'content-type': OCTETS },
        body: 'data', expect: glance(400, inPath) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members/{member}, NUL', url: `/v1/${p.demo}/cloudimages/${img}/members/a%00`,
        expect: ims(400, 'IMG.0001', inPath) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members, NUL in the project', url: `/v1/a%00/cloudimages/${img}/members`,
        expect: ims(400, 'IMG.0001', inPath) },
      { name: 'GET /v1/{project}/jobs/{job}, NUL', url: `/v1/${p.demo}/jobs/%00`, expect: ims(400, 'IMG.0001', inPath) },
      { name: 'GET /v1/cloudimages/job/{job}, SOH', url: '/v1/cloudimages/job/%01', expect: ims(400, 'IMG.0001', inPath) },
      { name: 'PUT /v1/kms-grants/{key}/projects/{project}, NUL', method: 'PUT', url: `/v1/kms-grants/a%00/projects/${p.alt}`,
        as: 'admin', expect: ims(400, 'IMG.0001', inPath) },
      { name: 'DELETE /v1/kms-grants/{key}/projects/{project}, TAB', method: 'DELETE', url: `/v1/kms-grants/k/projects/a%09`,
        as: 'admin', expect: ims(400, 'IMG.0001', inPath) },
      { name: 'GET /v3/projects/{id}, NUL', url: '/v3/projects/%00', as: 'admin', expect: keystone(400, inPath) },
      // NUL in query strings, on every route that reads one (and on those that do not).
      { name: 'GET /v2/images?name=NUL', url: '/v2/images?name=a%00b', expect: glance(400, inQuery) },
      { name: 'GET /v2/images?NUL=x', url: '/v2/images?a%00=x', expect: glance(400, inQuery) },
      { name: 'GET /v2/cloudimages?name=NUL', url: '/v2/cloudimages?name=%00', expect: ims(400, 'IMG.0001', inQuery) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members?marker=NUL',
        url: `/v1/${p.demo}/cloudimages/${img}/members?marker=%00`, expect: ims(400, 'IMG.0001', inQuery) },
      { name: 'GET /v1/kms-grants?key_id=NUL', url: '/v1/kms-grants?key_id=%00', as: 'admin',
        expect: ims(400, 'IMG.0001', inQuery) },
      { name: 'GET /v3/projects?name=NUL', url: '/v3/projects?name=%00', as: 'admin', expect: keystone(400, inQuery) },
      { name: 'GET /healthz?x=NUL', url: '/healthz?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /readyz?x=NUL', url: '/readyz?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /versions?x=NUL', url: '/versions?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /?x=NUL', url: '/?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /openapi.json?x=NUL', url: '/openapi.json?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /v3/?x=NUL', url: '/v3/?x=%00', as: null, expect: keystone(400, inQuery) },
      { name: 'GET /v3/auth/tokens?x=NUL', url: '/v3/auth/tokens?x=%00', expect: keystone(400, inQuery) },
      { name: 'GET /v2/schemas/image?x=NUL', url: '/v2/schemas/image?x=%00', expect: glance(400, inQuery) },
      { name: 'GET /v2/images?name=SOH: free text, matches nothing', url: '/v2/images?name=a%01b',
        expect: ok((b) => assert.deepEqual(b.images, [])) },
      // In headers.
      token('/v2/images', 'a\u0000b', glance401),
      token('/v2/images', 'a\u0001b', glance401, 'POST'),
      token('/v2/cloudimages', 'a\u0000b', apigw('token expires or is invalid')),
      token('/v1/cloudimages/members', '\u0007', apigw('token expires or is invalid'), 'POST'),
      token('/v3/projects', 'a\u0000b', keystone(401, AUTH_REQUIRED)),
      { name: 'X-Subject-Token with NUL', url: '/v3/auth/tokens', headers: { 'x-subject-token': 'a\u0000b' },
        expect: keystone(404, 'Could not find token.') },
      { name: 'AK/SK, X-Project-Id with NUL', ...signed(t, 'GET', '/v2/cloudimages', { headers: { 'x-project-id': 'a\u0000b' } }),
        expect: apigw('x-project-id is invalid') },
      { name: 'AK/SK, X-Project-Id with SOH', ...signed(t, 'POST', '/v1/cloudimages/members',
        { body: JSON.stringify({ images: [img], projects: [p.other] }), headers: { 'x-project-id': `${p.demo}\u0001` } }),
      expect: apigw('x-project-id is invalid') },
      { name: 'AK/SK, NUL in the access key', url: '/v2/cloudimages', as: null, headers: {
        authorization: `SDK-HMAC-SHA256 Access=a\u0000, SignedHeaders=x-sdk-date, Signature=${'0'.repeat(64)}`,
        'x-sdk-date': formatSdkDate(t.container.clock.now()) }, expect: apigw('verify aksk signature fail') },
      { name: 'AK/SK, NUL in X-Sdk-Date',
        ...signed(t, 'GET', '/v2/cloudimages', { headers: { 'x-sdk-date': '2026\u00000101T000000Z' } }),
        expect: apigw('verify aksk signature fail') },
    ];
  }],

  ['over-long strings', ({ t, img, p }) => {
    const long = L(1000);
    const notFoundId = glance(404, `No image found with ID ${CLIPPED}`);
    const tooLong = glance(400, `Provided object does not match schema 'image': ${REPR_CLIPPED} is too long`);
    const patch = (name: string, ops: unknown, expect: Answer): Case => ({ name: `PATCH /v2/images/{id}, ${name}`,
      method: 'PATCH', url: `/v2/images/${img}`, headers: { 'content-type': PATCH_TYPE }, body: JSON.stringify(ops), expect });
    const memberNotFound = `${CLIPPED} not found in the member list of the image ${img}.`;
    return [
      // Image ids in paths (up to the router's 1,024 characters; past it, 414).
      { name: 'GET /v2/images/{id}', url: `/v2/images/${long}`, expect: notFoundId },
      { name: 'GET /v2/images/{id} over 1,024 characters', url: `/v2/images/${L(1025)}`,
        expect: glance(414, 'A path segment is longer than 1024 characters.') },
      { name: 'PATCH /v2/images/{id}', method: 'PATCH', url: `/v2/images/${long}`, headers: { 'content-type': PATCH_TYPE },
        body: '[]', expect: notFoundId },
      { name: 'DELETE /v2/images/{id}', method: 'DELETE', url: `/v2/images/${long}`,
        expect: glance(404, `Failed to find image ${CLIPPED} to delete`) },
      { name: 'GET /v2/images/{id}/file', url: `/v2/images/${long}/file`, expect: notFoundId },
      { name: 'PUT /v2/images/{id}/file', method: 'PUT', url: `/v2/images/${long}/file`, headers: { 'content-type': OCTETS },
        body: 'data', expect: notFoundId },
      { name: 'PUT /v2/images/{id}/tags/{tag}, the id', method: 'PUT', url: `/v2/images/${long}/tags/x`,
        expect: glance(404, `Image ${CLIPPED} not found.`) },
      { name: 'POST /v2/images/{id}/actions/reactivate', method: 'POST', url: `/v2/images/${long}/actions/reactivate`,
        expect: notFoundId },
      { name: 'GET /v2/images/{id}/members', url: `/v2/images/${long}/members`,
        expect: glance(404, `Image ${CLIPPED} not found.`) },
      { name: 'POST /v2/images/{id}/members, the id', method: 'POST', url: `/v2/images/${long}/members`,
        body: JSON.stringify({ member: p.alt }), expect: glance(404, `Image ${CLIPPED} not found.`) },
      // Tags, member ids and vault ids (255 at most).
      { name: 'PUT /v2/images/{id}/tags/{tag}, 256 characters', method: 'PUT', url: `/v2/images/${img}/tags/${L(256)}`,
        expect: tooLong },
      { name: 'DELETE /v2/images/{id}/tags/{tag}, 256 characters', method: 'DELETE', url: `/v2/images/${img}/tags/${L(256)}`,
        expect: glance(404, 'The resource could not be found.') },
      { name: 'GET /v2/images/{id}/members/{member}', url: `/v2/images/${img}/members/${long}`,
        expect: glance(404, memberNotFound) },
      { name: 'PUT /v2/images/{id}/members/{member} (admin)', method: 'PUT', url: `/v2/images/${img}/members/${long}`,
        as: 'admin', body: '{"status": "accepted"}', expect: glance(404, memberNotFound) },
      { name: 'DELETE /v2/images/{id}/members/{member}', method: 'DELETE', url: `/v2/images/${img}/members/${long}`,
        expect: glance(404, memberNotFound) },
      { name: 'POST /v2/images/{id}/members, member of 256', method: 'POST', url: `/v2/images/${img}/members`,
        body: JSON.stringify({ member: L(256) }),
        expect: glance(400, `Invalid member ${CLIPPED}: a member is 1 to 255 characters, none of them a control character.`) },
      { name: 'PUT /v2/images/{id}/members/{member}, vault_id of 256', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
        as: 'alt', body: JSON.stringify({ status: 'accepted', vault_id: L(256) }),
        expect: glance(400, 'vault_id must be a string of 1 to 255 characters, none of them a control character.') },
      // Image documents.
      { name: 'POST /v2/images, name of 256', method: 'POST', url: '/v2/images', body: JSON.stringify({ name: L(256) }),
        expect: tooLong },
      { name: 'POST /v2/images, the body a string of 1,000', method: 'POST', url: '/v2/images', body: JSON.stringify(long),
        expect: glance(400, `Provided object does not match schema 'image': ${REPR_CLIPPED} is not of type 'object'`) },
      { name: 'POST /v2/images, the body a list of 100,000', method: 'POST', url: '/v2/images',
        body: JSON.stringify(Array(100_000).fill(1)), expect: glance(400, "Provided object does not match schema 'image': "
          + `[${'1, '.repeat(21)}... is not of type 'object'`) },
      { name: 'POST /v2/images, id of 300', method: 'POST', url: '/v2/images', body: JSON.stringify({ id: L(300) }),
        expect: glance(400, `Provided object does not match schema 'image': ${REPR_CLIPPED} does not match '${UUID_PATTERN}'`) },
      { name: 'POST /v2/images, owner of 256 (admin)', method: 'POST', url: '/v2/images', as: 'admin',
        body: JSON.stringify({ owner: L(256) }), expect: tooLong },
      { name: 'POST /v2/images, a tag of 256', method: 'POST', url: '/v2/images', body: JSON.stringify({ tags: [L(256)] }),
        expect: tooLong },
      { name: 'POST /v2/images, property name of 256', method: 'POST', url: '/v2/images', body: JSON.stringify({ [L(256)]: 'x' }),
        expect: glance(400, 'Custom property should not be greater than 255 characters.') },
      { name: 'POST /v2/images, property value of 65,536', method: 'POST', url: '/v2/images',
        body: JSON.stringify({ p: L(65_536) }), expect: tooLong },
      { name: 'POST /v2/images, reserved property name of 249', method: 'POST', url: '/v2/images',
        body: JSON.stringify({ [`os_glance${L(240)}`]: 'x' }),
        expect: glance(403, `Attribute 'os_glance${L(CLIP - 9)}...' is reserved.`) },
      patch('property name of 256', [{ op: 'add', path: `/${L(256)}`, value: 'x' }],
        glance(400, 'Custom property should not be greater than 255 characters.')),
      patch('property value of 65,536', [{ op: 'add', path: '/p', value: L(65_536) }], tooLong),
      patch('reserved property name of 249', [{ op: 'add', path: `/os_glance${L(240)}`, value: 'x' }],
        glance(403, `Attribute 'os_glance${L(CLIP - 9)}...' is reserved.`)),
      patch('op of 1,000', [{ op: long, path: '/p', value: 'x' }],
        glance(400, `Invalid operation: \`${CLIPPED}\`. It must be one of the following: add, remove, replace.`)),
      patch('path of 1,000 without /', [{ op: 'add', path: long, value: 'x' }],
        glance(400, `Pointer \`${CLIPPED}\` does not start with "/".`)),
      patch('path of 1,000 too deep', [{ op: 'add', path: `/${long}/x`, value: 'x' }],
        glance(400, `Invalid JSON pointer for this resource: '/${CLIPPED}'`)),
      patch('remove of a missing property of 250', [{ op: 'remove', path: `/${L(250)}` }],
        glance(409, `Property ${CLIPPED} does not exist.`)),
      { name: 'PATCH /v2/images/{id}, Content-Type of 1,000', method: 'PATCH', url: `/v2/images/${img}`,
        headers: { 'content-type': long }, body: '[]',
        expect: { ...glance(415, `The request media type ${CLIPPED} is not supported by this server.`),
          headers: { 'accept-patch': `${PATCH_TYPE.replace('2.1', '2.0')}, ${PATCH_TYPE}` } } },
      { name: 'PUT /v2/images/{id}/file, Content-Type of 1,000', method: 'PUT', url: `/v2/images/${img}/file`,
        headers: { 'content-type': long }, body: 'data', expect: glance(415, `Invalid content type ${CLIPPED}`) },
      // Query values quoted by list errors.
      { name: 'GET /v2/images?marker=5,000', url: `/v2/images?marker=${L(5000)}`,
        expect: glance(400, `No image found with ID ${CLIPPED}`) },
      { name: 'GET /v2/images?sort_key=1,000', url: `/v2/images?sort_key=${long}`,
        expect: glance(400, `Invalid sort key: ${CLIPPED}. It must be one of the following: ${SORT_KEYS}.`) },
      { name: 'GET /v2/images?sort=name:1,000', url: `/v2/images?sort=name:${long}`,
        expect: glance(400, `Invalid sort direction: ${CLIPPED}`) },
      { name: 'GET /v2/images?visibility=1,000', url: `/v2/images?visibility=${long}`,
        expect: glance(400, `Invalid visibility value: ${CLIPPED}`) },
      { name: 'GET /v2/images?member_status=1,000', url: `/v2/images?member_status=${long}`,
        expect: glance(400, `Invalid status: ${CLIPPED}`) },
      { name: 'GET /v2/images?name=<1,000>:x', url: `/v2/images?name=${long}:x`,
        expect: glance(400, `Unable to filter by unknown operator '${CLIPPED}'.`) },
      { name: 'GET /v2/images?protected=1,000', url: `/v2/images?protected=${long}`,
        expect: glance(400, `Invalid value '${CLIPPED}' for 'protected' filter. Valid values are 'true' or 'false'.`) },
      { name: 'GET /v2/images?min_ram=1,000', url: `/v2/images?min_ram=${long}`,
        expect: glance(400, `Invalid value '${CLIPPED}' for 'min_ram' filter: it must be an integer.`) },
      { name: 'GET /v2/images?name=5,000: free text, matches nothing', url: `/v2/images?name=${L(5000)}`,
        expect: ok((b) => assert.deepEqual(b.images, [])) },
      { name: 'GET /v2/cloudimages?marker=3,000', url: `/v2/cloudimages?marker=${L(3000)}`,
        expect: ims(400, 'IMG.0001', `No image found with ID ${CLIPPED}`) },
      { name: 'GET /v2/cloudimages?__imagetype=1,000', url: `/v2/cloudimages?__imagetype=${long}`,
        expect: ims(400, 'IMG.0001',
          `Invalid value '${CLIPPED}' for '__imagetype' filter. Valid values are gold, private, shared, market.`) },
      // Identity.
      { name: 'POST /v3/auth/tokens, user name of 1,000', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login(byName(long)), expect: keystone(401, AUTH_REQUIRED) },
      { name: 'POST /v3/auth/tokens, user id of 1,000', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ id: long, password: 'secret' }), expect: keystone(401, AUTH_REQUIRED) },
      { name: 'POST /v3/auth/tokens, password of 4,097', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ name: 'demo', domain: { name: 'Default' }, password: L(4097) }),
        expect: keystone(400, "Invalid input for field 'password': longer than 4096 characters.") },
      { name: 'POST /v3/auth/tokens, scope project id of 1,000 (right password)', method: 'POST', url: '/v3/auth/tokens',
        as: null, body: login(byName('demo'), { project: { id: long } }), expect: keystone(401, AUTH_REQUIRED) },
      { name: 'GET /v3/projects/{id}', url: `/v3/projects/${long}`, as: 'admin',
        expect: keystone(404, `Could not find project: ${CLIPPED}.`) },
      { name: 'GET /v3/projects?name=5,000', url: `/v3/projects?name=${L(5000)}`, as: 'admin',
        expect: ok((b) => assert.deepEqual(b.projects, [])) },
      // IMS.
      { name: 'POST /v1/cloudimages/members, image id of 1,000', method: 'POST', url: '/v1/cloudimages/members',
        body: JSON.stringify({ images: [long], projects: [p.alt] }),
        expect: ims(400, 'IMG.0066', `The image ID is incorrect: ${CLIPPED}`) },
      { name: 'DELETE /v1/cloudimages/members, project id of 1,000', method: 'DELETE', url: '/v1/cloudimages/members',
        body: JSON.stringify({ images: [img], projects: [long] }),
        expect: ims(400, 'IMG.0067', `The project ID is incorrect: ${CLIPPED}`) },
      { name: 'PUT /v1/cloudimages/members, project_id of 1,000', method: 'PUT', url: '/v1/cloudimages/members', as: 'alt',
        body: JSON.stringify({ images: [img], project_id: long, status: 'accepted' }),
        expect: ims(400, 'IMG.0067', `The project ID is incorrect: ${CLIPPED}`) },
      { name: 'PUT /v1/cloudimages/members, vault_id of 256', method: 'PUT', url: '/v1/cloudimages/members', as: 'alt',
        body: JSON.stringify({ images: [img], project_id: p.alt, status: 'accepted', vault_id: L(256) }),
        expect: ims(400, 'IMG.0001', 'The request message format is invalid: vault_id must be a string of 1 to 255 characters, '
          + 'none of them a control character.') },
      { name: 'GET /v1/{project}/cloudimages/{image}/members, the image', url: `/v1/${p.demo}/cloudimages/${long}/members`,
        expect: ims(404, 'IMG.0027', `Image ${CLIPPED} not found.`) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members/{member}', url: `/v1/${p.demo}/cloudimages/${img}/members/${long}`,
        expect: ims(404, 'IMG.0144', memberNotFound) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members?marker=<base64 of 1,000>',
        url: `/v1/${p.demo}/cloudimages/${img}/members?marker=${Buffer.from(long).toString('base64')}`,
        expect: ims(400, 'IMG.0001', 'The marker is invalid: no such member of this image.') },
      { name: 'GET /v1/{project}/jobs/{job}', url: `/v1/${p.demo}/jobs/${long}`,
        expect: ims(404, 'IMG.0023', `Job ${CLIPPED} could not be found.`) },
      { name: 'GET /v1/cloudimages/job/{job}', url: `/v1/cloudimages/job/${long}`,
        expect: ims(404, 'IMG.0023', `Job ${CLIPPED} could not be found.`) },
      { name: 'GET /v1/{project}/jobs/{job}, the project', url: `/v1/${long}/jobs/${NO_JOB}`,
        expect: ims(400, 'IMG.0030', 'The project ID and token in the request are invalid.') },
      { name: 'PUT /v1/kms-grants/{key}/projects/{project}, the key', method: 'PUT',
        url: `/v1/kms-grants/${long}/projects/${p.alt}`,
        as: 'admin', expect: ims(400, 'IMG.0001', `The KMS key ID is incorrect: ${CLIPPED}`) },
      { name: 'PUT /v1/kms-grants/{key}/projects/{project}, the project', method: 'PUT', url: `/v1/kms-grants/k/projects/${long}`,
        as: 'admin', expect: ims(400, 'IMG.0067', `The project ID is incorrect: ${CLIPPED}`) },
      { name: 'DELETE /v1/kms-grants/{key}/projects/{project}', method: 'DELETE', url: `/v1/kms-grants/${long}/projects/${long}`,
        as: 'admin', expect: ims(404, 'IMG.0095', `Key ${CLIPPED} is not granted to project ${CLIPPED}.`) },
      { name: 'GET /v1/kms-grants?key_id=5,000', url: `/v1/kms-grants?key_id=${L(5000)}`, as: 'admin',
        expect: ok((b) => assert.deepEqual(b, { grants: [] })) },
      // Credentials.
      { name: 'X-Auth-Token of 8,000 (Glance)', url: '/v2/images', as: null, headers: { 'x-auth-token': L(8000) },
        expect: glance401 },
      { name: 'X-Auth-Token of 8,000 (IMS)', url: '/v2/cloudimages', as: null, headers: { 'x-auth-token': L(8000) },
        expect: apigw('token expires or is invalid') },
      { name: 'X-Auth-Token of 8,000 (Keystone)', url: '/v3/projects', as: null, headers: { 'x-auth-token': L(8000) },
        expect: keystone(401, AUTH_REQUIRED) },
      { name: 'X-Subject-Token of 8,000', url: '/v3/auth/tokens', headers: { 'x-subject-token': L(8000) },
        expect: keystone(404, 'Could not find token.') },
      { name: 'AK/SK, unknown access key of 100', ...signed(t, 'GET', '/v2/cloudimages', { ak: L(100) }),
        expect: apigw(`ak ${CLIPPED} not exist`) },
      { name: 'AK/SK, access key of 200', ...signed(t, 'GET', '/v2/cloudimages', { ak: L(200) }),
        expect: apigw('verify aksk signature fail') },
      { name: 'AK/SK, X-Project-Id of 300', ...signed(t, 'GET', '/v2/cloudimages', { projectId: L(300) }),
        expect: apigw('x-project-id is invalid') },
    ];
  }],

  ['huge numbers', ({ img, p }) => {
    const big = '99999999999999999999';
    const range = (name: string) => glance(400,
      `Invalid value for '${name}': it must be between -9007199254740991 and 9007199254740991.`);
    const create = (body: string, expect: Answer): Case =>
      ({ name: `POST /v2/images ${body}`, method: 'POST', url: '/v2/images', body, expect });
    return [
      { name: 'GET /v2/images?size_min=1e23', url: '/v2/images?size_min=1e23',
        expect: glance(400, 'Unable to filter on a range with a non-numeric value.') },
      { name: 'GET /v2/images?size_min=10^23', url: '/v2/images?size_min=100000000000000000000000', expect: range('size_min') },
      { name: 'GET /v2/images?size_max=-2^63', url: '/v2/images?size_max=-9223372036854775808', expect: range('size_max') },
      { name: 'GET /v2/images?min_disk=2^63', url: '/v2/images?min_disk=9223372036854775808',
        expect: glance(400,
          "Invalid value '9223372036854775808' for 'min_disk' filter: it must be between -2147483648 and 2147483647.") },
      { name: 'GET /v2/images?min_ram=1e23', url: '/v2/images?min_ram=1e23',
        expect: glance(400, "Invalid value '1e23' for 'min_ram' filter: it must be an integer.") },
      { name: `GET /v2/images?limit=${big}: Glance caps it at 1,000`, url: `/v2/images?limit=${big}`,
        expect: ok((b) => assert.deepEqual([b.images.length > 0, b.first], [true, `/v2/images?limit=${big}`])) },
      { name: `GET /v2/images?limit=-${big}`, url: `/v2/images?limit=-${big}`,
        expect: glance(400, 'limit param must be positive') },
      { name: 'GET /v2/images?created_at=gte:99999-01-01', url: '/v2/images?created_at=gte:99999-01-01',
        expect: glance(400, 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.') },
      create('{"min_disk": 9223372036854775808}', glance(400, "'min_disk' value out of range, must not exceed 2147483647.")),
      create('{"min_ram": 1e23}', glance(400, "'min_ram' value out of range, must not exceed 2147483647.")),
      create('{"min_disk": -9223372036854775808}', glance(400, "'min_disk' value out of range, must not be negative.")),
      create('{"min_ram": 1e400}',
        glance(400, "Provided object does not match schema 'image': Infinity is not of type 'integer'")),
      create('{"size": 1e400}',
        glance(400, "Provided object does not match schema 'image': Infinity is not of type 'null', 'integer'")),
      { name: 'PATCH /v2/images/{id} min_disk 2^63', method: 'PATCH', url: `/v2/images/${img}`,
        headers: { 'content-type': PATCH_TYPE }, body: '[{"op": "replace", "path": "/min_disk", "value": 9223372036854775808}]',
        expect: glance(400, "'min_disk' value out of range, must not exceed 2147483647.") },
      { name: `GET /v1/{project}/cloudimages/{image}/members?limit=${big}`,
        url: `/v1/${p.demo}/cloudimages/${img}/members?limit=${big}`,
        expect: ims(400, 'IMG.0001', 'The limit must be an integer from 1 to 1000.') },
      { name: `GET /v2/cloudimages?limit=${big}: capped`, url: `/v2/cloudimages?limit=${big}`,
        expect: ok((b) => assert.ok(b.images.length > 0)) },
      { name: 'GET /v2/cloudimages?size_max=1e23', url: '/v2/cloudimages?size_max=1e23',
        expect: ims(400, 'IMG.0001', 'Unable to filter on a range with a non-numeric value.') },
    ];
  }],

  ['deep nesting', ({ t, img, p }) => {
    const deep = 'The request body is nested more than 32 levels deep.';
    const required = 'The request message format is invalid: images is required.';
    return [
      { name: 'POST /v2/images, 4,000 objects deep', method: 'POST', url: '/v2/images', body: DEEP_OBJECT,
        expect: glance(400, deep) },
      { name: 'POST /v2/images, tags 4,000 lists deep', method: 'POST', url: '/v2/images', body: `{"tags": ${DEEP_ARRAY}}`,
        expect: glance(400, deep) },
      { name: 'PATCH /v2/images/{id}', method: 'PATCH', url: `/v2/images/${img}`, headers: { 'content-type': PATCH_TYPE },
        body: DEEP_ARRAY, expect: glance(400, deep) },
      { name: 'POST /v2/images/{id}/members', method: 'POST', url: `/v2/images/${img}/members`, body: DEEP_OBJECT,
        expect: glance(400, deep) },
      { name: 'PUT /v2/images/{id}/members/{member}', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`, as: 'alt',
        body: DEEP_OBJECT, expect: glance(400, deep) },
      { name: 'POST /v3/auth/tokens', method: 'POST', url: '/v3/auth/tokens', as: null, body: DEEP_OBJECT,
        expect: keystone(400, deep) },
      ...(['POST', 'PUT', 'DELETE'] as const).map((method): Case => ({ name: `${method} /v1/cloudimages/members`, method,
        url: '/v1/cloudimages/members', body: DEEP_ARRAY, expect: ims(400, 'IMG.0001', deep) })),
      { name: 'PUT /v1/kms-grants/{key}/projects/{project}', method: 'PUT', url: `/v1/kms-grants/k/projects/${p.alt}`,
        as: 'admin', body: DEEP_OBJECT, expect: ims(400, 'IMG.0001', deep) },
      { name: 'AK/SK POST /v1/cloudimages/members, well signed',
        ...signed(t, 'POST', '/v1/cloudimages/members', { body: DEEP_OBJECT }),
        expect: ims(400, 'IMG.0001', deep) },
      // The edge: 32 levels are read (and refused for what they say), 33 are not.
      { name: 'POST /v1/cloudimages/members, 32 levels', method: 'POST', url: '/v1/cloudimages/members', body: nested(32),
        expect: ims(400, 'IMG.0001', required) },
      { name: 'POST /v1/cloudimages/members, 33 levels', method: 'POST', url: '/v1/cloudimages/members', body: nested(33),
        expect: ims(400, 'IMG.0001', deep) },
    ];
  }],

  ['SQL metacharacters (refused or matching nothing)', ({ t, img, p }) => {
    const none = ok((b) => assert.deepEqual(b.images, []));
    return [
      { name: `GET /v2/images?name=${SQL1}`, url: `/v2/images?name=${enc(SQL1)}`, expect: none },
      { name: `GET /v2/images?name=in:${SQL1},x`, url: `/v2/images?name=in:${enc(`${SQL1},x`)}`, expect: none },
      { name: `GET /v2/images?id=${SQL1}`, url: `/v2/images?id=${enc(SQL1)}`, expect: none },
      { name: `GET /v2/images?owner=${SQL2}`, url: `/v2/images?owner=${enc(SQL2)}`, expect: none },
      { name: `GET /v2/images?tag=${SQL2}`, url: `/v2/images?tag=${enc(SQL2)}`, expect: none },
      { name: `GET /v2/images?${SQL2}=${SQL1} (extra property)`, url: `/v2/images?${enc(SQL2)}=${enc(SQL1)}`, expect: none },
      { name: `GET /v2/images?sort_key=name;${SQL2}`, url: `/v2/images?sort_key=${enc(`name;${SQL2}`)}`,
        expect: glance(400, `Invalid sort key: name;${SQL2}. It must be one of the following: ${SORT_KEYS}.`) },
      { name: `GET /v2/images?sort=name:asc;${SQL2}`, url: `/v2/images?sort=${enc(`name:asc;${SQL2}`)}`,
        expect: glance(400, `Invalid sort direction: asc;${SQL2}`) },
      { name: `GET /v2/images/${SQL1}`, url: `/v2/images/${enc(SQL1)}`, expect: glance(404, `No image found with ID ${SQL1}`) },
      { name: `DELETE /v2/images/${SQL2}`, method: 'DELETE', url: `/v2/images/${enc(SQL2)}`,
        expect: glance(404, `Failed to find image ${SQL2} to delete`) },
      { name: `GET /v2/images/{id}/members/${SQL1}`, url: `/v2/images/${img}/members/${enc(SQL1)}`,
        expect: glance(404, `${SQL1} not found in the member list of the image ${img}.`) },
      { name: `GET /v2/cloudimages?name=${SQL1}&owner=${SQL2}`, url: `/v2/cloudimages?name=${enc(SQL1)}&owner=${enc(SQL2)}`,
        expect: ok((b) => assert.deepEqual(b, { images: [] })) },
      { name: `GET /v3/projects?name=${SQL1}`, url: `/v3/projects?name=${enc(SQL1)}`, as: 'admin',
        expect: ok((b) => assert.deepEqual(b.projects, [])) },
      { name: `GET /v3/projects/${SQL1}`, url: `/v3/projects/${enc(SQL1)}`, as: 'admin',
        expect: keystone(404, `Could not find project: ${SQL1}.`) },
      { name: `POST /v3/auth/tokens, user name ${SQL1}`, method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login(byName(SQL1)), expect: keystone(401, AUTH_REQUIRED) },
      { name: `POST /v3/auth/tokens, user id ${SQL2}`, method: 'POST', url: '/v3/auth/tokens', as: null,
        body: login({ id: SQL2, password: 'secret' }), expect: keystone(401, AUTH_REQUIRED) },
      { name: `POST /v3/auth/tokens, scope project name ${SQL1} (right password)`, method: 'POST', url: '/v3/auth/tokens',
        as: null, body: login(byName('demo'), { project: { name: SQL1, domain: { name: 'Default' } } }),
        expect: keystone(401, AUTH_REQUIRED) },
      { name: `POST /v1/cloudimages/members, image ${SQL1}`, method: 'POST', url: '/v1/cloudimages/members',
        body: JSON.stringify({ images: [SQL1], projects: [p.alt] }),
        expect: ims(400, 'IMG.0066', `The image ID is incorrect: ${SQL1}`) },
      { name: `POST /v1/cloudimages/members, project ${SQL2}`, method: 'POST', url: '/v1/cloudimages/members',
        body: JSON.stringify({ images: [img], projects: [SQL2] }),
        expect: ims(400, 'IMG.0067', `The project ID is incorrect: ${SQL2}`) },
      { name: `GET /v1/{project}/cloudimages/{image}/members/${SQL1}`,
        url: `/v1/${p.demo}/cloudimages/${img}/members/${enc(SQL1)}`,
        expect: ims(404, 'IMG.0144', `${SQL1} not found in the member list of the image ${img}.`) },
      { name: `GET /v1/{project}/jobs/${SQL1}`, url: `/v1/${p.demo}/jobs/${enc(SQL1)}`,
        expect: ims(404, 'IMG.0023', `Job ${SQL1} could not be found.`) },
      { name: `GET /v1/${SQL2}/jobs/{job}`, url: `/v1/${enc(SQL2)}/jobs/${NO_JOB}`,
        expect: ims(400, 'IMG.0030', 'The project ID and token in the request are invalid.') },
      { name: `PUT /v1/kms-grants/${SQL1}/projects/{project}`, method: 'PUT',
        url: `/v1/kms-grants/${enc(SQL1)}/projects/${p.alt}`,
        as: 'admin', expect: ims(400, 'IMG.0001', `The KMS key ID is incorrect: ${SQL1}`) },
      { name: `GET /v1/kms-grants?key_id=${SQL1}`, url: `/v1/kms-grants?key_id=${enc(SQL1)}`, as: 'admin',
        expect: ok((b) => assert.deepEqual(b, { grants: [] })) },
      { name: `AK/SK, X-Project-Id ${SQL1}`, ...signed(t, 'GET', '/v2/cloudimages', { projectId: SQL1 }),
        expect: apigw('x-project-id is invalid') },
      { name: `X-Auth-Token ${SQL1}`, url: '/v2/images', as: null, headers: { 'x-auth-token': SQL1 }, expect: glance401 },
      { name: 'markup in an id is escaped in webob\'s HTML body', url: `/v2/images/${enc('<script>')}`,
        headers: { accept: 'text/html' }, expect: { status: 404, text: { type: 'text/html; charset=UTF-8',
          body: '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n'
            + '  No image found with ID &lt;script&gt;<br /><br />\n\n\n\n </body>\n</html>' } } },
    ];
  }],

  ['path traversal', ({ img, p }) => [
    { name: 'GET /v2/images/..%2f..%2fetc%2fpasswd', url: '/v2/images/..%2f..%2fetc%2fpasswd',
      expect: glance(404, 'No image found with ID ../../etc/passwd') },
    { name: 'GET /v2/images/%2e%2e%2f%2e%2e%2f', url: '/v2/images/%2e%2e%2f%2e%2e%2f',
      expect: glance(404, 'No image found with ID ../../') },
    { name: 'GET /v2/images/..%5c..%5cwin.ini', url: '/v2/images/..%5c..%5cwin.ini',
      expect: glance(404, 'No image found with ID ..\\..\\win.ini') },
    { name: 'GET /v2/images/../../etc/passwd (resolved by the router: no such route)', url: '/v2/images/../../etc/passwd',
      expect: keystone(404, 'The resource could not be found.') },
    { name: 'GET /v2/images/{../../x}/file', url: '/v2/images/..%2f..%2fx/file',
      expect: glance(404, 'No image found with ID ../../x') },
    { name: 'PUT /v2/images/{../../x}/file writes no file', method: 'PUT', url: '/v2/images/..%2f..%2fx/file',
      headers: { 'content-type': OCTETS }, body: 'data', expect: glance(404, 'No image found with ID ../../x') },
    { name: 'PUT /v2/images/{id}/tags/..%2f..%2fetc', method: 'PUT', url: `/v2/images/${img}/tags/..%2f..%2fetc`,
      expect: glance(404, 'The resource could not be found.') },
    { name: 'DELETE /v2/images/{id}/members/..%2f..%2f', method: 'DELETE', url: `/v2/images/${img}/members/..%2f..%2f`,
      expect: glance(404, `../../ not found in the member list of the image ${img}.`) },
    { name: 'GET /v2/schemas/..%2fimage', url: '/v2/schemas/..%2fimage',
      expect: glance(404, 'The resource could not be found.') },
    { name: 'GET /v1/cloudimages/job/..%2f..%2f', url: '/v1/cloudimages/job/..%2f..%2f',
      expect: ims(404, 'IMG.0023', 'Job ../../ could not be found.') },
    { name: 'GET /v1/{project}/cloudimages/..%2f..%2f/members', url: `/v1/${p.demo}/cloudimages/..%2f..%2f/members`,
      expect: ims(404, 'IMG.0027', 'Image ../../ not found.') },
    { name: 'GET /v1/..%2f/jobs/{job}', url: `/v1/..%2f/jobs/${NO_JOB}`,
      expect: ims(400, 'IMG.0030', 'The project ID and token in the request are invalid.') },
    { name: 'DELETE /v1/kms-grants/..%2f..%2f/projects/{project}', method: 'DELETE',
      url: `/v1/kms-grants/..%2f..%2f/projects/${p.alt}`,
      as: 'admin', expect: ims(404, 'IMG.0095', `Key ../../ is not granted to project ${p.alt}.`) },
    { name: 'GET /v3/projects/..%2f..%2f', url: '/v3/projects/..%2f..%2f', as: 'admin',
      expect: keystone(404, 'Could not find project: ../../.') },
    { name: 'GET /%2e%2e/%2e%2e/etc/passwd', url: '/%2e%2e/%2e%2e/etc/passwd', as: null,
      expect: keystone(404, 'The resource could not be found.') },
  ]],

  ['prototype-named keys', ({ t, img, p }) => {
    const forbiddenKey = 'The request body has a forbidden "__proto__" or "constructor" key.';
    return [
      { name: 'POST /v2/images {"__proto__": "x"}', method: 'POST', url: '/v2/images', body: '{"__proto__": "x"}',
        expect: glance(400, forbiddenKey) },
      { name: 'POST /v2/images {"__proto__": {...}}', method: 'POST', url: '/v2/images', body: '{"__proto__": {"owner": "x"}}',
        expect: glance(400, forbiddenKey) },
      { name: 'POST /v2/images {"constructor": {"prototype": ...}}', method: 'POST', url: '/v2/images',
        body: '{"constructor": {"prototype": {"isAdmin": true}}}', expect: glance(400, forbiddenKey) },
      { name: 'PATCH add /__proto__', method: 'PATCH', url: `/v2/images/${img}`, headers: { 'content-type': PATCH_TYPE },
        body: '[{"op": "add", "path": "/__proto__", "value": "x"}]',
        expect: glance(400, 'Custom property name "__proto__" is not allowed.') },
      { name: 'PATCH [{"__proto__": ...}]', method: 'PATCH', url: `/v2/images/${img}`, headers: { 'content-type': PATCH_TYPE },
        body: '[{"__proto__": {"op": "add"}}]', expect: glance(400, forbiddenKey) },
      { name: 'POST /v2/images/{id}/members {"__proto__": ...}', method: 'POST', url: `/v2/images/${img}/members`,
        body: '{"__proto__": {"member": "x"}}', expect: glance(400, forbiddenKey) },
      { name: 'PUT /v2/images/{id}/members/{member} {"__proto__": ...}', method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
        as: 'alt', body: '{"status": "accepted", "__proto__": {}}', expect: glance(400, forbiddenKey) },
      { name: 'POST /v3/auth/tokens {"auth": {"__proto__": ...}}', method: 'POST', url: '/v3/auth/tokens', as: null,
        body: '{"auth": {"__proto__": {"identity": {}}}}', expect: keystone(400, forbiddenKey) },
      { name: 'POST /v1/cloudimages/members {"__proto__": ...}', method: 'POST', url: '/v1/cloudimages/members',
        body: '{"__proto__": {"images": []}}', expect: ims(400, 'IMG.0001', forbiddenKey) },
      // A signed body is parsed only once its signature is verified (http/authentication.ts): by the same guard.
      { name: 'AK/SK POST /v1/cloudimages/members {"__proto__": ...}',
        ...signed(t, 'POST', '/v1/cloudimages/members', { body: '{"__proto__": {"images": []}}' }),
        expect: ims(400, 'IMG.0001', forbiddenKey) },
      { name: 'AK/SK POST /v2/images {"constructor": {"prototype": ...}}',
        ...signed(t, 'POST', '/v2/images', { body: '{"constructor": {"prototype": {"isAdmin": true}}}' }),
        expect: ims(400, 'IMG.0001', forbiddenKey) },
      { name: 'PUT /v1/cloudimages/members {"constructor": {"prototype": ...}}', method: 'PUT', url: '/v1/cloudimages/members',
        as: 'alt', body: JSON.stringify({ images: [img], project_id: p.alt, status: 'accepted',
          constructor: { prototype: { admin: true } } }),
        expect: ims(400, 'IMG.0001', forbiddenKey) },
      { name: 'POST /v1/cloudimages/members {"toString": ..., "images": ...} (no images)', method: 'POST',
        url: '/v1/cloudimages/members', body: '{"toString": "x", "hasOwnProperty": 1}',
        expect: ims(400, 'IMG.0001', 'The request message format is invalid: images is required.') },
      { name: 'GET /v2/images/__proto__', url: '/v2/images/__proto__', expect: glance(404, 'No image found with ID __proto__') },
      { name: 'GET /v2/images/{id}/members/constructor', url: `/v2/images/${img}/members/constructor`,
        expect: glance(404, `constructor not found in the member list of the image ${img}.`) },
      { name: 'GET /v2/images?__proto__=x&constructor=y&toString=z', url: '/v2/images?__proto__=x&constructor=y&toString=z',
        expect: ok((b) => assert.deepEqual(b.images, [])) },
      { name: 'GET /v1/{project}/cloudimages/{image}/members?__proto__=x&constructor=y',
        url: `/v1/${p.demo}/cloudimages/${img}/members?__proto__=x&constructor=y`,
        expect: ok((b) => assert.deepEqual(b.members.map((m: { member_id: string }) => m.member_id), [p.alt])) },
      { name: 'GET /v1/kms-grants?__proto__=x', url: '/v1/kms-grants?__proto__=x', as: 'admin',
        expect: ok((b) => assert.deepEqual(b, { grants: [] })) },
      { name: 'GET /v3/projects?toString=x', url: '/v3/projects?toString=x', as: 'admin',
        expect: ok((b) => assert.equal(b.projects.length, 4)) },
      { name: 'GET /v3/projects/constructor', url: '/v3/projects/constructor', as: 'admin',
        expect: keystone(404, 'Could not find project: constructor.') },
    ];
  }],

  ['oversized bodies', ({ t, img, p }) => {
    const tooLarge = 'Request body is too large.';
    const size = (bytes: number) => {
      const [unit, n] = bytes >= MIB ? ['MiB', MIB] as const : ['KiB', KIB] as const;
      return `${Math.floor(bytes / n)} ${unit}${bytes % n === 0 ? '' : ` + ${bytes % n} B`}`;
    };
    const body = (method: Method, url: string, bytes: number, expect: Answer, extra: Partial<Case> = {}): Case =>
      ({ name: `${method} ${url.replace(img, '{id}').replace(p.alt, '{project}')}, ${size(bytes)}`, method, url,
        body: sized(bytes), expect, ...extra });
    const notExpected = glance(400, 'A body is not expected with this request.');
    return [
      body('POST', '/v2/images', 12 * MIB + 1, glance(413, tooLarge)),
      body('POST', '/v2/images', 12 * MIB,
        glance(400, `Provided object does not match schema 'image': ${REPR_CLIPPED} is too long`)),
      body('PATCH', `/v2/images/${img}`, 12 * MIB + 1, glance(413, tooLarge), { headers: { 'content-type': PATCH_TYPE } }),
      body('PATCH', `/v2/images/${img}`, 12 * MIB, glance(400, 'Request body must be a JSON array of operation objects.'),
        { headers: { 'content-type': PATCH_TYPE } }),
      body('POST', `/v2/images/${img}/members`, 64 * KIB + 1, glance(413, tooLarge)),
      body('POST', `/v2/images/${img}/members`, 64 * KIB, glance(400, 'Member to be added not specified')),
      body('PUT', `/v2/images/${img}/members/${p.alt}`, 64 * KIB + 1, glance(413, tooLarge), { as: 'alt' }),
      body('PUT', `/v2/images/${img}/tags/x`, 64 * KIB + 1, notExpected),
      body('POST', `/v2/images/${img}/actions/deactivate`, 64 * KIB + 1, notExpected),
      body('GET', `/v2/images/${img}`, 64 * KIB + 1, notExpected),
      // The image list ignores a body (no body_reject in Glance's router), and does not read it.
      body('GET', '/v2/images', 64 * KIB + 1, ok((b) => assert.deepEqual(b.images.map((i: { id: string }) => i.id), [img]))),
      body('DELETE', `/v2/images/${img}`, 64 * KIB + 1, notExpected),
      body('POST', '/v3/auth/tokens', 112 * KIB + 1, keystone(413, tooLarge), { as: null }),
      body('POST', '/v3/auth/tokens', 112 * KIB, keystone(400, 'Expecting to find auth.identity in request body.'), { as: null }),
      ...(['POST', 'PUT', 'DELETE'] as const).flatMap((method) => [
        body(method, '/v1/cloudimages/members', 256 * KIB + 1, ims(413, 'IMG.0001', tooLarge)),
        body(method, '/v1/cloudimages/members', 256 * KIB,
          ims(400, 'IMG.0001', 'The request message format is invalid: images is required.')),
      ]),
      body('PUT', `/v1/kms-grants/k/projects/${p.alt}`, 64 * KIB + 1, ims(413, 'IMG.0001', tooLarge), { as: 'admin' }),
      body('POST', '/healthz', 64 * KIB + 1, keystone(413, tooLarge), { as: null }),
      { name: 'AK/SK POST /v1/cloudimages/members, 256 KiB + 1, well signed', ...signed(t, 'POST', '/v1/cloudimages/members',
        { body: sized(256 * KIB + 1) }), expect: ims(413, 'IMG.0001', tooLarge) },
    ];
  }],

  ['AK/SK signatures and clock skew', ({ t, img, p }) => {
    const batch = JSON.stringify({ images: [img], projects: [p.other] });
    const routes: [Method, string, string?][] = [
      ['POST', '/v1/cloudimages/members', batch],
      ['PUT', '/v1/cloudimages/members', JSON.stringify({ images: [img], project_id: p.demo, status: 'accepted' })],
      ['DELETE', '/v1/cloudimages/members', batch],
      ['GET', `/v1/${p.demo}/jobs/${NO_JOB}`],
      ['GET', `/v1/cloudimages/job/${NO_JOB}`],
      ['GET', `/v1/${p.demo}/cloudimages/${img}/members`],
      ['GET', `/v1/${p.demo}/cloudimages/${img}/members/${p.alt}`],
      ['GET', '/v1/kms-grants'],
      ['PUT', `/v1/kms-grants/k/projects/${p.alt}`],
      ['DELETE', `/v1/kms-grants/k/projects/${p.alt}`],
      ['GET', '/v2/cloudimages'],
      ['GET', '/v2/images'],
      ['GET', `/v2/images/${img}`],
      ['POST', `/v2/images/${img}/members`, JSON.stringify({ member: p.other })],
      ['GET', '/v2/schemas/image'],
      ['GET', `/v3/projects/${p.demo}`],
    ];
    const now = t.container.clock.now().getTime();
    const fail = apigw('verify aksk signature fail');
    const variants: [string, (body?: string) => SignOptions, Answer][] = [
      ['a wrong secret key', () => ({ sk: `${KEY.secret}x` }), fail],
      ['signed 16 minutes ago', () => ({ date: new Date(now - 16 * 60_000) }), apigw('signature expired')],
      ['signed 16 minutes ahead', () => ({ date: new Date(now + 16 * 60_000) }), apigw('signature expired')],
      ['an unknown access key', () => ({ ak: 'AKNOBODY00000000000001' }), apigw('ak AKNOBODY00000000000001 not exist')],
      ['tampered after signing',
        (body) => (body ? { sent: body.replace(p.demo, p.alt).replace(p.other, p.alt) } : { query: 'limit=1' }), fail],
      ['a malformed Authorization', () => ({ authorization: () => 'SDK-HMAC-SHA256 garbage' }), fail],
      ['X-Sdk-Date not signed', () => ({ authorization: (a) => a.replace(/;x-sdk-date/, '') }), fail],
    ];
    return [
      ...routes.flatMap(([method, path, body]) => variants.map(([name, options, expect]): Case =>
        ({ name: `${method} ${path.replace(img, '{image}').replace(p.demo, '{project}').replace(p.alt, '{member}')}, ${name}`,
          ...signed(t, method, path, { body, ...options(body) }), expect }))),
      // Controls: the same signing, unspoiled, is accepted (so the refusals above are the spoiling's doing).
      { name: 'control: GET /v2/cloudimages, signed 14 minutes ago',
        ...signed(t, 'GET', '/v2/cloudimages', { date: new Date(now - 14 * 60_000) }),
        expect: ok((b) => assert.deepEqual(b.images.map((i: { id: string }) => i.id), [img])) },
      { name: 'control: GET /v1/{project}/cloudimages/{image}/members, signed now',
        ...signed(t, 'GET', `/v1/${p.demo}/cloudimages/${img}/members`),
        expect: ok((b) => assert.equal(b.page_info.current_count, 1)) },
      { name: 'control: GET /v2/images/{image}, signed now', ...signed(t, 'GET', `/v2/images/${img}`),
        expect: ok((b) => assert.equal(b.id, img)) },
      { name: 'control: GET /v3/projects/{project}, signed now', ...signed(t, 'GET', `/v3/projects/${p.demo}`),
        expect: ok((b) => assert.equal(b.project.id, p.demo)) },
    ];
  }],

  ['repeated and numerous query parameters, unknown paths', ({ img, p }) => [
    // Past SQLite's expression depth (1,000) a list's conditions would be a 500: tags and extra-property
    // filters are bounded by what an image can hold (128 each), repeated sort keys and tags asked once.
    { name: 'GET /v2/images with 2,500 tag=x', url: `/v2/images?${many(2500, () => 'tag=x')}`,
      expect: ok((b) => assert.deepEqual(b.images, [])) },
    { name: 'GET /v2/images with 128 distinct tags and 128 properties', url: `/v2/images?${many(128, (i) => `tag=t${i}`)}&${
      many(128, (i) => `p${i}=x`)}`, expect: ok((b) => assert.deepEqual(b.images, [])) },
    { name: 'GET /v2/images with 129 distinct tags', url: `/v2/images?${many(129, (i) => `tag=t${i}`)}`,
      expect: glance(400, 'At most 128 tags may be filtered on (an image has at most 128).') },
    { name: 'GET /v2/images with 1,000 property filters', url: `/v2/images?${many(1000, (i) => `p${i}=x`)}`,
      expect: glance(400, 'At most 128 properties may be filtered on (an image has at most 128).') },
    { name: 'GET /v2/cloudimages with 2,500 distinct tags', url: `/v2/cloudimages?${many(2500, (i) => `tag=t${i}`)}`,
      expect: ims(400, 'IMG.0001', 'At most 128 tags may be filtered on (an image has at most 128).') },
    { name: 'GET /v2/images?sort=id,id,... (2,000 keys)', url: `/v2/images?sort=${many(2000, () => 'id').replace(/&/g, ',')}`,
      expect: ok((b) => assert.deepEqual(b.images.map((i: { id: string }) => i.id), [img])) },
    { name: 'GET /v2/images?sort_key=name&... (2,000 keys)', url: `/v2/images?${many(2000, () => 'sort_key=name')}`,
      expect: ok((b) => assert.deepEqual(b.images.map((i: { id: string }) => i.id), [img])) },
    { name: 'GET /v1/{project}/cloudimages/{image}/members?marker=a&marker=b',
      url: `/v1/${p.demo}/cloudimages/${img}/members?marker=YQ&marker=Yg`,
      expect: ims(400, 'IMG.0001', 'The query parameter marker may be given only once.') },
    { name: 'GET /v1/{project}/cloudimages/{image}/members?limit=1&limit=2',
      url: `/v1/${p.demo}/cloudimages/${img}/members?limit=1&limit=2`,
      expect: ims(400, 'IMG.0001', 'The query parameter limit may be given only once.') },
    { name: 'GET /v1/kms-grants?key_id=a&key_id=b', url: '/v1/kms-grants?key_id=a&key_id=b', as: 'admin',
      expect: ims(400, 'IMG.0001', 'The query parameter key_id may be given only once.') },
    { name: 'GET /v3/projects?name=a&name=b', url: '/v3/projects?name=a&name=b', as: 'admin',
      expect: keystone(400, 'The query parameter name may be given only once.') },
    { name: 'GET /nowhere/<3,000>', url: `/nowhere/${L(3000)}`, as: null,
      expect: keystone(404, 'The resource could not be found.') },
    { name: 'POST /healthz', method: 'POST', url: '/healthz', as: null,
      expect: keystone(404, 'The resource could not be found.') },
    { name: 'GET /v2/nowhere', url: '/v2/nowhere', expect: glance(404, 'The resource could not be found.') },
    { name: 'GET /v3/nowhere', url: '/v3/nowhere', expect: keystone(404, 'The resource could not be found.') },
    { name: 'GET /v1/nowhere', url: '/v1/nowhere', expect: UNKNOWN_API },
    { name: 'GET /v2/cloudimages/nowhere', url: '/v2/cloudimages/nowhere', expect: UNKNOWN_API },
    { name: 'GET /v2/cloudimages/nowhere, no token', url: '/v2/cloudimages/nowhere', as: null,
      expect: apigw('x-auth-token not found') },
  ]],
];

// ---- Accepted free text: stored verbatim, matching only itself ----

/** Reads an image as demo (200 expected). */
async function showImage(t: TestApp, id: string): Promise<Record<string, any>> {
  const res = await t.app.inject({ url: `/v2/images/${id}`, headers: { 'x-auth-token': t.tokens.demo } });
  assert.equal(res.statusCode, 200, res.body);
  return json(res) as Record<string, any>;
}

/** The ids demo lists with this query string. */
async function listed(t: TestApp, query: string): Promise<string[]> {
  const res = await t.app.inject({ url: `/v2/images?${query}`, headers: { 'x-auth-token': t.tokens.demo } });
  assert.equal(res.statusCode, 200, res.body);
  return (json(res) as { images: { id: string }[] }).images.map((i) => i.id);
}

const PROTO_NAMES = { constructor: 'c', toString: 't', hasOwnProperty: 'h', valueOf: 'v', __defineGetter__: 'g' };

function storedCases({ img, p }: Fixtures): Stored[] {
  const created = (res: LightMyRequestResponse) => (json(res) as { id: string }).id;
  return [
    { name: `POST /v2/images: name ${SQL1}, property ${SQL2}, tags, prototype names`, method: 'POST', url: '/v2/images',
      status: 201, body: JSON.stringify({ name: SQL1, [SQL2]: SQL1, tags: [SQL2, 'toString'], ...PROTO_NAMES }),
      verify: async (t, res) => {
        const id = created(res);
        const image = await showImage(t, id);
        assert.deepEqual([image.name, image[SQL2], image.tags], [SQL1, SQL1, [SQL2, 'toString']]);
        for (const [k, v] of Object.entries(PROTO_NAMES)) assert.equal(image[k], v, k);
        const row = await t.container.store.db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.deepEqual([row.name, JSON.parse(row.extra)[SQL2], JSON.parse(row.tags)], [SQL1, SQL1, [SQL2, 'toString']]);
        // Each filter matches this image only, not every image.
        for (const query of [`name=${enc(SQL1)}`, `tag=${enc(SQL2)}`, `${enc(SQL2)}=${enc(SQL1)}`, 'toString=t', 'constructor=c',
          '__defineGetter__=g', 'tag=toString']) {
          assert.deepEqual(await listed(t, query), [id], query);
        }
        assert.deepEqual(await listed(t, 'constructor=x'), []);
      } },
    { name: 'POST /v2/images: control characters in the name', method: 'POST', url: '/v2/images', status: 201,
      body: JSON.stringify({ name: 'a\u0001\u001f\u007f\tb' }),
      verify: async (t, res) => assert.equal((await showImage(t, created(res))).name, 'a\u0001\u001f\u007f\tb') },
    { name: 'POST /v2/images: property name of 255, value of 65,535', method: 'POST', url: '/v2/images', status: 201,
      body: JSON.stringify({ ['P'.repeat(255)]: 'V'.repeat(65_535) }),
      verify: async (t, res) => assert.equal((await showImage(t, created(res)))['P'.repeat(255)], 'V'.repeat(65_535)) },
    { name: `PATCH /v2/images/{id}: name ${SQL2}, add /constructor, /toString`, method: 'PATCH', url: `/v2/images/${img}`,
      status: 200, headers: { 'content-type': PATCH_TYPE }, body: JSON.stringify([{ op: 'replace', path: '/name', value: SQL2 },
        { op: 'add', path: '/constructor', value: SQL1 }, { op: 'add', path: '/toString', value: 'x' }]),
      verify: async (t) => {
        const image = await showImage(t, img);
        assert.deepEqual([image.name, image.constructor, image.toString], [SQL2, SQL1, 'x']);
        assert.deepEqual(await listed(t, `name=${enc(SQL2)}`), [img]);
      } },
    { name: `PUT /v2/images/{id}/tags/${SQL1}`, method: 'PUT', url: `/v2/images/${img}/tags/${enc(SQL1)}`, status: 204,
      verify: async (t) => {
        assert.deepEqual((await showImage(t, img)).tags, [SQL1]);
        assert.deepEqual(await listed(t, `tag=${enc(SQL1)}`), [img]);
      } },
    { name: `POST /v2/images/{id}/members: member ${SQL1} (Glance takes any name)`, method: 'POST',
      url: `/v2/images/${img}/members`, status: 200, body: JSON.stringify({ member: SQL1 }), verify: async (t, res) => {
        assert.equal((json(res) as { member_id: string }).member_id, SQL1);
        const one = await t.app.inject({ url: `/v2/images/${img}/members/${enc(SQL1)}`,
          headers: { 'x-auth-token': t.tokens.demo } });
        assert.equal((json(one) as { member_id: string }).member_id, SQL1);
        const rows = await t.container.store.db.selectFrom('image_members').select('member_id')
          .where('image_id', '=', img).execute();
        assert.deepEqual(rows.map((r) => r.member_id).sort(), [SQL1, p.alt].sort());
      } },
    { name: `PUT /v2/images/{id}/members/{member}: vault_id ${SQL2}`, method: 'PUT', url: `/v2/images/${img}/members/${p.alt}`,
      as: 'alt', status: 200, body: JSON.stringify({ status: 'accepted', vault_id: SQL2 }), verify: async (t) => {
        const row = await t.container.store.db.selectFrom('image_members').selectAll().where('image_id', '=', img)
          .where('member_id', '=', p.alt).executeTakeFirstOrThrow();
        assert.deepEqual([row.status, row.vault_id], ['accepted', SQL2]);
      } },
    { name: 'POST /v2/images: __system__cmkid of 1,000; sharing it is refused quoting 64 characters of the key', method: 'POST',
      url: '/v2/images', status: 201, body: JSON.stringify({ __system__cmkid: 'K'.repeat(1000) }), verify: async (t, res) => {
        const id = created(res);
        assert.equal((await showImage(t, id)).__system__cmkid, 'K'.repeat(1000));
        const share = await t.app.inject({ method: 'POST', url: `/v2/images/${id}/members`,
          headers: { 'x-auth-token': t.tokens.demo, accept: 'application/json' }, payload: { member: p.alt } });
        assertAnswer(share, glance(403, `The KMS key ${'K'.repeat(CLIP)}... of image ${id} has not been granted to project `
          + `${p.alt}; authorize the key for that project first.`));
        const rows = await t.container.store.db.selectFrom('image_members').select('member_id')
          .where('image_id', '=', id).execute();
        assert.deepEqual(rows, []);
      } },
    { name: 'PUT /v1/kms-grants/..%2f..%2f/projects/{project}: the key id is opaque text', method: 'PUT', as: 'admin',
      url: `/v1/kms-grants/..%2f..%2f/projects/${p.alt}`, status: 204, verify: async (t) => {
        const res = await t.app.inject({ url: `/v1/kms-grants?key_id=${enc('../../')}`,
          headers: { 'x-auth-token': t.tokens.admin } });
        assert.deepEqual((json(res) as { grants: { key_id: string; project_id: string }[] }).grants
          .map((g) => [g.key_id, g.project_id]), [['../../', p.alt]]);
      } },
  ];
}

// ---- The runner ----

let sources = 0;

function send(t: TestApp, r: Request): Promise<LightMyRequestResponse> {
  const token = r.as === null ? undefined : t.tokens[r.as ?? 'demo'];
  sources += 1;
  return t.app.inject({
    method: r.method ?? 'GET', url: r.url,
    // A source address of its own, so failed logins of the catalogue never meet the per-address limit.
    remoteAddress: `10.${(sources >> 16) & 255}.${(sources >> 8) & 255}.${sources & 255}`,
    headers: { accept: 'application/json', ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { 'x-auth-token': token }), ...r.headers },
    ...(r.body === undefined ? {} : { payload: r.body }),
  });
}

function assertAnswer(res: LightMyRequestResponse, expect: Answer): void {
  assert.equal(res.statusCode, expect.status, res.body.slice(0, 500));
  if (expect.text) {
    assert.equal(res.headers['content-type'], expect.text.type);
    assert.equal(res.body, expect.text.body);
  } else {
    const body = json(res) as Record<string, unknown>;
    // webob's JSON errors carry no charset; every other JSON answer is Fastify's.
    const webob = typeof body.code === 'string' && typeof body.title === 'string';
    assert.equal(res.headers['content-type'], webob ? 'application/json' : 'application/json; charset=utf-8');
    if (expect.body !== undefined) {
      const want = (expect.body as { request_id?: string }).request_id === REQUEST_ID
        ? { ...(expect.body as object), request_id: res.headers['x-request-id'] } : expect.body;
      assert.deepEqual(body, want);
    }
    expect.check?.(body);
  }
  for (const [name, value] of Object.entries(expect.headers ?? {})) assert.equal(res.headers[name], value, name);
  // Whatever the message, a refusal quotes at most a short prefix of a long value (a list's links hold its query).
  if (res.statusCode >= 400) assert.doesNotMatch(res.body, new RegExp(`L{${CLIP + 1}}`));
}

for (const kind of databaseKinds()) {
  describe(`bad-input catalogue (${kind.name})`, () => {
    it('every route refuses bad input in its dialect, quoting little, changing nothing; keeps free text', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const img = await activeImage(t, t.tokens.demo);
      const share = await t.app.inject({ method: 'POST', url: `/v2/images/${img}/members`,
        headers: { 'x-auth-token': t.tokens.demo }, payload: { member: t.projects.alt } });
      assert.equal(share.statusCode, 200, share.body);
      // Listing gives each project its list_revs row on first use: every caller lists once before the digest.
      for (const token of Object.values(t.tokens)) {
        for (const url of ['/v2/images', '/v2/cloudimages']) {
          assert.equal((await t.app.inject({ url, headers: { 'x-auth-token': token } })).statusCode, 200);
        }
      }
      const fixtures: Fixtures = { t, img, p: t.projects };
      let state = await stateDigest(t);

      for (const [family, cases] of FAMILIES) {
        await tc.test(family, async (ft) => {
          for (const c of cases(fixtures)) {
            await ft.test(c.name, async () => {
              const res = await send(t, c);
              const before = state;
              // The next case compares with what this one left, so that one change fails one case.
              state = await stateDigest(t);
              assertAnswer(res, c.expect);
              assert.equal(state, before, 'the request changed the store');
            });
          }
        });
      }

      await tc.test('accepted free text is stored verbatim', async (ft) => {
        for (const c of storedCases(fixtures)) {
          await ft.test(c.name, async () => {
            const res = await send(t, c);
            assert.equal(res.statusCode, c.status, res.body.slice(0, 500));
            await c.verify(t, res);
            assert.notEqual(await stateDigest(t), state, 'an accepted request is stored');
            state = await stateDigest(t);
          });
        }
      });
    });
  });
}
