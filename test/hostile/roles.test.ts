import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from '../../src/auth/aksk.js';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { glanceError } from '../helpers/glance.js';
import { activeImage } from '../helpers/ims.js';

const VIEWER_KEY = { access: 'AKVIEWER000000000001', secret: 'SKVIEWER-secret-value-00000000000000000' };

/** A user of project demo with the reader role only, and its access key. */
async function withViewer(t: TestApp): Promise<string> {
  await t.container.identity.applyBootstrap({
    users: [{ name: 'viewer', password: 'secret', project: 'demo', roles: ['reader'] }],
    access_keys: [{ ...VIEWER_KEY, user: 'viewer' }],
  });
  const user = (await t.container.repos.identity.userByName('default', 'viewer'))!;
  return t.container.identity.issueFor(user.id, t.projects.demo, ['reader']);
}

const JSON_TYPE = 'application/json';
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

interface Case {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  type?: string;
  /** Glance's rule, for a write. */
  rule?: string;
}

/** Every route family, as the reader of project demo would call it on demo's image (shared with alt). */
function cases(t: TestApp, image: string): Case[] {
  const p = t.projects;
  return [
    { method: 'GET', url: '/v2/images' },
    { method: 'GET', url: `/v2/images/${image}` },
    { method: 'GET', url: `/v2/images/${image}/file` },
    { method: 'GET', url: `/v2/images/${image}/members` },
    { method: 'GET', url: `/v2/images/${image}/members/${p.alt}` },
    { method: 'GET', url: '/v2/schemas/image' },
    { method: 'GET', url: `/v1/${p.demo}/cloudimages/${image}/members` },
    { method: 'GET', url: '/v2/cloudimages' },
    { method: 'POST', url: '/v2/images', body: { name: 'x' }, rule: 'add_image' },
    { method: 'PATCH', url: `/v2/images/${image}`, body: [{ op: 'replace', path: '/name', value: 'y' }], type: PATCH_TYPE,
      rule: 'modify_image' },
    { method: 'PUT', url: `/v2/images/${image}/tags/t`, rule: 'modify_image' },
    { method: 'POST', url: `/v2/images/${image}/actions/deactivate`, rule: 'deactivate' },
    { method: 'POST', url: `/v2/images/${image}/members`, body: { member: p.other }, rule: 'add_member' },
    { method: 'PUT', url: `/v2/images/${image}/members/${p.alt}`, body: { status: 'accepted' }, rule: 'modify_member' },
    { method: 'DELETE', url: `/v2/images/${image}/members/${p.alt}`, rule: 'delete_member' },
    { method: 'DELETE', url: `/v2/images/${image}`, rule: 'delete_image' },
    { method: 'POST', url: '/v1/cloudimages/members', body: { images: [image], projects: [p.other] } },
    { method: 'DELETE', url: '/v1/cloudimages/members', body: { images: [image], projects: [p.alt] } },
  ];
}

for (const kind of databaseKinds()) {
  describe(`roles (${kind.name})`, () => {
    it('reader reads and cannot write, with a token or with AK/SK; the member may do both', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const reader = await withViewer(t);
      const image = await activeImage(t, t.tokens.demo);
      const add = await t.app.inject({ method: 'POST', url: `/v2/images/${image}/members`,
        headers: { 'x-auth-token': t.tokens.demo }, payload: { member: t.projects.alt } });
      assert.equal(add.statusCode, 200);
      for (const c of cases(t, image)) {
        const payload = c.body === undefined ? undefined : JSON.stringify(c.body);
        const headers: Record<string, string> = { accept: JSON_TYPE, ...(payload ? { 'content-type': c.type ?? JSON_TYPE } : {}) };
        const res = await t.app.inject({ method: c.method, url: c.url, payload, headers: { ...headers, 'x-auth-token': reader } });
        const ims = c.url.startsWith('/v1') || c.url.startsWith('/v2/cloudimages');
        if (c.method === 'GET') {
          assert.equal(res.statusCode, 200, `reader ${c.method} ${c.url}: ${res.body}`);
        } else if (ims) {
          assert.equal(res.statusCode, 403, `${c.method} ${c.url}`);
          assert.deepEqual(json(res), { error: { code: 'IMG.0026',
            message: 'The role is invalid: this operation needs the member role in the project.' } });
          // The same with the reader's access key.
          const signed = sign({ method: c.method, host: 'ims.test:9292', path: c.url, body: payload, ak: VIEWER_KEY.access,
            sk: VIEWER_KEY.secret, date: t.container.clock.now() });
          const aksk: Record<string, string> = { ...headers };
          for (const [k, v] of Object.entries(signed.headers)) aksk[k.toLowerCase()] = v;
          const viaKey = await t.app.inject({ method: c.method, url: c.url, payload, headers: aksk });
          assert.equal(viaKey.statusCode, 403, `AK/SK ${c.method} ${c.url}: ${viaKey.body}`);
        } else {
          assert.equal(res.statusCode, 403, `${c.method} ${c.url}`);
          assert.deepEqual(json(res), glanceError(403, 'Forbidden', `You are not authorized to complete ${c.rule} action.`));
        }
      }
      // Nothing the reader tried changed anything.
      const still = json(await t.app.inject({ url: `/v2/images/${image}`, headers: { 'x-auth-token': t.tokens.demo } })) as
        { name: string; status: string; tags: string[] };
      assert.deepEqual([still.name, still.status, still.tags], ['i', 'active', []]);
      const members = json(await t.app.inject({ url: `/v2/images/${image}/members`, headers: { 'x-auth-token': t.tokens.demo } })) as
        { members: { member_id: string; status: string }[] };
      assert.deepEqual(members.members.map((m) => [m.member_id, m.status]), [[t.projects.alt, 'pending']]);
      // The member role of the same project writes.
      const renamed = await t.app.inject({ method: 'PATCH', url: `/v2/images/${image}`, headers: { 'x-auth-token': t.tokens.demo,
        'content-type': PATCH_TYPE }, payload: JSON.stringify([{ op: 'replace', path: '/name', value: 'y' }]) });
      assert.equal(renamed.statusCode, 200);
    });
  });
}
