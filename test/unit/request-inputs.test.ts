import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { contextFor } from '../../src/domain/context.js';
import { AppError } from '../../src/errors/app-error.js';
import { NEW_MEMBER_BODY, parseNewMember, parseStatusChange, STATUS_BODY } from '../../src/http/glance/member-input.js';
import {
  MAX_IMAGES, MAX_PROJECTS, PAIRS_BODY, parsePairsBody, parseUpdateBody, UPDATE_BODY,
} from '../../src/http/ims/batch-input.js';

// Each parse function accepts exactly the bodies its schema (in /openapi.json) describes and gives the typed
// value its service takes. The HTTP suites check the refusals' messages and their order.

/** The parsed value, or undefined when the body is refused (thrown, or returned as the error to throw later). */
function outcome<T>(parse: () => T | AppError): T | undefined {
  try {
    const value = parse();
    return value instanceof AppError ? undefined : value;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.status, 400);
    return undefined;
  }
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
const hex32 = (n: number) => n.toString(16).padStart(32, '0');
const OWN = hex32(1);
const user = contextFor('u', OWN, ['member']);
const admin = contextFor('a', hex32(2), ['admin']);

const junk = fc.constantFrom(undefined, null, '', 'x', 0, 5, true, false, {}, []);
/** Mostly `valid` (so that bodies get past their first fields), else `invalid`. */
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
  fc.oneof({ arbitrary: valid, weight: 3 * invalid.length }, ...invalid.map((arbitrary) => ({ arbitrary, weight: 1 })));
/** An id list, duplicates, bad ids, bad items and the size limits included. */
const listOf = (valid: fc.Arbitrary<string>, invalid: readonly string[], max: number, big: string[]) => mostly(
  fc.array(valid, { maxLength: 4 }).chain((items) => fc.shuffledSubarray([...items, ...items], { minLength: items.length })),
  junk,
  fc.array(mostly(valid, fc.constantFrom(...invalid)), { maxLength: 4 }),
  fc.array(mostly(valid, fc.constantFrom(5, null, ['x'])), { minLength: 1, maxLength: 3 }),
  fc.constantFrom(big.slice(0, max + 1), [...big.slice(0, max), big[0]!]),
);
const imageList = listOf(fc.uuid(), ['not-a-uuid', ids(1)[0]!.slice(1), `${ids(1)[0]!} `], MAX_IMAGES, ids(MAX_IMAGES + 1));
const projectList = listOf(fc.constantFrom(hex32(1), hex32(3), hex32(4)), [hex32(3).toUpperCase(), 'demo', hex32(3).slice(1)],
  MAX_PROJECTS, Array.from({ length: MAX_PROJECTS + 1 }, (_, i) => hex32(i + 10)));
/** A member or vault id: fine, empty, too long, with a control character, or no string. */
const memberId = mostly(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('v'.repeat(255), 'ünï')),
  fc.constantFrom('', 'v'.repeat(256), 'a\u0000b', 'tab\t', 'del\u007f'), junk);

/** The body as the schema judges it: ids given twice count once (the parse functions drop repeats). */
const deduped = (body: unknown) => (typeof body === 'object' && body !== null && !Array.isArray(body)
  ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) && v.every((x) => typeof x === 'string')
    ? [...new Set(v)] : v]))
  : body);
const check = (schema: TSchema, body: unknown) => Value.Check(schema, deduped(body));
const fields = (body: unknown) => deduped(body) as Record<string, unknown>;

/** A body with each key (mostly), or with some, or no object at all. */
const bodyOf = (keys: Record<string, fc.Arbitrary<unknown>>) =>
  mostly(fc.record(keys), fc.record(keys, { requiredKeys: [] }), junk);

