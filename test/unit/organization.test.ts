import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kindOfId, newNodeId, nodeUrn, parseNodeRef } from '../../src/domain/organization.js';

describe('organization ids and URNs', () => {
  it('new ids have Huawei\'s forms and sort in the order they were made', () => {
    const ids = Array.from({ length: 500 }, (_v, i) => newNodeId((['o', 'r', 'ou', 'h'] as const)[i % 4]!));
    for (const id of ids) assert.match(id, /^(o|r|ou|h)-[0-9a-z]{32}$/);
    const bare = ids.map((id) => id.slice(id.indexOf('-') + 1));
    assert.deepEqual([...bare].sort(), bare);
    assert.equal(new Set(bare).size, bare.length);
  });

  it('parses bare ids and URNs; anything else is no node', () => {
    const org = `o-${'a'.repeat(32)}`;
    const ou = `ou-${'b'.repeat(32)}`;
    const mgmt = 'c'.repeat(32);
    assert.deepEqual([kindOfId(org), kindOfId(`r-${'d'.repeat(32)}`), kindOfId(ou), kindOfId('default')],
      ['organization', 'root', 'ou', undefined]);
    assert.deepEqual(parseNodeRef(ou), { id: ou, kind: 'ou', urn: false });
    assert.deepEqual(parseNodeRef(nodeUrn('ou', mgmt, org, ou)), { id: ou, kind: 'ou', urn: true });
    assert.deepEqual(parseNodeRef(nodeUrn('organization', mgmt, org, org)), { id: org, kind: 'organization', urn: true });
    assert.equal(nodeUrn('organization', mgmt, org, org), `organizations::${mgmt}:organization:${org}`);
    for (const ref of [`organizations::${mgmt}:root:${org}/${ou}`, `organizations::${mgmt}:ou:${org}`,
      `organizations::${mgmt}:organization:${org}/${ou}`, `organizations::${mgmt}:account:${org}/${mgmt}`,
      `organizations:${mgmt}:ou:${org}/${ou}`, `${ou} `, 'OU-1234567890', '']) {
      assert.equal(parseNodeRef(ref), undefined, ref);
    }
  });
});
