import type { Kysely } from 'kysely';

/**
 * Huawei IAM's permanent access keys (`/v3.0/OS-CREDENTIAL/credentials`): a key is `active` or `inactive` (an
 * inactive key authenticates nothing), has a description, and the time it last authenticated a request. A user's
 * keys are listed and counted by user.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('access_keys')
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('active')).execute();
  await db.schema.alterTable('access_keys')
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('access_keys').addColumn('last_used_at', 'varchar(32)').execute();
  await db.schema.createIndex('access_keys_user_idx').on('access_keys').columns(['user_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('access_keys_user_idx').execute();
  await db.schema.alterTable('access_keys').dropColumn('last_used_at').execute();
  await db.schema.alterTable('access_keys').dropColumn('description').execute();
  await db.schema.alterTable('access_keys').dropColumn('status').execute();
}