describe('IMS batch bodies', () => {
  it('batch add/delete: parsed exactly when PAIRS_BODY and its two counting rules hold, ids once each', () => {
    const none = fc.constantFrom(undefined, null, []);
    const domains = mostly(listOf(fc.constantFrom(hex32(7), 'default'), ['Default', hex32(7).slice(1), 'o-abcd'],
      MAX_PROJECTS, Array.from({ length: MAX_PROJECTS + 1 }, (_, i) => hex32(i + 5000))), none);
    const urn = (kind: string, id: string) => `organizations::${hex32(9)}:${kind}:o-${'a'.repeat(32)}${id}`;
    const organizations = mostly(listOf(fc.constantFrom(`ou-${'c'.repeat(32)}`, `r-${'b'.repeat(4)}`, urn('organization', ''),
      urn('ou', `/ou-${'c'.repeat(8)}`), urn('root', `/r-${'b'.repeat(32)}`)), ['d', urn('ou', `/r-${'b'.repeat(32)}`),
      urn('organization', '/ou-1'), `ou-${'c'.repeat(7)}`, `${urn('root', '/r-bbbb')}${'x'.repeat(255)}`, `O-${'a'.repeat(8)}`],
    MAX_PROJECTS, Array.from({ length: MAX_PROJECTS + 1 }, (_, i) => `ou-${i.toString(36).padStart(8, '0')}`)), none);
    const targets = (b: Record<string, unknown>) => ['projects', 'domains', 'organizations']
      .map((k) => (Array.isArray(b[k]) ? (b[k] as unknown[]).length : 0)).reduce((a, n) => a + n, 0);
    fc.assert(fc.property(bodyOf({ images: imageList, projects: mostly(projectList, none), domains, organizations }),
      (body) => {
        const parsed = outcome(() => parsePairsBody(body));
        const counted = check(PAIRS_BODY, body) && targets(fields(body)) >= 1 && targets(fields(body)) <= MAX_PROJECTS;
        assert.equal(parsed !== undefined, counted, String(JSON.stringify(body)).slice(0, 300));
        if (parsed) {
          const f = fields(body);
          assert.deepEqual(parsed, { images: f.images, projects: f.projects ?? [], domains: f.domains ?? [],
            organizations: f.organizations ?? [] });
        }
      }), { numRuns: 1000 });
  });

  it('batch update: parsed exactly when UPDATE_BODY holds and project_id is the caller\'s (any, for admins)', () => {
    fc.assert(fc.property(bodyOf({
      images: imageList, project_id: mostly(fc.constant(OWN), fc.constantFrom(hex32(3), 'Demo', ''), junk),
      status: mostly(fc.constantFrom('accepted', 'rejected'), fc.constantFrom('pending', 'ACCEPTED'), junk),
      vault_id: mostly(memberId, fc.constant(undefined)),
    }), fc.constantFrom(user, admin), (body, ctx) => {
      const parsed = outcome(() => parseUpdateBody(body, ctx));
      const mine = (body as { project_id?: unknown } | undefined)?.project_id === ctx.projectId || ctx.isAdmin;
      assert.equal(parsed !== undefined, check(UPDATE_BODY, body) && mine);
      if (parsed) {
        const { images, project_id: projectId, status, vault_id: vault } = fields(body);
        assert.deepEqual(parsed, { images, project_id: projectId, status, ...(typeof vault === 'string' ? { vault_id: vault } : {}) });
      }
    }), { numRuns: 500 });
  });

  it('batch update: a foreign project_id is refused before the status is read', () => {
    assert.throws(() => parseUpdateBody({ images: ids(1), project_id: hex32(3), status: 'bad' }, user),
      { img: 'IMG.0030' });
  });
});

describe('Glance member bodies', () => {
  it('add: parsed exactly when NEW_MEMBER_BODY holds', () => {
    fc.assert(fc.property(bodyOf({ member: memberId, other: junk }), (body) => {
      const parsed = outcome(() => parseNewMember(body));
      assert.equal(parsed !== undefined, check(NEW_MEMBER_BODY, body));
      if (parsed !== undefined) assert.equal(parsed, (body as { member: string }).member);
    }), { numRuns: 300 });
  });

  it('status: parsed exactly when STATUS_BODY holds', () => {
    fc.assert(fc.property(bodyOf({
      status: mostly(fc.constantFrom('pending', 'accepted', 'rejected'), fc.constant('Accepted'), junk),
      vault_id: mostly(memberId, fc.constant(undefined)),
    }), (body) => {
      const parsed = outcome(() => parseStatusChange(body));
      assert.equal(parsed !== undefined, check(STATUS_BODY, body));
      if (parsed) {
        const { status, vault_id: vault } = body as { status: string; vault_id?: string | null };
        assert.deepEqual(parsed, { status, ...(typeof vault === 'string' ? { vaultId: vault } : {}) });
      }
    }), { numRuns: 300 });
  });

  it('status: a body without a status is refused at once, a bad status or vault returned for later', () => {
    assert.throws(() => parseStatusChange({ vault_id: 'v' }), { message: 'Status not specified' });
    const status = parseStatusChange({ status: 'gone' });
    assert.ok(status instanceof AppError);
    assert.equal(status.message, 'Incorrect request: Status must be "pending", "accepted" or "rejected".');
    const vault = parseStatusChange({ status: 'accepted', vault_id: '' });
    assert.ok(vault instanceof AppError);
    assert.match(vault.message, /^vault_id must be a string of 1 to 255 characters/);
  });
});
