import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/** dist/src/bin/ims.js, next to this compiled helper. */
export const IMS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/bin/ims.js');

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  /** Resolves once the process has printed something matching `pattern` (5 s at most). */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Servers started and not yet exited. */
const running = new Set<ChildProcess>();

// A server left running (a test's hook failed before stopping it) would keep the test file's process, and so the
// whole run, waiting forever: once the file's tests are done, it is killed and named.
after(() => {
  for (const proc of running) {
    process.stderr.write(`test helper: killing ims serve (pid ${proc.pid}), left running by a test\n`);
    proc.kill('SIGKILL');
  }
});

/** Starts `ims serve --port 0` as a real process and waits for its "ims listening" log line. */
export async function startServer(args: string[] = [], options: { dataDir?: string; env?: Record<string, string> } = {})
  : Promise<RunningServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ims-srv-'));
  const proc = spawn(process.execPath, [IMS_BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ims serve did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"port":(\d+),"url":"[^"]*","database":"\w+","jobs":\w+,"msg":"ims listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ims serve exited with ${code}:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    proc,
    output: () => out,
    waitForOutput: async (pattern) => {
      for (let i = 0; i < 100 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      if (!pattern.test(out)) throw new Error(`no ${pattern} in the output:\n${out}`);
    },
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** The variables an OpenStack RC file exports. */
export function readOpenrc(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'");
  }
  return env;
}
