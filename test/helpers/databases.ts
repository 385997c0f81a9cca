import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { openStore, type Store } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** A database a test can use, and how to throw it away. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase>;
}

/** An in-memory SQLite database (a server given a data dir keeps its SQLite file there instead). */
export const SQLITE: DatabaseKind = { name: 'sqlite', create: async () => ({ url: 'sqlite::memory:', drop: async () => {} }) };

/**
 * The engines every contract and HTTP suite loops over: SQLite always; PostgreSQL when
 * IMS_TEST_POSTGRES_URL names a server. `npm run test:full` sets it and fails if it cannot connect.
 */
export function databaseKinds(): DatabaseKind[] {
  const kinds: DatabaseKind[] = [SQLITE];
  const pgUrl = process.env.IMS_TEST_POSTGRES_URL;
  if (!pgUrl && process.env.IMS_TEST_FULL) throw new Error('the full test matrix needs IMS_TEST_POSTGRES_URL');
  if (pgUrl) kinds.push({ name: 'postgres', create: () => createPostgresSchema(pgUrl) });
  return kinds;
}

/** A fresh schema per test on the shared server, reached through `search_path` in the URL. */
async function createPostgresSchema(baseUrl: string): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop schema ${schema} cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated store on a fresh database of `kind` (or on `database`), closed and dropped after the test. */
export async function openTestStore(t: TestContext, kind: DatabaseKind, database?: TestDatabase): Promise<Store> {
  const db = database ?? await kind.create();
  const store = openStore(db.url);
  t.after(async () => {
    await store.close();
    await db.drop();
  });
  await migrateToLatest(store);
  return store;
}
