import assert from 'node:assert/strict';
import { json, type TestApp } from './app.js';

/** An active image (with `data`) owned by the token's project. */
export async function activeImage(t: TestApp, token: string, body: Record<string, unknown> = {},
  data = Buffer.from('data')): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v2/images', headers: { 'x-auth-token': token },
    payload: { name: 'i', container_format: 'bare', disk_format: 'raw', ...body } });
  assert.equal(res.statusCode, 201, res.body);
  const id = (json(res) as { id: string }).id;
  const up = await t.app.inject({ method: 'PUT', url: `/v2/images/${id}/file`,
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, payload: data });
  assert.equal(up.statusCode, 204, up.body);
  return id;
}

