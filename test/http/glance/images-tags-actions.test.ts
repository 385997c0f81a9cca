import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, type TestApp } from '../../helpers/app.js';
import { databaseKinds } from '../../helpers/databases.js';
import { assertGlanceError, call, createImage, share } from '../../helpers/glance.js';
import { activeImage } from '../../helpers/ims.js';

const OCTET = { 'content-type': 'application/octet-stream' };
const DATA = Buffer.from('deactivate me, then bring me back');

type Body = Record<string, unknown>;

const show = async (t: TestApp, token: string, id: string) =>
  json(await call(t, token, 'GET', `/v2/images/${id}`)) as Body;

/** PUT or DELETE a tag; the tag goes into the path percent-encoded. */
const tag = (t: TestApp, token: string, method: 'PUT' | 'DELETE', id: string, value: string) =>
  call(t, token, method, `/v2/images/${id}/tags/${encodeURIComponent(value)}`);

const act = (t: TestApp, token: string, id: string, action: 'deactivate' | 'reactivate') =>
  call(t, token, 'POST', `/v2/images/${id}/actions/${action}`);

const download = (t: TestApp, token: string, id: string) =>
  t.app.inject({ method: 'GET', url: `/v2/images/${id}/file`, headers: { 'x-auth-token': token,
    accept: 'application/json' } });

/** Sets the image's updated_at back so that a later write is visible in it. */
async function ageImage(t: TestApp, id: string): Promise<void> {
  await t.container.store.db.updateTable('images').set({ updated_at: '2001-02-03T04:05:06.000Z' })
    .where('id', '=', id).execute();
}

