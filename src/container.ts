import type { Config } from './config.js';
import { openStore, type Store } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { type Clock, systemClock } from './domain/clock.js';
import { IdentityService } from './services/identity-service.js';
import { ImageService } from './services/image-service.js';
import { BatchMemberService } from './services/batch-member-service.js';
import { JobService } from './services/job-service.js';
import { MemberService } from './services/member-service.js';

/** Where clients reach us; known once the server is listening (port 0 picks one). */
export interface Urls {
  publicUrl: string;
  region: string;
}

/** The composition root: one store and the services built on it. */
export interface Container {
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  urls: Urls;
  identity: IdentityService;
  images: ImageService;
  members: MemberService;
  jobs: JobService;
  batch: BatchMemberService;
  close(): Promise<void>;
}

export async function buildContainer(config: Readonly<Config>, options: { clock?: Clock; migrate?: boolean } = {})
  : Promise<Container> {
  const store = openStore(config.databaseUrl);
  try {
    if (options.migrate !== false) await migrateToLatest(store);
    const clock = options.clock ?? systemClock;
    const urls: Urls = { publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}`, region: config.region };
    const identity = new IdentityService(store, clock, config.tokenTtl, () => urls);
    await identity.init();
    const images = new ImageService(store, clock, config.dataDir);
    const members = new MemberService(store, clock, {
      member: config.memberQuota, wholeImage: config.wholeImageMemberQuota,
    }, images);
    const jobs = new JobService(store, clock);
    const batch = new BatchMemberService(store, jobs);
    return { config, store, clock, urls, identity, images, members, jobs, batch, close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}
