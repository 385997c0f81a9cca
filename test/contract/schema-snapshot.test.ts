import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/db/database.js';
import { databaseKinds, openTestStore } from '../helpers/databases.js';

/**
 * The triggers (with their PostgreSQL functions) and indexes of a freshly migrated database, on each engine,
 * against test/fixtures/schema/<engine>.sql: the caches rest on what the triggers do (src/db/README.md), so
 * any change to them shows here. When a new migration changes them on purpose, rewrite the snapshots with
 *   IMS_UPDATE_SNAPSHOTS=1 (and IMS_TEST_POSTGRES_URL for postgres.sql) node --test dist/test/contract/schema-snapshot.test.js
 * and review their diff in the same commit. postgres.sql is as the PostgreSQL of the test server prints it.
 */
const SNAPSHOTS = new URL('../../../test/fixtures/schema/', import.meta.url);

/** One object of the snapshot: a header line, then its SQL (without trailing blanks on its lines). */
const entry = (kind: string, name: string, table: string | undefined, text: string) =>
  `-- ${kind} ${name}${table === undefined ? '' : ` on ${table}`}\n${text.trim().replace(/[ \t]+$/gm, '')};\n`;

async function sqliteSchema(store: Store): Promise<string> {
  const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string }>`select type, name, tbl_name, sql
    from sqlite_master where type in ('trigger', 'index') and sql is not null order by type desc, name`.execute(store.db);
  return rows.map((r) => entry(r.type, r.name, r.tbl_name, r.sql)).join('\n');
}

async function postgresSchema(store: Store): Promise<string> {
  const schema = store.schema!;
  const triggers = await sql<{ name: string; table: string; def: string }>`select t.tgname as name, c.relname as table,
    pg_get_triggerdef(t.oid) as def from pg_trigger t join pg_class c on c.oid = t.tgrelid
    where c.relnamespace = ${schema}::regnamespace and not t.tgisinternal order by t.tgname`.execute(store.db);
  const functions = await sql<{ name: string; def: string }>`select p.proname as name, pg_get_functiondef(p.oid) as def
    from pg_proc p where p.pronamespace = ${schema}::regnamespace order by p.proname`.execute(store.db);
  const indexes = await sql<{ name: string; table: string; def: string }>`select indexname as name, tablename as table,
    indexdef as def from pg_indexes where schemaname = ${schema} order by indexname`.execute(store.db);
  const text = [
    ...triggers.rows.map((r) => entry('trigger', r.name, r.table, r.def)),
    ...functions.rows.map((r) => entry('function', r.name, undefined, r.def)),
    ...indexes.rows.map((r) => entry('index', r.name, r.table, r.def)),
  ].join('\n');
  // Each test runs in a schema of its own: names print without it.
  return text.replaceAll(`${schema}.`, '');
}

describe('schema snapshot: triggers and indexes of a migrated database', () => {
  for (const kind of databaseKinds()) {
    it(`${kind.name} matches test/fixtures/schema/${kind.name}.sql`, async (t) => {
      const store = await openTestStore(t, kind);
      const actual = kind.name === 'sqlite' ? await sqliteSchema(store) : await postgresSchema(store);
      const file = new URL(`${kind.name}.sql`, SNAPSHOTS);
      if (process.env.IMS_UPDATE_SNAPSHOTS === '1') fs.writeFileSync(file, actual);
      assert.equal(actual, fs.readFileSync(file, 'utf8'), `the ${kind.name} schema differs from its snapshot: if a new `
        + 'migration changed it on purpose, rewrite the snapshot with IMS_UPDATE_SNAPSHOTS=1 and review the diff');
    });
  }
});
