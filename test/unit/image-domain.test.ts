import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextFor } from '../../src/domain/context.js';
import { imageBody, newImage, virtualSizeOf } from '../../src/domain/image.js';
import { canModify } from '../../src/policy/images.js';
import { canSee, imageTypeFor } from '../../src/policy/visibility.js';
import { parseCreateBody } from '../../src/domain/image-input.js';
import { applyChanges, type ChangePolicy, parsePatchBody, patchVersion } from '../../src/domain/image-patch.js';
import { parseIsoTime, parseListQuery, splitQuoted } from '../../src/domain/image-query.js';
import { pyRepr } from '../../src/domain/py-repr.js';
import { AppError } from '../../src/errors/app-error.js';

const owner = contextFor('u1', 'owner', ['member', 'reader']);
const stranger = contextFor('u2', 'stranger', ['member', 'reader']);
const admin = contextFor('u3', 'adminproject', ['admin', 'member']);

/** Asserts that `fn` throws an AppError with this code and message. */
function throwsApp(fn: () => unknown, code: AppError['code'], message: string): AppError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `not an AppError: ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}: ${message}`);
}

const image = (over: Partial<Parameters<typeof newImage>[0]> = {}) =>
  newImage({ id: '0f0e0d0c-0b0a-4909-8807-060504030201', owner: 'owner', created_at: '2026-01-02T03:04:05.678Z',
    ...over });

describe('canSee (Glance: is_image_visible)', () => {
  const cases: [string, Parameters<typeof image>[0], typeof owner, 'pending' | 'accepted' | 'rejected' | undefined,
    boolean][] = [
    ['owner, private', { visibility: 'private' }, owner, undefined, true],
    ['admin, private of another', { visibility: 'private' }, admin, undefined, true],
    ['stranger, private', { visibility: 'private' }, stranger, undefined, false],
    ['stranger, public', { visibility: 'public' }, stranger, undefined, true],
    ['stranger, community', { visibility: 'community' }, stranger, undefined, true],
    ['stranger, shared without membership', { visibility: 'shared' }, stranger, undefined, false],
    ['member pending, shared', { visibility: 'shared' }, stranger, 'pending', true],
    ['member accepted, shared', { visibility: 'shared' }, stranger, 'accepted', true],
    ['member rejected, shared', { visibility: 'shared' }, stranger, 'rejected', true],
    ['member accepted, private', { visibility: 'private' }, stranger, 'accepted', false],
    ['anyone, no owner', { visibility: 'private', owner: null }, stranger, undefined, true],
  ];
  for (const [label, over, ctx, status, expected] of cases) {
    it(label, () => assert.equal(canSee(ctx, image(over), status), expected));
  }
  it('only the owner and admins may modify; nobody may modify an ownerless image but admins', () => {
    assert.equal(canModify(owner, image()), true);
    assert.equal(canModify(admin, image()), true);
    assert.equal(canModify(stranger, image()), false);
    assert.equal(canModify(owner, image({ owner: null })), false);
  });
});

