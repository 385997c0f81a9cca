import { type Kysely, sql, SqliteAdapter } from 'kysely';

/**
 * Keystone administration at run time. Projects get a description and `enabled`; users `enabled`, a description
 * and an email, and a default project that may be absent (Keystone's is optional) and is cleared when that
 * project is deleted (`on delete set null`). `revocation_events` are Keystone's token revocation events: a token
 * is refused when an event matches its audit id, user and project (each null: any) and it was issued at or before
 * `issued_before`; an event can go once `expires_at` (the last matching token's expiry) has passed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('projects').addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  if (db.getExecutor().adapter instanceof SqliteAdapter) await rebuildSqliteUsers(db);
  else await alterPostgresUsers(db);

  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema.createTable('revocation_events')
    .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('audit_id', 'varchar(64)')
    .addColumn('user_id', 'varchar(64)')
    .addColumn('project_id', 'varchar(64)')
    .addColumn('issued_before', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

async function alterPostgresUsers(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users alter column default_project_id drop not null`.execute(db);
  await sql`alter table users drop constraint users_default_project_id_fkey`.execute(db);
  await sql`alter table users add constraint users_default_project_id_fkey foreign key (default_project_id)
    references projects (id) on delete set null`.execute(db);
  await db.schema.alterTable('users').addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('users').addColumn('description', 'text').execute();
  await db.schema.alterTable('users').addColumn('email', 'varchar(255)').execute();
}

/**
 * SQLite cannot change a column's constraints: the table is made anew, in one transaction. Dropping the old one
 * deletes (foreign key cascade) the role assignments and access keys of its users: they are kept aside and put
 * back, checked against the new table at commit.
 */
async function rebuildSqliteUsers(db: Kysely<unknown>): Promise<void> {
  const columns = 'id, name, domain_id, password_hash, default_project_id, created_at, failed_auth_count, failed_auth_at';
  await db.transaction().execute(async (trx) => {
    const run = (text: string) => sql.raw(text).execute(trx);
    await run('pragma defer_foreign_keys = on');
    await run(`create table users_new (
      id varchar(64) primary key, name varchar(255) not null, domain_id varchar(64) not null,
      password_hash text not null, default_project_id varchar(64) references projects (id) on delete set null,
      created_at varchar(32) not null, failed_auth_count integer not null default 0, failed_auth_at varchar(32),
      enabled integer not null default 1, description text, email varchar(255),
      constraint users_domain_name_key unique (domain_id, name))`);
    await run(`insert into users_new (${columns}) select ${columns} from users`);
    await run('create temp table kept_roles as select * from role_assignments');
    await run('create temp table kept_keys as select * from access_keys');
    await run('drop table users');
    await run('alter table users_new rename to users');
    await run('insert into role_assignments select * from kept_roles');
    await run('insert into access_keys select * from kept_keys');
    await run('drop table kept_roles');
    await run('drop table kept_keys');
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('revocation_events').execute();
}
