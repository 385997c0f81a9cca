/**
 * The repository stands alone: no tracked file (git ls-files) points outside it. A reader of a clone has only the
 * clone, so a citation is the fact itself or a public source by name (an API page title, a file and function of
 * an upstream project), never a path that leaves the repository, a machine path, or a private working document.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SELF = 'test/unit/stands-alone.test.ts';

/** Names of documents that were never in the repository, and the marks they left. */
const PRIVATE: [RegExp, string][] = [
  [/ims-sharing\.md|glance-members\.md|\bDESIGN\.md\b/i, 'a working document that is not in the repository'],
  [/\bshared\/(?:spec|seeds)\b|\.\.\/shared\b/, 'a spec tree outside the repository'],
  [/\bseeds? ?0\d\d\b/i, 'a seed page that is not in the repository'],
  [/§/, 'a section of a document that is not in the repository'],
  [/\[(?:REC|INFERRED)\]/, "a private spec's marker"],
  [/(?<=^|[\s(,])E(?:1[0-6]|[1-9])(?=$|[\s),.;:/-])/, "a private spec's endpoint number (name Huawei's operation instead)"],
  [/(?:^|[\s('"`])\/(?:work|home)\/[\w.-]/, 'a path of one machine'],
];

/** Lines whose relative paths are read as the file's own: all of a document's, only the comments of code. */
function pathLines(file: string, text: string): string[] {
  const lines = text.split('\n');
  if (!/\.(?:ts|js|sh)$/.test(file) && !/(?:^|\/)run$/.test(file)) return lines;
  return lines.filter((l) => /^\s*(?:\*|\/\/|\/\*|#)/.test(l) || /\/\/ /.test(l));
}

/** What in `text` (the file `file`, relative to the root) refers outside the repository, one line each. */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [re, what] of PRIVATE) if (re.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
  });
  for (const line of pathLines(file, text)) {
    for (const m of line.matchAll(/(?<![.\w])(?:\.\.\/)+[\w.-]+/g)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), m[0]));
      if (target.startsWith('..') || isAbsolute(target)) found.push(`${file}: ${m[0]} leaves the repository`);
    }
    for (const m of line.matchAll(/\]\((\/[^)\s]*)\)/g)) found.push(`${file}: link ${m[1]} is a path of one machine`);
  }
  return found;
}

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0')
    .filter((f) => f && f !== SELF && existsSync(join(ROOT, f)));
}

describe('the repository stands alone', () => {
  it('no tracked file refers outside the repository', () => {
    const files = trackedFiles();
    assert.ok(files.length > 100 && files.includes('README.md'), `git ls-files found ${files.length} files`);
    const found = files.flatMap((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8');
      return text.includes('\0') ? [] : outsideReferences(f, text);
    });
    assert.deepEqual(found, []);
  });

  it('the check finds each kind of outside reference', () => {
    const cases: [string, string][] = [
      ['README.md', 'see [the contract](../shared/spec/operations.md)'],
      ['docs/a.md', 'see [b](../../b.md)'],
      ['docs/a.md', 'as [the spec](/srv/spec.md) says'],
      ['src/x.ts', ' * Spec: ims-sharing.md, the rules'],
      ['src/x.ts', ' * as in the batch API (E13 body)'],
      ['src/x.ts', ' * batch add and delete (E1, E3-E5) refuse'],
      ['src/x.ts', ' * order of checks (§1.2)'],
      ['docs/a.md', 'IMS, seed 003, says so'],
      ['src/x.ts', ' * [REC] do this'],
      ['src/x.ts', ' * copied from /work/shared'],
      ['src/x.ts', ' // read ../../../outside.txt'],
      ['test/fixtures/v.json', '{"source": "../../../spec/v.json"}'],
    ];
    for (const [file, text] of cases) assert.notDeepEqual(outsideReferences(file, text), [], `${file}: ${text}`);
  });

  it('leaves what stays inside alone', () => {
    const cases: [string, string][] = [
      ['src/http/x.ts', "import { a } from '../../domain/a.js';"],
      ['bench/run.ts', "const out = path.resolve(here, '../../bench/results');"],
      ['docs/a.md', 'see [the README](../README.md) and [b](b.md#x)'],
      ['test/unit/x.test.ts', "assert.equal(uriEncode('é'), '%C3%A9%E2%82%AC');"],
      ['src/x.ts', ' * Glance `ImageMembersController.create` (glance/api/v2/image_members.py), ShowJob'],
      ['README.md', '`/v1/organizations`, `.../roots`; data in /tmp/x; "sha512-x+E8/d1g=="'],
    ];
    for (const [file, text] of cases) assert.deepEqual(outsideReferences(file, text), [], `${file}: ${text}`);
  });
});
