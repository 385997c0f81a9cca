/**
 * The layering rules of src/, checked on the source text: no import cycles; SQL only in repos/ and db/; no IMS
 * code spelled outside the error catalogue; no HTTP in the domain, the policy or the services.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const files = new Map(sources().map((path) => [relative(SRC, path), readFileSync(path, 'utf8')]));

/** The src files a file imports (relative imports, `import type` included). */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/^import\s+'(\.[^']+)'/gm)];
  return specs.map((m) => relative(SRC, resolve(SRC, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

/** Every cycle of the import graph, each as the path that closes it (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Source text without its comments (block comments, and line comments on lines of their own). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** Files (outside the allowed ones) whose code matches `re`, with the first match. */
function offenders(re: RegExp, allowed: (file: string) => boolean): string[] {
  return [...files].filter(([file, text]) => !allowed(file) && re.test(code(text)))
    .map(([file, text]) => `${file}: ${code(text).match(re)![0]}`);
}

describe('layers of src/', () => {
  it('has no import cycle', () => {
    const graph = new Map([...files].map(([file, text]) => [file, importsOf(file, text)]));
    for (const [file, deps] of graph) {
      for (const dep of deps) assert.ok(files.has(dep), `${file} imports ${dep}, which is not a source file`);
    }
    assert.deepEqual(cycles(graph), []);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  });

  it('writes SQL only in repos/ and db/', () => {
    const sql = /\b(selectFrom|insertInto|updateTable|deleteFrom|selectNoFrom)\(|\bsql`|\.execute\(\)/;
    assert.deepEqual(offenders(sql, (f) => f.startsWith('repos/') || f.startsWith('db/')), []);
  });

  it('spells IMS codes only in the error catalogue', () => {
    assert.deepEqual(offenders(/['"`]IMG\.\d{4}/, (f) => f === 'errors/catalogue.ts'), []);
  });

  it('keeps HTTP out of the domain, the policy and the services', () => {
    const http = /from '(fastify|@fastify\/[^']+|node:http)'|\bheaders:|\.\.\/http\//;
    const core = (f: string) => f.startsWith('domain/') || f.startsWith('policy/') || f.startsWith('services/');
    assert.deepEqual(offenders(http, (f) => !core(f)), []);
  });
});
