import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastJson, { type Schema } from 'fast-json-stringify';
import { imageBody, newImage } from '../../src/domain/image.js';
import { memberBody } from '../../src/domain/member.js';
import { imageTypeFor } from '../../src/policy/visibility.js';
import { CacheSpace } from '../../src/cache/cache-space.js';
import { imageBodies, LIST_RESPONSE, memberBodies, MEMBERS_RESPONSE } from '../../src/http/glance/bodies.js';
import type { MemberRow } from '../../src/repos/member-repo.js';

const image = (n: number) => newImage({
  id: `00000000-0000-4000-8000-00000000000${n}`, owner: 'p', created_at: '2026-03-01T00:00:00.123Z',
  name: n === 1 ? 'quote " and \\ and \u2028' : null, tags: ['a', 'b"c'], extra: { __os_type: 'Linux', k: 'v\n' },
  size: n * 1024, status: 'active',
});

const member = (n: number): MemberRow => ({
  image_id: 'i', member_id: `m"${n}`, status: 'pending', vault_id: null, image_created_at: '2026-03-01T00:00:00.000Z',
  member_type: 'project', urn: null,
  created_at: '2026-03-01T00:00:01.500Z', updated_at: '2026-03-01T00:00:02.000Z',
});

const owner = { projectId: 'p', isAdmin: false };
const other = { projectId: 'q', isAdmin: false };

// The documents must stay byte for byte what Fastify's schema serializer wrote for these routes.
describe('Glance bodies', () => {
  const { imageJson, imageListJson } = imageBodies(new CacheSpace(1 << 20));
  const { memberListJson } = memberBodies(new CacheSpace(1 << 20));

  it('an image list is the LIST_RESPONSE serialization, next link or not', () => {
    const serialize = fastJson(LIST_RESPONSE as unknown as Schema);
    const images = [image(1), Object.freeze(image(2))];
    for (const next of [undefined, '/v2/images?limit=2&marker=x']) {
      const expected = serialize({ images: images.map((i) => imageBody(i, imageTypeFor(owner, i))), first: '/v2/images?limit=2', schema: '/v2/schemas/images',
        ...(next ? { next } : {}) });
      assert.equal(imageListJson(images, owner, '/v2/images?limit=2', next).toString(), expected);
    }
    assert.equal(imageListJson([], owner, '/v2/images', undefined).toString(),
      '{"images":[],"first":"/v2/images","schema":"/v2/schemas/images"}');
    const page = Object.freeze([Object.freeze(image(4))]);
    const body = imageListJson(page, owner, '/v2/images', undefined);
    assert.equal(imageListJson(page, owner, '/v2/images', undefined), body, 'kept for the same frozen page and links');
    assert.notEqual(imageListJson(page, owner, '/v2/images?limit=1', undefined).toString(), body.toString());
  });

  it('a member list is the MEMBERS_RESPONSE serialization', () => {
    const serialize = fastJson(MEMBERS_RESPONSE as unknown as Schema);
    const rows = Object.freeze([member(1), member(2)]);
    const expected = serialize({ members: rows.map(memberBody), schema: '/v2/schemas/members',
      page_info: { current_count: 2 } });
    assert.equal(memberListJson(rows), expected);
    // The rows themselves are not frozen: a change to one shows whether the list's body was rendered again.
    (rows[0] as { status: string }).status = 'accepted';
    assert.equal(memberListJson(rows), expected, 'kept for the same frozen list');
    assert.notEqual(memberBodies(new CacheSpace(0)).memberListJson(rows), expected, 'rendered again without caches');
    assert.equal(memberListJson([]), '{"members":[],"schema":"/v2/schemas/members","page_info":{"current_count":0}}');
    // A page with another after it is rendered each time (pages come from the database, not the caches).
    assert.equal(memberListJson(rows, true), serialize({ members: rows.map(memberBody), schema: '/v2/schemas/members',
      page_info: { next_marker: Buffer.from('m"2').toString('base64'), current_count: 2 } }), 'a page with another after');
  });

  it('a rendered body is kept for frozen images only', () => {
    const open = image(3);
    const before = imageJson(open, owner).toString();
    open.name = 'changed';
    assert.notEqual(imageJson(open, owner).toString(), before, 'an unfrozen image is rendered each time');
    assert.equal(JSON.parse(imageJson(open, owner).toString()).name, 'changed');
    const kept = Object.freeze(image(5));
    assert.equal(imageJson(kept, owner), imageJson(kept, owner), 'kept for a frozen image');
  });

  it("a kept body is the viewer's: __imagetype private to its owner, shared to others", () => {
    const kept = Object.freeze({ ...image(6), visibility: 'shared' as const });
    assert.equal(JSON.parse(imageJson(kept, owner).toString()).__imagetype, 'private');
    assert.equal(JSON.parse(imageJson(kept, other).toString()).__imagetype, 'shared');
    assert.equal(imageJson(kept, owner), imageJson(kept, owner), 'each variant kept');
  });

  it('nothing is kept with a cache budget of 0', () => {
    const off = imageBodies(new CacheSpace(0));
    const kept = Object.freeze(image(5));
    assert.notEqual(off.imageJson(kept, owner), off.imageJson(kept, owner));
    const page = Object.freeze([kept]);
    assert.notEqual(off.imageListJson(page, owner, '/v2/images', undefined), off.imageListJson(page, owner, '/v2/images', undefined));
  });
});
