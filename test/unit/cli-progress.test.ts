import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { describe as words, plainLines } from '../../src/cli/progress.js';

describe('cli progress', () => {
  it('words: counts, percent, rate and time left; bytes in binary units; no ETA when done or unknown', () => {
    assert.equal(words('pairs', 1000, 4000, 500), '1000/4000 pairs (25%), 500 pairs/s, ETA 6s');
    assert.equal(words('pairs', 4000, 4000, 800), '4000/4000 pairs (100%), 800 pairs/s');
    assert.equal(words('pairs', 7, undefined, 3.4), '7 pairs, 3 pairs/s');
    assert.equal(words('pairs', 0, 90_000, 10), '0/90000 pairs (0%), 10 pairs/s, ETA 2h30m');
    assert.equal(words('bytes', 1536 * 1024, 4 * 1024 ** 3, 110 * 1024 ** 2), '1.5 MiB/4.0 GiB (0%), 110.0 MiB/s, ETA 37s');
    assert.equal(words('bytes', 512, 512, 0), '512 B/512 B (100%), 0 B/s');
  });

  it('plain lines: one per change of the counts, at most one a second, and the last state at stop', () => {
    mock.timers.enable({ apis: ['Date'], now: 0 });
    try {
      const out: string[] = [];
      const shown = plainLines('job j', 'pairs', { write: (text: string) => out.push(text) }, true);
      shown.update(0, 10);
      shown.update(2, 10);
      mock.timers.tick(999);
      shown.update(4, 10);
      assert.deepEqual(out, ['job j: 0/10 pairs (0%), 0 pairs/s\n']);
      mock.timers.tick(1);
      shown.update(5, 10);
      mock.timers.tick(1000);
      shown.update(5, 10);
      assert.deepEqual(out.slice(1), ['job j: 5/10 pairs (50%), 5 pairs/s, ETA 1s\n']);
      mock.timers.tick(500);
      shown.update(10, 10);
      shown.stop();
      assert.deepEqual(out.slice(2), ['job j: 10/10 pairs (100%), 4 pairs/s\n']);
      shown.stop();
      assert.equal(out.length, 3);
    } finally {
      mock.timers.reset();
    }
  });
});
