import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { call, login, rssMb, serveOn } from '../helpers/faults.js';

const CACHE_MB = 64;
/** Distinct image bodies of about 60 KB each: some 100 MB through the caches in all. */
const IMAGES = 1700;
const VALUE = 60_000;

/** Runs `fn` over 0..n-1, `width` at a time. */
async function each(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

for (const kind of databaseKinds()) {
  describe(`memory (${kind.name})`, () => {
    it(`an 8 MB property value is refused; 100 MB of distinct images read and listed keep RSS under --cache-mb `
      + '+ 150 MB', { timeout: 600_000 }, async (t) => {
      const { srv } = await serveOn(t, kind, ['--cache-mb', String(CACHE_MB)]);
      const { token } = await login(srv.url, 'owner');
      const huge = await call(`${srv.url}/v2/images`, { method: 'POST', token,
        body: JSON.stringify({ name: 'huge', big: 'x'.repeat(8 * 1024 * 1024) }) });
      assert.equal(huge.status, 400, huge.text.slice(0, 300));
      assert.match(huge.json().message, /^Provided object does not match schema 'image': 'x{1,64}\.\.\. is too long/);
      assert.ok(huge.text.length < 1024, `the refusal quotes ${huge.text.length} bytes`);

      const within = (when: string) => {
        const rss = rssMb(srv.proc.pid!);
        assert.ok(rss < CACHE_MB + 150, `RSS ${rss.toFixed(0)} MB ${when}, with --cache-mb ${CACHE_MB}`);
        t.diagnostic(`RSS ${rss.toFixed(0)} MB ${when}`);
      };
      within('after the 8 MB value');
      const ids: string[] = [];
      await each(IMAGES, 8, async (i) => {
        // Distinct content: each value is different from the first character on.
        const res = await call(`${srv.url}/v2/images`, { method: 'POST', token,
          body: JSON.stringify({ name: `m-${i}`, big: `${i}-`.padEnd(VALUE, String.fromCharCode(97 + (i % 26))) }) });
        assert.equal(res.status, 201, res.text.slice(0, 300));
        ids[i] = res.json().id;
      });
      within('after creating the images');
      // Each image read twice (kept, then served from the cache), and every list page twice.
      await each(IMAGES, 8, async (i) => {
        for (let n = 0; n < 2; n++) {
          const res = await call(`${srv.url}/v2/images/${ids[i]}`, { token });
          assert.equal(res.status, 200);
          assert.equal(res.json().big.length, VALUE);
        }
      });
      within('after reading each twice');
      for (let n = 0; n < 2; n++) {
        let next: string | undefined = '/v2/images?limit=100';
        let seen = 0;
        while (next) {
          const page: any = (await call(`${srv.url}${next}`, { token, limitMs: 60_000 })).json();
          seen += page.images.length;
          next = page.next;
        }
        assert.equal(seen, IMAGES);
      }
      within(`after listing them all twice: ${((IMAGES * VALUE) / 1e6).toFixed(0)} MB of distinct images through the caches`);
    });
  });
}
