import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };

/**
 * The package as a user gets it: `npm pack` (the prepare script builds), installed from the registry into an empty
 * project. About 5 minutes, most of it npm fetching the dependencies: only in `npm run test:full`.
 */
describe('the packed tarball, installed', { timeout: 15 * 60_000 }, () => {
  it('runs `npx ims --version`, `ims/client` imports with its types, and the console is built', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-pkg-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, maxBuffer: 1 << 24 });
    const tarball = path.join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, maxBuffer: 1 << 24 });
    assert.equal((await run('npx', ['--no-install', 'ims', '--version'], { cwd: app })).stdout, `${version}\n`);
    const imported = await run(process.execPath, ['--input-type=module', '-e',
      'import { ImsClient } from "ims/client"; import * as root from "ims"; console.log(typeof ImsClient, typeof root.ImsClient)'],
    { cwd: app });
    assert.equal(imported.stdout, 'function function\n');
    const types = fs.readFileSync(path.join(app, 'node_modules/ims/dist/src/client/ims-client.d.ts'), 'utf8');
    assert.match(types, /export declare class ImsClient/);
    // The web console ships built: its page, and the hashed assets with their compressed copies.
    const consoleDir = path.join(app, 'node_modules/ims/dist/console');
    assert.match(fs.readFileSync(path.join(consoleDir, 'index.html'), 'utf8'), /<script type="module"[^>]+"\.\/assets\//);
    assert.ok(fs.readdirSync(path.join(consoleDir, 'assets')).some((f) => f.endsWith('.js.br')));
  });
});
