import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { openStore, type Store } from '../../src/db/database.js';
import { databaseKinds, type DatabaseKind } from '../helpers/databases.js';
import { call, createImage, login, rssMb, serveOn, upload, waitUntil } from '../helpers/faults.js';
import type { RunningServer } from '../helpers/server.js';

const IMAGES = 1000;
const PROJECTS = 1000;
/** Project A's queued work may hold its million pairs and a bit more, not two such jobs. */
const MAX_QUEUED = 1_200_000;

async function serve(t: TestContext, kind: DatabaseKind): Promise<{ srv: RunningServer; store: Store }> {
  const { srv, url } = await serveOn(t, kind, ['--max-queued-pairs', String(MAX_QUEUED)]);
  // Read directly: polling the view of a job with a million results would be most of the test's work.
  const store = openStore(url);
  t.after(() => store.close());
  return { srv, store };
}

/** `n` active images of the token's project, made `width` at a time. */
async function activeImages(base: string, token: string, n: number, width = 8): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += width) {
    ids.push(...await Promise.all(Array.from({ length: Math.min(width, n - i) }, async (_, k) => {
      const id = await createImage(base, token, `img-${i + k}`);
      await upload(base, token, id);
      return id;
    })));
  }
  return ids;
}

async function submit(base: string, token: string, images: string[], projects: string[]) {
  return call(`${base}/v1/cloudimages/members`, { method: 'POST', token, body: JSON.stringify({ images, projects }) });
}

const job = async (base: string, token: string, id: string) => call(`${base}/v1/cloudimages/job/${id}`, { token, limitMs: 120_000 });

for (const kind of databaseKinds()) {
  describe(`fair jobs (${kind.name})`, () => {
    it('a 1-pair job of project B finishes within 1 s while project A runs a 1,000,000-pair job; A cannot queue a '
      + 'second one (429 IMG.0060); the large job\'s view is written a page at a time', { timeout: 600_000 }, async (t) => {
      const { srv, store } = await serve(t, kind);
      const status = async (id: string) => (await store.db.selectFrom('jobs').select('status').where('id', '=', id)
        .executeTakeFirstOrThrow()).status;
      const a = await login(srv.url, 'owner');
      const b = await login(srv.url, 'member');
      const aImages = await activeImages(srv.url, a.token, IMAGES);
      const [bImage] = await activeImages(srv.url, b.token, 1);
      const targets = Array.from({ length: PROJECTS }, (_, n) => n.toString(16).padStart(6, '0').padStart(32, 'a'));

      const big = await submit(srv.url, a.token, aImages, targets);
      assert.equal(big.status, 200, big.text);
      const bigId: string = big.json().job_id;
      await waitUntil(async () => (await status(bigId)) === 'RUNNING', 10_000, 'A\'s job to run');

      // Over the project's queued work: refused at once, in the IMS dialect, and nothing queued.
      const more = await submit(srv.url, a.token, aImages.slice(0, 300), targets);
      assert.equal(more.status, 429, more.text);
      assert.equal(more.headers.get('retry-after'), '60');
      assert.equal(more.json().error.code, 'IMG.0060');
      assert.match(more.json().error.message, /^The number of tasks exceeds the flow control limit: .* at most 1200000\.$/);

      const started = Date.now();
      const small = await submit(srv.url, b.token, [bImage!], [a.project]);
      assert.equal(small.status, 200, small.text);
      const smallId: string = small.json().job_id;
      let done: any;
      await waitUntil(async () => {
        done = (await job(srv.url, b.token, smallId)).json();
        return done.status !== 'INIT' && done.status !== 'RUNNING';
      }, 5000, 'B\'s job');
      const ms = Date.now() - started;
      assert.equal(done.status, 'SUCCESS', JSON.stringify(done));
      assert.ok(ms < 1000, `B's 1-pair job took ${ms} ms beside A's job`);
      assert.equal(await status(bigId), 'RUNNING', 'A\'s job was still running');

      await waitUntil(async () => (await status(bigId)) !== 'RUNNING', 480_000, 'A\'s job to finish');
      const before = rssMb(srv.proc.pid!);
      const view = await job(srv.url, a.token, bigId);
      const after = rssMb(srv.proc.pid!);
      assert.equal(view.status, 200);
      assert.equal(view.headers.get('content-type'), 'application/json; charset=utf-8');
      const body = view.json();
      // The member quota (256 an image) refuses the rest: the job fails, with every pair's result.
      assert.deepEqual(Object.keys(body), ['status', 'job_id', 'job_type', 'begin_time', 'end_time', 'error_code',
        'fail_reason', 'entities']);
      assert.equal(body.status, 'FAIL');
      assert.equal(body.error_code, 'IMG.0088');
      const row = await store.db.selectFrom('jobs').select(['slices', 'attempts', 'retries']).where('id', '=', bigId)
        .executeTakeFirstOrThrow();
      const recorded = await store.db.selectFrom('job_results').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_id', '=', bigId).executeTakeFirstOrThrow();
      assert.equal(Number(recorded.n), IMAGES * PROJECTS, `recorded; job ${JSON.stringify(row)}`);
      assert.equal(body.entities.results.length, IMAGES * PROJECTS);
      assert.deepEqual(body.entities.results[0], { image_id: aImages[0], project_id: targets[0], status: 'success' });
      assert.deepEqual(body.entities.results.at(-1), { image_id: aImages.at(-1), project_id: targets.at(-1), status: 'failed' });
      assert.equal(body.entities.results.filter((r: { status: string }) => r.status === 'success').length, IMAGES * 256);
      // About 100 MB of JSON, written without being held whole.
      assert.ok(view.text.length > 90e6, `${view.text.length} bytes`);
      assert.ok(after - before < 64, `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB while writing the view`);

      // Its work done, A may queue again.
      const again = await submit(srv.url, a.token, aImages.slice(0, 300), targets);
      assert.equal(again.status, 200, again.text);
    });
  });
}
