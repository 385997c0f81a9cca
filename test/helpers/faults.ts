import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { DatabaseKind } from './databases.js';
import { namedUser, passwordAuth } from './keystone.js';
import { type RunningServer, startServer } from './server.js';

/** Two tenants: `owner` shares, `member` receives. */
export const FAULT_BOOTSTRAP = {
  projects: [{ name: 'owner' }, { name: 'member' }],
  users: [
    { name: 'owner', password: 'secret', project: 'owner', roles: ['member', 'reader'] },
    { name: 'member', password: 'secret', project: 'member', roles: ['member', 'reader'] },
  ],
};

/** Resident memory of a process, in MB. */
export const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/**
 * `ims serve` with FAULT_BOOTSTRAP on a fresh database of `kind` (a SQLite file in its data dir, or a
 * PostgreSQL schema), plus `args`; stopped, and the database dropped, after the test.
 */
export async function serveOn(t: TestContext, kind: DatabaseKind, args: string[])
  : Promise<{ srv: RunningServer; url: string; dir: string }> {
  const { dir, boot } = faultDir();
  const database = kind.name === 'postgres' ? await kind.create() : undefined;
  const url = database?.url ?? `sqlite:${path.join(dir, 'ims.db')}`;
  let srv: RunningServer | undefined;
  // Stopped before its database is dropped: a server still at work holds locks the drop would deadlock on.
  t.after(async () => {
    await srv?.stop();
    await database?.drop();
  });
  srv = await startServer(['--database-url', url, '--bootstrap', boot, '--log-level', 'warn', ...args], { dataDir: dir });
  return { srv, url, dir };
}

/** A fresh data dir with the bootstrap file in it. */
export function faultDir(): { dir: string; boot: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-fault-'));
  const boot = path.join(dir, 'boot.json');
  fs.writeFileSync(boot, JSON.stringify(FAULT_BOOTSTRAP));
  return { dir, boot };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** How long the answer took. */
  ms: number;
  json(): any;
}

/**
 * One HTTP request that must be answered within `limitMs` (a hang is a failure, not a wait). Network
 * errors are answers too (status 0), so loops under faults can count them.
 */
export async function call(url: string, init: RequestInit & { token?: string; limitMs?: number } = {}): Promise<Answer> {
  const { token, limitMs = 15_000, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('x-auth-token', token);
  if (rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(url, { ...rest, headers, signal: AbortSignal.timeout(limitMs) });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`${rest.method ?? 'GET'} ${url} had no answer after ${limitMs} ms`);
    return { status: 0, headers: new Headers(), text: String(err), ms: Date.now() - started, json: () => undefined };
  }
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: Date.now() - started, json: () => JSON.parse(text) };
}

/** A project-scoped token of a bootstrapped user. */
export async function login(base: string, name: string, password = 'secret'): Promise<{ token: string; project: string }> {
  const res = await call(`${base}/v3/auth/tokens`, {
    method: 'POST', body: JSON.stringify(passwordAuth(namedUser(name, password))),
  });
  assert.equal(res.status, 201, res.text);
  return { token: res.headers.get('x-subject-token')!, project: res.json().token.project.id };
}

/** Creates a queued image; returns its id. */
export async function createImage(base: string, token: string, name = 'img'): Promise<string> {
  const res = await call(`${base}/v2/images`, {
    method: 'POST', token, body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' }),
  });
  assert.equal(res.status, 201, res.text);
  return res.json().id;
}

/** Uploads `data` to a queued image (it becomes active). */
export async function upload(base: string, token: string, id: string, data = Buffer.from('image data')): Promise<void> {
  const res = await call(`${base}/v2/images/${id}/file`, {
    method: 'PUT', token, body: data, headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(res.status, 204, res.text);
}

/** Resolves once `check` holds; fails after `limitMs`. Returns how long it took. */
export async function waitUntil(check: () => Promise<boolean> | boolean, limitMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The process is still running (no fault killed it). */
export function assertAlive(srv: RunningServer): void {
  assert.equal(srv.proc.exitCode, null, `ims exited:\n${srv.output().slice(-3000)}`);
  assert.equal(srv.proc.signalCode, null, `ims was killed:\n${srv.output().slice(-3000)}`);
}

/** The 503 of each dialect, as the fault suite expects it. */
export function assertUnavailable(res: Answer, dialect: 'glance' | 'ims' | 'keystone'): void {
  assert.equal(res.status, 503, res.text);
  assert.equal(res.headers.get('retry-after'), '2');
  const body = res.json();
  const message = 'The service is temporarily unavailable: its database did not answer in time. Please retry later.';
  if (dialect === 'glance') {
    assert.deepEqual(body, { message: `${message}<br /><br />\n\n\n`, code: '503 Service Unavailable', title: 'Service Unavailable' });
  } else if (dialect === 'ims') {
    assert.deepEqual(body, { error: { code: 'IMG.0018', message } });
  } else {
    assert.deepEqual(body, { error: { code: 503, title: 'Service Unavailable', message } });
  }
}

/** Log lines (JSON) of the server whose `msg` is `msg`. */
export function logLines(srv: RunningServer, msg: string): Record<string, unknown>[] {
  return srv.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

/**
 * Requests in a loop from `workers` clients until `stop` resolves: each creates an image (an acknowledged
 * write when 201) and reads it back. Returns every status seen and the ids acknowledged.
 */
export async function load(base: string, token: string, workers: number, stop: Promise<void>)
  : Promise<{ statuses: Map<number, number>; acknowledged: string[]; bodies503: Answer[] }> {
  const statuses = new Map<number, number>();
  const acknowledged: string[] = [];
  const bodies503: Answer[] = [];
  let stopped = false;
  void stop.then(() => { stopped = true; });
  const count = (res: Answer) => {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status === 503 && bodies503.length < 20) bodies503.push(res);
  };
  await Promise.all(Array.from({ length: workers }, async (_v, w) => {
    for (let i = 0; !stopped; i++) {
      const created = await call(`${base}/v2/images`, {
        method: 'POST', token, body: JSON.stringify({ name: `load-${w}-${i}`, disk_format: 'raw', container_format: 'bare' }),
      });
      count(created);
      if (created.status === 201) {
        const id = created.json().id as string;
        acknowledged.push(id);
        count(await call(`${base}/v2/images/${id}`, { token }));
      }
    }
  }));
  return { statuses, acknowledged, bodies503 };
}

/** A process holding the write lock of the SQLite file until `release()` (see sqlite-locker.ts). */
export async function lockSqlite(file: string): Promise<{ release(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('./sqlite-locker.js', import.meta.url));
  const child = spawn(process.execPath, [script, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`the locker exited with ${code}`)));
  });
  return {
    release: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/** An image upload the test streams piece by piece, to cut it off (or not) where it wants. */
export async function startUpload(base: string, token: string, id: string) {
  const http = await import('node:http');
  const req = http.request(`${base}/v2/images/${id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked',
      accept: 'application/json' },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', (err) => resolve({ status: 0, body: String(err) }));
  });
  req.flushHeaders();
  return {
    write: (data: Buffer) => new Promise<void>((resolve) => { req.write(data, () => resolve()); }),
    end: () => {
      req.end();
      return answered;
    },
    answered,
    abort: () => req.destroy(),
  };
}

/** Upload temp files in the data dir. */
export function tempFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'images');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')) : [];
}
