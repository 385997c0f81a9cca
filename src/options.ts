/**
 * Every option of the `ims` commands, defined once: its flag, its IMS_* variable, its default and its help. The
 * commands' flags (src/bin/flags.ts), loadConfig's variables and defaults (src/config.ts) and the table in
 * docs/operations.md (`npm run docs`) are all made from this list.
 */

/**
 * The commands an option applies to: `database` every command that opens the database, `process` the long-running
 * ones (`ims serve`, `ims worker`), `serve` only `ims serve`.
 */
export type Scope = 'database' | 'process' | 'serve';

export interface OptionSpec {
  /** Its name in the parsed flags (commander's attribute name of `flags`). */
  key: string;
  /** As commander reads it: `--port <port>`, or `--no-jobs` for a switch. */
  flags: string;
  env: string;
  /** A fixed default; see defaultText when it is derived from another option. */
  default?: string;
  /** How a derived default is shown in help and docs. */
  defaultText?: string;
  help: string;
  choices?: readonly string[];
  scope: Scope;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'dataDir', flags: '--data-dir <dir>', env: 'IMS_DATA_DIR', default: './data', scope: 'database',
    help: 'SQLite file, image data, generated credentials' },
  { key: 'databaseUrl', flags: '--database-url <url>', env: 'IMS_DATABASE_URL', defaultText: 'sqlite:<data-dir>/ims.db',
    scope: 'database', help: 'sqlite:<file>, sqlite::memory: or postgres://user:password@host:port/db' },
  { key: 'masterKeyFile', flags: '--master-key-file <file>', env: 'IMS_MASTER_KEY_FILE',
    defaultText: '<data-dir>/master.key', scope: 'database',
    help: 'key sealing stored secrets, created 0600 if missing (IMS_MASTER_KEY, base64 of 32 bytes, wins)' },
  { key: 'dbStatementTimeout', flags: '--db-statement-timeout <seconds>', env: 'IMS_DB_STATEMENT_TIMEOUT', default: '10',
    scope: 'database', help: 'longest database statement or SQLite write-lock wait; then 503' },
  { key: 'dbConnectTimeout', flags: '--db-connect-timeout <seconds>', env: 'IMS_DB_CONNECT_TIMEOUT', default: '5',
    scope: 'database', help: 'longest wait for a PostgreSQL connection; then 503' },
  { key: 'logLevel', flags: '--log-level <level>', env: 'IMS_LOG_LEVEL', default: 'info', choices: LOG_LEVELS,
    scope: 'process', help: 'least severe level logged' },
  { key: 'logFormat', flags: '--log-format <format>', env: 'IMS_LOG_FORMAT', default: 'json', choices: LOG_FORMATS,
    scope: 'process', help: 'json: one JSON line per event (pino); pretty: coloured lines for people' },
  { key: 'jobLease', flags: '--job-lease <seconds>', env: 'IMS_JOB_LEASE', default: '30', scope: 'process',
    help: 'lease after which the work of a dead process (a RUNNING job, an upload) is taken over' },
  { key: 'jobRetention', flags: '--job-retention <seconds>', env: 'IMS_JOB_RETENTION', default: '86400',
    scope: 'process', help: 'how long finished jobs are kept' },
  { key: 'memberQuota', flags: '--member-quota <n>', env: 'IMS_MEMBER_QUOTA', default: '256', scope: 'process',
    help: 'members per image (the IMS limit; Glance\'s is 128); negative: unlimited' },
  { key: 'wholeImageMemberQuota', flags: '--whole-image-member-quota <n>', env: 'IMS_WHOLE_IMAGE_MEMBER_QUOTA',
    default: '10', scope: 'process', help: 'members per full-ECS image (__whole_image=true)' },
  { key: 'cacheMb', flags: '--cache-mb <mb>', env: 'IMS_CACHE_MB', default: '64', scope: 'process',
    help: 'memory all caches share (images, pages, members, jobs, tokens, key lookups, bodies); 0: none' },
  { key: 'host', flags: '--host <host>', env: 'IMS_HOST', default: '127.0.0.1', scope: 'serve',
    help: 'address to listen on' },
  { key: 'port', flags: '--port <port>', env: 'IMS_PORT', default: '9292', scope: 'serve',
    help: 'port to listen on; 0 picks a free one (logged)' },
  { key: 'publicUrl', flags: '--public-url <url>', env: 'IMS_PUBLIC_URL', defaultText: 'http://<host>:<port>',
    scope: 'serve', help: 'URL clients use to reach this service: token catalog, version documents, Location and next links' },
  { key: 'region', flags: '--region <name>', env: 'IMS_REGION', default: 'RegionOne', scope: 'serve',
    help: 'region in the token catalog' },
  { key: 'bootstrap', flags: '--bootstrap <file>', env: 'IMS_BOOTSTRAP_FILE', scope: 'serve',
    help: 'identity bootstrap file applied at start, idempotently' },
  { key: 'jobs', flags: '--no-jobs', env: 'IMS_NO_JOBS', defaultText: 'jobs run', scope: 'serve',
    help: 'run no job runner in this process (run `ims worker` instead); the variable: set to any value' },
  { key: 'tokenTtl', flags: '--token-ttl <seconds>', env: 'IMS_TOKEN_TTL', default: '86400', scope: 'serve',
    help: 'token lifetime' },
  { key: 'requestTimeout', flags: '--request-timeout <seconds>', env: 'IMS_REQUEST_TIMEOUT', default: '30',
    scope: 'serve', help: 'time to send request headers and an API body, longest pause in an upload; then 408' },
  { key: 'lockoutFailureAttempts', flags: '--lockout-failure-attempts <n>', env: 'IMS_LOCKOUT_FAILURE_ATTEMPTS',
    default: '0', scope: 'serve', help: 'failed logins in a row that lock an account; 0: never' },
  { key: 'lockoutDuration', flags: '--lockout-duration <seconds>', env: 'IMS_LOCKOUT_DURATION', default: '1800',
    scope: 'serve', help: 'how long a locked account stays locked' },
  { key: 'loginFailuresPerMinute', flags: '--login-failures-per-minute <n>', env: 'IMS_LOGIN_FAILURES_PER_MINUTE',
    default: '10', scope: 'serve', help: 'failed logins per source address per minute before 429; 0: no limit' },
  { key: 'rateLimitPerSource', flags: '--rate-limit-per-source <n>', env: 'IMS_RATE_LIMIT_PER_SOURCE', default: '0',
    scope: 'serve', help: 'requests a minute from one address; 0: no limit' },
  { key: 'rateLimitPerProject', flags: '--rate-limit-per-project <n>', env: 'IMS_RATE_LIMIT_PER_PROJECT', default: '0',
    scope: 'serve', help: 'requests a minute for one project; 0: no limit' },
  { key: 'maxQueuedPairs', flags: '--max-queued-pairs <n>', env: 'IMS_MAX_QUEUED_PAIRS', default: '2000000',
    scope: 'serve', help: 'pairs a project\'s unfinished batch jobs may hold; 0: no limit' },
];

/** Variables with no flag (a flag would show in `ps`). */
export const ENV_ONLY = [
  { env: 'IMS_MASTER_KEY', help: 'the master key itself, base64 of 32 bytes; wins over --master-key-file' },
] as const;

/** The option of a key; a typo in src/config.ts fails at once. */
export function optionOf(key: string): OptionSpec {
  const spec = OPTIONS.find((o) => o.key === key);
  if (!spec) throw new Error(`no option ${key}`);
  return spec;
}
