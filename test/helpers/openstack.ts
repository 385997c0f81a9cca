import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs Debian's `openstack` CLI with the given credentials; returns parsed JSON for `-f json` commands. */
export async function openstack(env: Record<string, string>, args: string[]): Promise<unknown> {
  const { stdout } = await run('openstack', args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 60_000,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`openstack ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  });
  return args.includes('json') ? JSON.parse(stdout) : stdout;
}
