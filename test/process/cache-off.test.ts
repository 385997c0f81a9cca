/**
 * Caches change no answer: the HTTP suites (dist/test/http) run twice, with the caches the tests configure
 * (--cache-mb 64) and with none (--cache-mb 0), and every response they got through `inject` (status,
 * headers, body) must be the same in both runs. A cache that served a stale image, list, member, job, token
 * or rendered body would answer differently from the database, also where the suites assert nothing about
 * that answer: images of list pages resolved without their rev check pass every suite, and fail this.
 *
 * On SQLite only (IMS_TEST_POSTGRES_URL is unset for the two runs): the caches are the same on both engines,
 * and the two runs, side by side, take a few minutes. What differs between any two runs is normalized:
 * generated ids (numbered in order of first appearance, per test), times, tokens, audit and request ids;
 * so a stale answer that differs only in a timestamp would go unseen. Polls of a job still running are left
 * out (their number depends on timing), and so are the answers of /metrics. Requests a suite sends over a socket
 * (not `inject`) are not recorded.
 *
 * The same runs show what each route answered (by route pattern, from each app's /metrics): every status the
 * routes answer must be in /openapi.json, and every status documented there answered by some suite, or said
 * why not (test/helpers/openapi-coverage.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildTestApp, json } from '../helpers/app.js';
import { databaseKinds } from '../helpers/databases.js';
import { coverage, type OpenApiDoc } from '../helpers/openapi-coverage.js';
import { type Recorded, routesFile, type RouteStatus } from '../helpers/recording.js';

const HTTP_SUITES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../http');

function suiteFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.js')).sort()
    .map((f) => path.join(dir, f));
}

/** Runs the HTTP suites one file at a time (so the order of requests is the same each run), recording to `file`. */
function runSuites(cacheMb: string, file: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, IMS_TEST_CACHE_MB: cacheMb, IMS_TEST_RECORD: file };
  // SQLite only; and a run of its own, not a child reporting to this test's runner.
  delete env.IMS_TEST_POSTGRES_URL;
  delete env.IMS_TEST_FULL;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=dot',
    ...suiteFiles(HTTP_SUITES)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve()
      : reject(new Error(`the HTTP suites failed with --cache-mb ${cacheMb} (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

const REPLACEMENTS: [RegExp, string][] = [
  [/ims1\.[\w-]+\.[\w-]+/g, '<token>'],
  [/req-[0-9a-f-]{36}/g, '<request id>'],
  [/(audit_ids\\?":\[\\?")[\w-]{22}/g, '$1<audit id>'],
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?/g, '<time>'],
  // A new access key's secret (IAM's key API), shown once.
  [/(secret\\?":\\?")[A-Za-z0-9]{40}/g, '$1<secret>'],
];
/**
 * The view of a job still running: how many of them a test polls through depends on timing, and no cache
 * keeps one (only finished jobs are cached), so they are left out.
 */
const UNFINISHED_JOB = /^\{"status":"(INIT|RUNNING)","job_id":/;
/** /metrics describes the process (latencies, cache sizes), not the data: left out. */
const METRICS = '/metrics';
const BASE64 = /[A-Za-z0-9+/]{40,}(?:=|%3D){0,2}/g;
const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b|\b(?:o|r|ou|h)-[0-9a-z]{32}\b/gi;
/** A new access key (IAM's key API): 20 of A-Z and 0-9, numbered like the ids. */
const ACCESS_KEY = /\b[A-Z0-9]{20}\b/g;

/** The responses of each test's app, in request order, with what differs between any two runs normalized. */
function normalized(file: string): Map<string, string[]> {
  const groups = new Map<string, Recorded[]>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as Recorded;
    groups.set(r.where, [...groups.get(r.where) ?? [], r]);
  }
  return new Map([...groups].map(([where, records]) => {
    const ids = new Map<string, string>();
    const answers = records.filter((r) => !UNFINISHED_JOB.test(r.body) && r.url !== METRICS)
      .sort((a, b) => a.seq - b.seq);
    return [where, answers.map(({ where: _w, seq: _s, ...r }) => {
      let text = JSON.stringify(r);
      for (const [pattern, to] of REPLACEMENTS) text = text.replace(pattern, to);
      // Member-list markers are base64 ids (in bodies, and URL-encoded in query strings): decoded, then numbered.
      text = text.replace(BASE64, (b64) => {
        const decoded = Buffer.from(decodeURIComponent(b64), 'base64').toString('latin1');
        return new RegExp(`^(?:${ID.source})$`, 'i').test(decoded) ? `base64(${decoded})` : b64;
      });
      return text.replace(ID, (id) => {
        const key = id.toLowerCase();
        if (!ids.has(key)) ids.set(key, `<id ${ids.size + 1}>`);
        return ids.get(key)!;
      }).replace(ACCESS_KEY, (access) => {
        if (!ids.has(access)) ids.set(access, `<key ${ids.size + 1}>`);
        return ids.get(access)!;
      });
    })];
  }));
}

describe('the HTTP suites, recorded', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-cache-off-'));
  const cachedFile = path.join(dir, 'cached.jsonl');
  const uncachedFile = path.join(dir, 'uncached.jsonl');
  before(() => Promise.all([runSuites('64', cachedFile), runSuites('0', uncachedFile)]), { timeout: 20 * 60_000 });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('get the same responses with caches as without', () => {
    const cached = normalized(cachedFile);
    const uncached = normalized(uncachedFile);
    assert.deepEqual([...uncached.keys()].sort(), [...cached.keys()].sort(), 'the same tests built apps');
    const total = [...cached.values()].reduce((n, g) => n + g.length, 0);
    assert.ok(total > 500, `only ${total} responses recorded`);
    const differences: string[] = [];
    for (const [where, responses] of cached) {
      const other = uncached.get(where)!;
      for (let i = 0; i < Math.max(responses.length, other.length); i++) {
        if (responses[i] !== other[i]) {
          differences.push(`${where}, answer ${i}:\n  cached:   ${responses[i]?.slice(0, 800)}\n`
            + `  uncached: ${other[i]?.slice(0, 800)}`);
        }
      }
    }
    assert.equal(differences.length, 0,
      `${differences.length} of ${total} responses differ:\n${differences.slice(0, 5).join('\n')}`);
  });

  // Both ways: what the routes answered is documented, and what is documented is answered (or why not is said).
  it('answer the statuses /openapi.json documents, and each of them', async (t) => {
    const observed = [cachedFile, uncachedFile].flatMap((file) => fs.readFileSync(routesFile(file), 'utf8')
      .split('\n').filter(Boolean).map((line) => JSON.parse(line) as RouteStatus));
    assert.ok(observed.length > 300, `only ${observed.length} route statuses recorded`);
    const { app } = await buildTestApp(t, databaseKinds()[0]!);
    const doc = json(await app.inject({ url: '/openapi.json' })) as OpenApiDoc;
    const { undocumented, unobserved } = coverage(doc, observed);
    assert.deepEqual(undocumented, [], 'answered, not documented');
    assert.deepEqual(unobserved, [], 'documented, never answered (or say why in test/helpers/openapi-coverage.ts)');
  });
});
