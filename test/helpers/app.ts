import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type AppOptions, buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { buildContainer, type Container } from '../../src/container.js';
import type { Clock } from '../../src/domain/clock.js';
import type { DatabaseKind } from './databases.js';
import { responseRecorder } from './recording.js';

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  /** Tokens of the bootstrapped accounts: admin (project admin), demo and alt (projects demo and alt). */
  tokens: { admin: string; demo: string; alt: string; other: string };
  projects: { admin: string; demo: string; alt: string; other: string };
}

export const BOOTSTRAP = {
  projects: [{ name: 'demo' }, { name: 'alt' }, { name: 'other' }],
  users: [
    { name: 'root', password: 'secret', project: 'admin', roles: ['admin', 'member', 'reader'] },
    { name: 'demo', password: 'secret', project: 'demo', roles: ['member', 'reader'] },
    { name: 'alt', password: 'secret', project: 'alt', roles: ['member', 'reader'] },
    { name: 'other', password: 'secret', project: 'other', roles: ['member', 'reader'] },
  ],
  access_keys: [{ access: 'AKDEMO0000000000000001', secret: 'SKDEMO-secret-value-0000000000000000000', user: 'demo' }],
};

/**
 * Builds the app on a fresh database of the given kind; closed (and the database dropped) after the test.
 * For test/process/cache-off.test.ts: IMS_TEST_CACHE_MB sets the cache budget (unless `overrides` do), and
 * IMS_TEST_RECORD names a file each response is appended to.
 */
export async function buildTestApp(t: TestContext, kind: DatabaseKind, overrides: Partial<Config> = {},
  options: { clock?: Clock; logger?: AppOptions['logger'] } = {}): Promise<TestApp> {
  const { IMS_TEST_CACHE_MB: cacheMb, IMS_TEST_RECORD: recordTo } = process.env;
  const record = recordTo === undefined ? undefined : responseRecorder(recordTo, t.fullName);
  const database = await kind.create();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-test-'));
  const config = {
    ...loadConfig({}, { databaseUrl: database.url, dataDir, publicUrl: 'http://ims.test:9292', cacheMb }), ...overrides,
  };
  let container: Container | undefined;
  let app: FastifyInstance | undefined;
  // Registered first, so a failure while building still drops the database.
  t.after(async () => {
    await app?.close();
    await container?.close();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  container = await buildContainer(Object.freeze(config), options);
  await container.identity.applyBootstrap(BOOTSTRAP);
  app = await buildApp(container, { logger: options.logger });
  record?.(app);
  const tokens = {} as TestApp['tokens'];
  const projects = {} as TestApp['projects'];
  for (const [key, user, project] of [['admin', 'root', 'admin'], ['demo', 'demo', 'demo'], ['alt', 'alt', 'alt'],
    ['other', 'other', 'other']] as const) {
    const p = await container.repos.identity.projectByName('default', project);
    const u = await container.repos.identity.userByName('default', user);
    projects[key] = p!.id;
    tokens[key] = container.identity.issueFor(u!.id, p!.id, await container.repos.identity.rolesOn(u!.id, p!.id));
  }
  return { app, container, tokens, projects };
}

export const json = (res: LightMyRequestResponse): unknown => JSON.parse(res.body);

/** How many membership rows the image has, counted in the database. */
export async function memberRows(t: TestApp, imageId: string): Promise<number> {
  const row = await t.container.store.db.selectFrom('image_members').where('image_id', '=', imageId)
    .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
