import path from 'node:path';
import { LOG_FORMATS, LOG_LEVELS, optionOf } from './options.js';

/** Validated, frozen process configuration. Built once in the entry point; no module reads process.env. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  dataDir: string;
  publicUrl: string | undefined;
  region: string;
  bootstrapFile: string | undefined;
  memberQuota: number;
  wholeImageMemberQuota: number;
  tokenTtl: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  jobs: boolean;
  jobRetentionSeconds: number;
  jobLeaseSeconds: number;
  /** A statement (or, on SQLite, the wait for the write lock) that takes longer fails: 503 to the caller. */
  dbStatementTimeoutMs: number;
  /** Getting a PostgreSQL connection (from the pool, or a new one) that takes longer fails: 503 to the caller. */
  dbConnectTimeoutMs: number;
  /** Request headers, and an API body, must arrive within this; an image upload may pause this long. */
  requestTimeoutMs: number;
  /** The key that seals stored secrets; created (0600) if missing. */
  masterKeyFile: string;
  /** The master key itself (base64), from IMS_MASTER_KEY only (never a flag: flags show in `ps`); wins over the file. */
  masterKey: string | undefined;
  /** Keystone's lockout_failure_attempts: failed password checks in a row that lock an account; 0: never. */
  lockoutFailureAttempts: number;
  lockoutDurationSeconds: number;
  /** Failed logins a source address may make per minute before it gets 429; 0: no limit. */
  loginFailuresPerMinute: number;
  /** Memory all caches share (images, member lists, pages, jobs, rendered bodies), MB; 0: no caching. */
  cacheMb: number;
  /** (image, project) pairs a project's unfinished batch jobs may hold; 0: no limit. */
  maxQueuedPairs: number;
  /** Requests a minute from one source address; 0: no limit. */
  rateLimitPerSource: number;
  /** Requests a minute for one project (Glance and IMS APIs); 0: no limit. */
  rateLimitPerProject: number;
}

export interface ConfigFlags {
  host?: string;
  port?: string;
  databaseUrl?: string;
  dataDir?: string;
  publicUrl?: string;
  region?: string;
  bootstrap?: string;
  memberQuota?: string;
  wholeImageMemberQuota?: string;
  tokenTtl?: string;
  logLevel?: string;
  logFormat?: string;
  jobs?: boolean;
  jobRetention?: string;
  jobLease?: string;
  dbStatementTimeout?: string;
  dbConnectTimeout?: string;
  requestTimeout?: string;
  masterKeyFile?: string;
  lockoutFailureAttempts?: string;
  lockoutDuration?: string;
  loginFailuresPerMinute?: string;
  cacheMb?: string;
  maxQueuedPairs?: string;
  rateLimitPerSource?: string;
  rateLimitPerProject?: string;
}

export class ConfigError extends Error {}

function integer(name: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A duration in seconds (fractions allowed), as milliseconds. */
function seconds(name: string, raw: string, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new ConfigError(`${name} must be a number of seconds, got "${raw}"`);
  const n = Number(raw);
  if (n < 0.01 || n > max) throw new ConfigError(`${name} must be between 0.01 and ${max} seconds, got ${n}`);
  return Math.round(n * 1000);
}

type Valued = Exclude<keyof ConfigFlags, 'jobs'>;

/**
 * Flags win over environment variables, which win over defaults (src/options.ts). The `ims` commands pass the flags
 * commander has resolved (flag, variable, default) and only the variables that have no flag (ENV_ONLY).
 */
export function loadConfig(env: Record<string, string | undefined>, flags: ConfigFlags = {}): Readonly<Config> {
  const pick = (key: Valued): string | undefined => {
    const spec = optionOf(key);
    const flag = flags[key];
    if (flag !== undefined) return flag;
    const fromEnv = env[spec.env];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default;
  };
  const dataDir = path.resolve(pick('dataDir')!);
  const databaseUrl = pick('databaseUrl') ?? `sqlite:${path.join(dataDir, 'ims.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`--database-url must start with sqlite: or postgres://, got "${databaseUrl}"`);
  }
  const logLevel = pick('logLevel')!;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const logFormat = pick('logFormat')!;
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  }
  const publicUrl = pick('publicUrl');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new ConfigError(`--public-url must be an http(s) URL, got "${publicUrl}"`);
  }
  return Object.freeze({
    host: pick('host')!,
    port: integer('--port', pick('port')!, 0, 65535),
    databaseUrl,
    dataDir,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    region: pick('region')!,
    bootstrapFile: pick('bootstrap'),
    memberQuota: integer('--member-quota', pick('memberQuota')!, Number.MIN_SAFE_INTEGER),
    wholeImageMemberQuota: integer('--whole-image-member-quota', pick('wholeImageMemberQuota')!, Number.MIN_SAFE_INTEGER),
    tokenTtl: integer('--token-ttl', pick('tokenTtl')!, 1),
    logLevel,
    logFormat,
    jobs: flags.jobs !== false && !(optionOf('jobs').env in env),
    jobRetentionSeconds: integer('--job-retention', pick('jobRetention')!, 60),
    jobLeaseSeconds: integer('--job-lease', pick('jobLease')!, 1),
    dbStatementTimeoutMs: seconds('--db-statement-timeout', pick('dbStatementTimeout')!, 3600),
    dbConnectTimeoutMs: seconds('--db-connect-timeout', pick('dbConnectTimeout')!, 3600),
    requestTimeoutMs: seconds('--request-timeout', pick('requestTimeout')!, 3600),
    masterKeyFile: path.resolve(pick('masterKeyFile') ?? path.join(dataDir, 'master.key')),
    masterKey: env.IMS_MASTER_KEY || undefined,
    lockoutFailureAttempts: integer('--lockout-failure-attempts', pick('lockoutFailureAttempts')!, 0),
    lockoutDurationSeconds: integer('--lockout-duration', pick('lockoutDuration')!, 1),
    loginFailuresPerMinute: integer('--login-failures-per-minute', pick('loginFailuresPerMinute')!, 0),
    cacheMb: integer('--cache-mb', pick('cacheMb')!, 0, 1_000_000),
    maxQueuedPairs: integer('--max-queued-pairs', pick('maxQueuedPairs')!, 0),
    rateLimitPerSource: integer('--rate-limit-per-source', pick('rateLimitPerSource')!, 0),
    rateLimitPerProject: integer('--rate-limit-per-project', pick('rateLimitPerProject')!, 0),
  });
}

/** The URL clients use to reach us: --public-url, else derived from the bound address. */
export function publicUrlFor(config: Config, boundPort: number): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}
