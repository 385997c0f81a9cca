import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The PostgreSQL server programs (initdb, pg_ctl): Debian's newest installed version. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => +b - +a) : [];
  const dir = versions.map((v) => path.join(root, v, 'bin')).find((d) => fs.existsSync(path.join(d, 'pg_ctl')));
  if (!dir) throw new Error('no PostgreSQL server programs under /usr/lib/postgresql (install postgresql-15)');
  return dir;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp dir, its own port, trust auth on loopback), so a
 * test can restart or stop the server without touching anyone else's. PostgreSQL refuses to run as root:
 * as root the programs run as the `postgres` user.
 */
export class PgCluster {
  private constructor(readonly dir: string, readonly port: number, private readonly bin: string) {}

  static async create(): Promise<PgCluster> {
    const bin = binDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-pg-'));
    const cluster = new PgCluster(dir, await freePort(), bin);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
    cluster.run('initdb', ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await cluster.start();
    cluster.run('createdb', ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', 'ims']);
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/ims`;
  }

  /** The URL through another port (a proxy in front of this cluster). */
  urlVia(port: number, params: Record<string, string> = {}): string {
    const url = new URL(`postgres://postgres@127.0.0.1:${port}/ims`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  async start(): Promise<void> {
    this.ctl(['start', '-w', '-t', '30', '-l', path.join(this.dir, 'log'),
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`]);
  }

  /** A fast shutdown: every connection gets FATAL 57P01, as in a restart or failover. */
  async stop(): Promise<void> {
    this.ctl(['stop', '-w', '-t', '30', '-m', 'fast']);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    try {
      this.ctl(['stop', '-w', '-t', '30', '-m', 'immediate']);
    } catch { /* not running */ }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private ctl(args: string[]): void {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), ...args]);
  }

  private run(program: string, args: string[]): void {
    const file = path.join(this.bin, program);
    const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    execFileSync(cmd as string, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'], cwd: this.dir });
  }
}
