import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { addClientCommands } from '../../src/cli/index.js';
import { login } from '../helpers/faults.js';
import { ims, json, ok } from '../helpers/cli.js';
import { readOpenrc, type RunningServer, startServer } from '../helpers/server.js';

/**
 * The `ims` client commands end to end: a real `ims serve`, the commands run as processes with pipes (not a
 * terminal), credentials from an openrc environment or Huawei's AK/SK variables.
 */

const AK = 'AKCLITEST00000000001';
const SK = 'cli-test-secret';
const BOOT = {
  users: ['alice', 'bob', 'carol'].map((name) => ({ name, password: `${name}-pw`, project: name })),
  access_keys: [{ access: AK, secret: SK, user: 'carol' }],
};

/** stderr's lines. */
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

const JOB_LINE = /^job [0-9a-f]{32}: (\d+)\/(\d+) pairs \((\d+)%\), \d+ pairs\/s(, ETA \d+s)?$/;

let srv: RunningServer;
let openrc: (user: string) => Record<string, string>;
let carol: Record<string, string>;
const projects: Record<string, string> = {};
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-cli-'));
  const boot = path.join(dir, 'boot.json');
  fs.writeFileSync(boot, JSON.stringify(BOOT));
  srv = await startServer(['--bootstrap', boot, '--log-level', 'warn'], { dataDir: dir });
  openrc = (user) => ({
    OS_AUTH_URL: `${srv.url}/v3`, OS_USERNAME: user, OS_PASSWORD: `${user}-pw`, OS_PROJECT_NAME: user,
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
  });
  for (const user of ['alice', 'bob', 'carol']) projects[user] = (await login(srv.url, user, `${user}-pw`)).project;
  carol = { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: projects.carol!,
    IMS_ENDPOINT: srv.url };
});
after(() => srv.stop());

/** An active image of alice's with `size` random bytes; its id. */
async function aliceImage(name: string, size = 1000): Promise<string> {
  const file = path.join(dir, `${name}.raw`);
  fs.writeFileSync(file, randomBytes(size));
  return (await json<{ id: string }>(openrc('alice'), 'image', 'create', name, '--file', file)).id;
}

describe('ims image', () => {
  it('creates with --file, shows, lists, downloads the same bytes and deletes; byte progress lines on stderr', async () => {
    const alice = openrc('alice');
    const file = path.join(dir, 'round.raw');
    const data = randomBytes(300_000);
    fs.writeFileSync(file, data);
    const created = await ims(alice, 'image', 'create', 'round', '--file', file, '--property', 'os_distro=debian',
      '-o', 'json');
    assert.equal(created.code, 0, created.stderr);
    const image = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.deepEqual([image.name, image.status, image.size, image.os_distro, image.owner],
      ['round', 'active', 300_000, 'debian', projects.alice]);
    const id = image.id as string;
    const progress = lines(created.stderr);
    assert.ok(progress.length >= 1, created.stderr);
    for (const line of progress) {
      assert.match(line, new RegExp(`^upload ${id}: \\d+(\\.\\d)?( B| KiB)/293\\.0 KiB \\(\\d+%\\), [\\d.]+ (B|KiB|MiB|GiB)/s`
        + '(, ETA \\d+s)?$'));
    }
    assert.match(progress.at(-1)!, /293\.0 KiB\/293\.0 KiB \(100%\)/);

    assert.equal((parseYaml(await ok(alice, 'image', 'show', id, '-o', 'yaml')) as { checksum: string }).checksum,
      image.checksum);
    const table = await ok(alice, 'image', 'list', '--name', 'round');
    const rows = table.trimEnd().split('\n');
    assert.equal(rows.length, 4, table);
    assert.match(rows[1]!, /^│ id +│ name +│ status +│ visibility +│ size +│ owner +│$/);
    assert.match(rows[2]!, new RegExp(`^│ ${id} │ round │ active │ private +│ 300000 │ ${projects.alice} │$`));

    const out = path.join(dir, 'round.out');
    const got = await ims(alice, 'image', 'download', id, '--file', out);
    assert.equal(got.code, 0, got.stderr);
    assert.ok(fs.readFileSync(out).equals(data));
    assert.match(lines(got.stderr).at(-1)!, new RegExp(`^download ${id}: 293\\.0 KiB/293\\.0 KiB \\(100%\\)`));
    const piped = await ims(alice, 'image', 'download', id, '--no-progress');
    assert.equal(piped.stdout.length > 0 && piped.stderr, '');

    assert.equal(await ok(alice, 'image', 'delete', id), '');
    const gone = await ims(alice, 'image', 'show', id);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /^ims: HTTP 404, request req-[0-9a-f-]+: .*\n$/);
  });
});

