import { type Kysely, sql } from 'kysely';

/**
 * Image uploads in progress. An image enters `saving` in the same transaction that inserts its row here,
 * and leaves it in the one that deletes the row; the process streaming the data renews `lease_until`.
 * An image in `saving` whose upload has no live lease was cut off (its process died): a sweep puts it
 * back to `queued` and removes `temp_file` (under `<data-dir>/images`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('uploads')
    .addColumn('image_id', 'varchar(36)', (c) => c.primaryKey().references('images.id').onDelete('cascade'))
    .addColumn('owner', 'varchar(128)', (c) => c.notNull())
    .addColumn('temp_file', 'varchar(255)', (c) => c.notNull())
    .addColumn('lease_until', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // The sweep finds images in `saving` without reading the others.
  await db.schema.createIndex('images_saving_idx').on('images').column('id').where(sql.ref('status'), '=', 'saving').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('images_saving_idx').execute();
  await db.schema.dropTable('uploads').execute();
}
