import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { call, faultDir } from './faults.js';
import { type RunningServer, startServer } from './server.js';

/** Where the console tests write their screenshots (git-ignored): console-screenshots/ at the repository root. */
export const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console-screenshots');

/** Debian's chromium, or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Owner, two member projects, an admin, and an account `acme` with a project: the people of the console tests. */
export const CONSOLE_BOOTSTRAP = {
  domains: [{ name: 'acme' }],
  projects: [{ name: 'owner' }, { name: 'member1' }, { name: 'member2' }, { name: 'admin' }, { name: 'acme-dev', domain: 'acme' }],
  users: [
    { name: 'dev', domain: 'acme', password: 'secret', project: 'acme-dev', roles: ['member', 'reader'] },
    { name: 'owner', password: 'secret', project: 'owner', roles: ['member', 'reader'] },
    { name: 'member1', password: 'secret', project: 'member1', roles: ['member', 'reader'] },
    { name: 'member2', password: 'secret', project: 'member2', roles: ['member', 'reader'] },
    { name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] },
  ],
};

/** A real `ims serve` (SQLite file) with CONSOLE_BOOTSTRAP, stopped after the test. */
export async function serveConsole(t: TestContext): Promise<RunningServer> {
  const { dir } = faultDir();
  const boot = path.join(dir, 'console-boot.json');
  fs.writeFileSync(boot, JSON.stringify(CONSOLE_BOOTSTRAP));
  const srv = await startServer(['--bootstrap', boot, '--log-level', 'warn'], { dataDir: dir });
  t.after(() => srv.stop());
  return srv;
}

/**
 * A reverse proxy that serves `target` under `prefix` (`/ims`: /ims/console/ is the target's /console/), as
 * operators mount ims behind a gateway; closed after the test. Its URL, without the prefix.
 */
export async function prefixProxy(t: TestContext, target: string, prefix: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (!req.url!.startsWith(`${prefix}/`)) {
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request(`${target}${req.url!.slice(prefix.length)}`, { method: req.method, headers: req.headers },
      (answer) => { res.writeHead(answer.statusCode!, answer.headers); answer.pipe(res); });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Chromium, headless, closed after the test. */
export async function launch(t: TestContext): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  return browser;
}

/**
 * A fresh page (its own sessionStorage) signed in to the console at `base`/console as `user` of project `project`,
 * both in `domain`. Every
 * request the page makes that fails with 5xx, and every uncaught page error, fails the test at its end.
 */
export async function signedIn(t: TestContext, browser: Browser, base: string, user: string, project = user,
  domain = 'Default'): Promise<Page> {
  // The page's CSP would refuse axe-core's injected script (assertAccessible); the first-load test keeps the CSP.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => { if (res.status() >= 500) problems.push(`${res.status()} ${res.url()}`); });
  t.after(() => assert.deepEqual(problems, [], 'the page met errors'));
  await page.goto(`${base}/console`);
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill('secret');
  await page.getByLabel('Project', { exact: true }).fill(project);
  await page.getByLabel('Domain (account)', { exact: true }).fill(domain);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

/** The focused element shows that it is: it matches :focus-visible and has an outline. */
export async function assertFocusVisible(target: Locator): Promise<void> {
  const seen = await target.evaluate((el) => ({
    focused: el === document.activeElement, visible: el.matches(':focus-visible'),
    outline: getComputedStyle(el).outlineStyle,
  }));
  assert.deepEqual(seen, { focused: true, visible: true, outline: seen.outline }, 'the focus is not where expected');
  assert.notEqual(seen.outline, 'none', 'the focus is not visible');
}

/** Presses Tab (keyboard only) until `target` has the focus, at most 80 times, and checks the focus is visible. */
export async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 80 && !(await target.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await assertFocusVisible(target);
}

/** Writes `name`.png of the whole page (or of the window only) into SCREENSHOTS. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is; fails with every violation and where. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v: any) => `${v.id}: ${v.help} at ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility of ${what}`);
}

/** A JSON API call with a token, for what the page's work left behind; asserts `status`. */
export async function apiJson(base: string, token: string, method: string, urlPath: string, status: number, body?: unknown)
  : Promise<any> {
  const res = await call(`${base}${urlPath}`, { method, token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  assert.equal(res.status, status, `${method} ${urlPath}: ${res.text}`);
  return res.text ? res.json() : undefined;
}
