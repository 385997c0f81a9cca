import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { IMS_BIN, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const freshDir = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-op-')), 'data');

/** A port nothing listens on (just now). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `/healthz`'s status, or 0 while nothing answers. */
const health = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);

/** Resolves with the exit code, or rejects when the process is still running after `ms`. */
function exitWithin(proc: ReturnType<typeof spawn>, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`still running ${ms} ms after SIGTERM`));
    }, ms);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Runs `ims ARGS...` to its end; resolves with its exit code and output. */
const ims = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [IMS_BIN, ...args], { env: { ...process.env, ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));

describe('operator bugs', () => {
  it('a first start whose stdout reader went away keeps serving and stops on SIGTERM', async () => {
    const dataDir = freshDir();
    const port = await freePort();
    const proc = spawn(process.execPath, [IMS_BIN, 'serve', '--port', String(port), '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    // `ims serve | head -1`: the reader takes one line and goes away.
    await new Promise<void>((resolve) => proc.stdout!.once('data', () => {
      proc.stdout!.destroy();
      resolve();
    }));
    for (let i = 0; i < 200 && await health(port) !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await health(port), 200);
    assert.ok(fs.existsSync(path.join(dataDir, 'admin-openrc.sh')));
    proc.kill('SIGTERM');
    assert.equal(await exitWithin(proc, 10_000), 0);
  });

  it('answers nothing, /healthz included, before admin-openrc.sh is written', async () => {
    const dataDir = freshDir();
    const port = await freePort();
    const proc = spawn(process.execPath, [IMS_BIN, 'serve', '--port', String(port), '--data-dir', dataDir],
      { stdio: 'ignore' });
    try {
      let status = 0;
      for (let i = 0; i < 4000 && status !== 200; i++) status = await health(port);
      assert.equal(status, 200);
      assert.ok(fs.existsSync(path.join(dataDir, 'admin-openrc.sh')), 'the openrc exists once /healthz answers');
    } finally {
      proc.kill('SIGTERM');
      await exitWithin(proc, 10_000);
    }
  });

  it('a port in use is one line, exit code 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const out = await ims(['serve', '--port', String(port), '--data-dir', freshDir()]);
      assert.equal(out.code, 1);
      assert.equal(out.stderr, `ims: cannot listen on 127.0.0.1:${port}: the address is already in use\n`);
    } finally {
      taken.close();
    }
  });

  it('an unreachable PostgreSQL is one line naming it without its password, exit code 1', async () => {
    const port = await freePort();
    const url = `postgres://ims:s3cret@127.0.0.1:${port}/ims`;
    for (const args of [['migrate'], ['serve', '--port', '0']]) {
      const out = await ims([...args, '--database-url', url, '--data-dir', freshDir(), '--db-connect-timeout', '2']);
      assert.equal(out.code, 1, args[0]);
      assert.equal(out.stderr, `ims: cannot use the database postgres://ims:***@127.0.0.1:${port}/ims: connection refused\n`);
    }
  });

  it('a SQLite file that cannot be opened, and a data dir that cannot be made, are one line each', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-op-'));
    fs.mkdirSync(path.join(dir, 'ims.db'));
    const sqlite = await ims(['migrate', '--data-dir', dir]);
    assert.equal(sqlite.code, 1);
    assert.match(sqlite.stderr, new RegExp(`^ims: cannot use the database sqlite:${dir}/ims\\.db: [^\\n]+\\n$`));
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const fsError = await ims(['migrate', '--data-dir', path.join(file, 'data')]);
    assert.equal(fsError.code, 1);
    assert.equal(fsError.stderr, `ims: ENOTDIR: not a directory, mkdir '${file}/data'\n`);
  });
});

describe('the flags of each command', () => {
  it('ims --version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(path.dirname(IMS_BIN), '../../../package.json'), 'utf8'));
    assert.equal((await ims(['--version'])).stdout, `${pkg.version}\n`);
  });

  it('a command that opens the database reads none of the service\'s flags or variables', async () => {
    const dir = freshDir();
    const env = await ims(['migrate', '--data-dir', dir], { IMS_PORT: 'abc', IMS_TOKEN_TTL: '0', IMS_LOG_LEVEL: 'loud' });
    assert.deepEqual([env.code, env.stderr], [0, '']);
    assert.match(env.stdout, /^applied: 0001-initial/);
    const flag = await ims(['migrate', '--data-dir', dir, '--port', 'abc']);
    assert.deepEqual(flag, { code: 0, stdout: 'database is up to date\n',
      stderr: 'ims: --port is not used by `ims migrate`: ignored\n' });
    const unknown = await ims(['migrate', '--data-dir', dir, '--prot', '1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: unknown option '--prot'/);
    assert.doesNotMatch((await ims(['kms-grant', 'list', '--help'])).stdout, /--port|--log-level/);
  });

  it('IMS_* variables are checked by commander against the choices: IMS_LOG_FORMAT', async () => {
    const out = await ims(['serve', '--data-dir', freshDir()], { IMS_LOG_FORMAT: 'xml' });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^error: option '--log-format <format>' value 'xml' from env 'IMS_LOG_FORMAT' is invalid\. Allowed choices are json, pretty\./);
  });

  it('IMS_NO_JOBS is --no-jobs', async () => {
    const srv = await startServer([], { env: { IMS_NO_JOBS: '1' } });
    await srv.stop();
    assert.match(srv.output(), /"jobs":false,"msg":"ims listening"/);
    assert.doesNotMatch(srv.output(), /job runner started/);
  });

  it('--log-format pretty writes lines for people, not JSON', async () => {
    const proc = spawn(process.execPath, [IMS_BIN, 'serve', '--port', '0', '--data-dir', freshDir(), '--log-format', 'pretty'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) => proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/ims listening/.test(out)) resolve();
    }));
    proc.kill('SIGTERM');
    assert.equal(await exitWithin(proc, 10_000), 0);
    assert.match(out, /^\[[\d:. ]+\] INFO \(\d+\): ims listening$/m);
    assert.match(out, /created admin user "admin" \(project "admin"\) with password: \S+; credentials written to /);
    assert.doesNotMatch(out, /^\{/m);
  });
});
