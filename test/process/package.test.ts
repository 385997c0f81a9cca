import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repository: dist/test/process/ is three levels down. */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('the package', () => {
  it('ships the built service, client with their types and console, and no test, source map or TypeScript source', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const files = new Set((JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path));
    for (const file of ['dist/src/bin/ims.js', 'dist/src/client/ims-client.js', 'dist/src/client/ims-client.d.ts',
      'package.json', 'README.md', 'docs/operations.md', 'dist/console/index.html']) assert.ok(files.has(file), file);
    assert.deepEqual([...files].filter((f) => /^(dist\/(test|bench|tools)|src|test)\/|\.map$|(?<!\.d)\.ts$/.test(f)), []);
    const targets = [pkg.bin.ims, ...['.', './client'].flatMap((k) => [pkg.exports[k].types, pkg.exports[k].default])];
    for (const target of targets) assert.ok(files.has(target.replace(/^\.\//, '')), target);
    assert.match(fs.readFileSync(path.join(REPO, pkg.bin.ims), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    // prepare builds the service and the console (installs from git run it; npm pack too).
    assert.match(pkg.scripts.prepare, /^tsc -p tsconfig\.build\.json && npm run build:console --silent$/);
    assert.ok([...files].some((f) => /^dist\/console\/assets\/index-[\w-]+\.js$/.test(f)), 'the console\'s script');
  });

  it('SIGTERM to `npm start` stops the node server it started', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-npm-'));
    // --ignore-scripts skips the prestart build: the tests run on a built tree.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--', '--port', '0', '--data-dir', dataDir],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const pid = await new Promise<number>((resolve, reject) => {
      npm.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /"pid":(\d+)[^\n]*"msg":"ims listening"/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      npm.on('exit', () => reject(new Error(`npm start ended:\n${out}`)));
    });
    assert.notEqual(pid, npm.pid);
    npm.kill('SIGTERM');
    await new Promise((resolve) => npm.once('exit', resolve));
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, `the server (pid ${pid}) outlived npm`);
    assert.match(out, /"msg":"stopped"/);
  });
});
