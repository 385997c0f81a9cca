import type { Kysely } from 'kysely';

/**
 * Jobs retried after a transient fault (the database was down, busy or timed out): `retries` counts those
 * attempts, `last_error` says what failed. A job waiting for its retry is RUNNING with no owner
 * (`locked_by` null) and `locked_until` its next run time, so any runner claims it from then on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('jobs').addColumn('last_error', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('last_error').execute();
  await db.schema.alterTable('jobs').dropColumn('retries').execute();
}