describe('ims share, members, shared, accept, reject, job', () => {
  it('shares two images with two projects, waits with progress lines, and the recipients answer', async () => {
    const alice = openrc('alice');
    const bob = openrc('bob');
    const [a, b] = [await aliceImage('share-a'), await aliceImage('share-b')];
    const shared = await ims(alice, 'share', a, b, '--project', projects.bob!, projects.carol!, '--wait', '--interval',
      '0.1', '-o', 'json');
    assert.equal(shared.code, 0, shared.stderr);
    const job = JSON.parse(shared.stdout) as { status: string; job_type: string; entities: { results: unknown[] } };
    assert.deepEqual([job.status, job.job_type, job.entities.results.length], ['SUCCESS', 'imsAddImageMembersJob', 4]);
    const progress = lines(shared.stderr);
    for (const line of progress) assert.match(line, JOB_LINE);
    assert.match(progress.at(-1)!, /: 4\/4 pairs \(100%\), \d+ pairs\/s$/);

    const members = await json<{ member_id: string; status: string }[]>(alice, 'members', a);
    assert.deepEqual(members.map((m) => [m.member_id, m.status]).sort(),
      [[projects.bob, 'pending'], [projects.carol, 'pending']].sort());

    const pending = await json<{ id: string; member_status: string }[]>(bob, 'shared');
    assert.deepEqual(pending.map((i) => [i.id, i.member_status]).sort(), [[a, 'pending'], [b, 'pending']].sort());
    assert.deepEqual(await json(bob, 'shared', '--status', 'accepted'), []);

    const accepted = parseYaml(await ok(bob, 'accept', a, '--wait', '--no-progress', '-o', 'yaml')) as { status: string };
    assert.equal(accepted.status, 'SUCCESS');
    assert.deepEqual((await json<{ id: string }[]>(bob, 'shared', '--status', 'accepted')).map((i) => i.id), [a]);
    const table = await ok(bob, 'shared', '--status', 'pending');
    assert.match(table, new RegExp(`│ ${b} │ share-b │ ${projects.alice} │ active │ pending +│ 1000 │`));

    // carol signs with AK/SK; without --wait the job id is printed, and `job wait` follows it.
    const submitted = await json<{ job_id: string }>(carol, 'reject', a, b);
    assert.match(submitted.job_id, /^[0-9a-f]{32}$/);
    const waited = await ims(carol, 'job', 'wait', submitted.job_id, '--interval', '0.1');
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /│ status +│ SUCCESS +│/);
    assert.match(waited.stdout, /│ pairs +│ 2 succeeded, 0 failed +│/);
    for (const line of lines(waited.stderr)) assert.match(line, /^job [0-9a-f]{32}: \d+ pairs, \d+ pairs\/s$/);
    const shown = await json<{ status: string; job_type: string }>(carol, 'job', 'show', submitted.job_id);
    assert.deepEqual([shown.status, shown.job_type], ['SUCCESS', 'imsUpdateImageMembersJob']);
    assert.deepEqual((await json<{ id: string }[]>(carol, 'shared', '--status', 'rejected')).map((i) => i.id).sort(),
      [a, b].sort());

    const unshared = await ims(alice, 'unshare', b, '--project', projects.carol!, '--wait', '--no-progress');
    assert.equal(unshared.code, 0, unshared.stderr);
    assert.deepEqual((await json<{ member_id: string }[]>(alice, 'members', b)).map((m) => m.member_id), [projects.bob]);
  });

  it('a job that ends FAIL prints its failed pairs and exits 5', async () => {
    const a = await aliceImage('half-shared');
    const nowhere = 'organizations::nobody:organization:o-0123456789abcdefghijklmnopqrstuv';
    const r = await ims(openrc('alice'), 'share', a, '--project', projects.bob!, '--organization', nowhere, '--wait',
      '--no-progress');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /│ status +│ FAIL +│/);
    assert.match(r.stdout, /│ pairs +│ 1 succeeded, 1 failed +│/);
    assert.match(r.stdout, new RegExp(`│ ${a} │ ${nowhere} │ failed │`));
    assert.match(r.stderr, /^ims: job [0-9a-f]{32} ended FAIL: IMG\.0067 .*\n$/);
  });
});

