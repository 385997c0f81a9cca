import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { IMS_BIN } from './server.js';

/** What an `ims` command did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ims ARGS` as a process (pipes, not a terminal) with only `env`'s credentials; never rejects. */
export function ims(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('OS_') && !k.startsWith('HUAWEICLOUD_SDK_') && k !== 'IMS_ENDPOINT'));
  return new Promise((resolve) => {
    execFile(process.execPath, [IMS_BIN, ...args], { env: { ...clean, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** The command succeeded; its stdout. */
export async function ok(env: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await ims(env, ...args);
  assert.equal(r.code, 0, `ims ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The command's `-o json` output, parsed. */
export const json = async <T>(env: Record<string, string>, ...args: string[]): Promise<T> =>
  JSON.parse(await ok(env, ...args, '-o', 'json')) as T;
