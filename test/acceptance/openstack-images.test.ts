import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openstack } from '../helpers/openstack.js';
import { readOpenrc, type RunningServer, startServer } from '../helpers/server.js';

/** The real `openstack` CLI (python3-openstackclient) against `ims serve`, with the generated admin RC file. */
describe('openstack CLI: image catalog', () => {
  let srv: RunningServer;
  let env: Record<string, string>;
  before(async () => {
    srv = await startServer();
    env = readOpenrc(path.join(srv.dataDir, 'admin-openrc.sh'));
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('create --file, list, show, set --name, save, delete', async () => {
    const file = path.join(srv.dataDir, 'disk.raw');
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    fs.writeFileSync(file, data);
    const md5 = createHash('md5').update(data).digest('hex');
    const sha512 = createHash('sha512').update(data).digest('hex');

    const created = await openstack(env, ['image', 'create', '--disk-format', 'raw', '--container-format', 'bare',
      '--file', file, 'cirros', '-f', 'json']) as Record<string, unknown>;
    const id = created.id as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(created.name, 'cirros');

    const shown = await openstack(env, ['image', 'show', 'cirros', '-f', 'json']) as Record<string, unknown>;
    assert.equal(shown.id, id);
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.checksum, md5);
    assert.equal(shown.disk_format, 'raw');
    assert.equal(shown.container_format, 'bare');
    assert.equal(shown.visibility, 'private', 'IMS\'s default');
    assert.equal((shown.properties as Record<string, unknown>).os_hash_value, sha512);

    const listed = await openstack(env, ['image', 'list', '-f', 'json']) as { ID: string; Name: string; Status: string }[];
    assert.deepEqual(listed, [{ ID: id, Name: 'cirros', Status: 'active' }]);

    await openstack(env, ['image', 'set', '--name', 'cirros-renamed', id]);
    const renamed = await openstack(env, ['image', 'show', id, '-f', 'json']) as Record<string, unknown>;
    assert.equal(renamed.name, 'cirros-renamed');

    const saved = path.join(srv.dataDir, 'saved.raw');
    await openstack(env, ['image', 'save', '--file', saved, 'cirros-renamed']);
    assert.ok(fs.readFileSync(saved).equals(data));

    await openstack(env, ['image', 'delete', 'cirros-renamed']);
    const after = await openstack(env, ['image', 'list', '-f', 'json']) as unknown[];
    assert.deepEqual(after, []);
    await assert.rejects(openstack(env, ['image', 'show', id, '-f', 'json']), /No Image found/);
  });
});
