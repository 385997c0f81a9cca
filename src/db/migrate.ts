import { DEFAULT_MIGRATION_TABLE, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Store } from './database.js';
import * as initial from './migrations/0001-initial.js';
import * as jobIndexes from './migrations/0002-job-indexes.js';
import * as imageRev from './migrations/0003-image-rev.js';
import * as listRevs from './migrations/0004-list-revs.js';
import * as listRevsPostgres from './migrations/0005-list-revs-postgres.js';
import * as memberCount from './migrations/0006-image-member-count.js';
import * as jobRetries from './migrations/0007-job-retries.js';
import * as uploads from './migrations/0008-uploads.js';
import * as userLockout from './migrations/0009-user-lockout.js';
import * as jobFairness from './migrations/0010-job-fairness.js';
import * as accountsOrganizations from './migrations/0011-accounts-organizations.js';
import * as memberTypes from './migrations/0012-member-types.js';
import * as identityAdmin from './migrations/0013-identity-admin.js';
import * as accessKeyStatus from './migrations/0014-access-key-status.js';
import * as jobList from './migrations/0015-job-list.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-job-indexes': jobIndexes,
  '0003-image-rev': imageRev,
  '0004-list-revs': listRevs,
  '0005-list-revs-postgres': listRevsPostgres,
  '0006-image-member-count': memberCount,
  '0007-job-retries': jobRetries,
  '0008-uploads': uploads,
  '0009-user-lockout': userLockout,
  '0010-job-fairness': jobFairness,
  '0011-accounts-organizations': accountsOrganizations,
  '0012-member-types': memberTypes,
  '0013-identity-admin': identityAdmin,
  '0014-access-key-status': accessKeyStatus,
  '0015-job-list': jobList,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Applies every pending migration; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(store: Store): Promise<string[]> {
  // Kysely looks its own tables up across every schema; pin them to ours when the URL names one.
  const migrator = new Migrator({ db: store.db, provider, ...(store.schema ? { migrationTableSchema: store.schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's look-up of its tables reads every schema's: one dropped meanwhile fails it (3F000), harmlessly.
    if (attempt < 3 && otherSchemaDropped(error, store.schema)) continue;
    throw error instanceof Error ? error : new Error(String(error));
  }
}

function otherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '3F000' && typeof message === 'string' && (ours === undefined || !message.includes(`"${ours}"`));
}

/** Migrations this version knows that the database has not applied (all of them on an empty database). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const table = store.schema ? sql.table(`${store.schema}.${DEFAULT_MIGRATION_TABLE}`) : sql.table(DEFAULT_MIGRATION_TABLE);
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(store.db);
    applied = new Set(rows.map((r) => r.name));
  } catch (err) {
    if (!/no such table|does not exist/.test((err as Error).message)) throw err;
    applied = new Set();
  }
  return Object.keys(MIGRATIONS).filter((name) => !applied.has(name));
}
