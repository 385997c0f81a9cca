import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Database } from '../../src/db/schema.js';
import type { TestApp } from './app.js';

/** Every table of the store: `satisfies` fails to compile when a table is added to `Database` and not here. */
const TABLES = {
  projects: true, users: true, role_assignments: true, access_keys: true, settings: true, images: true,
  image_members: true, kms_grants: true, jobs: true, job_results: true, list_revs: true, uploads: true, domains: true,
  organizations: true, org_units: true, org_accounts: true, revocation_events: true,
} as const satisfies Record<keyof Database, true>;

/**
 * A sha256 of everything the service keeps: every row of every table (columns by name, rows sorted, so the
 * order the engine returns them in does not matter) and the names of the files under the data directory.
 * Two digests are equal exactly when no request in between changed anything, but for when an access key was
 * last used (`access_keys.last_used_at`), which a signed read that succeeds writes: a log, not state.
 */
export async function stateDigest(t: TestApp): Promise<string> {
  const hash = createHash('sha256');
  for (const table of Object.keys(TABLES).sort() as (keyof Database)[]) {
    const rows = (await t.container.store.db.selectFrom(table).selectAll().execute())
      .map((row) => ('last_used_at' in row ? { ...row, last_used_at: undefined } : row));
    const lines = rows.map((row) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)))).sort();
    hash.update(JSON.stringify([table, lines]));
  }
  const files = fs.readdirSync(t.container.config.dataDir, { recursive: true }).map(String).sort();
  hash.update(JSON.stringify(['files', files]));
  return hash.digest('hex');
}
