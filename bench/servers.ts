import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A server child process the bench drives: its pid (for /proc), base URL and how to stop it. */
export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** SIGTERM, then wait for the exit (a --cpu-prof profile is written on exit). */
  stop(): Promise<void>;
  /** Peak and current resident set size in MB, from /proc/<pid>/status (VmHWM, VmRSS). */
  memory(): { peakMb: number; rssMb: number } | undefined;
}

export function memoryOf(pid: number): { peakMb: number; rssMb: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) the process has used so far, in clock ticks (1/100 s on Linux). */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Waits until the process is idle (used at most 1 tick of CPU in the last 200 ms), at most `maxMs`:
 * work a previous run left behind (in-flight scrypt hashes, a job) must not be billed to the next one.
 */
export async function waitIdle(pid: number, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = cpuTicks(pid);
  while (last !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = cpuTicks(pid);
    if (now === undefined || now - last <= 1) return;
    last = now;
  }
}

/**
 * Spawns `node <args>` and waits until a stdout line yields the listening port (`portOf` reads it).
 * Output after that is drained; the last lines of stderr are kept for error messages.
 */
function start(name: string, nodeArgs: string[], portOf: (line: string) => number | undefined, timeoutMs = 30_000)
  : Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<ServerProcess>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderr.join('')}`));
    };
    void exited.then((code) => fail(new Error(`${name} exited with code ${code} before listening`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (settled) return;
      const port = portOf(line);
      if (port === undefined) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        name,
        pid: child.pid!,
        url: `http://127.0.0.1:${port}`,
        memory: () => memoryOf(child.pid!),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timeout);
        },
      });
    });
  });
}

function jsonPort(line: string, message?: string): number | undefined {
  try {
    const obj = JSON.parse(line) as { port?: unknown; msg?: unknown };
    if (message !== undefined && obj.msg !== message) return undefined;
    return typeof obj.port === 'number' ? obj.port : undefined;
  } catch {
    return undefined;
  }
}

export interface ImsOptions {
  dataDir: string;
  /** The ims entry point to run (another build, for an A/B run); default this tree's. */
  bin?: string;
  /** Extra `ims serve` flags. */
  args?: string[];
  databaseUrl?: string;
  /** Directory for a V8 CPU profile (`node --cpu-prof`), written when the server exits. */
  profileDir?: string;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** `ims serve` on a free port, as an operator would run it. */
export function startIms(options: ImsOptions): Promise<ServerProcess> {
  const args = [
    ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, '--cpu-prof-name=ims.cpuprofile'] : []),
    options.bin ?? path.join(root, 'dist/src/bin/ims.js'), 'serve', '--port', '0', '--data-dir', options.dataDir,
    '--log-level', 'warn',
    ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : []),
    ...(options.args ?? []),
  ];
  return start('ims', args, (line) => jsonPort(line, 'ims listening'));
}

/** The bare-Fastify ceiling (bench/ceiling.ts). */
export function startCeiling(): Promise<ServerProcess> {
  return start('ceiling', [path.join(root, 'dist/bench/ceiling.js'), '--port', '0'], (line) => jsonPort(line));
}