describe('image body', () => {
  it('has every key, wire timestamps, extra properties at the top level and the given __imagetype', () => {
    const body = imageBody(image({ extra: { __os_type: 'Linux' }, tags: ['a'] }), 'shared');
    assert.deepEqual(Object.keys(body).sort(), ['__imagetype', '__os_type', 'checksum', 'container_format',
      'created_at', 'disk_format', 'file', 'id', 'min_disk', 'min_ram', 'name', 'os_hash_algo', 'os_hash_value',
      'os_hidden', 'owner', 'protected', 'schema', 'self', 'size', 'status', 'tags', 'updated_at', 'virtual_size',
      'visibility']);
    assert.equal(body.created_at, '2026-01-02T03:04:05Z');
    assert.equal(body.__imagetype, 'shared');
  });
  it('__imagetype is what the image is to the viewer: gold if public or community, private if its own, shared if '
    + "another's shared image, else by visibility", () => {
    const me = { projectId: 'owner', isAdmin: false };
    const type = (over: Parameters<typeof image>[0], viewer = me) => imageTypeFor(viewer, image({ owner: 'owner', ...over }));
    assert.equal(type({ visibility: 'public' }), 'gold');
    assert.equal(type({ visibility: 'community' }), 'gold');
    assert.equal(type({ visibility: 'shared' }), 'private');
    assert.equal(type({ visibility: 'private' }), 'private');
    assert.equal(type({ visibility: 'shared' }, { projectId: 'member', isAdmin: false }), 'shared');
    assert.equal(type({ visibility: 'private' }, { projectId: 'admin', isAdmin: true }), 'private');
    assert.equal(type({ visibility: 'shared', owner: null }), 'shared');
  });
  it('virtual size: the size for raw and iso, the qcow2 header size, else null', () => {
    const qcow = Buffer.alloc(64);
    qcow.writeUInt32BE(0x514649fb, 0);
    qcow.writeBigUInt64BE(10n * 1024n ** 3n, 24);
    assert.equal(virtualSizeOf('raw', 5, Buffer.from('hello')), 5);
    assert.equal(virtualSizeOf('qcow2', 64, qcow), 10 * 1024 ** 3);
    assert.equal(virtualSizeOf('qcow2', 5, Buffer.from('hello')), null);
    assert.equal(virtualSizeOf('vmdk', 5, Buffer.from('hello')), null);
  });
});

describe('pyRepr', () => {
  it('formats values as Python does', () => {
    assert.equal(pyRepr('abc'), "'abc'");
    assert.equal(pyRepr("it's"), '"it\'s"');
    assert.equal(pyRepr([null, 'ami', true, 1.5]), "[None, 'ami', True, 1.5]");
    assert.equal(pyRepr({ a: 1 }), "{'a': 1}");
    assert.equal(pyRepr(1e-7), '1e-07');
  });
});

describe('parseCreateBody (Glance create deserializer)', () => {
  it('splits fields, owner, tags and extra properties', () => {
    const input = parseCreateBody({ name: 'x', visibility: 'private', tags: ['a', 'a', 'b'], owner: 'p', foo: 'bar',
      __whole_image: 'true' });
    assert.deepEqual(input, { fields: { name: 'x', visibility: 'private' }, owner: 'p', tags: ['a', 'b'],
      extra: { foo: 'bar', __whole_image: 'true' } });
  });
  it('defers read-only base attributes to after the policy checks', () => {
    assert.equal(parseCreateBody({ status: 'active', size: 3 }).readOnly, 'status');
  });
  const errors: [string, unknown, AppError['code'], string][] = [
    ['no body', undefined, 'bad_request', 'Body expected in request.'],
    ['self', { self: 'x' }, 'forbidden', "Attribute 'self' is read-only."],
    ['__imagetype', { __imagetype: 'gold' }, 'forbidden', "Attribute '__imagetype' is read-only."],
    ['a list', [], 'bad_request', "Provided object does not match schema 'image': [] is not of type 'object'"],
    ['bad container format', { container_format: 'xyz' }, 'bad_request', "Provided object does not match schema "
      + "'image': 'xyz' is not one of [None, 'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']"],
    ['bad visibility', { visibility: 'everyone' }, 'bad_request', "Provided object does not match schema 'image': "
      + "'everyone' is not one of ['community', 'public', 'private', 'shared']"],
    ['non-boolean protected', { protected: 'yes' }, 'bad_request',
      "Provided object does not match schema 'image': 'yes' is not of type 'boolean'"],
    ['non-integer min_ram', { min_ram: 1.5 }, 'bad_request',
      "Provided object does not match schema 'image': 1.5 is not of type 'integer'"],
    ['long name', { name: 'n'.repeat(256) }, 'bad_request',
      `Provided object does not match schema 'image': '${'n'.repeat(63)}... is too long`],
    ['bad id', { id: 'abc' }, 'bad_request', "Provided object does not match schema 'image': 'abc' does not match "
      + "'^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'"],
    ['non-string extra', { foo: 12 }, 'bad_request',
      "Provided object does not match schema 'image': 12 is not of type 'string'"],
    ['non-string tag', { tags: ['a', 3] }, 'bad_request',
      "Provided object does not match schema 'image': 3 is not of type 'string'"],
    ['reserved', { deleted: 'x' }, 'forbidden', "Attribute 'deleted' is reserved."],
    ['os_glance namespace', { os_glance_foo: 'x' }, 'forbidden', "Attribute 'os_glance_foo' is reserved."],
    ['long key', { ['k'.repeat(256)]: 'x' }, 'bad_request', 'Custom property should not be greater than 255 characters.'],
    ['an empty property name', { '': 'x' }, 'bad_request', 'Custom property names must not be empty.'],
    ['a non-string toString property', { toString: 1 }, 'bad_request',
      "Provided object does not match schema 'image': 1 is not of type 'string'"],
    ['a non-string constructor property', { constructor: [] }, 'bad_request',
      "Provided object does not match schema 'image': [] is not of type 'string'"],
    ['a property value over 65,535 characters', { big: 'v'.repeat(65_536) }, 'bad_request',
      `Provided object does not match schema 'image': '${'v'.repeat(63)}... is too long`],
  ];
  for (const [label, body, code, message] of errors) {
    it(`refuses ${label}`, () => { throwsApp(() => parseCreateBody(body), code, message); });
  }
});

