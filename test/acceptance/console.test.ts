import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  apiJson, assertAccessible, launch, prefixProxy, screenshot, serveConsole, signedIn, tabTo,
} from '../helpers/browser.js';
import { login, upload } from '../helpers/faults.js';

/** Waits until the job box shows the job ended with SUCCESS and `done` pairs of `total`; returns the job id. */
async function jobSucceeded(page: Page, done: number, total: number): Promise<string> {
  const box = page.locator('section.job').last();
  await box.getByTestId('job-status').getByText('SUCCESS').waitFor({ timeout: 30_000 });
  assert.equal(await box.getByTestId('job-count').textContent(), `${done} of ${total} pairs done`);
  const bar = box.getByRole('progressbar', { name: 'Job progress' });
  assert.equal(await bar.getAttribute('value'), String(total));
  assert.equal(await bar.getAttribute('max'), String(total));
  return (await box.getAttribute('data-job'))!;
}

const count = (page: Page, tab: string) => page.getByTestId(`count-${tab}`);

/** `n` uploaded images named `prefix`0000..., shared with `project` in one batch job through the API; their ids. */
async function sharedByApi(base: string, owner: { token: string; project: string }, prefix: string, n: number,
  project: string): Promise<string[]> {
  const ids: string[] = [];
  const make = async (i: number) => {
    const body = { name: `${prefix}${String(i).padStart(n > 100 ? 4 : 3, '0')}`, disk_format: 'raw', container_format: 'bare' };
    const { id } = await apiJson(base, owner.token, 'POST', '/v2/images', 201, body);
    await upload(base, owner.token, id);
    ids.push(id);
  };
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => make(i + k)));
  const { job_id: job } = await apiJson(base, owner.token, 'POST', '/v1/cloudimages/members', 200, { images: ids, projects: [project] });
  for (let i = 0; ; i++) {
    const j = await apiJson(base, owner.token, 'GET', `/v1/${owner.project}/jobs/${job}`, 200);
    if (j.status === 'SUCCESS') return ids;
    assert.ok(j.status !== 'FAIL' && i < 300, `the share job ended ${j.status} or took too long`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('the console in a real browser: upload, share, accept, reject in bulk', { timeout: 240_000 }, async (t) => {
  const srv = await serveConsole(t);
  const base = srv.url;
  const browser = await launch(t);
  const owner = await login(base, 'owner');
  const member1 = await login(base, 'member1');
  const member2 = await login(base, 'member2');
  let imageId = '';

  await t.test('first load is small: the compressed JavaScript and CSS', async (st) => {
    const context = await browser.newContext();
    st.after(() => context.close());
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) refused.push(m.text()); });
    const sizes: number[] = [];
    page.on('response', async (res) => {
      if (/\/console\/assets\/.*\.(js|css)$/.test(res.url())) {
        assert.match(res.headers()['content-encoding'] ?? '', /^(br|gzip)$/, `${res.url()} was not sent compressed`);
        sizes.push(Number(res.headers()['content-length']));
      }
    });
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to ims' }).waitFor();
    await screenshot(page, 'sign-in');
    assert.deepEqual(refused, [], 'the page broke its own Content-Security-Policy');
    const total = sizes.reduce((a, b) => a + b, 0);
    st.diagnostic(`first load: ${sizes.length} files, ${total} bytes compressed`);
    assert.ok(sizes.length >= 2 && total > 0 && total < 150 * 1024, `first load ${total} bytes`);
  });

  await t.test('a wrong password shows the API\'s message', async (st) => {
    const context = await browser.newContext();
    st.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await page.getByLabel('User', { exact: true }).fill('owner');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByLabel('Project', { exact: true }).fill('owner');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The request you have made requires authentication. (401)').waitFor();
  });

  await t.test('the owner uploads an image with a progress bar and shares it with two projects in one job', async (st) => {
    const page = await signedIn(st, browser, base, 'owner');
    await page.getByRole('link', { name: 'My images' }).click();
    await page.getByRole('button', { name: 'Create image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create image' });
    await dialog.getByLabel('Name').fill('console-image');
    await dialog.getByLabel('Disk format').selectOption('qcow2');
    const data = Buffer.alloc(4 * 1024 * 1024, 7);
    await dialog.getByLabel('Image file').setInputFiles({ name: 'disk.qcow2', mimeType: 'application/octet-stream', buffer: data });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('progressbar', { name: 'Upload progress' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: 'console-image' });
    await row.getByText('active').waitFor();
    assert.match(await row.textContent() ?? '', /4\.0 MiB/);
    const listed = await apiJson(base, owner.token, 'GET', '/v2/images?name=console-image', 200);
    assert.equal(listed.images.length, 1);
    assert.equal(listed.images[0].status, 'active');
    assert.equal(listed.images[0].size, data.length);
    imageId = listed.images[0].id;
    await screenshot(page, 'my-images');
    await assertAccessible(page, 'my-images');

    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Share 1' }).click();
    const share = page.getByRole('dialog', { name: 'Share 1 image' });
    await share.getByLabel('Projects to share with').fill(`${member1.project}\n${member2.project}, ${member1.project}`);
    await share.getByText('2 distinct.').waitFor();
    await screenshot(page, 'share-dialog');
    await assertAccessible(page, 'share-dialog');
    await share.getByRole('button', { name: 'Share' }).click();
    const jobId = await jobSucceeded(page, 2, 2);
    const job = await apiJson(base, owner.token, 'GET', `/v1/${owner.project}/jobs/${jobId}`, 200);
    assert.equal(job.status, 'SUCCESS');
    assert.equal(job.job_type, 'imsAddImageMembersJob');
    const members = await apiJson(base, owner.token, 'GET', `/v2/images/${imageId}/members`, 200);
    assert.deepEqual(members.members.map((m: any) => [m.member_id, m.status]).sort(),
      [[member1.project, 'pending'], [member2.project, 'pending']].sort());
    await row.getByRole('cell', { name: '2', exact: true }).waitFor();
  });

  await t.test('member1 accepts with the keyboard only and sees it under accepted', async (st) => {
    const page = await signedIn(st, browser, base, 'member1');
    await page.getByRole('heading', { name: 'Shared with me' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="count-pending"]')?.textContent === '1');
    assert.equal(await count(page, 'accepted').textContent(), '0');
    await screenshot(page, 'shared-with-me-pending');
    await assertAccessible(page, 'shared-with-me-pending');
    await tabTo(page, page.getByRole('checkbox', { name: 'Select console-image' }));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByRole('button', { name: 'Accept 1' }));
    await page.keyboard.press('Enter');
    await jobSucceeded(page, 1, 1);
    await page.waitForFunction(() => document.querySelector('[data-testid="count-accepted"]')?.textContent === '1');
    assert.equal(await count(page, 'pending').textContent(), '0');
    await tabTo(page, page.getByRole('tab', { name: /^Pending/ }));
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: /^Accepted/ }).getAttribute('aria-selected'), 'true');
    await page.getByRole('row').filter({ hasText: 'console-image' }).waitFor();
    await screenshot(page, 'shared-with-me-accepted');
    await assertAccessible(page, 'shared-with-me-accepted');
    const member = await apiJson(base, member1.token, 'GET', `/v2/images/${imageId}/members/${member1.project}`, 200);
    assert.equal(member.status, 'accepted');
    const accepted = await apiJson(base, member1.token, 'GET', '/v2/cloudimages?member_status=accepted', 200);
    assert.deepEqual(accepted.images.map((i: any) => i.id), [imageId]);
  });

  await t.test('accepting a full-ECS image made from a backup asks for a vault, and sends it', async (st) => {
    const body = { name: 'ecs-image', disk_format: 'raw', container_format: 'bare', __whole_image: 'true', __backup_id: 'backup-1' };
    const { id } = await apiJson(base, owner.token, 'POST', '/v2/images', 201, body);
    await upload(base, owner.token, id);
    await apiJson(base, owner.token, 'POST', `/v2/images/${id}/members`, 200, { member: member1.project });
    const page = await signedIn(st, browser, base, 'member1');
    const row = page.getByRole('row').filter({ hasText: 'ecs-image' });
    await row.getByText('(full-ECS: needs a vault)').waitFor();
    await row.getByRole('checkbox').check();
    const accept = page.getByRole('button', { name: 'Accept 1' });
    assert.equal(await accept.isDisabled(), true);
    await page.getByLabel('Vault ID (for 1 full-ECS image)').fill('vault-1');
    await accept.click();
    await jobSucceeded(page, 1, 1);
    const member = await apiJson(base, member1.token, 'GET', `/v2/images/${id}/members/${member1.project}`, 200);
    assert.equal(member.status, 'accepted');
    await apiJson(base, member1.token, 'GET', `/v2/images/${id}`, 200);
  });

  await t.test('member2 rejects 100 shares in one batch job with progress', async (st) => {
    const ids = await sharedByApi(base, owner, 'bulk-', 100, member2.project);
    const page = await signedIn(st, browser, base, 'member2');
    await page.waitForFunction(() => document.querySelector('[data-testid="count-pending"]')?.textContent === '101');
    await page.getByLabel('Filter by name').fill('bulk-');
    await page.getByRole('button', { name: 'Select all 100 matching' }).click();
    await page.getByText('100 selected').waitFor();
    await screenshot(page, 'inbox', false);
    await page.getByRole('button', { name: 'Reject 100' }).click();
    await page.getByRole('progressbar', { name: 'Job progress' }).waitFor();
    await jobSucceeded(page, 100, 100);
    // The per-pair results, folded when none failed, name the images the page knows.
    await page.locator('section.job').getByText('Results: 100 succeeded, 0 failed').click();
    await page.locator('section.job').getByRole('cell', { name: /^bulk-042/ }).waitFor();
    await screenshot(page, 'shared-with-me-rejected-100');
    await assertAccessible(page, 'shared-with-me-rejected-100');
    await page.waitForFunction(() => document.querySelector('[data-testid="count-rejected"]')?.textContent === '100');
    assert.equal(await count(page, 'pending').textContent(), '1');
    const rejected = await apiJson(base, member2.token, 'GET', '/v2/cloudimages?member_status=rejected&limit=1000', 200);
    assert.deepEqual(rejected.images.map((i: any) => i.id).sort(), [...ids].sort());
    const pending = await apiJson(base, member2.token, 'GET', '/v2/cloudimages?member_status=pending', 200);
    assert.deepEqual(pending.images.map((i: any) => i.id), [imageId]);
  });

  await t.test('the owner sees members and their statuses, removes one, and an API refusal shows its message', async (st) => {
    const page = await signedIn(st, browser, base, 'owner');
    await page.goto(`${base}/console/#/images/${imageId}`);
    await page.getByRole('heading', { name: 'console-image' }).waitFor();
    const m1 = page.getByRole('row').filter({ hasText: member1.project });
    const m2 = page.getByRole('row').filter({ hasText: member2.project });
    await m1.getByText('accepted').waitFor();
    await m2.getByText('pending').waitFor();
    await screenshot(page, 'image-detail');
    await assertAccessible(page, 'image-detail');
    await m2.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Remove 1 selected' }).click();
    await page.getByRole('status').getByText('Removed 1 member.').waitFor();
    await page.getByRole('caption').getByText('1 member').waitFor();
    const members = await apiJson(base, owner.token, 'GET', `/v2/images/${imageId}/members`, 200);
    assert.deepEqual(members.members.map((m: any) => m.member_id), [member1.project]);

    // Sharing with a project id that is not one: the API refuses the batch, and the page says why.
    await page.getByRole('button', { name: 'Share' }).click();
    const share = page.getByRole('dialog', { name: 'Share 1 image' });
    await share.getByLabel('Projects to share with').fill('not-a-project');
    await share.getByRole('button', { name: 'Share' }).click();
    const alert = share.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent() ?? '', /\(IMG\.\d{4}\)$/);
    await page.keyboard.press('Escape');
    await share.waitFor({ state: 'detached' });
  });

  await t.test('the owner shares with a whole account; a project of the account finds it in its inbox', async (st) => {
    const res = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'],
        password: { user: { name: 'dev', domain: { name: 'acme' }, password: 'secret' } } } } }),
    });
    assert.equal(res.status, 201);
    const acme = (await res.json()).token.project;
    const page = await signedIn(st, browser, base, 'owner');
    await page.goto(`${base}/console/#/images/${imageId}`);
    await page.getByRole('button', { name: 'Share' }).click();
    const share = page.getByRole('dialog', { name: 'Share 1 image' });
    await share.getByRole('radio', { name: 'Accounts' }).check();
    await share.getByLabel('Accounts to share with').fill(acme.domain.id);
    await share.getByRole('button', { name: 'Share' }).click();
    const box = page.locator('section.job').last();
    await box.getByTestId('job-status').getByText('SUCCESS').waitFor({ timeout: 30_000 });
    const dev = await signedIn(st, browser, base, 'dev', 'acme-dev', 'acme');
    await dev.getByRole('row').filter({ hasText: 'console-image' }).waitFor();
    assert.equal(await count(dev, 'pending').textContent(), '1');
    const token = await dev.evaluate(() => JSON.parse(sessionStorage.getItem('ims.console.session')!).token as string);
    const pending = await apiJson(base, token, 'GET', '/v2/cloudimages?member_status=pending', 200);
    assert.deepEqual(pending.images.map((i: any) => i.id), [imageId]);
    assert.equal(acme.name, 'acme-dev');
  });

  await t.test('the token lives in the tab only, and signing out revokes it', async (st) => {
    const page = await signedIn(st, browser, base, 'member1');
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('ims.console.session')!).token as string);
    assert.deepEqual(await page.context().cookies(), []);
    await apiJson(base, token, 'GET', '/v2/cloudimages?member_status=accepted', 200);
    await tabTo(page, page.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sign in to ims' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    const check = await fetch(`${base}/v3/auth/tokens`, { headers: { 'x-auth-token': member1.token, 'x-subject-token': token } });
    assert.equal(check.status, 404);
    await apiJson(base, token, 'GET', '/v2/cloudimages?member_status=accepted', 401);
  });

  await t.test('a token revoked elsewhere ends the session at the next call, and the page says so', async (st) => {
    const page = await signedIn(st, browser, base, 'member2');
    // The inbox has read all three of its lists (each is one request here): no call of the page is under way.
    await page.waitForFunction(() => ['pending', 'accepted', 'rejected']
      .every((t) => /^\d+$/.test(document.querySelector(`[data-testid="count-${t}"]`)?.textContent ?? '')));
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('ims.console.session')!).token as string);
    const res = await fetch(`${base}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': member2.token, 'x-subject-token': token } });
    assert.equal(res.status, 204);
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Sign in to ims' }).waitFor();
    await page.getByRole('status').getByText('Your session has ended').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  await t.test('behind a proxy that mounts ims under /ims, the console works at /ims/console', async (st) => {
    const proxy = await prefixProxy(st, base, '/ims');
    const page = await signedIn(st, browser, `${proxy}/ims`, 'member1');
    assert.equal(new URL(page.url()).pathname, '/ims/console/');
    await page.waitForFunction(() => document.querySelector('[data-testid="count-accepted"]')?.textContent === '2');
    await page.getByRole('tab', { name: /^Accepted/ }).click();
    await page.getByRole('row').filter({ hasText: 'console-image' }).waitFor();
  });

  await t.test('1,000 shared images: counted, paged 100 rows at a time, filtered at once', async (st) => {
    await sharedByApi(base, owner, 'many-', 1000, member1.project);
    const page = await signedIn(st, browser, base, 'member1');
    await page.waitForFunction(() => document.querySelector('[data-testid="count-pending"]')?.textContent === '1000',
      undefined, { timeout: 30_000 });
    assert.equal(await page.locator('tbody tr').count(), 100);
    await page.getByText('Page 1 of 10').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 10').waitFor();
    await screenshot(page, 'shared-with-me-1000');
    await assertAccessible(page, 'shared-with-me-1000');
    const started = Date.now();
    await page.getByLabel('Filter by name').fill('many-0999');
    await page.getByRole('caption').getByText('1 pending image', { exact: true }).waitFor();
    const ms = Date.now() - started;
    st.diagnostic(`filtering 1,000 rows took ${ms} ms`);
    assert.ok(ms < 3000, `filtering took ${ms} ms`);
    assert.equal(await page.locator('tbody tr').count(), 1);
  });

  await t.test('My images pages through the API, 25 at a time; deleting an image asks first', async (st) => {
    const page = await signedIn(st, browser, base, 'owner');
    await page.getByRole('link', { name: 'My images' }).click();
    const rows = page.locator('tbody tr');
    await page.getByText('Page 1', { exact: true }).waitFor();
    assert.equal(await rows.count(), 25);
    const firstName = () => page.evaluate(() => document.querySelector('tbody tr a')?.textContent);
    const first = await firstName();
    await page.getByRole('navigation', { name: 'Images pages' }).getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await page.waitForFunction((f) => document.querySelector('tbody tr a')?.textContent !== f, first);
    assert.equal(await rows.count(), 25);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1', { exact: true }).waitFor();
    await page.waitForFunction((f) => document.querySelector('tbody tr a')?.textContent === f, first);
    assert.equal(await firstName(), first);

    const [victim] = (await apiJson(base, owner.token, 'GET', '/v2/images?name=bulk-000', 200)).images;
    await page.goto(`${base}/console/#/images/${victim.id}`);
    await page.getByRole('button', { name: 'Delete image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 1 image?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'My images' }).waitFor();
    await apiJson(base, owner.token, 'GET', `/v2/images/${victim.id}`, 404);
  });

  await t.test('Jobs lists the project\'s jobs newest first with their progress, and a job\'s results on demand', async (st) => {
    const page = await signedIn(st, browser, base, 'owner');
    await page.getByRole('link', { name: 'Jobs' }).click();
    const { jobs } = await apiJson(base, owner.token, 'GET', `/v1/${owner.project}/jobs?limit=20`, 200);
    assert.equal(jobs.length, 4);
    const rows = page.locator('tbody tr');
    await rows.first().getByText(jobs[0].job_id, { exact: true }).waitFor();
    assert.equal(await rows.count(), 4);
    for (const [i, j] of jobs.entries()) {
      const text = await rows.nth(i).textContent() ?? '';
      assert.ok(text.includes(j.job_id) && text.includes('SUCCESS'), text);
      assert.ok(text.includes(`${j.pairs.done} of ${j.pairs.total} pairs`), text);
    }
    assert.ok((await rows.first().textContent())!.includes('1000 of 1000 pairs'));
    await rows.first().getByRole('button', { name: `Show results of job ${jobs[0].job_id}` }).click();
    await page.getByText('Results: 1000 succeeded, 0 failed').waitFor();
    await screenshot(page, 'jobs');
    await assertAccessible(page, 'jobs');
  });
});
