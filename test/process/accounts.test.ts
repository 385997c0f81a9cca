import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { login } from '../helpers/faults.js';
import { IMS_BIN, readOpenrc, startServer } from '../helpers/server.js';

const exec = promisify(execFile);

describe('ims domain and ims org', () => {
  it('manage accounts and an organization on the database; the server\'s admin API sees the same tree', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-org-'));
    const ims = async (...args: string[]) => (await exec(process.execPath, [IMS_BIN, ...args, '--data-dir', dir])).stdout;
    const refused = (args: string[], stderr: string) => assert.rejects(ims(...args),
      (err: { code: number; stderr: string }) => err.code === 1 && err.stderr === `ims: ${stderr}\n`);

    const [boss] = (await ims('domain', 'create', 'boss', '--description', 'the manager')).trim().split('\t');
    assert.match(boss!, /^[0-9a-f]{32}$/);
    const [member] = (await ims('domain', 'create', 'member', '--disabled')).trim().split('\t');
    assert.equal(await ims('domain', 'list'), `default\tDefault\tenabled\n${boss}\tboss\tenabled\n${member}\tmember\tdisabled\n`);
    await refused(['domain', 'create', 'boss'],
      'Conflict occurred attempting to store domain - Duplicate entry found with name boss.');

    const [org, root] = (await ims('org', 'create', 'boss')).trim().split('\t');
    assert.match(org!, /^o-[0-9a-z]{32}$/);
    assert.match(root!, /^r-[0-9a-z]{32}$/);
    assert.equal(await ims('org', 'show', boss!), `${org}\t${boss}\tboss\t${root}\n`);
    const dev = (await ims('org', 'ou', 'create', 'boss', 'dev')).trim();
    const team = (await ims('org', 'ou', 'create', 'boss', 'team', '--parent', dev)).trim();
    assert.match(team, /^ou-[0-9a-z]{32}$/);
    const units = (await ims('org', 'ou', 'list', 'boss')).trim().split('\n').sort();
    assert.deepEqual(units, [`${dev}\t${root}\tdev`, `${team}\t${dev}\tteam`].sort());

    await ims('org', 'account', 'add', 'boss', 'member', '--parent', team);
    assert.equal(await ims('org', 'account', 'list', 'boss', '--parent', team), `${member}\tmember\t${team}\tinvited\n`);
    await refused(['org', 'ou', 'delete', 'boss', team], 'Organizations.1202: The organizational unit is not empty.');
    await refused(['org', 'create', 'member'], `Organizations.1101: The account ${member} is already a member of an organization.`);
    await refused(['org', 'ou', 'create', 'member', 'x'],
      'Organizations.1002: This operation can be called only from the management account of an organization or by a member '
      + 'account that is a delegated administrator for a service.');
    await ims('org', 'account', 'move', 'boss', member!, '--to', dev);

    // The server reads the same database: its admin API shows the tree the commands built.
    const srv = await startServer([], { dataDir: dir });
    try {
      const { token } = await login(srv.url, 'admin', readOpenrc(path.join(dir, 'admin-openrc.sh')).OS_PASSWORD!);
      const res = await fetch(`${srv.url}/v1/organizations/accounts?parent_id=${dev}`,
        { headers: { 'x-auth-token': token, 'x-domain-id': boss! } });
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { accounts: { id: string }[] }).accounts.map((a) => a.id), [member]);
    } finally {
      await srv.stop();
    }

    await ims('org', 'account', 'remove', 'boss', 'member');
    await refused(['org', 'delete', 'boss'], 'Organizations.1102: The organization is not empty: remove its member accounts '
      + 'and delete its organizational units first.');
    await ims('org', 'ou', 'delete', 'boss', team);
    await ims('org', 'ou', 'delete', 'boss', dev);
    await ims('org', 'delete', 'boss');
    await refused(['org', 'show', 'boss'], 'Organizations.1015: The organization is not found.');
  });
});
