import { type Kysely, sql } from 'kysely';

/**
 * Accounts and organizations. An account is a Keystone domain (`domains`; projects and users already carry
 * `domain_id`, and `default` is the domain every earlier row lives in). An organization has one management
 * account and a tree of units: its root (`parent_id` null) and OUs below it. Each account belongs to at most
 * one organization (`org_accounts` is keyed by the account) and sits under one of its units.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('domains')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  const defaultDomain = { id: 'default', name: 'Default', description: 'The default domain', enabled: 1,
    created_at: new Date().toISOString() };
  await db.insertInto('domains' as never).values(defaultDomain as never).execute();

  await db.schema.createTable('organizations')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('management_domain_id', 'varchar(64)', (c) => c.notNull().unique().references('domains.id'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('org_units')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(36)', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    // Null for the root; an OU's parent is the root or another OU of the same organization.
    .addColumn('parent_id', 'varchar(36)', (c) => c.references('org_units.id'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // Children of a unit (listing, "is it empty"); two OUs of one parent never share a name.
  await db.schema.createIndex('org_units_parent_name_key').on('org_units').columns(['parent_id', 'name']).unique()
    .execute();
  // An organization's units (its OU listing, and what deleting it takes away).
  await db.schema.createIndex('org_units_org_idx').on('org_units').columns(['org_id', 'id']).execute();
  // The one root of an organization.
  await db.schema.createIndex('org_units_root_key').on('org_units').column('org_id').unique()
    .where(sql.ref('parent_id'), 'is', null).execute();

  await db.schema.createTable('org_accounts')
    .addColumn('domain_id', 'varchar(64)', (c) => c.primaryKey().references('domains.id').onDelete('cascade'))
    .addColumn('org_id', 'varchar(36)', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('parent_id', 'varchar(36)', (c) => c.notNull().references('org_units.id'))
    .addColumn('join_method', 'varchar(16)', (c) => c.notNull())
    .addColumn('joined_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('org_accounts_parent_idx').on('org_accounts').columns(['parent_id', 'domain_id'])
    .execute();
  await db.schema.createIndex('org_accounts_org_idx').on('org_accounts').columns(['org_id', 'domain_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['org_accounts', 'org_units', 'organizations', 'domains']) await db.schema.dropTable(t).execute();
}
