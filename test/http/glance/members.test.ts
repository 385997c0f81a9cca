import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, json, memberRows, type TestApp } from '../../helpers/app.js';
import { FakeClock } from '../../helpers/clock.js';
import { databaseKinds } from '../../helpers/databases.js';
import { gate } from '../../helpers/gate.js';
import { assertGlanceError, call, createImage, glanceError, patch, share } from '../../helpers/glance.js';

/** A shared image of demo with alt as a member in the given status. */
async function sharedWith(t: TestApp, status: 'pending' | 'accepted' | 'rejected'): Promise<string> {
  const id = (await createImage(t, t.tokens.demo)).id as string;
  await share(t, t.tokens.demo, id, 'alt', status);
  return id;
}

for (const kind of databaseKinds()) {
  describe(`Glance members (${kind.name})`, () => {
    it('add, show, list, update, delete: exact bodies and status codes', async (tc) => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const t = await buildTestApp(tc, kind, {}, { clock });
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const added = await call(t, t.tokens.demo, 'POST', `/v2/images/${id}/members`,
        { member: t.projects.alt, status: 'accepted' });
      assert.equal(added.statusCode, 200);
      const member = json(added) as Record<string, string>;
      // Glance's six keys and Huawei's member_type.
      assert.deepEqual(Object.keys(member).sort(), ['created_at', 'image_id', 'member_id', 'member_type', 'schema', 'status',
        'updated_at']);
      assert.equal(member.member_type, 'project');
      assert.equal(member.status, 'pending');
      assert.equal(member.image_id, id);
      assert.equal(member.member_id, t.projects.alt);
      assert.equal(member.schema, '/v2/schemas/member');
      assert.deepEqual([member.created_at, member.updated_at], ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z']);

      const list = await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(json(list), { members: [member], schema: '/v2/schemas/members', page_info: { current_count: 1 } });

      const shown = await call(t, t.tokens.alt, 'GET', `/v2/images/${id}/members/${t.projects.alt}`);
      assert.equal(shown.statusCode, 200);
      assert.deepEqual(json(shown), member);

      clock.advance(1000);
      const updated = await call(t, t.tokens.alt, 'PUT', `/v2/images/${id}/members/${t.projects.alt}`,
        { status: 'accepted', member: t.projects.alt });
      assert.equal(updated.statusCode, 200);
      const u = json(updated) as Record<string, string>;
      assert.equal(u.status, 'accepted');
      assert.deepEqual([u.created_at, u.updated_at], ['2030-01-01T00:00:00Z', '2030-01-01T00:00:01Z']);
      // What was read before the change is never shown again.
      assert.deepEqual(json(await call(t, t.tokens.alt, 'GET', `/v2/images/${id}/members/${t.projects.alt}`)), u);
      assert.deepEqual(json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`)),
        { members: [u], schema: '/v2/schemas/members', page_info: { current_count: 1 } });

      const del = await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}/members/${t.projects.alt}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assert.equal(del.headers['content-type'], undefined);
      assert.equal((await call(t, t.tokens.alt, 'GET', `/v2/images/${id}`)).statusCode, 404);
      assert.equal((await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members/${t.projects.alt}`)).statusCode, 404);
      assert.deepEqual(json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`)),
        { members: [], schema: '/v2/schemas/members', page_info: { current_count: 0 } });
    });

    it('POST check order: body checks, 404, 403, quota before duplicate', async (tc) => {
      const t = await buildTestApp(tc, kind, { memberQuota: 2 });
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const url = `/v2/images/${id}/members`;
      const cases: [string, number, string][] = [
        ['[1]', 400, 'Expected a member in the form: {"member": "image_id"}'],
        ['"x"', 400, 'Unexpected body type. Expected list/dict.'],
        ['{"x":1}', 400, 'Member to be added not specified'],
        ['{"member":""}', 400, "Member can't be empty"],
        ['{bad', 400, 'Malformed JSON in request body.'],
      ];
      for (const [raw, status, message] of cases) {
        const res = await call(t, t.tokens.demo, 'POST', url, raw);
        assert.equal(res.statusCode, status, String(raw));
        assert.deepEqual(json(res), glanceError(400, 'Bad Request', message));
      }
      const empty = await call(t, t.tokens.demo, 'POST', url);
      assert.deepEqual(json(empty), glanceError(400, 'Bad Request', 'Body expected in request.'));

      const unrelated = await call(t, t.tokens.other, 'POST', url, { member: t.projects.alt });
      assert.equal(unrelated.statusCode, 404);
      assert.deepEqual(json(unrelated), glanceError(404, 'Not Found', `Image ${id} not found.`));

      assert.equal((await call(t, t.tokens.demo, 'POST', url, { member: t.projects.alt })).statusCode, 200);
      const asMember = await call(t, t.tokens.alt, 'POST', url, { member: t.projects.other });
      assert.equal(asMember.statusCode, 403);
      assert.deepEqual(json(asMember), glanceError(403, 'Forbidden', `Not allowed to create members for image ${id}.`));

      const dup = await call(t, t.tokens.demo, 'POST', url, { member: t.projects.alt });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(json(dup), glanceError(409, 'Conflict', `Member ${t.projects.alt} is duplicated for image ${id}`));

      assert.equal((await call(t, t.tokens.admin, 'POST', url, { member: t.projects.other })).statusCode, 200);
      const full = await call(t, t.tokens.demo, 'POST', url, { member: 'f'.repeat(32) });
      assert.equal(full.statusCode, 413);
      assert.deepEqual(json(full), glanceError(413, 'Request Entity Too Large', `Image member limit exceeded for image ${id}: `
        + 'The limit has been exceeded on the number of allowed image members for this image. Attempted: 3, Maximum: 2:'));
      const dupWhenFull = await call(t, t.tokens.demo, 'POST', url, { member: t.projects.alt });
      assert.equal(dupWhenFull.statusCode, 413, 'quota is checked before duplicates');
    });

    it('IMS rules: private images become shared, public/community refuse members, no self-share', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const priv = (await createImage(t, t.tokens.demo, { visibility: 'private' })).id as string;
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${priv}/members`, { member: t.projects.alt })).statusCode, 200);
      const img = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${priv}`)) as { visibility: string };
      assert.equal(img.visibility, 'shared');

      const self = await call(t, t.tokens.demo, 'POST', `/v2/images/${priv}/members`, { member: t.projects.demo });
      assert.equal(self.statusCode, 400);
      assert.deepEqual(json(self), glanceError(400, 'Bad Request', 'You cannot share an image with yourself.'));

      for (const visibility of ['public', 'community']) {
        const id = (await createImage(t, t.tokens.admin, { visibility })).id as string;
        const res = await call(t, t.tokens.admin, 'POST', `/v2/images/${id}/members`, { member: t.projects.alt });
        assert.equal(res.statusCode, 403, visibility);
        const list = await call(t, t.tokens.admin, 'GET', `/v2/images/${id}/members`);
        assert.deepEqual(json(list), glanceError(403, 'Forbidden', `Not allowed to list members for image ${id}: Only shared images have members.`));
        const show = await call(t, t.tokens.admin, 'GET', `/v2/images/${id}/members/${t.projects.alt}`);
        assert.deepEqual(json(show), glanceError(404, 'Not Found', 'Only shared images have members.'));
      }
    });

    it('PUT check order: owner 403 before status validation, member 400, other member 404', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await sharedWith(t, 'pending');
      const own = `/v2/images/${id}/members/${t.projects.alt}`;
      const ownerInvalid = await call(t, t.tokens.demo, 'PUT', own, { status: 'bogus' });
      assert.equal(ownerInvalid.statusCode, 403);
      assert.deepEqual(json(ownerInvalid), glanceError(403, 'Forbidden', `Not allowed to update members for image ${id}.`));
      const invalid = await call(t, t.tokens.alt, 'PUT', own, { status: 'notavalidstatus' });
      assert.equal(invalid.statusCode, 400);
      assert.deepEqual(json(invalid), glanceError(400, 'Bad Request', 'Incorrect request: Status must be "pending", "accepted" or "rejected".'));
      const noStatus = await call(t, t.tokens.alt, 'PUT', own, { member: 'x' });
      assert.deepEqual(json(noStatus), glanceError(400, 'Bad Request', 'Status not specified'));
      const list = await call(t, t.tokens.alt, 'PUT', own, ['accepted']);
      assert.deepEqual(json(list), glanceError(400, 'Bad Request', 'Expected a status in the form: {"status": "status"}'));
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${id}/members`, { member: t.projects.other })).statusCode, 200);
      const foreign = await call(t, t.tokens.alt, 'PUT', `/v2/images/${id}/members/${t.projects.other}`, { status: 'accepted' });
      assert.equal(foreign.statusCode, 404);
      assert.deepEqual(json(foreign), glanceError(404, 'Not Found', `${t.projects.other} not found in the member list of the image ${id}.`));
      const admin = await call(t, t.tokens.admin, 'PUT', `/v2/images/${id}/members/${t.projects.other}`, { status: 'rejected' });
      assert.equal(admin.statusCode, 200);
      for (const status of ['accepted', 'accepted', 'rejected', 'pending']) {
        assert.equal((await call(t, t.tokens.alt, 'PUT', own, { status })).statusCode, 200, `-> ${status}`);
      }
      const unrelated = await call(t, t.tokens.other, 'PUT', own, { status: 'accepted' });
      assert.equal(unrelated.statusCode, 404, 'other is a rejected member: sees the image but not alt');
    });

    for (const status of ['pending', 'accepted', 'rejected'] as const) {
      it(`authorization matrix for a ${status} member`, async (tc) => {
        const t = await buildTestApp(tc, kind);
        const id = await sharedWith(t, status);
        const m = `/v2/images/${id}/members`;
        const alt = t.projects.alt;
        assert.equal((await call(t, t.tokens.alt, 'GET', `/v2/images/${id}`)).statusCode, 200);
        assert.equal((await call(t, t.tokens.other, 'GET', `/v2/images/${id}`)).statusCode, 404);
        // A member can read the image but not change it; to an unrelated project it does not exist.
        const rename = [{ op: 'replace', path: '/name', value: 'renamed' }];
        assertGlanceError(await patch(t, t.tokens.alt, id, rename), 403, 'Forbidden', 'You do not own this image');
        assertGlanceError(await patch(t, t.tokens.other, id, rename), 404, 'Not Found', `No image found with ID ${id}`);
        assert.equal((json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}`)) as { name: string }).name, 'img');
        assert.equal((await call(t, t.tokens.alt, 'DELETE', `/v2/images/${id}`)).statusCode, 403);
        assert.equal((await call(t, t.tokens.other, 'DELETE', `/v2/images/${id}`)).statusCode, 404);
        assert.equal((await call(t, t.tokens.alt, 'POST', m, { member: t.projects.other })).statusCode, 403);
        assert.equal((await call(t, t.tokens.other, 'POST', m, { member: t.projects.other })).statusCode, 404);
        // A second member, to check that a member sees only its own row.
        assert.equal((await call(t, t.tokens.demo, 'POST', m, { member: t.projects.admin })).statusCode, 200);
        const ownList = json(await call(t, t.tokens.alt, 'GET', m)) as { members: { member_id: string }[] };
        assert.deepEqual(ownList.members.map((x) => x.member_id), [alt]);
        const ownerList = json(await call(t, t.tokens.demo, 'GET', m)) as { members: { member_id: string }[] };
        assert.deepEqual(ownerList.members.map((x) => x.member_id), [alt, t.projects.admin]);
        const adminList = json(await call(t, t.tokens.admin, 'GET', m)) as { members: unknown[] };
        assert.equal(adminList.members.length, 2);
        assert.equal((await call(t, t.tokens.other, 'GET', m)).statusCode, 404);
        assert.equal((await call(t, t.tokens.alt, 'GET', `${m}/${alt}`)).statusCode, 200);
        assert.equal((await call(t, t.tokens.alt, 'GET', `${m}/${t.projects.admin}`)).statusCode, 404);
        assert.equal((await call(t, t.tokens.demo, 'GET', `${m}/${t.projects.admin}`)).statusCode, 200);
        assert.equal((await call(t, t.tokens.other, 'GET', `${m}/${alt}`)).statusCode, 404);
        assert.equal((await call(t, t.tokens.alt, 'PUT', `${m}/${alt}`, { status })).statusCode, 200);
        assert.equal((await call(t, t.tokens.demo, 'PUT', `${m}/${alt}`, { status: 'accepted' })).statusCode, 403);
        assert.equal((await call(t, t.tokens.other, 'PUT', `${m}/${alt}`, { status: 'accepted' })).statusCode, 404);
        const selfDelete = await call(t, t.tokens.alt, 'DELETE', `${m}/${alt}`);
        assert.equal(selfDelete.statusCode, 403);
        assert.deepEqual(json(selfDelete), glanceError(403, 'Forbidden', `Not allowed to delete members for image ${id}.`));
        assert.equal((await call(t, t.tokens.other, 'DELETE', `${m}/${alt}`)).statusCode, 404);
        assert.equal((await call(t, t.tokens.admin, 'DELETE', `${m}/${t.projects.admin}`)).statusCode, 204);
        assert.equal((await call(t, t.tokens.demo, 'DELETE', `${m}/${alt}`)).statusCode, 204);
        const gone = await call(t, t.tokens.demo, 'DELETE', `${m}/${alt}`);
        assert.deepEqual(json(gone), glanceError(404, 'Not Found', `${alt} not found in the member list of the image ${id}.`));
      });
    }

    it('visibility shared -> private -> shared keeps memberships and statuses', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await sharedWith(t, 'accepted');
      const visibility = (value: string) => patch(t, t.tokens.demo, id, [{ op: 'replace', path: '/visibility', value }]);
      assert.equal((await visibility('private')).statusCode, 200);
      assert.equal((await call(t, t.tokens.alt, 'GET', `/v2/images/${id}`)).statusCode, 404);
      assert.equal((await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`)).statusCode, 403);
      assert.equal((await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members/${t.projects.alt}`)).statusCode, 404);
      assert.equal((await visibility('shared')).statusCode, 200);
      const back = json(await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members/${t.projects.alt}`)) as { status: string };
      assert.equal(back.status, 'accepted');
      const list = json(await call(t, t.tokens.alt, 'GET', '/v2/images')) as { images: { id: string }[] };
      assert.deepEqual(list.images.map((i) => i.id), [id]);
    });

    it('deleting an image removes its members', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = await sharedWith(t, 'accepted');
      assert.equal((await call(t, t.tokens.demo, 'DELETE', `/v2/images/${id}`)).statusCode, 204);
      const res = await call(t, t.tokens.demo, 'GET', `/v2/images/${id}/members`);
      assert.deepEqual(json(res), glanceError(404, 'Not Found', `Image ${id} not found.`));
      assert.equal(await memberRows(t, id), 0);
    });

    it('405 with Allow on member paths', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const a = await call(t, t.tokens.demo, 'PUT', `/v2/images/${id}/members`, {});
      assert.equal(a.statusCode, 405);
      assert.equal(a.headers.allow, 'GET, POST');
      const b = await call(t, t.tokens.demo, 'POST', `/v2/images/${id}/members/${t.projects.alt}`, {});
      assert.equal(b.statusCode, 405);
      assert.equal(b.headers.allow, 'GET, PUT, DELETE');
    });

    it('full-ECS and KMS rules: whole-image quota, CBR backup and vault_id, key grants', async (tc) => {
      const t = await buildTestApp(tc, kind, { wholeImageMemberQuota: 1 });
      const notCbr = (await createImage(t, t.tokens.demo, { __whole_image: 'true' })).id as string;
      const refused = await call(t, t.tokens.demo, 'POST', `/v2/images/${notCbr}/members`, { member: t.projects.alt });
      assert.equal(refused.statusCode, 403);
      const whole = (await createImage(t, t.tokens.demo, { __whole_image: 'true', __backup_id: 'b1' })).id as string;
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${whole}/members`, { member: t.projects.alt })).statusCode, 200);
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${whole}/members`, { member: t.projects.other })).statusCode, 413);
      const noVault = await call(t, t.tokens.alt, 'PUT', `/v2/images/${whole}/members/${t.projects.alt}`, { status: 'accepted' });
      assert.equal(noVault.statusCode, 400);
      assert.deepEqual(json(noVault), glanceError(400, 'Bad Request', 'vault_id is mandatory when accepting a full-ECS image created from a CBR backup.'));
      assert.equal((await call(t, t.tokens.alt, 'PUT', `/v2/images/${whole}/members/${t.projects.alt}`, { status: 'accepted', vault_id: 'v-1' })).statusCode, 200);
      assert.equal((await t.container.repos.members.get(whole, t.projects.alt))!.vault_id, 'v-1');

      const enc = (await createImage(t, t.tokens.demo, { __system__cmkid: 'key-1' })).id as string;
      const noGrant = await call(t, t.tokens.demo, 'POST', `/v2/images/${enc}/members`, { member: t.projects.alt });
      assert.equal(noGrant.statusCode, 403);
      await t.container.repos.grants.grant('key-1', t.projects.alt, new Date().toISOString());
      assert.equal((await call(t, t.tokens.demo, 'POST', `/v2/images/${enc}/members`, { member: t.projects.alt })).statusCode, 200);
    });

    it('concurrent adds: the same member twice gives one 200 and one 409; racing the quota never exceeds it', async (tc) => {
      const t = await buildTestApp(tc, kind, { memberQuota: 5 });
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const url = `/v2/images/${id}/members`;
      const same = await Promise.all([1, 2].map(() => call(t, t.tokens.demo, 'POST', url, { member: t.projects.alt })));
      assert.deepEqual(same.map((r) => r.statusCode).sort(), [200, 409]);
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        call(t, t.tokens.demo, 'POST', url, { member: (i + 1).toString(16).padStart(32, '0') })));
      const codes = many.map((r) => r.statusCode);
      assert.equal(codes.filter((c) => c === 200).length, 4);
      assert.equal(codes.filter((c) => c === 413).length, 16);
      assert.equal(await memberRows(t, id), 5);
    });
    it('a member removed or updated while its image is locked for an add waits for it (no deadlock)', async (tc) => {
      const t = await buildTestApp(tc, kind);
      const id = (await createImage(t, t.tokens.demo)).id as string;
      const url = `/v2/images/${id}/members`;
      assert.equal((await call(t, t.tokens.demo, 'POST', url, { member: t.projects.alt })).statusCode, 200);
      const locked = gate();
      const release = gate();
      // An add of the same member, in the middle of its transaction: the image locked, the insert to come.
      const adding = t.container.store.transaction(async (trx) => {
        const lock = await t.container.repos.images.lock(id, trx);
        locked.open();
        await release.wait;
        const row = { image_id: id, member_id: t.projects.alt, status: 'pending', vault_id: null,
          member_type: 'project', urn: null, image_created_at: '2026-01-01T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
        return t.container.repos.members.insert(lock!, row);
      });
      await locked.wait;
      const updating = call(t, t.tokens.alt, 'PUT', `${url}/${t.projects.alt}`, { status: 'accepted' });
      const removing = call(t, t.tokens.demo, 'DELETE', `${url}/${t.projects.alt}`);
      setTimeout(release.open, 100);
      const [added, updated, removed] = await Promise.all([adding, updating, removing]);
      assert.equal(added, false, 'the member was there when the add inserted it');
      // The update may come before or after the removal; neither fails (a deadlock would be a 500).
      assert.ok([200, 404].includes(updated.statusCode), updated.body);
      assert.equal(removed.statusCode, 204, removed.body);
      assert.equal(await memberRows(t, id), 0);
    });
  });
}
