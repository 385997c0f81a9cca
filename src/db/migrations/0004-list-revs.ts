import { type Kysely, sql, SqliteAdapter } from 'kysely';

/**
 * `list_revs` (SQLite): a version of what each project may list, taken anew (random) whenever a row
 * that could appear in one of its image lists changes: its memberships, its own images, images it is a
 * member of. Scope '' stands for what every project may list (public, community and ownerless images).
 * A list page is kept under the revs of the viewer's scope and of '' and reused while both hold.
 * A scope has a row once someone listed with it (ImageRepo adds it before keeping a page): the triggers
 * only renew existing rows, so projects that never list (most members) cost no write.
 *
 * PostgreSQL gets its own in 0005: with row locks, rows renewed as changes happen could deadlock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql.raw('create table list_revs (scope varchar(255) primary key, rev integer not null) without rowid')
    .execute(db);
  const touch = (scopes: string) => `update list_revs set rev = random() >> 11 where scope in (${scopes});`;
  const one = (scope: string) => touch(scope);
  const everyone = (row: 'new' | 'old') =>
    touch(`select '' where ${row}.visibility in ('public', 'community') or ${row}.owner is null`);
  const members = (id: string) => touch(`select member_id from image_members where image_id = ${id}`);
  const trigger = (name: string, event: string, table: string, body: string[], when = '') => sql.raw(
    `create trigger ${name} after ${event} on ${table} for each row ${when} begin ${body.join(' ')} end`).execute(db);

  await trigger('image_members_lists_insert', 'insert', 'image_members', [one('new.member_id')]);
  await trigger('image_members_lists_update', 'update', 'image_members', [one('new.member_id')]);
  await trigger('image_members_lists_delete', 'delete', 'image_members', [one('old.member_id')]);
  await trigger('images_lists_insert', 'insert', 'images', [one("coalesce(new.owner, '')"), everyone('new')]);
  // Only updates made by writers: the rev triggers' own updates change nothing a list shows.
  await trigger('images_lists_update', 'update', 'images', [one("coalesce(old.owner, '')"),
    one("coalesce(new.owner, '')"), everyone('old'), everyone('new'), members('new.id')], 'when new.rev = old.rev');
  // Its memberships go by cascade, and their own trigger touches each member.
  await trigger('images_lists_delete', 'delete', 'images', [one("coalesce(old.owner, '')"), everyone('old')]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const t of ['image_members_lists_insert', 'image_members_lists_update', 'image_members_lists_delete',
    'images_lists_insert', 'images_lists_update', 'images_lists_delete']) await sql.raw(`drop trigger ${t}`).execute(db);
  await sql.raw('drop table list_revs').execute(db);
}
