/**
 * `npm run bench:ab -- --base <git ref>`: this tree against another commit, both `ims serve` processes
 * running side by side on the same machine, measured in turn (base, new, new, base, ...) so that the
 * machine's drift hits both alike. Prints, for each, the median req/s and the median CPU time the server
 * used per request (user + system, from /proc): on a shared 2-core machine req/s swings by a third from one
 * run to the next, CPU per request far less, so that is the figure to compare. The base is checked out in
 * a temp worktree and built there (with this tree's node_modules).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { sign } from '../src/auth/aksk.js';
import { runLoad, type RequestSpec } from './load.js';
import { median } from './report.js';
import { cpuTicks, type ServerProcess, startIms } from './servers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

interface Tenant {
  token: string;
  project: string;
}

interface Seeded {
  server: ServerProcess;
  owner: Tenant;
  member: Tenant;
  /** Shared with `member`, who accepted. */
  image: string;
  /** Where member-add adds its members. */
  addImage: string;
}

const BOOT = {
  projects: [{ name: 'owner' }, { name: 'member' }],
  users: [
    { name: 'owner', password: 'secret', project: 'owner', roles: ['member', 'reader'] },
    { name: 'member', password: 'secret', project: 'member', roles: ['member', 'reader'] },
  ],
  access_keys: [{ access: 'ABBENCHMEMBER0000001', secret: 'BenchSecretKey000000000000000000000000ab', user: 'member' }],
};

async function call(url: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('x-auth-token', init.token);
  if (typeof init.body === 'string') headers.set('content-type', 'application/json');
  const res = await fetch(url, { ...init, headers });
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res;
}

