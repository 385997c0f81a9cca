import { type Kysely, sql, SqliteAdapter } from 'kysely';

/**
 * `images.member_count`: how many memberships the image has, kept by the membership triggers of 0003 as
 * they renew `rev` (the same row update), so the member quota check reads it with the image's row lock
 * instead of counting the image's memberships on every add.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run('alter table images add column member_count integer not null default 0');
  await run('update images set member_count = (select count(*) from image_members m where m.image_id = images.id)');
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const [event, row, delta] of [['insert', 'new', '+ 1'], ['delete', 'old', '- 1']] as const) {
      await run(`drop trigger image_members_rev_${event}`);
      await run(`create trigger image_members_rev_${event} after ${event} on image_members for each row begin
        update images set rev = random() >> 11, member_count = member_count ${delta} where id = ${row}.image_id; end`);
    }
    return;
  }
  for (const [event, sign] of [['insert', '+'], ['delete', '-']] as const) {
    await run(`create function image_members_count_${event}() returns trigger language plpgsql as $$
      begin
        update images i set rev = floor(random() * 9007199254740992)::bigint, member_count = i.member_count ${sign} c.n
          from (select image_id, count(*)::integer as n from changed group by image_id) c where i.id = c.image_id;
        return null;
      end $$`);
    await run(`drop trigger image_members_rev_${event} on image_members`);
    await run(`create trigger image_members_rev_${event} after ${event} on image_members
      referencing ${event === 'insert' ? 'new' : 'old'} table as changed for each statement
      execute function image_members_count_${event}()`);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const [event, row] of [['insert', 'new'], ['delete', 'old']] as const) {
      await run(`drop trigger image_members_rev_${event}`);
      await run(`create trigger image_members_rev_${event} after ${event} on image_members for each row
        begin update images set rev = random() >> 11 where id = ${row}.image_id; end`);
    }
  } else {
    for (const [event, rows] of [['insert', 'new'], ['delete', 'old']] as const) {
      await run(`drop trigger image_members_rev_${event} on image_members`);
      await run(`create trigger image_members_rev_${event} after ${event} on image_members
        referencing ${rows} table as changed for each statement execute function image_members_touch_images()`);
      await run(`drop function image_members_count_${event}()`);
    }
  }
  await run('alter table images drop column member_count');
}
