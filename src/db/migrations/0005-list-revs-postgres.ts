import { type Kysely, sql, SqliteAdapter } from 'kysely';

/**
 * `list_revs` on PostgreSQL (SQLite has had it since 0004): the version of what a project may list, scope ''
 * for everyone's, taken anew by every committed change a list of it could show.
 *
 * With row locks, version rows renewed by each change as it happens would deadlock: two transactions
 * renewing two projects' rows in opposite orders, or a row renewed while the other holds an image row.
 * So the triggers only note the scopes a statement changed (a transaction-local setting), and the
 * transaction renews them when it commits (a deferred trigger): after every other lock it takes, in scope
 * order, so a transaction holding a version row only waits for another version row further on.
 * Every noted scope gets its row (an upsert): a project listing for the first time while a change to its
 * list commits then either sees that change's row or waits for it, never a page older than its version.
 */
const REV = 'floor(random() * 9007199254740992)::bigint';
const CHANGED = "coalesce(current_setting('ims.list_scopes', true), '')";

const FUNCTIONS = {
  /** Adds scopes to the transaction's noted ones and makes sure it renews them when it commits. */
  list_revs_note: `(scopes text[]) returns void language plpgsql as $$
    begin
      if cardinality(scopes) = 0 then return; end if;
      perform set_config('ims.list_scopes', array(select distinct s from unnest(
        case when ${CHANGED} = '' then '{}'::text[] else ${CHANGED}::text[] end || scopes) s)::text, true);
      insert into list_commits values (txid_current()) on conflict do nothing;
    end $$`,
  /** At commit: a new rev for each noted scope, in scope order. */
  list_revs_commit: `() returns trigger language plpgsql as $$
    begin
      if ${CHANGED} <> '' then
        insert into list_revs (scope, rev) select s, ${REV} from unnest(${CHANGED}::text[]) s order by s
          on conflict (scope) do update set rev = excluded.rev;
      end if;
      perform set_config('ims.list_scopes', '', true);
      delete from list_commits where tx = new.tx;
      return null;
    end $$`,
  list_revs_members: `() returns trigger language plpgsql as $$
    begin
      perform list_revs_note(array(select distinct member_id from changed));
      return null;
    end $$`,
  /** An image's owner, and everyone's scope while it is public, community or ownerless. */
  list_revs_images: `() returns trigger language plpgsql as $$
    begin
      perform list_revs_note(array(select coalesce(owner, '') from changed union
        select '' from changed where visibility in ('public', 'community') or owner is null));
      return null;
    end $$`,
  /**
   * Updates made by writers, not the membership triggers' (which set only `rev`, 0003, and `member_count`,
   * 0006): old and new owner and visibility, and every member.
   */
  list_revs_images_update: `() returns trigger language plpgsql as $$
    begin
      perform list_revs_note(array(
        with touched as (
          select o.id, o.owner as old_owner, n.owner as new_owner, o.visibility as old_vis, n.visibility as new_vis
          from old_rows o join new_rows n on n.id = o.id where to_jsonb(o) - 'rev' - 'member_count'
            is distinct from to_jsonb(n) - 'rev' - 'member_count')
        select coalesce(old_owner, '') from touched union select coalesce(new_owner, '') from touched
        union select '' from touched where old_vis in ('public', 'community') or old_owner is null
          or new_vis in ('public', 'community') or new_owner is null
        union select m.member_id from image_members m where m.image_id in (select id from touched)));
      return null;
    end $$`,
};

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const run = (text: string) => sql.raw(text).execute(db);
  await run('create table list_revs (scope varchar(255) primary key, rev bigint not null)');
  // Rows of transactions still to commit: none is ever committed (the commit trigger deletes its own).
  await run('create unlogged table list_commits (tx bigint primary key)');
  for (const [name, body] of Object.entries(FUNCTIONS)) await run(`create function ${name}${body}`);
  await run(`create constraint trigger list_revs_commit after insert on list_commits deferrable initially deferred
    for each row execute function list_revs_commit()`);
  for (const [event, rows] of [['insert', 'new'], ['update', 'new'], ['delete', 'old']] as const) {
    await run(`create trigger image_members_lists_${event} after ${event} on image_members
      referencing ${rows} table as changed for each statement execute function list_revs_members()`);
  }
  for (const [event, rows] of [['insert', 'new'], ['delete', 'old']] as const) {
    await run(`create trigger images_lists_${event} after ${event} on images
      referencing ${rows} table as changed for each statement execute function list_revs_images()`);
  }
  await run(`create trigger images_lists_update after update on images referencing old table as old_rows
    new table as new_rows for each statement execute function list_revs_images_update()`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const run = (text: string) => sql.raw(text).execute(db);
  for (const e of ['insert', 'update', 'delete']) await run(`drop trigger image_members_lists_${e} on image_members`);
  for (const e of ['insert', 'update', 'delete']) await run(`drop trigger images_lists_${e} on images`);
  await run('drop table list_commits');
  for (const name of Object.keys(FUNCTIONS)) await run(`drop function ${name}`);
  await run('drop table list_revs');
}
