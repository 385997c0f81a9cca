import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { login } from '../helpers/faults.js';
import { ims, json, ok } from '../helpers/cli.js';
import { readOpenrc, type RunningServer, startServer } from '../helpers/server.js';

/** `ims project|user|key` against a real `ims serve`: the admin of its openrc, and a user it creates. */

let srv: RunningServer;
let admin: Record<string, string>;

before(async () => {
  srv = await startServer(['--log-level', 'warn']);
  admin = readOpenrc(path.join(srv.dataDir, 'admin-openrc.sh'));
});
after(() => srv.stop());

describe('ims key', () => {
  it('the logged-in user makes a key (secret once), signs with it; disabled it is refused (4), deleted it is gone', async () => {
    const created = await ims(admin, 'key', 'create', '--description', 'ci', '-o', 'json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, 'ims: keep the secret now: it is not shown again\n');
    const key = JSON.parse(created.stdout) as { access: string; secret: string; user_id: string; description: string };
    assert.equal(key.description, 'ci');
    const project = (await login(srv.url, 'admin', admin.OS_PASSWORD)).project;
    const signed = { HUAWEICLOUD_SDK_AK: key.access, HUAWEICLOUD_SDK_SK: key.secret, HUAWEICLOUD_SDK_PROJECT_ID: project,
      IMS_ENDPOINT: srv.url };
    const table = await ok(signed, 'key', 'list', '--user', key.user_id);
    assert.match(table, new RegExp(`│ ${key.access} │ ${key.user_id} │ active │ ci +│ \\d{4}-`));
    const noUser = await ims(signed, 'key', 'list');
    assert.deepEqual([noUser.code, noUser.stderr], [2, 'ims: give --user: signed requests do not tell who you are\n']);
    assert.equal((await json<{ secret?: string }>(admin, 'key', 'show', key.access)).secret, undefined);
    assert.equal((parseYaml(await ok(admin, 'key', 'disable', key.access, '-o', 'yaml')) as { status: string }).status,
      'inactive');
    const refused = await ims(signed, 'image', 'list');
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /^ims: APIGW\.0301 \(HTTP 401, request req-[0-9a-f-]+\): Incorrect IAM authentication/);
    await ok(admin, 'key', 'delete', key.access);
    assert.deepEqual(await json(admin, 'key', 'list'), []);
  });
});

describe('ims project and user', () => {
  it('an admin creates a project and a user with roles; the user signs with a key it made; disabling stops both', async () => {
    const project = await json<{ id: string; name: string }>(admin, 'project', 'create', 'demo', '--description', 'a demo');
    assert.equal(project.name, 'demo');
    assert.match(await ok(admin, 'project', 'list'), new RegExp(`│ ${project.id} │ demo +│ default +│ true +│ a demo +│`));
    assert.equal((parseYaml(await ok(admin, 'project', 'show', 'demo', '-o', 'yaml')) as { id: string }).id, project.id);

    const user = await json<{ id: string; default_project_id: string }>(admin, 'user', 'create', 'dave', '--password',
      'dave-pw', '--project', 'demo', '--role', 'member', '--role', 'reader');
    assert.equal(user.default_project_id, project.id);
    const roles = (await ok(admin, 'user', 'roles', 'dave')).trimEnd().split('\n');
    assert.deepEqual(roles.slice(1, -1), ['│ role   │ user │ project │', '│ member │ dave │ demo    │',
      '│ reader │ dave │ demo    │']);

    const dave = { OS_AUTH_URL: admin.OS_AUTH_URL!, OS_USERNAME: 'dave', OS_PASSWORD: 'dave-pw', OS_PROJECT_NAME: 'demo',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default' };
    assert.deepEqual(await json(dave, 'shared'), []);
    const refused = await ims(dave, 'project', 'create', 'mine');
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /^ims: HTTP 403/);

    const created = await ims(dave, 'key', 'create', '--description', 'ci', '-o', 'json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, 'ims: keep the secret now: it is not shown again\n');
    const key = JSON.parse(created.stdout) as { access: string; secret: string; user_id: string; status: string };
    assert.deepEqual([key.user_id, key.status], [user.id, 'active']);
    const signed = { HUAWEICLOUD_SDK_AK: key.access, HUAWEICLOUD_SDK_SK: key.secret,
      HUAWEICLOUD_SDK_PROJECT_ID: project.id, IMS_ENDPOINT: srv.url };
    assert.deepEqual(await json(signed, 'image', 'list'), []);
    assert.deepEqual((await json<{ access: string }[]>(admin, 'key', 'list', '--user', 'dave')).map((k) => k.access),
      [key.access]);
    assert.equal((await json<{ secret?: string }>(dave, 'key', 'show', key.access)).secret, undefined);

    assert.equal((await json<{ status: string }>(admin, 'key', 'disable', key.access)).status, 'inactive');
    assert.equal((await ims(signed, 'image', 'list')).code, 4);
    await ok(admin, 'key', 'delete', key.access);
    assert.deepEqual(await json(admin, 'key', 'list', '--user', 'dave'), []);

    await ok(admin, 'user', 'revoke', 'dave', '--project', 'demo', '--role', 'reader');
    assert.deepEqual((await json<{ role: { name: string } }[]>(admin, 'user', 'roles', '--project', 'demo'))
      .map((a) => a.role.name), ['member']);
    await ok(admin, 'user', 'set', 'dave', '--no-enable');
    assert.equal((await ims(dave, 'shared')).code, 4);
    assert.equal((await ims(admin, 'user', 'set', 'dave')).code, 2);

    await ok(admin, 'user', 'delete', 'dave');
    await ok(admin, 'project', 'delete', 'demo');
    const gone = await ims(admin, 'project', 'show', 'demo');
    assert.deepEqual([gone.code, gone.stderr], [3, 'ims: no project named demo\n']);
  });
});
