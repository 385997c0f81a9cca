import type { Kysely } from 'kysely';

/**
 * Keystone's account lockout (`[security_compliance] lockout_failure_attempts`): failed password checks
 * in a row, and when the last one was; a success resets them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('failed_auth_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('failed_auth_at', 'varchar(32)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('failed_auth_at').execute();
  await db.schema.alterTable('users').dropColumn('failed_auth_count').execute();
}
