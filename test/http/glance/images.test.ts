import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json } from '../../helpers/app.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import {
  assertGlanceError, call, createImage, PATCH_20, patch, share,
} from '../../helpers/glance.js';

const WIRE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

for (const kind of databaseKinds()) {
  describe(`Glance images (${kind.name})`, () => {
    it('POST /v2/images: 201, Location, the exact body with the defaults (IMS: private visibility)', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const res = await call(t, t.tokens.demo, 'POST', '/v2/images',
        { name: 'probe', container_format: 'bare', disk_format: 'raw' });
      assert.equal(res.statusCode, 201);
      const body = json(res) as Record<string, any>;
      const id = body.id as string;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(res.headers.location, `http://ims.test:9292/v2/images/${id}`);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.match(body.created_at, WIRE_TIME);
      assert.deepEqual(body, {
        __imagetype: 'private', checksum: null, container_format: 'bare', created_at: body.created_at,
        disk_format: 'raw', file: `/v2/images/${id}/file`, id, min_disk: 0, min_ram: 0, name: 'probe',
        os_hash_algo: null, os_hash_value: null, os_hidden: false, owner: t.projects.demo, protected: false,
        schema: '/v2/schemas/image', self: `/v2/images/${id}`, size: null, status: 'queued', tags: [],
        updated_at: body.created_at, virtual_size: null, visibility: 'private',
      });
      const shown = await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`);
      assert.equal(shown.statusCode, 200);
      assert.deepEqual(json(shown), body);
    });

    it('POST with every settable attribute, IMS and OSC extra properties', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = '8c1b4f2e-9d3a-4e5f-a6b7-c8d9e0f1a2b3';
      const body = await createImage(t, t.tokens.demo, {
        id, name: null, visibility: 'private', protected: true, os_hidden: true, min_ram: 512, min_disk: 10,
        tags: ['b', 'a', 'b'], container_format: 'ovf', disk_format: 'qcow2', owner: t.projects.demo,
        __whole_image: 'true', __backup_id: 'bk-1', __system__cmkid: 'key-1', __os_type: 'Linux',
        'owner_specified.openstack.md5': '', ramdisk_id: 'r',
      });
      assert.equal(body.id, id);
      assert.deepEqual([body.name, body.visibility, body.protected, body.os_hidden, body.min_ram, body.min_disk,
        body.container_format, body.disk_format, body.__imagetype],
      [null, 'private', true, true, 512, 10, 'ovf', 'qcow2', 'private']);
      assert.deepEqual(body.tags, ['b', 'a']);
      assert.deepEqual([body.__whole_image, body.__backup_id, body.__system__cmkid, body.__os_type,
        body['owner_specified.openstack.md5'], body.ramdisk_id], ['true', 'bk-1', 'key-1', 'Linux', '', 'r']);
      const dup = await call(t, t.tokens.demo, 'POST', '/v2/images', { id });
      assertGlanceError(dup, 409, 'Conflict', `Image ID ${id} already exists!`);
    });

    it('create: policy and validation errors in Glance wording', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const post = (token: string, body: unknown) => call(t, token, 'POST', '/v2/images', body);
      assertGlanceError(await post(t.tokens.demo, { visibility: 'public' }), 403, 'Forbidden',
        'You are not authorized to complete publicize_image action.');
      assertGlanceError(await post(t.tokens.demo, { owner: t.projects.alt }), 403, 'Forbidden',
        `You are not permitted to create images owned by '${t.projects.alt}'.`);
      for (const attr of ['status', 'size', 'checksum', 'created_at', 'os_hash_value', 'virtual_size']) {
        const value = attr === 'size' || attr === 'virtual_size' ? 1 : attr === 'status' ? 'active' : 'x';
        assertGlanceError(await post(t.tokens.demo, { [attr]: value }),
          403, 'Forbidden', `Attribute '${attr}' is read-only.`);
      }
      for (const attr of ['self', 'file', 'schema', 'direct_url', '__imagetype']) {
        assertGlanceError(await post(t.tokens.demo, { [attr]: 'x' }), 403, 'Forbidden',
          `Attribute '${attr}' is read-only.`);
      }
      for (const attr of ['location', 'deleted', 'deleted_at', 'os_glance_import_task']) {
        assertGlanceError(await post(t.tokens.demo, { [attr]: 'x' }), 403, 'Forbidden', `Attribute '${attr}' is reserved.`);
      }
      assertGlanceError(await post(t.tokens.demo, { status: 'done' }), 400, 'Bad Request',
        "Provided object does not match schema 'image': 'done' is not one of ['queued', 'saving', 'active', 'killed', "
        + "'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated']");
      assertGlanceError(await post(t.tokens.demo, { disk_format: 'vhd2' }), 400, 'Bad Request',
        "Provided object does not match schema 'image': 'vhd2' is not one of [None, 'ami', 'ari', 'aki', 'vhd', "
        + "'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']");
      assertGlanceError(await post(t.tokens.demo, { visibility: 'secret' }), 400, 'Bad Request',
        "Provided object does not match schema 'image': 'secret' is not one of ['community', 'public', 'private', "
        + "'shared']");
      assertGlanceError(await post(t.tokens.demo, { hw_cpu: 2 }), 400, 'Bad Request',
        "Provided object does not match schema 'image': 2 is not of type 'string'");
      assertGlanceError(await post(t.tokens.demo, { min_ram: 2 ** 31 }), 400, 'Bad Request',
        "'min_ram' value out of range, must not exceed 2147483647.");
      assertGlanceError(await post(t.tokens.demo, undefined), 400, 'Bad Request', 'Body expected in request.');
      assertGlanceError(await post(t.tokens.demo, '{"name": '), 400, 'Bad Request', 'Malformed JSON in request body.');
      assertGlanceError(await post(t.tokens.demo, '"just a string"'), 400, 'Bad Request',
        "Provided object does not match schema 'image': 'just a string' is not of type 'object'");
      const tooMany = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']));
      assertGlanceError(await post(t.tokens.demo, tooMany), 413, 'Request Entity Too Large',
        'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128');
      assertGlanceError(await post(t.tokens.demo, { tags: Array.from({ length: 129 }, (_, i) => `t${i}`) }), 413,
        'Request Entity Too Large',
        'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128');

      const community = await createImage(t, t.tokens.demo, { visibility: 'community' });
      assert.equal(community.visibility, 'community');
      assert.equal(community.__imagetype, 'gold');
      const pub = await createImage(t, t.tokens.admin, { visibility: 'public', owner: t.projects.demo });
      assert.deepEqual([pub.visibility, pub.owner], ['public', t.projects.demo]);
      const noOwner = await createImage(t, t.tokens.admin, { owner: null });
      assert.equal(noOwner.owner, null);
    });

    it('GET /v2/images/{id}: visibility for owner, admin, members of each status and others', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const shared = (await createImage(t, t.tokens.demo)).id as string;
      const priv = (await createImage(t, t.tokens.demo, { visibility: 'private' })).id as string;
      const get = (token: string, id: string) => call(t, token, 'GET', `/v2/images/${id}`);
      assert.equal((await get(t.tokens.demo, shared)).statusCode, 200);
      assert.equal((await get(t.tokens.admin, priv)).statusCode, 200);
      assertGlanceError(await get(t.tokens.alt, shared), 404, 'Not Found', `No image found with ID ${shared}`);
      for (const status of ['pending', 'accepted', 'rejected'] as const) {
        const id = (await createImage(t, t.tokens.demo)).id as string;
        await share(t, t.tokens.demo, id, 'alt', status);
        const res = await get(t.tokens.alt, id);
        assert.equal(res.statusCode, 200, status);
        assert.deepEqual([(json(res) as any).visibility, (json(res) as any).owner], ['shared', t.projects.demo]);
        assertGlanceError(await get(t.tokens.other, id), 404, 'Not Found', `No image found with ID ${id}`);
      }
      const hidden = (await createImage(t, t.tokens.demo)).id as string;
      await share(t, t.tokens.demo, hidden, 'alt', 'accepted');
      assert.equal((await patch(t, t.tokens.demo, hidden, [{ op: 'replace', path: '/visibility', value: 'private' }]))
        .statusCode, 200);
      assertGlanceError(await get(t.tokens.alt, hidden), 404, 'Not Found', `No image found with ID ${hidden}`);
      assertGlanceError(await get(t.tokens.demo, 'not-a-uuid'), 404, 'Not Found', 'No image found with ID not-a-uuid');
      const missing = '00000000-0000-4000-8000-000000000000';
      assertGlanceError(await get(t.tokens.admin, missing), 404, 'Not Found', `No image found with ID ${missing}`);
    });

    it('PATCH: v2.1 add sets, v2.0 add conflicts, replace and remove; updated_at moves', async (tc) => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const t = await buildTestApp(tc, kind, {}, { clock });
      const created = await createImage(t, t.tokens.demo, { foo: 'bar' });
      const id = created.id as string;
      clock.advance(1000);
      const res = await patch(t, t.tokens.demo, id, [
        { op: 'add', path: '/visibility', value: 'community' }, { op: 'add', path: '/name', value: 'renamed' },
        { op: 'add', path: '/hw_disk_bus', value: 'scsi' }, { op: 'replace', path: '/foo', value: 'baz' },
        { op: 'replace', path: '/tags', value: ['x', 'y'] }, { op: 'replace', path: '/protected', value: true },
        { op: 'replace', path: '/min_ram', value: 1024 },
      ]);
      assert.equal(res.statusCode, 200, res.body);
      const body = json(res) as Record<string, any>;
      assert.deepEqual([body.visibility, body.name, body.hw_disk_bus, body.foo, body.tags, body.protected,
        body.min_ram, body.__imagetype], ['community', 'renamed', 'scsi', 'baz', ['x', 'y'], true, 1024, 'gold']);
      assert.deepEqual([body.created_at, created.updated_at, body.updated_at],
        ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z', '2030-01-01T00:00:01Z']);
      assert.deepEqual(json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)), body);

      const v20 = await patch(t, t.tokens.demo, id, [{ replace: '/name', value: 'v20' }, { add: '/new', value: 'n' },
        { remove: '/hw_disk_bus' }], PATCH_20);
      assert.equal(v20.statusCode, 200, v20.body);
      assert.deepEqual([(json(v20) as any).name, (json(v20) as any).new, 'hw_disk_bus' in (json(v20) as object)],
        ['v20', 'n', false]);
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ add: '/name', value: 'x' }], PATCH_20), 409, 'Conflict',
        'Property name already present.');
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'replace', path: '/nope', value: 'x' }]), 409,
        'Conflict', 'Property nope does not exist.');
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'remove', path: '/nope' }]), 409, 'Conflict',
        'Property nope does not exist.');
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'remove', path: '/name' }]), 403, 'Forbidden',
        'Property name may not be removed.');
      const empty = await patch(t, t.tokens.demo, id, []);
      assert.equal(empty.statusCode, 200);
      assert.equal((json(empty) as any).name, 'v20');
    });

    it('PATCH errors: ownership, publicize, read-only, media type, invisible image', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      await share(t, t.tokens.demo, id, 'alt', 'accepted');
      const rename = [{ op: 'replace', path: '/name', value: 'x' }];
      assertGlanceError(await patch(t, t.tokens.alt, id, rename), 403, 'Forbidden', 'You do not own this image');
      assertGlanceError(await patch(t, t.tokens.other, id, rename), 404, 'Not Found', `No image found with ID ${id}`);
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'replace', path: '/visibility', value: 'public' }]),
        403, 'Forbidden', 'You are not authorized to complete publicize_image action.');
      assertGlanceError(await patch(t, t.tokens.alt, id, [{ op: 'replace', path: '/owner', value: t.projects.alt }]),
        403, 'Forbidden', "Owner can't be updated by non admin.");
      for (const attr of ['status', 'id', 'checksum', 'size', '__imagetype', 'self']) {
        assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'replace', path: `/${attr}`, value: 'x' }]), 403,
          'Forbidden', `Attribute '${attr}' is read-only.`);
      }
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'add', path: '/os_glance_x', value: 'x' }]), 403,
        'Forbidden', "Attribute 'os_glance_x' is reserved.");
      assertGlanceError(await patch(t, t.tokens.demo, id, [{ op: 'add', path: '/locations/-', value: {} }]), 403,
        'Forbidden', "It's not allowed to add locations if locations are invisible.");
      for (const type of ['application/json', 'text/plain']) {
        const res = await patch(t, t.tokens.demo, id, rename, type);
        assertGlanceError(res, 415, 'Unsupported Media Type',
          `The request media type ${type} is not supported by this server.`);
        assert.equal(res.headers['accept-patch'],
          'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch');
      }
      assertGlanceError(await patch(t, t.tokens.demo, id, '{"op": '), 400, 'Bad Request',
        'Malformed JSON in request body.');
      assertGlanceError(await patch(t, t.tokens.demo, id, { op: 'add' }), 400, 'Bad Request',
        'Request body must be a JSON array of operation objects.');
      const admin = await patch(t, t.tokens.admin, id, [{ op: 'replace', path: '/visibility', value: 'public' },
        { op: 'replace', path: '/owner', value: t.projects.other }]);
      assert.equal(admin.statusCode, 200, admin.body);
      assert.deepEqual([(json(admin) as any).visibility, (json(admin) as any).owner], ['public', t.projects.other]);
      assertGlanceError(await patch(t, t.tokens.demo, id, rename), 403, 'Forbidden', 'You do not own this image');
    });

    it('DELETE: 204 with an empty body, members go too; protected, member and invisible refusals', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      await share(t, t.tokens.demo, id, 'alt', 'accepted');
      assertGlanceError(await call(t, t.tokens.alt, 'DELETE', `/v2/images/${id}`), 403, 'Forbidden',
        'You do not own this image');
      assertGlanceError(await call(t, t.tokens.other, 'DELETE', `/v2/images/${id}`), 404, 'Not Found',
        `Failed to find image ${id} to delete`);
      assert.equal((await patch(t, t.tokens.demo, id, [{ op: 'replace', path: '/protected', value: true }])).statusCode,
        200);
      assertGlanceError(await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`), 403, 'Forbidden',
        `Image ${id} is protected and cannot be deleted.`);
      assert.equal((await patch(t, t.tokens.demo, id, [{ op: 'replace', path: '/protected', value: false }]))
        .statusCode, 200);
      const res = await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal(res.headers['content-type'], undefined);
      assertGlanceError(await call(t, t.tokens.alt, 'GET', `/v2/images/${id}`), 404, 'Not Found',
        `No image found with ID ${id}`);
      assertGlanceError(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`), 404, 'Not Found',
        `Image ${id} not found.`);
      assertGlanceError(await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`), 404, 'Not Found',
        `Failed to find image ${id} to delete`);
      const rows = await t.container.store.db.selectFrom('image_members').selectAll().where('image_id', '=', id)
        .execute();
      assert.deepEqual(rows, []);
      const byAdmin = (await createImage(t, t.tokens.demo, { visibility: 'private' })).id as string;
      assert.equal((await call(t, t.tokens.admin, 'DELETE', `/v2/images/${byAdmin}`)).statusCode, 204);
    });
  });
}
