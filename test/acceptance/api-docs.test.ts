/**
 * docs/api.md cannot rot: its shell examples run, in order, in one bash session with the real curl, jq and
 * openssl, against `ims serve` started with the bootstrap file the document shows. Each example that sends requests
 * is followed by the answer it documents (an `http` block): the last request's status must be that one, and the
 * JSON body must have the documented keys, level by level (an object with a "..." key is abridged: its keys must
 * be there, others may be too). IMS_API_DOCS_PRINT=1 prints every answer, to write the document from.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOC = path.join(ROOT, 'docs', 'api.md');
/** The base URL the document's examples use; the test's server replaces it. */
const DOC_URL = 'http://127.0.0.1:9292';

interface Block { lang: string; text: string; line: number; marker?: string }
interface Example { script: string; line: number; answer?: { status: number; body?: unknown; line: number } }

/** The fenced blocks of a Markdown text, each with the HTML comment just above it, if any. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    const above = /^<!--\s*(\S+)\s*-->$/.exec(lines[start - 1] ?? '') ?? /^<!--\s*(\S+)\s*-->$/.exec(lines[start - 2] ?? '');
    blocks.push({ lang: open[1]!, text: body.join('\n'), line: start + 1, ...(above ? { marker: above[1] } : {}) });
  }
  return blocks;
}

/** `HTTP/1.1 201 Created`, headers, a blank line and an optional JSON body. */
function parseAnswer(block: Block): Example['answer'] {
  const [head, ...rest] = block.text.split(/\n\s*\n/);
  const status = /^HTTP\/1\.1 (\d{3})\b/.exec(head!);
  assert.ok(status, `docs/api.md:${block.line}: an http block starts with "HTTP/1.1 <status>"`);
  const text = rest.join('\n\n').trim();
  let body: unknown;
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      body = JSON.parse(text);
    } catch (e) {
      assert.fail(`docs/api.md:${block.line}: the documented body is not JSON: ${(e as Error).message}`);
    }
  }
  return { status: Number(status[1]), line: block.line, ...(body === undefined ? {} : { body }) };
}

/** The sh examples in order, each with the answer documented after it. */
function examples(blocks: Block[]): Example[] {
  const out: Example[] = [];
  for (const b of blocks) {
    if (b.lang === 'sh') out.push({ script: b.text, line: b.line });
    else if (b.lang === 'http') {
      const last = out[out.length - 1];
      assert.ok(last && !last.answer, `docs/api.md:${b.line}: an http block follows one sh example`);
      last.answer = parseAnswer(b);
    }
  }
  return out;
}

