import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { type Migration, Migrator, sql } from 'kysely';
import { openStore } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { databaseKinds } from '../helpers/databases.js';

/** The compiled migrations, by name (this file runs from dist/test/contract). */
const DIR = new URL('../../src/db/migrations/', import.meta.url);

async function migrations(): Promise<Record<string, Migration>> {
  const all: Record<string, Migration> = {};
  for (const f of fs.readdirSync(DIR).filter((n) => n.endsWith('.js'))) {
    all[f.slice(0, -3)] = await import(new URL(f, DIR).href) as Migration;
  }
  return all;
}

for (const kind of databaseKinds()) {
  describe(`migration 0013 (${kind.name})`, () => {
    it('keeps every user, role assignment and access key; default projects become optional and cleared on delete',
      async (t) => {
        const database = await kind.create();
        const store = openStore(database.url);
        t.after(async () => {
          await store.close();
          await database.drop();
        });
        const all = await migrations();
        const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => all },
          ...(store.schema ? { migrationTableSchema: store.schema } : {}) });
        const { error } = await migrator.migrateTo('0012-member-types');
        assert.equal(error, undefined);
        const now = '2030-01-01T00:00:00.000Z';
        const db = store.db;
        await sql`insert into projects (id, name, domain_id, created_at) values ('p1', 'one', 'default', ${now}),
          ('p2', 'two', 'default', ${now})`.execute(db);
        await sql`insert into users (id, name, domain_id, password_hash, default_project_id, created_at)
          values ('u1', 'alice', 'default', 'h1', 'p1', ${now}), ('u2', 'bob', 'default', 'h2', 'p2', ${now})`.execute(db);
        await sql`insert into role_assignments (user_id, project_id, role) values ('u1', 'p1', 'member'),
          ('u1', 'p2', 'reader'), ('u2', 'p2', 'admin')`.execute(db);
        await sql`insert into access_keys (access, secret, user_id, created_at) values ('AK1', 's', 'u1', ${now})`.execute(db);

        assert.deepEqual(await migrateToLatest(store),
          ['0013-identity-admin', '0014-access-key-status', '0015-job-list']);
        const users = await db.selectFrom('users').select(['id', 'name', 'password_hash', 'default_project_id', 'enabled',
          'description', 'email', 'failed_auth_count']).orderBy('id').execute();
        assert.deepEqual(users, [
          { id: 'u1', name: 'alice', password_hash: 'h1', default_project_id: 'p1', enabled: 1, description: null,
            email: null, failed_auth_count: 0 },
          { id: 'u2', name: 'bob', password_hash: 'h2', default_project_id: 'p2', enabled: 1, description: null,
            email: null, failed_auth_count: 0 },
        ]);
        const roles = await db.selectFrom('role_assignments').selectAll().orderBy('user_id').orderBy('project_id').execute();
        assert.deepEqual(roles, [{ user_id: 'u1', project_id: 'p1', role: 'member' },
          { user_id: 'u1', project_id: 'p2', role: 'reader' }, { user_id: 'u2', project_id: 'p2', role: 'admin' }]);
        assert.deepEqual((await db.selectFrom('access_keys').select(['access', 'user_id']).execute()),
          [{ access: 'AK1', user_id: 'u1' }]);
        assert.deepEqual(await db.selectFrom('projects').select(['id', 'description', 'enabled']).orderBy('id').execute(),
          [{ id: 'p1', description: '', enabled: 1 }, { id: 'p2', description: '', enabled: 1 }]);

        // Foreign keys still hold: a project's deletion clears the default project and takes its assignments;
        // a user's takes its assignments and keys.
        await db.deleteFrom('projects').where('id', '=', 'p2').execute();
        assert.deepEqual(await db.selectFrom('users').select(['id', 'default_project_id']).orderBy('id').execute(),
          [{ id: 'u1', default_project_id: 'p1' }, { id: 'u2', default_project_id: null }]);
        await db.deleteFrom('users').where('id', '=', 'u1').execute();
        assert.deepEqual(await db.selectFrom('role_assignments').selectAll().execute(), []);
        assert.deepEqual(await db.selectFrom('access_keys').selectAll().execute(), []);
        await assert.rejects(sql`insert into role_assignments (user_id, project_id, role) values ('nobody', 'p1', 'x')`
          .execute(db));
      });
  });
}