async function seed(server: ServerProcess): Promise<Seeded> {
  const login = async (name: string): Promise<Tenant> => {
    const res = await call(`${server.url}/v3/auth/tokens`, { method: 'POST', body: JSON.stringify({ auth: { identity: {
      methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password: 'secret' } } } } }) });
    return { token: res.headers.get('x-subject-token')!, project: ((await res.json()) as { token: { project: { id: string } } }).token.project.id };
  };
  const owner = await login('owner');
  const member = await login('member');
  const image = async () => {
    const res = await call(`${server.url}/v2/images`, { method: 'POST', token: owner.token,
      body: JSON.stringify({ name: 'ab', disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await res.json()) as { id: string };
    await call(`${server.url}/v2/images/${id}/file`, { method: 'PUT', token: owner.token, body: Buffer.from('data'),
      headers: { 'content-type': 'application/octet-stream' } });
    return id;
  };
  const shared = await image();
  await call(`${server.url}/v2/images/${shared}/members`, { method: 'POST', token: owner.token,
    body: JSON.stringify({ member: member.project }) });
  await call(`${server.url}/v2/images/${shared}/members/${member.project}`, { method: 'PUT', token: member.token,
    body: JSON.stringify({ status: 'accepted' }) });
  return { server, owner, member, image: shared, addImage: await image() };
}

const json = { 'content-type': 'application/json' };

/** The request of each scenario against one seeded server. */
const SCENARIOS: Record<string, (s: Seeded) => RequestSpec> = {
  'image-get': (s) => ({ method: 'GET', path: `/v2/images/${s.image}`, headers: { 'x-auth-token': s.owner.token } }),
  'members-list': (s) => ({ method: 'GET', path: `/v2/images/${s.image}/members`, headers: { 'x-auth-token': s.owner.token } }),
  'shared-list': (s) => ({ method: 'GET', path: '/v2/images?visibility=shared', headers: { 'x-auth-token': s.member.token } }),
  // Signed once (a signature holds for the 15 minutes of allowed skew), as the member's access key.
  'signed-image-get': (s) => {
    const { host } = new URL(s.server.url);
    const key = BOOT.access_keys[0]!;
    const path = `/v2/images/${s.image}`;
    return { method: 'GET', path, headers: sign({ method: 'GET', host, path, contentType: null, ak: key.access,
      sk: key.secret, date: new Date() }).headers };
  },
  'member-add': (s) => {
    const salt = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
    let n = 0;
    return { method: 'POST', path: `/v2/images/${s.addImage}/members`, headers: { ...json, 'x-auth-token': s.owner.token },
      next: () => ({ body: JSON.stringify({ member: `${salt}${(n++).toString(16).padStart(24, '0')}` }) }) };
  },
  'member-update': (s) => {
    let n = 0;
    return { method: 'PUT', path: `/v2/images/${s.image}/members/${s.member.project}`,
      headers: { ...json, 'x-auth-token': s.member.token },
      next: () => ({ body: JSON.stringify({ status: n++ % 2 ? 'accepted' : 'rejected' }) }) };
  },
};

/** A worktree of `ref`, built, with this tree's node_modules. */
function buildBase(ref: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-ab-base-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: root, stdio: 'ignore' });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

/** A fresh PostgreSQL schema for one server. */
async function schema(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema ${name}`);
  await client.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}

async function main(): Promise<void> {
  const opts = new Command('bench:ab')
    .requiredOption('--base <ref>', 'the commit to compare this tree with')
    .option('--scenarios <names>', `comma-separated: ${Object.keys(SCENARIOS).join(', ')}`, 'image-get,members-list,member-add')
    .option('--rounds <n>', 'measurements of each server per scenario', '6')
    .option('--seconds <s>', 'seconds per measurement', '3')
    .option('--connections <n>', 'connections', '32')
    .option('--database-url <url>', 'postgres://... (each server gets a schema of its own); default SQLite')
    .parse(process.argv).opts<{ base: string; scenarios: string; rounds: string; seconds: string; connections: string; databaseUrl?: string }>();
  const baseDir = buildBase(opts.base);
  const servers: ServerProcess[] = [];
  try {
    const seeded: Record<'base' | 'new', Seeded> = {} as never;
    for (const [label, bin] of [['base', path.join(baseDir, 'dist/src/bin/ims.js')], ['new', undefined]] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `ims-ab-${label}-`));
      fs.writeFileSync(path.join(dataDir, 'boot.json'), JSON.stringify(BOOT));
      const databaseUrl = opts.databaseUrl ? await schema(opts.databaseUrl, `ab_${label}_${process.pid}`) : undefined;
      const server = await startIms({ dataDir, databaseUrl, bin, args: ['--bootstrap', path.join(dataDir, 'boot.json'), '--member-quota', '-1'] });
      servers.push(server);
      seeded[label] = await seed(server);
    }
    const [rounds, seconds, connections] = [Number(opts.rounds), Number(opts.seconds), Number(opts.connections)];
    for (const name of opts.scenarios.split(',')) {
      const rps: Record<'base' | 'new', number[]> = { base: [], new: [] };
      const cpuUs: Record<'base' | 'new', number[]> = { base: [], new: [] };
      const spec = { base: SCENARIOS[name]!(seeded.base), new: SCENARIOS[name]!(seeded.new) };
      for (const label of ['base', 'new'] as const) await runLoad(seeded[label].server.url, spec[label], connections, 2);
      for (let r = 0; r < rounds; r++) {
        for (const label of r % 2 ? ['new', 'base'] as const : ['base', 'new'] as const) {
          const ticks = cpuTicks(seeded[label].server.pid)!;
          const res = await runLoad(seeded[label].server.url, spec[label], connections, seconds);
          if (res.non2xx > 0 || res.errors > 0) throw new Error(`${name} on ${label}: ${JSON.stringify(res.statuses)}, ${res.errors} errors`);
          rps[label].push(res.rps);
          cpuUs[label].push(((cpuTicks(seeded[label].server.pid)! - ticks) * 10_000) / res.requests);
        }
      }
      const [b, n] = [median(rps.base), median(rps.new)];
      const [bc, nc] = [median(cpuUs.base), median(cpuUs.new)];
      process.stdout.write(`${name} @${connections}: CPU per request base ${bc.toFixed(1)} µs, new ${nc.toFixed(1)} µs, `
        + `new/base ${(nc / bc).toFixed(3)}; req/s base ${b.toFixed(0)}, new ${n.toFixed(0)}, new/base ${(n / b).toFixed(3)}\n`
        + `  cpu µs base ${cpuUs.base.map((v) => v.toFixed(1)).join(' ')}; new ${cpuUs.new.map((v) => v.toFixed(1)).join(' ')}\n`);
    }
  } finally {
    for (const s of servers) await s.stop();
    execFileSync('git', ['worktree', 'remove', '--force', baseDir], { cwd: root, stdio: 'ignore' });
  }
}

await main();