for (const kind of databaseKinds()) {
  describe(`Glance image tags (${kind.name})`, () => {
    it('PUT adds a tag (204, no body), again is fine, DELETE removes it (204), then 404', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo, { tags: ['first'] })).id as string;
      await ageImage(t, id);
      const put = await tag(t, t.tokens.demo, 'PUT', id, 'web server');
      assert.equal(put.statusCode, 204, put.body);
      assert.equal(put.body, '');
      const tagged = await show(t, t.tokens.demo, id);
      assert.deepEqual(tagged.tags, ['first', 'web server']);
      assert.notEqual(tagged.updated_at, '2001-02-03T04:05:06Z');
      assert.equal((await tag(t, t.tokens.demo, 'PUT', id, 'web server')).statusCode, 204);
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, ['first', 'web server']);

      const del = await tag(t, t.tokens.demo, 'DELETE', id, 'first');
      assert.equal(del.statusCode, 204, del.body);
      assert.equal(del.body, '');
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, ['web server']);
      assertGlanceError(await tag(t, t.tokens.demo, 'DELETE', id, 'first'), 404, 'Not Found',
        'The resource could not be found.');
      // Tag filters see the change.
      const listed = json(await call(t, t.tokens.demo, 'GET', '/v2/images?tag=web+server')) as { images: Body[] };
      assert.deepEqual(listed.images.map((i) => i.id), [id]);
      const none = json(await call(t, t.tokens.demo, 'GET', '/v2/images?tag=first')) as { images: Body[] };
      assert.deepEqual(none.images, []);
    });

    it('tag length: 255 characters are fine, 256 are a 400 before the image is even read', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const longest = 'é'.repeat(255);
      const ascii = 'x'.repeat(255);
      assert.equal((await tag(t, t.tokens.demo, 'PUT', id, longest)).statusCode, 204);
      assert.equal((await tag(t, t.tokens.demo, 'PUT', id, ascii)).statusCode, 204);
      assert.equal((await tag(t, t.tokens.demo, 'PUT', id, 'a b?c#d')).statusCode, 204);
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, [longest, ascii, 'a b?c#d']);
      assert.equal((await tag(t, t.tokens.demo, 'DELETE', id, ascii)).statusCode, 204);
      assert.equal((await tag(t, t.tokens.demo, 'DELETE', id, 'a b?c#d')).statusCode, 204);
      const tooLong = 'x'.repeat(256);
      // The message quotes the value's first 63 characters (after the quote), not all of it.
      const quoted = `'${'x'.repeat(63)}...`;
      assertGlanceError(await tag(t, t.tokens.demo, 'PUT', id, tooLong), 400, 'Bad Request',
        `Provided object does not match schema 'image': ${quoted} is too long`);
      assertGlanceError(await tag(t, t.tokens.demo, 'PUT', '00000000-0000-4000-8000-000000000000', tooLong), 400,
        'Bad Request', `Provided object does not match schema 'image': ${quoted} is too long`);
      assertGlanceError(await tag(t, t.tokens.demo, 'PUT', id, 'a\u0000b'), 400, 'Bad Request',
        'The URL path contains a control character.');
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, [longest]);
    });

    it('only the owner or an admin changes tags: 403 for a member, 404 for an image one cannot see', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo, { tags: ['keep'] })).id as string;
      await share(t, t.tokens.demo, id, 'alt', 'accepted');
      assertGlanceError(await tag(t, t.tokens.alt, 'PUT', id, 'mine'), 403, 'Forbidden',
        `Not allowed to update tags for image ${id}.`);
      assertGlanceError(await tag(t, t.tokens.alt, 'DELETE', id, 'keep'), 403, 'Forbidden',
        `Not allowed to delete tags for image ${id}.`);
      // Ownership is checked before the tag's presence, as Glance does.
      assertGlanceError(await tag(t, t.tokens.alt, 'DELETE', id, 'absent'), 403, 'Forbidden',
        `Not allowed to delete tags for image ${id}.`);
      assertGlanceError(await tag(t, t.tokens.other, 'PUT', id, 'mine'), 404, 'Not Found', `Image ${id} not found.`);
      assertGlanceError(await tag(t, t.tokens.other, 'DELETE', id, 'keep'), 404, 'Not Found', `Image ${id} not found.`);
      assertGlanceError(await tag(t, t.tokens.demo, 'PUT', 'not-a-uuid', 'x'), 404, 'Not Found',
        'Image not-a-uuid not found.');
      assert.equal((await tag(t, t.tokens.admin, 'PUT', id, 'by-admin')).statusCode, 204);
      assert.equal((await tag(t, t.tokens.admin, 'DELETE', id, 'keep')).statusCode, 204);
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, ['by-admin']);
    });

    it('the 129th tag is refused with 413; a tag the image has is still fine at the limit', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const tags = Array.from({ length: 128 }, (_, i) => `t${i}`);
      const id = (await createImage(t, t.tokens.demo, { tags })).id as string;
      assertGlanceError(await tag(t, t.tokens.demo, 'PUT', id, 'one-more'), 413, 'Request Entity Too Large',
        `Image tag limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image tags. `
        + 'Attempted: 129, Maximum: 128:');
      assert.equal((await tag(t, t.tokens.demo, 'PUT', id, 't7')).statusCode, 204);
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, tags);
    });

    it('body_reject on PUT, 405 with Allow on the tag path, 404 without a tag', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      assertGlanceError(await call(t, t.tokens.demo, 'PUT', `/v2/images/${id}/tags/x`, { tag: 'x' }), 400,
        'Bad Request', 'A body is not expected with this request.');
      assertGlanceError(await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}/tags/x`, { tag: 'x' }), 400,
        'Bad Request', 'A body is not expected with this request.');
      for (const method of ['GET', 'POST', 'PATCH'] as const) {
        const res = await call(t, t.tokens.demo, method, `/v2/images/${id}/tags/x`);
        assertGlanceError(res, 405, 'Method Not Allowed', `The method ${method} is not allowed for this resource.`);
        assert.equal(res.headers.allow, 'PUT, DELETE');
      }
      for (const path of ['tags/', 'tags/a/b', 'tags/a%2Fb']) {
        assertGlanceError(await call(t, t.tokens.demo, 'PUT', `/v2/images/${id}/${path}`), 404, 'Not Found',
          'The resource could not be found.');
      }
      assert.deepEqual((await show(t, t.tokens.demo, id)).tags, []);
      const anonymous = await t.app.inject({ method: 'PUT', url: `/v2/images/${id}/tags/x` });
      assert.equal(anonymous.statusCode, 401);
    });
  });

  describe(`Glance image actions (${kind.name})`, () => {
    it('deactivate: 204, status deactivated, data refused to the owner and members, served to admins', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await activeImage(t, t.tokens.demo, {}, DATA);
      await share(t, t.tokens.demo, id, 'alt', 'accepted');
      await ageImage(t, id);
      const res = await act(t, t.tokens.demo, id, 'deactivate');
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      const image = await show(t, t.tokens.demo, id);
      assert.equal(image.status, 'deactivated');
      assert.notEqual(image.updated_at, '2001-02-03T04:05:06Z');
      assert.equal(image.size, DATA.length);
      for (const token of [t.tokens.demo, t.tokens.alt]) {
        assertGlanceError(await download(t, token, id), 403, 'Forbidden',
          'The requested image has been deactivated. Image data download is forbidden.');
      }
      const admin = await download(t, t.tokens.admin, id);
      assert.equal(admin.statusCode, 200);
      assert.deepEqual(admin.rawPayload, DATA);
      // Still listed, still shown to the member, still not uploadable.
      const listed = json(await call(t, t.tokens.alt, 'GET', '/v2/images')) as { images: Body[] };
      assert.deepEqual(listed.images.map((i) => [i.id, i.status]), [[id, 'deactivated']]);
      const upload = await t.app.inject({ method: 'PUT', url: `/v2/images/${id}/file`,
        headers: { 'x-auth-token': t.tokens.demo, accept: 'application/json', ...OCTET }, payload: DATA });
      assertGlanceError(upload, 409, 'Conflict', 'Image status transition from deactivated to saving is not allowed');
    });

    it('reactivate: 204, active again with the same data; both actions are no-ops where they lead', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await activeImage(t, t.tokens.demo, {}, DATA);
      assert.equal((await act(t, t.tokens.demo, id, 'deactivate')).statusCode, 204);
      await ageImage(t, id);
      assert.equal((await act(t, t.tokens.demo, id, 'deactivate')).statusCode, 204);
      const still = await show(t, t.tokens.demo, id);
      assert.deepEqual([still.status, still.updated_at], ['deactivated', '2001-02-03T04:05:06Z']);
      const res = await act(t, t.tokens.demo, id, 'reactivate');
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      const image = await show(t, t.tokens.demo, id);
      assert.equal(image.status, 'active');
      assert.notEqual(image.updated_at, '2001-02-03T04:05:06Z');
      const got = await download(t, t.tokens.demo, id);
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.rawPayload, DATA);
      await ageImage(t, id);
      assert.equal((await act(t, t.tokens.demo, id, 'reactivate')).statusCode, 204);
      const again = await show(t, t.tokens.demo, id);
      assert.deepEqual([again.status, again.updated_at], ['active', '2001-02-03T04:05:06Z']);
    });

    it('403 from any other status, with the status in the message', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      assertGlanceError(await act(t, t.tokens.demo, id, 'deactivate'), 403, 'Forbidden',
        "Not allowed to deactivate image in status 'queued'");
      assertGlanceError(await act(t, t.tokens.demo, id, 'reactivate'), 403, 'Forbidden',
        "Not allowed to reactivate image in status 'queued'");
      await t.container.store.db.updateTable('images').set({ status: 'saving' }).where('id', '=', id).execute();
      assertGlanceError(await act(t, t.tokens.admin, id, 'deactivate'), 403, 'Forbidden',
        "Not allowed to deactivate image in status 'saving'");
      assert.equal((await show(t, t.tokens.demo, id)).status, 'saving');
    });

    it('owner or admin only: 403 for a member, 404 for an image one cannot see; admins act on any', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await activeImage(t, t.tokens.demo, {}, DATA);
      await share(t, t.tokens.demo, id, 'alt', 'accepted');
      assertGlanceError(await act(t, t.tokens.alt, id, 'deactivate'), 403, 'Forbidden', 'You do not own this image');
      assertGlanceError(await act(t, t.tokens.other, id, 'deactivate'), 404, 'Not Found',
        `No image found with ID ${id}`);
      assertGlanceError(await act(t, t.tokens.demo, 'nope', 'reactivate'), 404, 'Not Found',
        'No image found with ID nope');
      assert.equal((await show(t, t.tokens.demo, id)).status, 'active');
      assert.equal((await act(t, t.tokens.admin, id, 'deactivate')).statusCode, 204);
      assertGlanceError(await act(t, t.tokens.alt, id, 'reactivate'), 403, 'Forbidden', 'You do not own this image');
      assert.equal((await act(t, t.tokens.admin, id, 'reactivate')).statusCode, 204);
      assert.equal((await show(t, t.tokens.demo, id)).status, 'active');
    });

    it('body_reject, and 405 with Allow: POST on each action path', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await activeImage(t, t.tokens.demo, {}, DATA);
      for (const action of ['deactivate', 'reactivate']) {
        assertGlanceError(await call(t, t.tokens.demo, 'POST', `/v2/images/${id}/actions/${action}`, {}), 400,
          'Bad Request', 'A body is not expected with this request.');
      }
      assert.equal((await show(t, t.tokens.demo, id)).status, 'active');
      for (const action of ['deactivate', 'reactivate']) {
        for (const method of ['GET', 'PUT', 'DELETE'] as const) {
          const res = await call(t, t.tokens.demo, method, `/v2/images/${id}/actions/${action}`);
          assertGlanceError(res, 405, 'Method Not Allowed', `The method ${method} is not allowed for this resource.`);
          assert.equal(res.headers.allow, 'POST');
        }
      }
      assertGlanceError(await call(t, t.tokens.demo, 'POST', `/v2/images/${id}/actions/explode`), 404, 'Not Found',
        'The resource could not be found.');
    });
  });
}