describe('JSON patch', () => {
  it('media types: both Glance types, nothing else (the route answers 415)', () => {
    assert.equal(patchVersion('application/openstack-images-v2.1-json-patch'), 10);
    assert.equal(patchVersion('application/openstack-images-v2.0-json-patch; charset=UTF-8'), 4);
    for (const type of ['application/json', undefined, 'constructor', '__proto__']) {
      assert.equal(patchVersion(type), undefined, type);
    }
  });
  it('parses both dialects', () => {
    assert.deepEqual(parsePatchBody([{ op: 'replace', path: '/name', value: 'n' }], 10),
      [{ op: 'replace', path: ['name'], value: 'n', version: 10 }]);
    assert.deepEqual(parsePatchBody([{ remove: '/a~1b~0c' }], 4), [{ op: 'remove', path: ['a/b~c'], version: 4 }]);
  });
  const errors: [string, unknown, 4 | 10, AppError['code'], string][] = [
    ['not a list', {}, 10, 'bad_request', 'Request body must be a JSON array of operation objects.'],
    ['not an object', ['x'], 10, 'bad_request', 'Operations must be JSON objects.'],
    ['no op', [{ path: '/name' }], 10, 'bad_request',
      'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.'],
    ['bad op', [{ op: 'move', path: '/name' }], 10, 'bad_request',
      'Invalid operation: `move`. It must be one of the following: add, remove, replace.'],
    ['no path', [{ op: 'add' }], 10, 'bad_request', "Unable to find 'path' in JSON Schema change"],
    ['two ops (v2.0)', [{ add: '/a', remove: '/a' }], 4, 'bad_request',
      'Operation objects must contain only one member named "add", "remove", or "replace".'],
    ['no op (v2.0)', [{ value: 1 }], 4, 'bad_request',
      'Operation objects must contain exactly one member named "add", "remove", or "replace".'],
    ['relative pointer', [{ op: 'add', path: 'name', value: 'x' }], 10, 'bad_request',
      'Pointer `name` does not start with "/".'],
    ['bad escape', [{ op: 'add', path: '/a~2', value: 'x' }], 10, 'bad_request',
      'Pointer `/a~2` contains "~" not part of a recognized escape sequence.'],
    ['deep path', [{ op: 'add', path: '/name/x', value: 'x' }], 10, 'bad_request',
      "Invalid JSON pointer for this resource: '/name/x'"],
    ['no value', [{ op: 'add', path: '/name' }], 10, 'bad_request', 'Operation "add" requires a member named "value".'],
    ['read-only', [{ op: 'replace', path: '/status', value: 'active' }], 10, 'forbidden',
      "Attribute 'status' is read-only."],
    ['__imagetype', [{ op: 'add', path: '/__imagetype', value: 'gold' }], 10, 'forbidden',
      "Attribute '__imagetype' is read-only."],
    ['reserved', [{ op: 'add', path: '/deleted', value: 'x' }], 10, 'forbidden', "Attribute 'deleted' is reserved."],
    ['bad value', [{ op: 'replace', path: '/min_ram', value: 'x' }], 10, 'bad_request',
      "Provided object does not match schema 'image': 'x' is not of type 'integer'"],
  ];
  for (const [label, body, version, code, message] of errors) {
    it(`refuses ${label}`, () => { throwsApp(() => parsePatchBody(body, version), code, message); });
  }

  const allow: ChangePolicy = { isAdmin: false, property: () => {}, modify: () => {} };
  const apply = (body: unknown[], version: 4 | 10 = 10, base = image({ extra: { foo: 'bar' } })) =>
    applyChanges(base, parsePatchBody(body, version), allow);
  it('v2.1 add on an existing attribute sets it; v2.0 add conflicts', () => {
    assert.equal(apply([{ op: 'add', path: '/name', value: 'n' }]).name, 'n');
    assert.equal(apply([{ op: 'add', path: '/foo', value: 'baz' }]).extra.foo, 'baz');
    throwsApp(() => apply([{ add: '/name', value: 'n' }], 4), 'conflict', 'Property name already present.');
    throwsApp(() => apply([{ add: '/foo', value: 'n' }], 4), 'conflict', 'Property foo already present.');
    assert.equal(apply([{ add: '/new', value: 'n' }], 4).extra.new, 'n');
  });
  it('replace and remove semantics', () => {
    throwsApp(() => apply([{ op: 'replace', path: '/nope', value: 'x' }]), 'conflict', 'Property nope does not exist.');
    throwsApp(() => apply([{ op: 'remove', path: '/nope' }]), 'conflict', 'Property nope does not exist.');
    throwsApp(() => apply([{ op: 'remove', path: '/name' }]), 'forbidden', 'Property name may not be removed.');
    assert.deepEqual(apply([{ op: 'remove', path: '/foo' }]).extra, {});
    assert.deepEqual(apply([{ op: 'replace', path: '/tags', value: ['b', 'a', 'b'] }]).tags, ['b', 'a']);
    throwsApp(() => apply([{ op: 'replace', path: '/owner', value: 'x' }]), 'forbidden',
      "Owner can't be updated by non admin.");
    throwsApp(() => apply([{ op: 'replace', path: '/disk_format', value: 'raw' }], 10, image({ status: 'active' })),
      'forbidden', 'Attribute disk_format can be only replaced for a queued image.');
    throwsApp(() => apply([{ op: 'replace', path: '/min_ram', value: 2 ** 31 }]), 'bad_request',
      "'min_ram' value out of range, must not exceed 2147483647.");
  });
  it('calls the policy for each change before applying it', () => {
    const seen: string[] = [];
    const policy: ChangePolicy = {
      isAdmin: false, property: (name) => { seen.push(name); if (name === 'protected') throw new AppError('forbidden', 'no'); },
      modify: () => {},
    };
    throwsApp(() => applyChanges(image(), parsePatchBody([{ op: 'replace', path: '/name', value: 'a' },
      { op: 'replace', path: '/protected', value: true }, { op: 'replace', path: '/os_hidden', value: true }], 10),
    policy), 'forbidden', 'no');
    assert.deepEqual(seen, ['name', 'protected']);
  });
  it('does not change the image it was given', () => {
    const base = image({ extra: { foo: 'bar' } });
    apply([{ op: 'remove', path: '/foo' }, { op: 'replace', path: '/name', value: 'x' }], 10, base);
    assert.deepEqual(base.extra, { foo: 'bar' });
    assert.equal(base.name, null);
  });
});