describe('ims client exit codes', () => {
  it('usage 2, refusal 3, auth 4, connection 6; the API\'s code and message on stderr', async () => {
    const alice = openrc('alice');
    const usage = await ims(alice, 'share', 'x');
    assert.deepEqual([usage.code, usage.stderr], [2, 'ims: name at least one --project, --domain or --organization\n']);
    assert.equal((await ims(alice, 'shared', '--status', 'maybe')).code, 2);
    assert.equal((await ims(alice, 'image')).code, 2);
    assert.equal((await ims(alice, 'job', 'show')).code, 2);
    const none = await ims({}, 'shared');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^ims: no credentials: source an openrc file/);

    const refused = await ims(alice, 'job', 'show', 'f'.repeat(32));
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /^ims: IMG\.0023 \(HTTP 404, request req-[0-9a-f-]+\): Job f{32} could not be found\.\n$/);

    const auth = await ims({ ...alice, OS_PASSWORD: 'wrong' }, 'shared');
    assert.equal(auth.code, 4);
    assert.match(auth.stderr, /^ims: HTTP 401.*: The request you have made requires authentication\.\n$/);
    const badKey = await ims({ ...carol, HUAWEICLOUD_SDK_SK: 'wrong' }, 'shared');
    assert.equal(badKey.code, 4);
    assert.match(badKey.stderr, /^ims: APIGW\.\d{4} \(HTTP 401.*\): Incorrect IAM authentication information/);

    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const closed = await ims({ ...alice, OS_AUTH_URL: `http://127.0.0.1:${port}/v3` }, 'shared');
    assert.deepEqual([closed.code, closed.stderr], [6, 'ims: cannot reach the service: ECONNREFUSED\n']);
  });

  it('--timeout gives up on a job no runner takes: exit 7 after progress lines', async () => {
    const quiet = await startServer(['--no-jobs', '--log-level', 'warn']);
    try {
      const admin = readOpenrc(path.join(quiet.dataDir, 'admin-openrc.sh'));
      const file = path.join(quiet.dataDir, 'x.raw');
      fs.writeFileSync(file, 'x');
      const { id } = await json<{ id: string }>(admin, 'image', 'create', 'x', '--file', file, '--no-progress');
      const r = await ims(admin, 'share', id, '--project', projects.bob!, '--wait', '--timeout', '0.5',
        '--interval', '0.1');
      assert.equal(r.code, 7, r.stderr);
      const [first, ...rest] = lines(r.stderr);
      assert.match(first!, /^job [0-9a-f]{32}: 0\/1 pairs \(0%\), 0 pairs\/s$/);
      assert.match(rest.at(-1)!, /^ims: job [0-9a-f]{32} still INIT after 500 ms$/);
    } finally {
      await quiet.stop();
    }
  });
});

describe('ims --help and completion', () => {
  it('every client command has --help: exit 0 and its usage', async () => {
    // Every leaf of the tree the CLI registers, in process; two of them as the process answers them.
    const program = new Command('ims');
    addClientCommands(program);
    const leaves: string[] = [];
    const walk = (cmd: Command, prefix: string[]) => {
      for (const sub of cmd.commands) {
        if (sub.commands.length > 0) walk(sub, [...prefix, sub.name()]);
        else leaves.push([...prefix, sub.name()].join(' '));
        assert.match(sub.helpInformation(), new RegExp(`^Usage: ims ${[...prefix, sub.name()].join(' ')} `));
        assert.notEqual(sub.description(), '');
      }
    };
    walk(program, []);
    assert.deepEqual(leaves.filter((l) => !l.includes(' ') || /^(job|image) /.test(l)), ['share', 'unshare', 'accept',
      'reject', 'members', 'shared', 'job show', 'job wait', 'image create', 'image upload', 'image download', 'image list',
      'image show', 'image delete', 'completion']);
    for (const cmd of [['share'], ['job', 'wait']]) {
      const r = await ims({}, ...cmd, '--help');
      assert.equal(r.code, 0, cmd.join(' '));
      assert.match(r.stdout, new RegExp(`^Usage: ims ${cmd.join(' ')} `));
    }
  });

  it('the bash script completes commands, subcommands and option choices; the zsh script registers itself', async () => {
    const script = path.join(dir, 'ims.bash');
    fs.writeFileSync(script, await ok({}, 'completion', 'bash'));
    const complete = async (...words: string[]) => {
      const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); `
        + `COMP_CWORD=${words.length - 1}; _ims; echo "\${COMPREPLY[*]}"`;
      return new Promise<string>((resolve, reject) => execFile('bash', ['-c', line],
        (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))));
    };
    assert.equal(await complete('ims', 'sh'), 'share shared');
    assert.equal(await complete('ims', 'image', 'd'), 'download delete');
    assert.equal(await complete('ims', 'shared', '--status', ''), 'pending accepted rejected');
    assert.equal(await complete('ims', 'image', 'create', 'x', '--disk'), '--disk-format');
    assert.equal(await complete('ims', 'job', 'wait', 'j', '-o', 'y'), 'yaml');
    const zsh = await ok({}, 'completion', 'zsh');
    assert.match(zsh, /^#compdef ims\n/);
    assert.match(zsh, /\ncompdef _ims ims\n$/);
    assert.equal((await ims({}, 'completion', 'fish')).code, 2);
  });
});
