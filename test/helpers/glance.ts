import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { json, type TestApp } from './app.js';

export const JSON_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };
export const PATCH_21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_20 = 'application/openstack-images-v2.0-json-patch';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** A JSON request with a token; `headers` override the JSON defaults. */
export function call(t: TestApp, token: string, method: Method, url: string, payload?: unknown,
  headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method, url, headers: { ...JSON_HEADERS, 'x-auth-token': token, ...headers },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
}

export function patch(t: TestApp, token: string, id: string, ops: unknown, type = PATCH_21) {
  return call(t, token, 'PATCH', `/v2/images/${id}`, ops, { 'content-type': type });
}

/** Creates an image (formats bare/raw unless overridden) and returns its body. */
export async function createImage(t: TestApp, token: string, body: Record<string, unknown> = {})
  : Promise<Record<string, any>> {
  const res = await call(t, token, 'POST', '/v2/images',
    { name: 'img', container_format: 'bare', disk_format: 'raw', ...body });
  assert.equal(res.statusCode, 201, res.body);
  return json(res) as Record<string, any>;
}

/** Adds `member` to the image as its owner, then sets the member's status as the member. */
export async function share(t: TestApp, ownerToken: string, id: string, member: keyof TestApp['projects'],
  status: 'pending' | 'accepted' | 'rejected') {
  const add = await call(t, ownerToken, 'POST', `/v2/images/${id}/members`, { member: t.projects[member] });
  assert.equal(add.statusCode, 200, add.body);
  if (status !== 'pending') {
    const res = await call(t, t.tokens[member], 'PUT', `/v2/images/${id}/members/${t.projects[member]}`, { status });
    assert.equal(res.statusCode, 200, res.body);
  }
}

/** The webob JSON error body. */
export const glanceError = (status: number, title: string, message: string) =>
  ({ message: `${message}<br /><br />\n\n\n`, code: `${status} ${title}`, title });

/** Asserts status, webob's JSON content type (no charset) and the exact webob body. */
export function assertGlanceError(res: LightMyRequestResponse, status: number, title: string, message: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.deepEqual(json(res), glanceError(status, title, message));
}
