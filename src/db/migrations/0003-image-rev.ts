import { type Kysely, sql, SqliteAdapter } from 'kysely';

/**
 * `images.rev`: a version of the image row and of its memberships, taken anew (random, 53 bits) by every
 * change to either. Readers keep what they built from an image (its body, its member list) under the
 * (id, rev) they read and reuse it while the row still shows that rev. Triggers keep it true for every
 * writer, this process or another, whatever statement it runs; a random value (not a counter) means a
 * deleted image re-created under the same id never shows an old rev again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) await sqliteUp(db);
  else await postgresUp(db);
}

async function sqliteUp(db: Kysely<unknown>): Promise<void> {
  const rev = 'random() >> 11';
  await sql.raw('alter table images add column rev integer not null default 0').execute(db);
  await sql.raw(`update images set rev = ${rev}`).execute(db);
  const touch = (table: string, event: string, id: string, when = '') => sql.raw(
    `create trigger ${table}_rev_${event.toLowerCase()} after ${event} on ${table} for each row ${when}
     begin update images set rev = ${rev} where id = ${id}; end`).execute(db);
  await touch('images', 'INSERT', 'new.id');
  // An update that sets rev itself (the triggers below) is left alone, so this one never fires twice.
  await touch('images', 'UPDATE', 'new.id', 'when new.rev = old.rev');
  await touch('image_members', 'INSERT', 'new.image_id');
  await touch('image_members', 'UPDATE', 'new.image_id');
  await touch('image_members', 'DELETE', 'old.image_id');
}

async function postgresUp(db: Kysely<unknown>): Promise<void> {
  const rev = 'floor(random() * 9007199254740992)::bigint';
  await sql.raw(`alter table images add column rev bigint not null default ${rev}`).execute(db);
  await sql.raw(`create function images_new_rev() returns trigger language plpgsql as $$
    begin
      if new.rev = old.rev then new.rev := ${rev}; end if;
      return new;
    end $$`).execute(db);
  await sql.raw(`create trigger images_rev_update before update on images for each row
    execute function images_new_rev()`).execute(db);
  // One UPDATE of the touched images per statement (a batch job inserts hundreds of memberships at once).
  await sql.raw(`create function image_members_touch_images() returns trigger language plpgsql as $$
    begin
      update images set rev = ${rev} where id in (select distinct image_id from changed);
      return null;
    end $$`).execute(db);
  for (const [event, table] of [['insert', 'new'], ['update', 'new'], ['delete', 'old']] as const) {
    await sql.raw(`create trigger image_members_rev_${event} after ${event} on image_members
      referencing ${table} table as changed for each statement execute function image_members_touch_images()`)
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const t of ['images_rev_insert', 'images_rev_update', 'image_members_rev_insert', 'image_members_rev_update',
      'image_members_rev_delete']) await sql.raw(`drop trigger ${t}`).execute(db);
  } else {
    for (const e of ['insert', 'update', 'delete']) {
      await sql.raw(`drop trigger image_members_rev_${e} on image_members`).execute(db);
    }
    await sql.raw('drop trigger images_rev_update on images').execute(db);
    await sql.raw('drop function image_members_touch_images()').execute(db);
    await sql.raw('drop function images_new_rev()').execute(db);
  }
  await sql.raw('alter table images drop column rev').execute(db);
}
