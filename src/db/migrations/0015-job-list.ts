import { type Kysely, sql } from 'kysely';

/**
 * ListJobs (`GET /v1/{project_id}/jobs`): a project's jobs newest first, a page at a time, read from
 * `jobs_project_begin_idx` (project, submission time, id) backwards. Each job of a page shows how many of its
 * results failed: `job_results_failed_idx` holds only those, so the count reads the failures alone, not every
 * result of a large job.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('jobs_project_begin_idx').on('jobs').columns(['project_id', 'begin_time', 'id']).execute();
  await db.schema.createIndex('job_results_failed_idx').on('job_results').columns(['job_id', 'status'])
    .where(sql.ref('status'), '<>', 'success').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('job_results_failed_idx').execute();
  await db.schema.dropIndex('jobs_project_begin_idx').execute();
}
