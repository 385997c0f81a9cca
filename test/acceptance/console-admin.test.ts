import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  apiJson, assertAccessible, assertFocusVisible, launch, screenshot, serveConsole, signedIn, tabTo,
} from '../helpers/browser.js';
import { login } from '../helpers/faults.js';

const status = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text });

test('the console Admin view, against a real ims serve', async (t) => {
  const srv = await serveConsole(t);
  const browser = await launch(t);
  const { token } = await login(srv.url, 'root');
  const api = (method: string, path: string, code: number, body?: unknown) => apiJson(srv.url, token, method, path, code, body);
  const page = await signedIn(t, browser, srv.url, 'root', 'admin');
  const ids = { project: '', user: '' };

  await t.test('a non-admin gets no Admin link, and #/admin shows no admin data', async () => {
    const owner = await signedIn(t, browser, srv.url, 'owner');
    await assert.doesNotReject(owner.getByRole('link', { name: 'Shared with me' }).waitFor());
    assert.equal(await owner.getByRole('link', { name: 'Admin' }).count(), 0);
    await owner.goto(`${srv.url}/console/#/admin/projects`);
    await owner.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await owner.getByRole('heading', { name: 'Admin' }).count(), 0);
    assert.equal(await owner.getByRole('table').count(), 0);
    assert.equal(await owner.getByText('member1').count(), 0);
    // The API decides anyway: the owner's token may not list projects.
    await apiJson(srv.url, (await login(srv.url, 'owner')).token, 'GET', '/v3/projects', 403);
  });

  await t.test('an admin creates a project', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Projects' }).click();
    const table = page.getByRole('table', { name: /^Projects/ });
    await table.getByRole('rowheader', { name: /member1/ }).waitFor();
    const form = page.getByRole('form', { name: 'Create a project' });
    await form.getByLabel('Name').fill('webteam');
    await form.getByLabel('Description').fill('The web team');
    await form.getByRole('button', { name: 'Create project' }).click();
    await status(page, 'Project webteam created.').waitFor();
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /webteam/ }) });
    await row.getByText('The web team').waitFor();
    assert.match(await row.textContent() ?? '', /Default.*enabled/);
    await screenshot(page, 'admin-projects');
    await assertAccessible(page, 'admin-projects');

    const { projects } = await api('GET', '/v3/projects?name=webteam', 200);
    assert.equal(projects.length, 1);
    assert.deepEqual({ ...projects[0], id: undefined, links: undefined }, {
      id: undefined, links: undefined, name: 'webteam', domain_id: 'default', description: 'The web team', enabled: true,
      is_domain: false, parent_id: 'default', tags: [], options: {},
    });
    ids.project = projects[0].id;
    assert.match(await row.textContent() ?? '', new RegExp(ids.project));
  });

  await t.test("the API's refusal is shown as it said it: a project name in use is 409", async () => {
    const form = page.getByRole('form', { name: 'Create a project' });
    await form.getByLabel('Name').fill('webteam');
    await form.getByRole('button', { name: 'Create project' }).click();
    await form.getByRole('alert').filter({
      hasText: 'Conflict occurred attempting to store project - Duplicate entry found with name webteam at domain ID default. (409)',
    }).waitFor();
    assert.equal((await api('GET', '/v3/projects?name=webteam', 200)).projects.length, 1);
  });

  await t.test('an admin creates a user in the new project', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Name').fill('wendy');
    await form.getByLabel('Default project').selectOption({ label: 'webteam' });
    await form.getByLabel('Password').fill('secret');
    await form.getByLabel('Email').fill('wendy@example.org');
    await form.getByLabel('Description').fill('Web developer');
    await form.getByRole('button', { name: 'Create user' }).click();
    await status(page, 'User wendy created.').waitFor();
    const row = page.getByRole('table', { name: /^Users/ }).getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: /wendy/ }) });
    assert.match(await row.textContent() ?? '', /Default\s*webteam\s*wendy@example\.org\s*Web developer.*enabled/);
    await screenshot(page, 'admin-users');
    await assertAccessible(page, 'admin-users');

    const { users } = await api('GET', '/v3/users?name=wendy', 200);
    assert.equal(users.length, 1);
    assert.equal(users[0].default_project_id, ids.project);
    assert.equal(users[0].email, 'wendy@example.org');
    assert.equal(users[0].description, 'Web developer');
    assert.equal(users[0].enabled, true);
    ids.user = users[0].id;
  });

  await t.test('an admin grants the user a role on the project; the user signs in with it', async () => {
    await page.getByRole('link', { name: 'Role assignments' }).click();
    const form = page.getByRole('form', { name: 'Grant a role' });
    await form.getByLabel('User').selectOption({ label: 'wendy' });
    await form.getByLabel('Project').selectOption({ label: 'webteam' });
    await form.getByLabel('Role').selectOption({ label: 'member' });
    await form.getByRole('button', { name: 'Grant role' }).click();
    await status(page, 'Role member granted to wendy on webteam.').waitFor();
    const granted = page.getByRole('row').filter({ hasText: 'wendy (Default)' });
    await granted.waitFor();
    assert.deepEqual(await granted.getByRole('cell').allTextContents(), ['wendy (Default)', 'webteam (Default)', 'member', 'Revoke']);
    await page.getByLabel('Of user').selectOption({ label: 'wendy' });
    await page.getByRole('table', { name: 'Role assignments (1)' }).waitFor();
    await screenshot(page, 'admin-assignments');
    await assertAccessible(page, 'admin-assignments');

    const { role_assignments: grants } = await api('GET',
      `/v3/role_assignments?user.id=${ids.user}&include_names=true`, 200);
    assert.deepEqual(grants.map((a: any) => [a.user.name, a.scope.project.name, a.role.name]), [['wendy', 'webteam', 'member']]);

    const wendy = await signedIn(t, browser, srv.url, 'wendy', 'webteam');
    assert.match(await wendy.getByRole('banner').textContent() ?? '', /wendy in webteam/);
    assert.equal(await wendy.getByRole('link', { name: 'Admin' }).count(), 0);
  });

  await t.test('an access key for the user: its secret is shown once, and Copy copies it', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'Access keys of wendy' }).click();
    assert.equal(new URL(page.url()).hash, `#/admin/access-keys/${ids.user}`);
    await page.getByRole('table', { name: 'Access keys of wendy (0)' }).waitFor();
    await page.getByLabel('Description').fill('ci');
    await page.getByRole('button', { name: 'Create access key' }).click();
    const secretField = page.getByLabel('Secret key (SK)');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    const access = await page.getByLabel('Access key (AK)').inputValue();
    assert.match(secret, /^[A-Za-z0-9]{40}$/);
    assert.match(access, /^[A-Z0-9]{20}$/);
    assert.equal(await secretField.evaluate((el) => el === document.activeElement), true, 'the secret has the focus');
    await page.getByText('Copy the secret key now: it is shown this once and never again.').waitFor();
    await page.getByRole('table', { name: 'Access keys of wendy (1)' }).getByRole('rowheader', { name: access }).waitFor();
    await screenshot(page, 'admin-access-keys');
    await assertAccessible(page, 'admin-access-keys');

    const { credentials } = await api('GET', `/v3.0/OS-CREDENTIAL/credentials?user_id=${ids.user}`, 200);
    assert.deepEqual(credentials.map((c: any) => [c.access, c.status, c.description]), [[access, 'active', 'ci']]);
    assert.equal(JSON.stringify(credentials).includes(secret), false);

    // Loopback is a secure context: with the permission granted, Copy puts the secret on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    await page.getByRole('button', { name: 'Copy secret key' }).click();
    await status(page, 'Secret key copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByLabel('Secret key (SK)').count(), 0);
    await page.reload();
    await page.getByRole('table', { name: 'Access keys of wendy (1)' }).waitFor();
    assert.equal((await page.content()).includes(secret), false, 'the secret is never shown again');

    await page.getByRole('button', { name: `Disable access key ${access}` }).click();
    await status(page, `Access key ${access} is inactive.`).waitFor();
    assert.equal((await api('GET', `/v3.0/OS-CREDENTIAL/credentials/${access}`, 200)).credential.status, 'inactive');
  });

  await t.test("an admin sets the user's password, then disables the user", async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Set password of wendy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set password of wendy' });
    await dialog.getByLabel('New password').fill(' new secret ');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await status(page, 'The password of wendy is set; their tokens were revoked.').waitFor();
    assert.equal(await dialog.count(), 0);
    await login(srv.url, 'wendy', ' new secret ');

    await page.getByRole('button', { name: 'Disable user wendy' }).click();
    await status(page, 'User wendy disabled.').waitFor();
    await page.getByRole('button', { name: 'Enable user wendy' }).waitFor();
    assert.equal((await api('GET', `/v3/users/${ids.user}`, 200)).user.enabled, false);
  });

  await t.test('keyboard only: create a project, then delete it after confirming', async () => {
    await page.goto(`${srv.url}/console/#/admin/projects`);
    await page.getByRole('table', { name: /^Projects/ }).waitFor();
    const form = page.getByRole('form', { name: 'Create a project' });
    const name = form.getByLabel('Name');
    await tabTo(page, name);
    await page.keyboard.type('kbteam');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await assertFocusVisible(form.getByLabel('Description'));
    await page.keyboard.type('typed');
    await page.keyboard.press('Enter');
    await status(page, 'Project kbteam created.').waitFor();
    const [created] = (await api('GET', '/v3/projects?name=kbteam', 200)).projects;
    assert.equal(created.description, 'typed');

    const disable = page.getByRole('button', { name: 'Disable project kbteam' });
    await page.getByRole('heading', { name: 'Admin' }).focus();
    await tabTo(page, disable);
    await page.keyboard.press('Space');
    await status(page, 'Project kbteam disabled.').waitFor();
    assert.equal((await api('GET', `/v3/projects/${created.id}`, 200)).project.enabled, false);

    const remove = page.getByRole('button', { name: 'Delete project kbteam' });
    await page.getByRole('heading', { name: 'Admin' }).focus();
    await tabTo(page, remove);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete project kbteam?' });
    const cancel = dialog.getByRole('button', { name: 'Cancel' });
    await cancel.waitFor();
    assert.equal(await cancel.evaluate((el) => el === document.activeElement), true, 'Cancel is the default');
    await page.keyboard.press('Shift+Tab');
    const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
    await assertFocusVisible(confirm);
    await page.keyboard.press('Space');
    await status(page, 'Project kbteam deleted.').waitFor();
    await api('GET', `/v3/projects/${created.id}`, 404);
  });

  await t.test('organizations: create one, an OU, invite an account, move it, remove it', async () => {
    const { domain: globex } = await api('POST', '/v3/domains', 201, { domain: { name: 'globex' } });
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByRole('alert').filter({ hasText: 'The organization is not found. (Organizations.1015)' }).waitFor();
    await page.getByRole('button', { name: 'Create an organization managed by this account' }).click();
    await status(page, 'Organization created.').waitFor();
    const { organization } = await api('GET', '/v1/organizations', 200);
    assert.equal(organization.management_account_id, 'default');
    await page.getByText(organization.urn).waitFor();
    const [root] = (await api('GET', '/v1/organizations/roots', 200)).roots;

    const unitForm = page.getByRole('form', { name: `Create an organizational unit in ${root.name}` });
    await unitForm.getByLabel('Name').fill('eng');
    await unitForm.getByRole('button', { name: 'Create organizational unit' }).click();
    await status(page, 'Organizational unit eng created.').waitFor();
    const [eng] = (await api('GET', `/v1/organizations/organizational-units?parent_id=${root.id}`, 200)).organizational_units;
    assert.equal(eng.name, 'eng');
    await page.getByRole('table', { name: `Organizational units in ${root.name}` }).getByText(eng.id).waitFor();

    const invite = page.getByRole('form', { name: 'Invite an account' });
    await invite.getByLabel('Account').selectOption({ label: 'globex' });
    await invite.getByRole('button', { name: 'Invite account' }).click();
    await status(page, 'Account globex joined the organization.').waitFor();
    const accounts = page.getByRole('table', { name: `Accounts in ${root.name}` });
    await accounts.getByRole('rowheader', { name: 'globex' }).waitFor();
    const listed = async (parent: string) => (await api('GET', `/v1/organizations/accounts?parent_id=${parent}`, 200))
      .accounts.map((a: any) => a.name).sort();
    assert.deepEqual(await listed(root.id), ['Default', 'globex']);
    await screenshot(page, 'admin-organizations');
    await assertAccessible(page, 'admin-organizations');

    await page.getByRole('button', { name: 'Move account globex', exact: true }).click();
    const move = page.getByRole('dialog', { name: 'Move account globex' });
    await move.getByLabel('Move to').selectOption({ label: 'eng' });
    await move.getByRole('button', { name: 'Move', exact: true }).click();
    await status(page, 'Account globex moved.').waitFor();
    assert.deepEqual(await listed(root.id), ['Default']);
    assert.deepEqual(await listed(eng.id), ['globex']);

    await page.getByRole('button', { name: 'Open eng' }).click();
    const inEng = page.getByRole('table', { name: 'Accounts in eng' });
    await inEng.getByRole('rowheader', { name: 'globex' }).waitFor();
    await page.getByRole('button', { name: 'Remove account globex' }).click();
    await page.getByRole('dialog', { name: 'Remove account globex?' }).getByRole('button', { name: 'Remove', exact: true }).click();
    await status(page, 'Account globex removed.').waitFor();
    assert.deepEqual(await listed(eng.id), []);
    await api('GET', `/v1/organizations/accounts/${globex.id}`, 404);

    // The OU listing pages through the API, 50 to a page: eng and 50 more are two pages.
    for (let i = 1; i <= 50; i++) {
      await api('POST', '/v1/organizations/organizational-units', 201, { name: `team${String(i).padStart(2, '0')}`, parent_id: root.id });
    }
    await page.getByRole('navigation', { name: 'Organization path' }).getByRole('button', { name: root.name }).click();
    const units = page.getByRole('table', { name: `Organizational units in ${root.name}` });
    const pager = page.getByRole('navigation', { name: 'Organizational units pages' });
    await pager.getByText('Page 1', { exact: true }).waitFor();
    assert.equal(await units.getByRole('rowheader').count(), 50);
    const pageOf = () => units.getByRole('rowheader').allTextContents();
    assert.deepEqual((await pageOf()).slice(0, 2), ['eng', 'team01']);
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('Page 2', { exact: true }).waitFor();
    await units.getByRole('rowheader', { name: 'team50' }).waitFor();
    // The API said there is no page after it.
    assert.equal(await pager.getByRole('button', { name: 'Next' }).isDisabled(), true);
    assert.deepEqual(await pageOf(), ['team50']);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await units.getByRole('rowheader', { name: 'eng' }).waitFor();
    assert.equal(await units.getByRole('rowheader').count(), 50);
  });
});