/** Where `actual` lacks the shape of `documented`: the same keys (more if the doc has "..."), level by level. */
function shapeDifferences(documented: unknown, actual: unknown, at = '$'): string[] {
  if (Array.isArray(documented)) {
    if (!Array.isArray(actual)) return [`${at}: documented an array`];
    return documented.length && actual.length ? shapeDifferences(documented[0], actual[0], `${at}[0]`) : [];
  }
  if (documented === null || typeof documented !== 'object') return [];
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: documented an object`];
  const doc = documented as Record<string, unknown>;
  const act = actual as Record<string, unknown>;
  const abridged = '...' in doc;
  const out: string[] = [];
  for (const k of Object.keys(doc)) {
    if (k === '...') continue;
    if (!(k in act)) out.push(`${at}.${k}: documented, not answered`);
    else out.push(...shapeDifferences(doc[k], act[k], `${at}.${k}`));
  }
  if (!abridged) for (const k of Object.keys(act)) if (!(k in doc)) out.push(`${at}.${k}: answered, not documented`);
  return out;
}

/** One bash script running every example, each request's headers and body kept per example in `dir`. */
function sessionScript(list: Example[], dir: string, url: string): string {
  const lines = [
    'set -euo pipefail',
    `cd ${JSON.stringify(dir)}`,
    // The last request of an example is the one its answer documents.
    `EXAMPLES=${JSON.stringify(dir)}`,
    'curl() { local n; n="$EXAMPLES/$(cat "$EXAMPLES/.example")"; : > "$n.sent";',
    '  command curl -D "$n.headers" -o "$n.body" "$@"; cat "$n.body"; }',
  ];
  list.forEach((ex, i) => {
    lines.push(`echo ${i} > "$EXAMPLES/.example"`, ex.script.split(DOC_URL).join(url));
  });
  lines.push('echo done > "$EXAMPLES/.example"');
  return `${lines.join('\n')}\n`;
}

/** The final status and the body of the last request an example sent (`-i` output stripped of its head). */
function answered(dir: string, i: number): { status: number; body: string } {
  const heads = fs.readFileSync(path.join(dir, `${i}.headers`), 'utf8');
  const statuses = [...heads.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)];
  let body = fs.readFileSync(path.join(dir, `${i}.body`), 'utf8');
  if (body.startsWith('HTTP/')) body = body.slice(body.search(/\r?\n\r?\n/) + 1).replace(/^\r?\n/, '');
  return { status: Number(statuses[statuses.length - 1]![1]), body };
}

/** Routes another document describes, each by the link docs/api.md gives to it. */
const REFERRED: [RegExp, string][] = [
  [/^\w+ \/v1\/organizations\b/, 'organizations.md'],
  [/^\w+ \/v3\/(?!auth\/tokens$)|^DELETE \/v3\/auth\/tokens$/, 'identity.md'],
  [/^\w+ \/v3\.0\//, 'iam.md'],
  [/^GET \/metrics$/, 'observability.md'],
];

/** `METHOD /path` of each request a script sends with curl or ims_signed, shell variables as `x`. */
function requestsOf(script: string): string[] {
  const out: string[] = [];
  for (const line of script.replace(/\\\n\s*/g, ' ').split('\n')) {
    const signed = /ims_signed (\w+) (\S+)/.exec(line);
    const url = /curl .*?"\$IMS([^"?]*)/.exec(line);
    const request = signed ? [signed[1], signed[2]] : url ? [/-X (\w+)/.exec(line)?.[1] ?? 'GET', url[1]] : undefined;
    if (request) out.push(`${request[0]} ${request[1]!.replace(/\$\{?\w+\}?/g, 'x')}`);
  }
  return out;
}

describe('docs/api.md', () => {
  const markdown = fs.readFileSync(DOC, 'utf8');
  const blocks = fencedBlocks(markdown);
  const list = examples(blocks);

  it('every example that sends a request documents its answer, and they all hold against a running server', async () => {
    for (const tool of ['curl', 'jq', 'openssl']) {
      assert.equal(spawnSync(tool, ['--version']).error, undefined, `${tool} is needed to run docs/api.md`);
    }
    const bootstrap = blocks.find((b) => b.marker === 'bootstrap');
    assert.ok(bootstrap, 'docs/api.md shows the bootstrap file its examples assume, marked <!-- bootstrap -->');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-api-docs-'));
    fs.writeFileSync(path.join(dir, 'bootstrap.json'), bootstrap.text);
    const srv = await startServer(['--bootstrap', path.join(dir, 'bootstrap.json')]);
    try {
      const work = path.join(dir, 'session');
      fs.mkdirSync(work);
      fs.writeFileSync(path.join(work, 'session.sh'), sessionScript(list, work, srv.url));
      const run = spawnSync('bash', ['session.sh'], { cwd: work, encoding: 'utf8', timeout: 300_000 });
      const stopped = fs.readFileSync(path.join(work, '.example'), 'utf8').trim();
      const where = stopped === 'done' ? '' : ` (the example at docs/api.md:${list[Number(stopped)]!.line})`;
      assert.equal(run.status, 0, `the examples failed${where}:\n${run.stderr}`);
      const problems: string[] = [];
      list.forEach((ex, i) => {
        const sent = fs.existsSync(path.join(work, `${i}.sent`));
        if (!sent) {
          if (ex.answer) problems.push(`docs/api.md:${ex.line}: documents an answer but sends no request`);
          return;
        }
        if (!ex.answer) {
          problems.push(`docs/api.md:${ex.line}: sends a request but documents no answer`);
          return;
        }
        const got = answered(work, i);
        if (process.env.IMS_API_DOCS_PRINT) {
          let shown = /^[\t\n\r\x20-\x7e]*$/.test(got.body) ? got.body : `(${got.body.length} bytes)`;
          try { shown = JSON.stringify(JSON.parse(got.body)); } catch { /* not JSON */ }
          process.stderr.write(`--- docs/api.md:${ex.line}\n${got.status} ${shown}\n`);
        }
        if (got.status !== ex.answer.status) {
          problems.push(`docs/api.md:${ex.line}: answered ${got.status}, documented ${ex.answer.status}: ${got.body}`);
        } else if (ex.answer.body !== undefined) {
          let body: unknown;
          try { body = JSON.parse(got.body); } catch { problems.push(`docs/api.md:${ex.line}: answered no JSON`); return; }
          for (const d of shapeDifferences(ex.answer.body, body)) problems.push(`docs/api.md:${ex.answer.line}: ${d}`);
        }
      });
      assert.deepEqual(problems, []);
      assert.ok(list.filter((ex) => ex.answer).length >= 40, 'docs/api.md shows every call');
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the checks can fail: a wrong status line, an undocumented key, a missing key', () => {
    assert.throws(() => examples(fencedBlocks('```sh\ncurl x\n```\n```http\n201 Created\n```\n')));
    assert.throws(() => examples(fencedBlocks('```http\nHTTP/1.1 200 OK\n```\n')));
    assert.deepEqual(shapeDifferences({ a: 1, b: { c: 1 } }, { a: 2, b: { c: 'x' } }), []);
    assert.deepEqual(shapeDifferences({ a: 1 }, { a: 1, b: 2 }), ['$.b: answered, not documented']);
    assert.deepEqual(shapeDifferences({ a: 1, '...': '' }, { a: 1, b: 2 }), []);
    assert.deepEqual(shapeDifferences({ a: [{ b: 1 }] }, { a: [{}] }), ['$.a[0].b: documented, not answered']);
  });

  it('every route of /openapi.json has an example, or a document docs/api.md links to', async () => {
    const shown = list.flatMap((ex) => requestsOf(ex.script));
    const srv = await startServer();
    try {
      const doc = await (await fetch(`${srv.url}/openapi.json`)).json() as { paths: Record<string, object> };
      const missing = Object.entries(doc.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => {
        const param = route.replace(/\/$/, '').split('/').map((s) => (/^\{.*\}$/.test(s) ? '[^/]+' : s)).join('/');
        const pattern = new RegExp(`^${method.toUpperCase()} ${param}/?$`);
        return shown.some((s) => pattern.test(s)) ? undefined : `${method.toUpperCase()} ${route}`;
      })).filter((r) => r !== undefined && !REFERRED.some(([re, doc]) => re.test(r) && markdown.includes(`](${doc})`)));
      assert.deepEqual(missing, []);
    } finally {
      await srv.stop();
    }
  });
});
