import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Accounts for tempest's pre-provisioned credentials: two non-admin users, each in its own project. */
export const TEMPEST_BOOTSTRAP = {
  users: [
    { name: 'demo', password: 'secret', project: 'demo', roles: ['member', 'reader'] },
    { name: 'alt_demo', password: 'secret', project: 'alt_demo', roles: ['member', 'reader'] },
  ],
};

export interface TempestResult {
  passed: number;
  failed: number;
  skipped: number;
  output: string;
}

/**
 * Writes tempest.conf and accounts.yaml (tempest's pre-provisioned credentials: tempest/config.py,
 * tempest/common/preprov_creds.py) for a server at `url`.
 */
export function tempestWorkspace(url: string): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-tempest-'));
  fs.mkdirSync(path.join(ws, 'logs'));
  fs.mkdirSync(path.join(ws, 'lock'));
  fs.writeFileSync(path.join(ws, 'accounts.yaml'), TEMPEST_BOOTSTRAP.users.map((u) =>
    `- username: '${u.name}'\n  project_name: '${u.project}'\n  password: '${u.password}'\n`).join(''));
  fs.writeFileSync(path.join(ws, 'tempest.conf'), `[DEFAULT]
log_dir = ${ws}/logs
log_file = tempest.log

[identity]
uri_v3 = ${url}/v3
auth_version = v3
region = RegionOne

[identity-feature-enabled]
api_v2 = False
api_v3 = True

[auth]
use_dynamic_credentials = False
test_accounts_file = ${ws}/accounts.yaml
default_credentials_domain_name = Default

[service_available]
glance = True
nova = False
cinder = False
neutron = False
swift = False
horizon = False

[image]
catalog_type = image
region = RegionOne
endpoint_type = publicURL
container_formats = bare
disk_formats = raw

[image-feature-enabled]
api_v2 = True
api_v1 = False
import_image = False
os_glance_reserved = True

[oslo_concurrency]
lock_path = ${ws}/lock
`);
  return ws;
}

/** Runs `tempest run` in the workspace and reads its totals. */
export async function runTempest(ws: string, regex: string): Promise<TempestResult> {
  const res = await run('tempest', ['run', '--config-file', path.join(ws, 'tempest.conf'), '--concurrency', '1',
    '--regex', regex], { cwd: ws, timeout: 900_000, maxBuffer: 64 * 1024 * 1024 })
    .catch((err: { stdout?: string; stderr?: string; code?: number }) => {
      if (err.stdout === undefined) throw err;
      return { stdout: err.stdout, stderr: err.stderr ?? '' };
    });
  const output = `${res.stdout}\n${res.stderr}`;
  const count = (label: string) => Number(new RegExp(`- ${label}: (\\d+)`).exec(output)?.[1] ?? NaN);
  return { passed: count('Passed'), failed: count('Failed'), skipped: count('Skipped'), output };
}
