import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { assertGlanceError, call, createImage, share } from '../../helpers/glance.js';

type ListBody = { images: { id: string; name: string }[]; first: string; schema: string; next?: string };

async function list(t: TestApp, token: string, query = ''): Promise<ListBody> {
  const res = await call(t, token, 'GET', `/v2/images${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res) as ListBody;
}

const namesOf = (body: ListBody) => body.images.map((i) => i.name).sort().join(',');

for (const kind of databaseKinds()) {
  describe(`Glance image list (${kind.name})`, () => {
    it('what a member sees, by member_status and visibility, the owner gotcha and admins', async (tc) => {
      const t = await buildTestApp(tc, kind);
      for (const status of ['pending', 'accepted', 'rejected'] as const) {
        const id = (await createImage(t, t.tokens.demo, { name: status })).id as string;
        await share(t, t.tokens.demo, id, 'alt', status);
      }
      await createImage(t, t.tokens.demo, { name: 'demo-private', visibility: 'private' });
      await createImage(t, t.tokens.demo, { name: 'demo-community', visibility: 'community' });
      await createImage(t, t.tokens.admin, { name: 'public', visibility: 'public' });
      await createImage(t, t.tokens.alt, { name: 'alt-own', visibility: 'shared' });
      const cases: [string, string][] = [
        ['', 'accepted,alt-own,public'],
        ['?visibility=shared', 'accepted,alt-own'],
        ['?member_status=pending', 'alt-own,pending,public'],
        ['?visibility=shared&member_status=pending', 'alt-own,pending'],
        ['?member_status=rejected', 'alt-own,public,rejected'],
        ['?member_status=all', 'accepted,alt-own,pending,public,rejected'],
        ['?visibility=shared&member_status=all', 'accepted,alt-own,pending,rejected'],
        ['?visibility=all', 'accepted,alt-own,demo-community,public'],
        ['?visibility=community', 'demo-community'],
        ['?visibility=private', ''],
        ['?visibility=public', 'public'],
      ];
      for (const [query, expected] of cases) {
        assert.equal(namesOf(await list(t, t.tokens.alt, query)), expected, `alt ${query}`);
      }
      assert.equal(namesOf(await list(t, t.tokens.other, '')), 'public');
      assert.equal(namesOf(await list(t, t.tokens.demo, '?visibility=shared&member_status=rejected')),
        'accepted,pending,rejected');
      assert.equal(namesOf(await list(t, t.tokens.demo, '')),
        'accepted,demo-community,demo-private,pending,public,rejected');
      assert.equal(namesOf(await list(t, t.tokens.admin, '')),
        'accepted,alt-own,demo-private,pending,public,rejected');
      assert.equal(namesOf(await list(t, t.tokens.admin, '?visibility=all&member_status=pending')),
        'accepted,alt-own,demo-community,demo-private,pending,public,rejected');
    });

    it('first and next links: next only on a full page, carrying every parameter plus the marker', async (tc) => {
      const t = await buildTestApp(tc, kind);
      for (const name of ['a', 'b', 'c']) await createImage(t, t.tokens.demo, { name, tags: ['x', 'y'] });
      const page1 = await list(t, t.tokens.demo, '?sort=name:asc&limit=2&tag=x&tag=y');
      assert.deepEqual(page1.images.map((i) => i.name), ['a', 'b']);
      assert.equal(page1.first, '/v2/images?sort=name%3Aasc&limit=2&tag=x&tag=y');
      assert.equal(page1.schema, '/v2/schemas/images');
      const lastId = page1.images[1]!.id;
      assert.equal(page1.next, `/v2/images?sort=name%3Aasc&limit=2&tag=x&tag=y&marker=${lastId}`);
      const page2 = await list(t, t.tokens.demo, page1.next!.slice('/v2/images'.length));
      assert.deepEqual(page2.images.map((i) => i.name), ['c']);
      assert.equal(page2.first, '/v2/images?sort=name%3Aasc&limit=2&tag=x&tag=y');
      assert.equal(page2.next, undefined);
      assert.deepEqual(Object.keys(page2).sort(), ['first', 'images', 'schema']);
      const plain = await list(t, t.tokens.demo, '');
      assert.equal(plain.first, '/v2/images');
      assert.equal(plain.next, undefined);
      const spaced = await list(t, t.tokens.demo, '?name=a%20b*&limit=1');
      assert.equal(spaced.first, '/v2/images?name=a+b%2A&limit=1');
      assert.deepEqual(spaced.images, []);
      const full = await list(t, t.tokens.demo, '?limit=3');
      assert.equal(full.next, `/v2/images?limit=3&marker=${full.images[2]!.id}`);
      assert.deepEqual((await list(t, t.tokens.demo, full.next!.slice(10))).images, []);
    });

    it('hidden images, filters over HTTP, and list errors', async (tc) => {
      const t = await buildTestApp(tc, kind);
      await createImage(t, t.tokens.demo, { name: 'hidden', os_hidden: true });
      await createImage(t, t.tokens.demo, { name: 'shown', __os_type: 'Linux' });
      assert.equal(namesOf(await list(t, t.tokens.demo, '')), 'shown');
      assert.equal(namesOf(await list(t, t.tokens.demo, '?os_hidden=true')), 'hidden');
      assert.equal(namesOf(await list(t, t.tokens.demo, '?__os_type=Linux')), 'shown');
      assert.equal(namesOf(await list(t, t.tokens.demo, '?__imagetype=private&name=in:shown,x')), 'shown');
      assert.equal(namesOf(await list(t, t.tokens.demo, '?__imagetype=shared')), '', 'its own images are private to it');
      const get = (q: string) => call(t, t.tokens.demo, 'GET', `/v2/images?${q}`);
      const missing = '00000000-0000-4000-8000-000000000001';
      assertGlanceError(await get(`marker=${missing}`), 400, 'Bad Request', `No image found with ID ${missing}`);
      const altImage = (await createImage(t, t.tokens.alt, { visibility: 'private' })).id as string;
      assertGlanceError(await get(`marker=${altImage}`), 400, 'Bad Request', `No image found with ID ${altImage}`);
      assertGlanceError(await get('member_status=yes'), 400, 'Bad Request', 'Invalid status: yes');
      assertGlanceError(await get('visibility=world'), 400, 'Bad Request', 'Invalid visibility value: world');
      assertGlanceError(await get('limit=ten'), 400, 'Bad Request', 'limit param must be an integer');
      assertGlanceError(await get('sort_key=owner'), 400, 'Bad Request', 'Invalid sort key: owner. It must be one '
        + 'of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.');
      assertGlanceError(await get('changes-since=2026-01-01'), 400, 'Bad Request',
        'The "changes-since" filter is no longer available on v2.');
      assertGlanceError(await get('created_at=gte:yesterday'), 400, 'Bad Request',
        'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.');
    });
  });
}
