import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openstack } from '../helpers/openstack.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** Two non-admin accounts, each in its own project. */
const BOOTSTRAP = {
  users: [
    { name: 'owner', password: 'secret', project: 'owner', roles: ['member', 'reader'] },
    { name: 'member', password: 'secret', project: 'member', roles: ['member', 'reader'] },
  ],
};

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

type Row = Record<string, unknown>;

/** The project-scoped password credentials of one bootstrapped user, as an openrc file would export them. */
function credentials(url: string, user: 'owner' | 'member'): Record<string, string> {
  return {
    OS_AUTH_URL: `${url}/v3`, OS_USERNAME: user, OS_PASSWORD: 'secret', OS_PROJECT_NAME: user,
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
  };
}

/** The real `openstack` CLI (python3-openstackclient): an owner shares an image, the member answers. */
describe('openstack CLI: image members', () => {
  let srv: RunningServer;
  let owner: Record<string, string>;
  let member: Record<string, string>;
  before(async () => {
    const boot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-osc-members-')), 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn']);
    owner = credentials(srv.url, 'owner');
    member = credentials(srv.url, 'member');
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('add project, member list, accept / reject / pending with the listings each shows, remove', async () => {
    const ownerProject = (await openstack(owner, ['token', 'issue', '-f', 'json']) as Row).project_id as string;
    const memberProject = (await openstack(member, ['token', 'issue', '-f', 'json']) as Row).project_id as string;
    assert.match(memberProject, /^[0-9a-f]{32}$/);
    assert.notEqual(memberProject, ownerProject);

    const file = path.join(srv.dataDir, 'disk.raw');
    fs.writeFileSync(file, 'twelve bytes');
    const created = await openstack(owner, ['image', 'create', '--file', file, '--disk-format', 'raw',
      '--container-format', 'bare', 'shared-disk', '-f', 'json']) as Row;
    const id = created.id as string;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual([created.name, created.owner, created.visibility], ['shared-disk', ownerProject, 'private']);
    const active = [{ ID: id, Name: 'shared-disk', Status: 'active' }];
    // Not shared yet: the member cannot see it.
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'all', '-f', 'json']), []);

    const added = await openstack(owner, ['image', 'add', 'project', id, memberProject, '-f', 'json']) as Row;
    assert.match(added.created_at as string, TIME);
    assert.equal(added.updated_at, added.created_at);
    assert.deepEqual(added, { created_at: added.created_at, image_id: id, member_id: memberProject,
      schema: '/v2/schemas/member', status: 'pending', updated_at: added.created_at });
    const memberRows = (status: string) => [{ 'Image ID': id, 'Member ID': memberProject, Status: status }];
    assert.deepEqual(await openstack(owner, ['image', 'member', 'list', id, '-f', 'json']), memberRows('pending'));

    // Pending: only a member_status filter shows it.
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'pending', '-f', 'json']), active);
    assert.deepEqual(await openstack(member, ['image', 'list', '-f', 'json']), []);
    assert.deepEqual(await openstack(member, ['image', 'list', '--shared', '-f', 'json']), []);

    assert.equal(await openstack(member, ['image', 'set', '--accept', id]), '');
    assert.deepEqual(await openstack(member, ['image', 'list', '--shared', '-f', 'json']), active);
    assert.deepEqual(await openstack(member, ['image', 'list', '-f', 'json']), active);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'pending', '-f', 'json']), []);
    assert.deepEqual(await openstack(member, ['image', 'member', 'list', id, '-f', 'json']), memberRows('accepted'));
    const shown = await openstack(member, ['image', 'show', id, '-f', 'json']) as Row;
    assert.deepEqual([shown.id, shown.owner, shown.status, shown.size], [id, ownerProject, 'active', 12]);

    assert.equal(await openstack(member, ['image', 'set', '--reject', id]), '');
    assert.deepEqual(await openstack(member, ['image', 'list', '-f', 'json']), []);
    assert.deepEqual(await openstack(member, ['image', 'list', '--shared', '-f', 'json']), []);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'rejected', '-f', 'json']), active);
    assert.deepEqual(await openstack(owner, ['image', 'member', 'list', id, '-f', 'json']), memberRows('rejected'));
    // A rejected member still reaches the image by id.
    assert.equal((await openstack(member, ['image', 'show', id, '-f', 'json']) as Row).id, id);

    assert.equal(await openstack(member, ['image', 'set', '--pending', id]), '');
    assert.deepEqual(await openstack(member, ['image', 'list', '-f', 'json']), []);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'pending', '-f', 'json']), active);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'all', '-f', 'json']), active);
    assert.deepEqual(await openstack(owner, ['image', 'member', 'list', id, '-f', 'json']), memberRows('pending'));

    assert.equal(await openstack(owner, ['image', 'remove', 'project', id, memberProject]), '');
    assert.deepEqual(await openstack(owner, ['image', 'member', 'list', id, '-f', 'json']), []);
    assert.deepEqual(await openstack(owner, ['image', 'list', '-f', 'json']), active);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'all', '-f', 'json']), []);
    await assert.rejects(openstack(member, ['image', 'show', id, '-f', 'json']),
      new RegExp(`No Image found for ${id}`));
  });

  it('only the owner shares and only the member answers', async () => {
    const memberProject = (await openstack(member, ['token', 'issue', '-f', 'json']) as Row).project_id as string;
    // With no --file, the CLI would read image data from its standard input (a pipe here).
    const file = path.join(srv.dataDir, 'other.raw');
    fs.writeFileSync(file, 'x');
    const created = await openstack(owner, ['image', 'create', '--file', file, '--disk-format', 'raw',
      '--container-format', 'bare', 'owner-only', '-f', 'json']) as Row;
    const id = created.id as string;
    await openstack(owner, ['image', 'add', 'project', id, memberProject, '-f', 'json']);
    // The member cannot share the owner's image onwards, nor remove itself; the owner cannot answer for it.
    const refused = (what: string) =>
      new RegExp(`HttpException: 403: .*Not allowed to ${what} members for image ${id}\\.`);
    await assert.rejects(openstack(member, ['image', 'add', 'project', id, memberProject]), refused('create'));
    await assert.rejects(openstack(member, ['image', 'remove', 'project', id, memberProject]), refused('delete'));
    await assert.rejects(openstack(owner, ['image', 'set', '--accept', '--project', memberProject, id]),
      refused('update'));
    assert.deepEqual(await openstack(owner, ['image', 'member', 'list', id, '-f', 'json']),
      [{ 'Image ID': id, 'Member ID': memberProject, Status: 'pending' }]);
    await openstack(owner, ['image', 'delete', id]);
    assert.deepEqual(await openstack(member, ['image', 'list', '--member-status', 'all', '-f', 'json']), []);
  });
});
