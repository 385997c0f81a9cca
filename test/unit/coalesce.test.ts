import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { coalescing } from '../../src/db/coalesce.js';

interface Call {
  text: string;
  values: unknown[];
}

/** A pool answering each query a tick later: `id = $1` rows for ids that start with "a". */
function fakePool(calls: Call[]): pg.Pool {
  const query = async (q: { text: string; values: string[][] }) => {
    calls.push({ text: q.text, values: q.values });
    await new Promise((resolve) => setImmediate(resolve));
    if (q.values.some((v) => v.includes('boom'))) throw new Error('boom');
    const rows = q.values[0]!.flatMap((id, i) => (id.startsWith('a') ? [[i + 1, id, `${id}!`]] : []));
    return { rows, fields: [{ name: '__k' }, { name: 'id' }, { name: 'name' }] };
  };
  return { query } as unknown as pg.Pool;
}

const single = (calls: Call[]) => async (args: readonly unknown[]) => {
  calls.push({ text: 'single', values: [...args] });
  await new Promise((resolve) => setImmediate(resolve));
  const id = String(args[0]);
  if (id === 'boom') throw new Error('boom');
  return id.startsWith('a') ? { rows: [{ id, name: `${id}!` }], affected: 1 } : { rows: [], affected: 0 };
};

describe('coalescing reads', () => {
  it('runs a lone read at once, and shares one query among the reads that wait', async () => {
    const calls: Call[] = [];
    const run = coalescing(fakePool(calls), 'q', 'select id, name from t where id = $1', 1, single(calls));
    assert.deepEqual(await run(['a0']), { rows: [{ id: 'a0', name: 'a0!' }], affected: 1 });
    assert.equal(calls.length, 1);
    calls.length = 0;
    const ids = Array.from({ length: 20 }, (_v, i) => (i % 3 === 0 ? `b${i}` : `a${i}`));
    const got = await Promise.all(ids.map((id) => run([id])));
    assert.deepEqual(got.map((r) => r.rows), ids.map((id) => (id.startsWith('a') ? [{ id, name: `${id}!` }] : [])));
    assert.deepEqual(calls.map((c) => c.text === 'single'), [true, true, true, true, false]);
    assert.equal(calls[4]!.text, 'select k.i as "__k", q.* from unnest($1::text[]) with ordinality as k(p1, i)'
      + ' cross join lateral (select id, name from t where id = k.p1) as q');
    assert.deepEqual(calls[4]!.values, [ids.slice(4)]);
  });

  it('a value that fails the shared query fails only its own read: the others are run alone and answered', async () => {
    const calls: Call[] = [];
    const run = coalescing(fakePool(calls), 'q', 'select id, name from t where id = $1', 1, single(calls));
    const runs = ['a1', 'a2', 'a3', 'a4', 'a5', 'boom', 'a7'].map((id) => run([id]).then((r) => r.rows.length, (e: Error) => e.message));
    assert.deepEqual(await Promise.all(runs), [1, 1, 1, 1, 1, 'boom', 1]);
    // The shared query of a5, boom and a7 failed; each then went alone.
    assert.deepEqual(calls.slice(4).map((c) => (c.text === 'single' ? c.values[0] : 'shared')), ['shared', 'a5', 'boom', 'a7']);
    assert.deepEqual((await run(['a8'])).rows, [{ id: 'a8', name: 'a8!' }]);
  });

  it('runs reads with other than string parameters alone', async () => {
    const calls: Call[] = [];
    const run = coalescing(fakePool(calls), 'q', 'select id, name from t where id = $1', 1, single(calls));
    await Promise.all(Array.from({ length: 8 }, () => run([42])));
    assert.deepEqual(calls.map((c) => c.text), Array(8).fill('single'));
  });
});
