import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const IMS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/bin/ims.js');

/** Starts `ims worker`, waits for "ims worker running", sends `signal`; resolves with the exit code and output. */
function runWorkerUntil(signal: NodeJS.Signals, dataDir: string): Promise<{ code: number | null; out: string; ms: number }> {
  const proc = spawn(process.execPath, [IMS_BIN, 'worker', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sentAt = 0;
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (!sentAt && out.includes('"msg":"ims worker running"')) {
      sentAt = Date.now();
      proc.kill(signal);
    }
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  return new Promise((resolve) => proc.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, out, ms: Date.now() - sentAt });
  }));
}

describe('ims worker process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`migrates, runs a job runner and stops cleanly on ${signal}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-worker-'));
      try {
        const { code, out, ms } = await runWorkerUntil(signal, dir);
        assert.equal(code, 0, out);
        assert.ok(ms < 5000, `stopped after ${ms} ms`);
        const msgs = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; signal?: string; database?: string })
          // Logged only while registerJobHandlers registers nothing.
          .filter((m) => m.msg !== 'no job types are registered: this worker will not run any job');
        assert.deepEqual(msgs.map((m) => m.msg), ['job runner started', 'ims worker running', 'shutting down: waiting for the running job', 'job runner stopped',
          'stopped']);
        assert.equal(msgs[1]!.database, 'sqlite');
        assert.equal(msgs[2]!.signal, signal);
        const migrate = await promisify(execFile)(process.execPath, [IMS_BIN, 'migrate', '--data-dir', dir]);
        assert.equal(migrate.stdout, 'database is up to date\n');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
