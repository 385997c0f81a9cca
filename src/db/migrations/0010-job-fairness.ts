import { type Kysely, sql } from 'kysely';

/**
 * Fair jobs. `pairs`: the (image, project) pairs a job has to do, summed over a project's unfinished jobs
 * for its queued-work limit. `queued_at`: since when the job waits for a runner (its submission, or the end
 * of its last time slice); runners take the longest-waiting first. `slices`: how often it gave its runner
 * up for another project's job (not a crash: not counted against its attempts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('pairs', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('jobs').addColumn('queued_at', 'varchar(32)').execute();
  await db.schema.alterTable('jobs').addColumn('slices', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update jobs set queued_at = created_at`.execute(db);
  await db.schema.createIndex('jobs_queue_idx').on('jobs').columns(['status', 'queued_at']).execute();
  await db.schema.createIndex('jobs_project_idx').on('jobs').columns(['project_id', 'status']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_project_idx').execute();
  await db.schema.dropIndex('jobs_queue_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('slices').execute();
  await db.schema.alterTable('jobs').dropColumn('queued_at').execute();
  await db.schema.alterTable('jobs').dropColumn('pairs').execute();
}
