import type { Kysely } from 'kysely';

/**
 * Members of every kind IMS shares with: a project, an account (`domain`: a Keystone domain id) or a node of an
 * organization (`organization`: an `o-`, `r-` or `ou-` id, with its URN). A project reaches the shares of its
 * account and of every organization node above its account (repos/image-list-query.ts, ImageRepo.membership).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('image_members')
    .addColumn('member_type', 'varchar(16)', (c) => c.notNull().defaultTo('project')).execute();
  await db.schema.alterTable('image_members').addColumn('urn', 'varchar(255)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('image_members').dropColumn('urn').execute();
  await db.schema.alterTable('image_members').dropColumn('member_type').execute();
}
