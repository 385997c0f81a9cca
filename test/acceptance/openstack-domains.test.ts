import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openstack } from '../helpers/openstack.js';
import { type RunningServer, startServer } from '../helpers/server.js';

/** A cloud admin in Default, and an account `acme` with a user and a project of its own. */
const BOOTSTRAP = {
  domains: [{ name: 'acme' }],
  projects: [{ name: 'web', domain: 'acme' }],
  users: [
    { name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] },
    { name: 'alice', password: 'secret', project: 'web', domain: 'acme' },
  ],
};

type Row = Record<string, unknown>;

function credentials(url: string, user: string, project: string, domain: string): Record<string, string> {
  return {
    OS_AUTH_URL: `${url}/v3`, OS_USERNAME: user, OS_PASSWORD: 'secret', OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: domain, OS_PROJECT_DOMAIN_NAME: domain, OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
  };
}

/** The real `openstack` CLI on accounts (Keystone domains). */
describe('openstack CLI: domains', () => {
  let srv: RunningServer;
  let admin: Record<string, string>;
  before(async () => {
    const boot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-osc-domains-')), 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn']);
    admin = credentials(srv.url, 'root', 'admin', 'Default');
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  it('domain create, list and show; a user of another domain logs in and lists images', async () => {
    const created = await openstack(admin, ['domain', 'create', '--description', 'Acme Labs', 'labs', '-f', 'json']) as Row;
    assert.match(created.id as string, /^[0-9a-f]{32}$/);
    assert.deepEqual([created.name, created.description, created.enabled], ['labs', 'Acme Labs', true]);
    await assert.rejects(openstack(admin, ['domain', 'create', 'labs']), /Duplicate entry found with name labs\. \(HTTP 409\)/);
    const listed = await openstack(admin, ['domain', 'list', '-f', 'json']) as Row[];
    assert.deepEqual(listed.map((d) => [d.Name, d.Enabled]).sort(), [['Default', true], ['acme', true], ['labs', true]]);
    const acme = await openstack(admin, ['domain', 'show', 'acme', '-f', 'json']) as Row;
    const projects = await openstack(admin, ['project', 'list', '--domain', 'acme', '-f', 'json']) as Row[];
    assert.deepEqual(projects.map((p) => p.Name), ['web']);

    const alice = credentials(srv.url, 'alice', 'web', 'acme');
    const token = await openstack(alice, ['token', 'issue', '-f', 'json']) as Row;
    assert.equal(token.project_id, projects[0]!.ID);
    assert.deepEqual(await openstack(alice, ['image', 'list', '-f', 'json']), []);
    // By id too.
    const byId = { ...alice, OS_USER_DOMAIN_NAME: '', OS_PROJECT_DOMAIN_NAME: '', OS_USER_DOMAIN_ID: acme.id as string,
      OS_PROJECT_DOMAIN_ID: acme.id as string };
    assert.equal((await openstack(byId, ['token', 'issue', '-f', 'json']) as Row).project_id, projects[0]!.ID);
  });
});
