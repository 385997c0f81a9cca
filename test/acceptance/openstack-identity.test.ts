import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openstack } from '../helpers/openstack.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const BOOTSTRAP = {
  users: [{ name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] }],
};

type Row = Record<string, unknown>;

function credentials(url: string, user: string, password: string, project: string): Record<string, string> {
  return {
    OS_AUTH_URL: `${url}/v3`, OS_USERNAME: user, OS_PASSWORD: password, OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
  };
}

/** The real `openstack` CLI administering the built-in identity: every command docs/identity.md lists. */
describe('openstack CLI: identity administration', () => {
  let srv: RunningServer;
  let admin: Record<string, string>;
  before(async () => {
    const boot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-osc-identity-')), 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn']);
    admin = credentials(srv.url, 'root', 'secret', 'admin');
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('project create, list, show, set and delete', async () => {
    const created = await openstack(admin, ['project', 'create', '--description', 'Web team', 'web', '-f', 'json']) as Row;
    assert.match(created.id as string, /^[0-9a-f]{32}$/);
    assert.deepEqual({ ...created, id: '' }, { id: '', name: 'web', description: 'Web team', domain_id: 'default',
      enabled: true, is_domain: false, parent_id: 'default', options: {}, tags: [] });
    await assert.rejects(openstack(admin, ['project', 'create', 'web']),
      /Duplicate entry found with name web at domain ID default\. \(HTTP 409\)/);
    const listed = await openstack(admin, ['project', 'list', '--long', '-f', 'json']) as Row[];
    assert.deepEqual(listed.map((p) => [p.Name, p.Description, p.Enabled]),
      [['admin', '', true], ['web', 'Web team', true]]);
    await openstack(admin, ['project', 'set', '--name', 'web2', '--description', 'Renamed', '--disable', 'web']);
    const shown = await openstack(admin, ['project', 'show', 'web2', '-f', 'json']) as Row;
    assert.deepEqual([shown.id, shown.description, shown.enabled], [created.id, 'Renamed', false]);
    await openstack(admin, ['project', 'delete', 'web2']);
    await assert.rejects(openstack(admin, ['project', 'show', created.id as string]), /No project with a name or ID/);
  });

  it('user create, list, show, set --password and delete; role add, remove and assignment list; token revoke', async () => {
    const project = await openstack(admin, ['project', 'create', 'team', '-f', 'json']) as Row;
    const user = await openstack(admin, ['user', 'create', '--project', 'team', '--password', 'pw-1', '--email',
      'alice@example.org', '--description', 'Alice', 'alice', '-f', 'json']) as Row;
    assert.deepEqual({ ...user, id: '' }, { id: '', name: 'alice', domain_id: 'default', default_project_id: project.id,
      email: 'alice@example.org', description: 'Alice', enabled: true, options: {}, password_expires_at: null });
    const users = await openstack(admin, ['user', 'list', '--long', '-f', 'json']) as Row[];
    assert.deepEqual(users.map((u) => [u.Name, u.Project, u.Email]),
      [['alice', project.id, 'alice@example.org'], ['root', users[1]!.Project, '']]);
    assert.equal((await openstack(admin, ['user', 'show', 'alice', '-f', 'json']) as Row).id, user.id);

    await openstack(admin, ['role', 'add', '--project', 'team', '--user', 'alice', 'member']);
    const assignments = await openstack(admin, ['role', 'assignment', 'list', '--user', 'alice', '--names', '-f', 'json']);
    assert.deepEqual(assignments, [{ Role: 'member', User: 'alice@Default', Group: '', Project: 'team@Default', Domain: '',
      System: '', Inherited: false }]);
    const roles = await openstack(admin, ['role', 'list', '-f', 'json']) as Row[];
    assert.deepEqual(roles.map((r) => r.Name), ['admin', 'member', 'reader']);

    const alice = credentials(srv.url, 'alice', 'pw-1', 'team');
    const token = await openstack(alice, ['token', 'issue', '-f', 'json']) as Row;
    assert.equal(token.project_id, project.id);
    assert.deepEqual((await openstack(alice, ['project', 'list', '--my-projects', '-f', 'json']) as Row[])
      .map((p) => p.Name), ['team']);
    assert.deepEqual(await openstack(alice, ['image', 'list', '-f', 'json']), []);
    await openstack(alice, ['token', 'revoke', token.id as string]);
    const refused = await fetch(`${srv.url}/v2/images`, { headers: { 'x-auth-token': token.id as string } });
    assert.equal(refused.status, 401);
    await assert.rejects(openstack(alice, ['token', 'revoke', token.id as string]), /Could not find token\. \(HTTP 404\)/);

    await openstack(admin, ['user', 'set', '--password', 'pw-2', 'alice']);
    await assert.rejects(openstack(alice, ['token', 'issue']), /HTTP 401/);
    const renewed = { ...alice, OS_PASSWORD: 'pw-2' };
    assert.equal((await openstack(renewed, ['token', 'issue', '-f', 'json']) as Row).user_id, user.id);

    await openstack(admin, ['role', 'remove', '--project', 'team', '--user', 'alice', 'member']);
    assert.deepEqual(await openstack(admin, ['role', 'assignment', 'list', '--user', 'alice', '-f', 'json']), []);
    await assert.rejects(openstack(renewed, ['token', 'issue']), /HTTP 401/);
    await assert.rejects(openstack(alice, ['user', 'list']), /HTTP 401/);

    await openstack(admin, ['user', 'delete', 'alice']);
    assert.deepEqual((await openstack(admin, ['user', 'list', '-f', 'json']) as Row[]).map((u) => u.Name), ['root']);
  });

  it('a member is refused identity writes with Keystone\'s policy message', async () => {
    await openstack(admin, ['project', 'create', 'crew']);
    await openstack(admin, ['user', 'create', '--project', 'crew', '--password', 'pw', 'bob']);
    await openstack(admin, ['role', 'add', '--project', 'crew', '--user', 'bob', 'member']);
    const bob = credentials(srv.url, 'bob', 'pw', 'crew');
    await assert.rejects(openstack(bob, ['project', 'create', 'mine']),
      /You are not authorized to perform the requested action: identity:create_project\. \(HTTP 403\)/);
    await assert.rejects(openstack(bob, ['user', 'list']),
      /You are not authorized to perform the requested action: identity:list_users\. \(HTTP 403\)/);
  });

  it('domain create and list', async () => {
    const created = await openstack(admin, ['domain', 'create', '--description', 'Labs', 'labs', '-f', 'json']) as Row;
    assert.deepEqual([created.name, created.description, created.enabled], ['labs', 'Labs', true]);
    const listed = await openstack(admin, ['domain', 'list', '-f', 'json']) as Row[];
    assert.deepEqual(listed.map((d) => d.Name), ['Default', 'labs']);
    const inLabs = await openstack(admin, ['project', 'create', '--domain', 'labs', 'lab1', '-f', 'json']) as Row;
    assert.equal(inLabs.domain_id, created.id);
  });
});
