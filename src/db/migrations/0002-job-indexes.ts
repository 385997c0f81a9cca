import type { Kysely } from 'kysely';

/**
 * Job queue indexes. Purging finished jobs (`end_time < cutoff`, every minute) reads `jobs_end_time_idx`
 * instead of scanning the table; claiming already has `jobs_status_created_idx` (status, created_at).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('jobs_end_time_idx').on('jobs').column('end_time').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_end_time_idx').execute();
}
