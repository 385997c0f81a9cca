import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap } from '../../src/cache/bounded-map.js';
import { CacheSpace } from '../../src/cache/cache-space.js';

describe('CacheSpace', () => {
  it('keeps a value while its rev is the same, the entry stored longest ago going first', () => {
    const space = new CacheSpace(300);
    const a = space.cache<string>('a');
    const b = space.cache<string>('b');
    a.set('x', 1, 'x1', 100);
    b.set('y', 1, 'y1', 100);
    assert.equal(a.get('x', 1), 'x1');
    assert.equal(a.get('x', 2), undefined, 'another rev');
    a.set('z', 1, 'z1', 200);
    assert.equal(a.get('x', 1), undefined, 'the oldest went, in whichever cache');
    assert.equal(b.get('y', 1), 'y1');
    assert.equal(space.bytes, 300);
    assert.throws(() => space.cache('a'), /exists already/);
  });

  it('ends an entry set with an expiry at that time, on the cache clock', () => {
    let now = 0;
    const space = new CacheSpace(1000);
    const timed = space.cache<string>('timed', () => now);
    timed.set('k', 0, 'v', 10, 100);
    now = 99;
    assert.equal(timed.get('k', 0), 'v');
    now = 100;
    assert.equal(timed.get('k', 0), undefined);
    assert.equal(space.bytes, 0, 'an expired entry is dropped when found');
  });

  it('deletes an entry, only while it holds the value given', () => {
    const cache = new CacheSpace(1000).cache<object>('c');
    const first = {};
    cache.set('k', 0, first, 10);
    cache.set('k', 0, {}, 10);
    cache.delete('k', first);
    assert.notEqual(cache.get('k', 0), undefined);
    cache.delete('k');
    assert.equal(cache.get('k', 0), undefined);
  });

  it('keeps nothing with a budget of 0, rendered bodies included', () => {
    const space = new CacheSpace(0);
    const cache = space.cache<string>('c');
    assert.equal(cache.set('k', 0, 'v', 1), 'v');
    assert.equal(cache.get('k', 0), undefined);
    let renders = 0;
    const render = space.rendered((_v: object) => ++renders);
    const value = Object.freeze({});
    render(value);
    render(value);
    assert.equal(renders, 2);
  });

  it('remembers what it rendered for frozen values only', () => {
    let renders = 0;
    const render = new CacheSpace(1000).rendered((_v: object) => ++renders);
    const open = {};
    render(open);
    render(open);
    assert.equal(renders, 2);
    const frozen = Object.freeze({});
    assert.equal(render(frozen), render(frozen));
    assert.equal(renders, 3);
  });
});

describe('BoundedMap', () => {
  it('holds at most max entries, the one set longest ago going first', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    assert.deepEqual([...map], [['a', 3], ['c', 4]]);
  });
});
