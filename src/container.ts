import { hostname } from 'node:os';
import { loadMasterKey, SecretBox } from './auth/secret-box.js';
import { CacheSpace } from './cache/cache-space.js';
import type { Config } from './config.js';
import { openStore, type Store, type StoreOptions } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { type Clock, hexId, systemClock } from './domain/clock.js';
import { AccessKeyRepo } from './repos/access-key-repo.js';
import { createMetrics, type Metrics } from './metrics.js';
import { IdentityRepo } from './repos/identity-repo.js';
import { ImageRepo } from './repos/image-repo.js';
import { JobRepo } from './repos/job-repo.js';
import { KmsGrantRepo } from './repos/kms-grant-repo.js';
import { MemberRepo } from './repos/member-repo.js';
import { OrgRepo } from './repos/org-repo.js';
import { RevocationRepo } from './repos/revocation-repo.js';
import { UploadRepo } from './repos/upload-repo.js';
import { AccessKeyService } from './services/access-key-service.js';
import { DomainService } from './services/domain-service.js';
import { IdentityService } from './services/identity-service.js';
import { ImageService } from './services/image-service.js';
import { BatchMemberService } from './services/batch-member-service.js';
import { JobService } from './services/job-service.js';
import { MemberService } from './services/member-service.js';
import { OrganizationService } from './services/organization-service.js';
import { ProjectService } from './services/project-service.js';
import { Revocations } from './services/revocation-service.js';
import { RoleService } from './services/role-service.js';
import { UserService } from './services/user-service.js';

/** Where clients reach us; known once the server is listening (port 0 picks one). */
export interface Urls {
  publicUrl: string;
  region: string;
}

/** Every repository, built once on the store: the services' (private) and the job handlers' way to the rows. */
export interface Repos {
  identity: IdentityRepo;
  images: ImageRepo;
  members: MemberRepo;
  grants: KmsGrantRepo;
  jobs: JobRepo;
  uploads: UploadRepo;
  /** Organizations: who a project reaches (`reachOf`), what a node id or URN names (`orgNode`). */
  orgs: OrgRepo;
  /** Huawei IAM's permanent access keys. */
  accessKeys: AccessKeyRepo;
}

/** The composition root: one store, the repositories on it, and the services built on them. */
export interface Container {
  config: Readonly<Config>;
  /** This process among those sharing the database: owner of its job claims and uploads. */
  instanceId: string;
  store: Store;
  /** Every cache's memory (`--cache-mb`): the one place caches live; routes take theirs from it too. */
  caches: CacheSpace;
  /** This container's metrics registry (GET /metrics): jobs, caches, database; the app adds the HTTP ones. */
  metrics: Metrics;
  clock: Clock;
  urls: Urls;
  repos: Repos;
  identity: IdentityService;
  /** Keystone domains: the accounts. */
  domains: DomainService;
  /** Keystone projects, users and role assignments (administration). */
  projects: ProjectService;
  users: UserService;
  roles: RoleService;
  organizations: OrganizationService;
  /** Huawei IAM's permanent access keys, and the key of each signed request. */
  accessKeys: AccessKeyService;
  images: ImageService;
  members: MemberService;
  jobs: JobService;
  batch: BatchMemberService;
  close(): Promise<void>;
}

/** The database timeouts of a configuration. */
export const storeOptions = (config: Config): StoreOptions =>
  ({ statementTimeoutMs: config.dbStatementTimeoutMs, connectTimeoutMs: config.dbConnectTimeoutMs });

export async function buildContainer(config: Readonly<Config>, options: { clock?: Clock; migrate?: boolean } = {})
  : Promise<Container> {
  const store = openStore(config.databaseUrl, storeOptions(config));
  try {
    if (options.migrate !== false) await migrateToLatest(store);
    const clock = options.clock ?? systemClock;
    const urls: Urls = { publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}`, region: config.region };
    const box = new SecretBox(loadMasterKey(config.masterKeyFile, config.masterKey));
    const caches = new CacheSpace(config.cacheMb * 1024 * 1024);
    const orgs = new OrgRepo(store);
    const repos: Repos = {
      identity: new IdentityRepo(store), images: new ImageRepo(store, caches), members: new MemberRepo(store, caches),
      grants: new KmsGrantRepo(store.db), jobs: new JobRepo(store), uploads: new UploadRepo(store), orgs,
      accessKeys: new AccessKeyRepo(store),
    };
    const revocations = new Revocations(new RevocationRepo(store), clock);
    const identity = new IdentityService(store, repos.identity, clock, caches, config.tokenTtl, () => urls, box,
      revocations, { attempts: config.lockoutFailureAttempts, durationMs: config.lockoutDurationSeconds * 1000 });
    await identity.init();
    const metrics = createMetrics({ store, caches, jobRepo: repos.jobs });
    const instanceId = `${hostname()}:${process.pid}:${hexId().slice(0, 8)}`.slice(0, 64);
    const images = new ImageService(store, clock, {
      dataDir: config.dataDir, uploadLeaseMs: config.jobLeaseSeconds * 1000, instanceId,
    }, repos);
    const members = new MemberService(store, clock, {
      member: config.memberQuota, wholeImage: config.wholeImageMemberQuota,
    }, repos);
    const jobs = new JobService(repos.jobs, clock, caches, config.maxQueuedPairs);
    const batch = new BatchMemberService(store, jobs, repos);
    const domains = new DomainService(repos.identity, clock);
    const projects = new ProjectService(repos.identity, revocations, clock, config.tokenTtl);
    const users = new UserService(repos.identity, revocations, clock, config.tokenTtl);
    const roles = new RoleService(repos.identity, revocations, config.tokenTtl);
    const organizations = new OrganizationService(store, repos.orgs, repos.identity, clock);
    const accessKeys = new AccessKeyService(repos.accessKeys, repos.identity, box, clock, caches);
    return {
      config, instanceId, store, caches, metrics, clock, urls, repos, identity, domains, projects, users, roles,
      organizations, accessKeys, images, members, jobs, batch,
      close: () => store.close(),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
