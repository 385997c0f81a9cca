import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { assertGlanceError, call, createImage } from '../../helpers/glance.js';

for (const kind of databaseKinds()) {
  describe(`Glance scope (${kind.name})`, () => {
    it('401 with the Keystone hint for a missing or bad token, on every path', async (tc) => {
      const t = await buildTestApp(tc, kind);
      for (const [method, url] of [['GET', '/v2/images'], ['POST', '/v2/images'], ['GET', '/v2/schemas/image'],
        ['GET', '/v2/nowhere'], ['PUT', '/v2/images']] as const) {
        for (const headers of [{}, { 'x-auth-token': 'ims1.bogus.token' }]) {
          const res = await t.app.inject({ method, url, headers: { accept: 'application/json', ...headers } });
          assert.equal(res.statusCode, 401, `${method} ${url}`);
          assert.equal(res.headers['www-authenticate'], 'Keystone uri="http://ims.test:9292/v3"');
          assert.deepEqual(json(res), { error: { code: 401, title: 'Unauthorized',
            message: 'The request you have made requires authentication.' } });
        }
      }
    });

    it('a body on GET or DELETE is refused, but on the image list; Content-Type: application/json without a body passes',
      async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      // Glance's router has no body_reject on the list (`index`): the body is ignored.
      const list = await call(t, t.tokens.demo, 'GET', '/v2/images?limit=1', { limit: 5, name: 'nothing' });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual((json(list) as { images: { id: string }[] }).images.map((i) => i.id), [id]);
      assertGlanceError(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`, {}), 400, 'Bad Request',
        'A body is not expected with this request.');
      assertGlanceError(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`, {}), 400, 'Bad Request',
        'A body is not expected with this request.');
      assertGlanceError(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`, 'x', { 'content-type': 'text/plain' }),
        400, 'Bad Request', 'A body is not expected with this request.');
      assertGlanceError(await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`, { force: true }), 400, 'Bad Request',
        'A body is not expected with this request.');
      assert.equal((await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)).statusCode, 200);
      const del = await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`, undefined,
        { 'content-type': 'application/json' });
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
    });

    it('405 with Allow on known paths, 404 elsewhere under /v2', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const cases: [string, 'PUT' | 'DELETE' | 'POST' | 'PATCH', string][] = [
        ['/v2/images', 'PUT', 'GET, POST'], ['/v2/images', 'DELETE', 'GET, POST'],
        [`/v2/images/${id}`, 'POST', 'GET, PATCH, DELETE'], [`/v2/images/${id}`, 'PUT', 'GET, PATCH, DELETE'],
        [`/v2/images/${id}/file`, 'POST', 'GET, PUT'], [`/v2/images/${id}/file`, 'DELETE', 'GET, PUT'],
        ['/v2/schemas/image', 'POST', 'GET'], ['/v2/schemas/members', 'DELETE', 'GET'],
      ];
      for (const [url, method, allow] of cases) {
        const res = await call(t, t.tokens.demo, method, url);
        assertGlanceError(res, 405, 'Method Not Allowed', `The method ${method} is not allowed for this resource.`);
        assert.equal(res.headers.allow, allow, `${method} ${url}`);
      }
      assertGlanceError(await call(t, t.tokens.demo, 'GET', '/v2/'), 404, 'Not Found', 'The resource could not be found.');
      assertGlanceError(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/nothing`), 404, 'Not Found',
        'The resource could not be found.');
    });

    it('error bodies follow Accept: JSON, HTML by default, plain text on request', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const url = '/v2/images/00000000-0000-4000-8000-000000000009';
      const html = await t.app.inject({ url, headers: { 'x-auth-token': t.tokens.demo } });
      assert.equal(html.statusCode, 404);
      assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
      assert.equal(html.body, '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found'
        + '</h1>\n  No image found with ID 00000000-0000-4000-8000-000000000009<br /><br />\n\n\n\n </body>\n</html>');
      const plain = await t.app.inject({ url, headers: { 'x-auth-token': t.tokens.demo, accept: 'text/plain' } });
      assert.equal(plain.headers['content-type'], 'text/plain; charset=UTF-8');
      assert.equal(plain.body, '404 Not Found\n\nNo image found with ID 00000000-0000-4000-8000-000000000009\n\n   ');
      assertGlanceError(await t.app.inject({ url, headers: { 'x-auth-token': t.tokens.demo, accept: 'application/json' } }),
        404, 'Not Found', 'No image found with ID 00000000-0000-4000-8000-000000000009');
    });

    it('oversized and malformed bodies are 4xx in the Glance dialect; any Content-Type is read as JSON', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const big = JSON.stringify({ name: 'x', blob: 'x'.repeat(13 * 1024 * 1024) });
      assertGlanceError(await call(t, t.tokens.demo, 'POST', '/v2/images', big), 413, 'Request Entity Too Large',
        'Request body is too large.');
      assertGlanceError(await call(t, t.tokens.demo, 'POST', '/v2/images', '{"name": [}'), 400, 'Bad Request',
        'Malformed JSON in request body.');
      const plain = await call(t, t.tokens.demo, 'POST', '/v2/images', '{"name": "as text"}',
        { 'content-type': 'text/plain' });
      assert.equal(plain.statusCode, 201);
      assert.equal((json(plain) as { name: string }).name, 'as text');
    });

    it('schemas: image, images, member and members', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const get = async (name: string) => {
        const res = await call(t, t.tokens.demo, 'GET', `/v2/schemas/${name}`);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        return json(res) as Record<string, any>;
      };
      const image = await get('image');
      assert.equal(image.name, 'image');
      assert.deepEqual(image.additionalProperties, { type: 'string' });
      assert.deepEqual(image.properties.visibility.enum, ['community', 'public', 'private', 'shared']);
      assert.deepEqual(image.links.map((l: { rel: string }) => l.rel), ['self', 'enclosure', 'describedby']);
      const images = await get('images');
      assert.equal(images.name, 'images');
      assert.deepEqual(images.properties.images.items, image);
      const member = await get('member');
      const memberProperties = {
        member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
        image_id: { type: 'string', description: 'An identifier for the image',
          pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$' },
        created_at: { type: 'string', description: 'Date and time of image member creation' },
        updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
        status: { type: 'string', description: 'The status of this image member',
          enum: ['pending', 'accepted', 'rejected'] },
        schema: { readOnly: true, type: 'string' },
      };
      assert.deepEqual(member, { name: 'member', properties: memberProperties });
      assert.deepEqual(await get('members'), {
        name: 'members',
        properties: { members: { type: 'array', items: { name: 'member', properties: memberProperties } },
          schema: { type: 'string' } },
        links: [{ rel: 'describedby', href: '{schema}' }],
      });
    });

    it('the routes are documented in /openapi.json', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const doc = json(await t.app.inject({ url: '/openapi.json' })) as { paths: Record<string, Record<string, any>> };
      for (const [path, methods] of Object.entries({
        '/v2/images': ['get', 'post'], '/v2/images/{id}': ['get', 'patch', 'delete'],
        '/v2/images/{id}/file': ['get', 'put'], '/v2/schemas/image': ['get'],
      })) {
        assert.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), [...methods].sort(), path);
      }
      const created = doc.paths['/v2/images']!.post.responses['201'].content['application/json'].schema;
      assert.equal(created.additionalProperties.type, 'string');
    });
  });
}