describe('parseListQuery', () => {
  const q = (s: string) => parseListQuery([...new URLSearchParams(s)]);
  it('defaults: accepted members, 25 per page, created_at desc then id desc, hidden images excluded', () => {
    assert.deepEqual(q(''), {
      filters: { os_hidden: false, tags: [], extra: [] }, memberStatus: 'accepted', limit: 25,
      sort: [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }], key: '',
    });
  });
  it('keys a query by its pairs but the marker', () => {
    assert.equal(q('limit=2&marker=m&name=a b').key, 'limit=2&name=a+b');
    assert.equal(q('limit=2&name=a b').key, q('limit=2&marker=n&name=a b').key);
    assert.notEqual(q('name=a&limit=2').key, q('limit=2&name=a').key, 'order is kept, so only equal queries share it');
  });
  it('sort syntaxes complete the order with created_at and id', () => {
    assert.deepEqual(q('sort=name:asc').sort,
      [{ key: 'name', dir: 'asc' }, { key: 'created_at', dir: 'asc' }, { key: 'id', dir: 'asc' }]);
    assert.deepEqual(q('sort=name:asc,size').sort, [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' },
      { key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }]);
    assert.deepEqual(q('sort_key=name&sort_key=id&sort_dir=asc').sort,
      [{ key: 'name', dir: 'asc' }, { key: 'id', dir: 'asc' }, { key: 'created_at', dir: 'asc' }]);
  });
  it('filters', () => {
    const { filters, visibility, memberStatus, limit, marker } = q('name=in:a,"b,c"&owner=o&tag=x&tag=y&size_min=1'
      + '&protected=true&os_hidden=TRUE&created_at=gte:2026-01-01T00:00:00Z&hw_prop=1&visibility=all&member_status=all'
      + '&limit=5000&marker=m&__imagetype=gold');
    assert.deepEqual(filters, {
      os_hidden: true, tags: ['x', 'y'], extra: [['hw_prop', '1']], name: { op: 'in', values: ['a', 'b,c'] },
      owner: 'o', size_min: 1, protected: true, imagetype: 'gold',
      created_at: { op: 'gte', at: new Date('2026-01-01T00:00:00Z') },
    });
    assert.deepEqual([visibility, memberStatus, limit, marker], ['all', 'all', 1000, 'm']);
    assert.deepEqual(q('created_at=2026-01-01T10:00:00%2B02:00').filters.created_at,
      { op: 'eq', at: new Date('2026-01-01T08:00:00Z') });
  });
  const errors: [string, string][] = [
    ['member_status=maybe', 'Invalid status: maybe'],
    ['visibility=everyone', 'Invalid visibility value: everyone'],
    ['limit=x', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['sort_key=foo', 'Invalid sort key: foo. It must be one of the following: name, status, container_format, '
      + 'disk_format, size, id, created_at, updated_at.'],
    ['sort=name:up', 'Invalid sort direction: up'],
    ['sort=name&sort_key=id', 'Old and new sorting syntax cannot be combined'],
    ['sort_key=name&sort_dir=asc&sort_dir=desc&sort_dir=asc', 'Number of sort dirs does not match the number of sort keys'],
    ['protected=yes', "Invalid value 'yes' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['os_hidden=maybe', "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
    ['size_min=big', 'Unable to filter on a range with a non-numeric value.'],
    ['created_at=yesterday', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['updated_at=soon:2026-01-01T00:00:00Z', 'Unable to filter on a unknown operator.'],
    ['name=like:a', "Unable to filter by unknown operator 'like'."],
    ['changes-since=2026-01-01', 'The "changes-since" filter is no longer available on v2.'],
    ['name=in:"a', 'Invalid filter value "a. The quote is not closed.'],
  ];
  for (const [query, message] of errors) {
    it(`400 for ${query}`, () => { throwsApp(() => q(query), 'bad_request', message); });
  }
  it('splits quoted lists and parses ISO times like Glance', () => {
    assert.deepEqual(splitQuoted('a,"b,c",d'), ['a', 'b,c', 'd']);
    assert.equal(parseIsoTime('2026-02-30T00:00:00Z'), undefined);
    assert.equal(parseIsoTime('2026-02-03')?.toISOString(), '2026-02-03T00:00:00.000Z');
  });
});
