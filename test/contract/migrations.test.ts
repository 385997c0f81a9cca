import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { openStore } from '../../src/db/database.js';
import { pendingMigrations } from '../../src/db/migrate.js';

/**
 * Applied migrations are never edited: a database migrated by an earlier version keeps what that version's
 * migration did, whatever the file says later. So the source of every migration is pinned here, as committed
 * (SHA-256 of the .ts file, line endings as LF): any edit, formatting included, fails this test. A change of
 * the schema is a new migration; its checksum is added here in the commit that adds it.
 */
const APPLIED: Record<string, string> = {
  '0001-initial': '2dcb587494b13865ff4da4323c9a19397ad267882370589eb751bdcfe68a1be6',
  '0002-job-indexes': 'c5970db53e5f4e4d34325aa8b591bcedbea9db3d11627a25a5f35c61f1103e9b',
  '0003-image-rev': 'fa8d64c0ed43821cfcddb834763eb0b7144eb0c0cea96d6ec5238391e7f4f6ca',
  '0004-list-revs': '9d44ecb29817e51ae73e69c66349cd03d43db19985a60ee6c11b6e3926e470d3',
  '0005-list-revs-postgres': 'f91ee6ef620f1caae34b67212a26457f0d49850ffe8c2422b6fa97b051a8e1ba',
  '0006-image-member-count': '1a90bda06a13532e4e2f3c61ad717b6441ce6310a7a715640fc55774df8a3b77',
  '0007-job-retries': '92449c02b90e9b5cc0b3e980bbb526d629d2b98e4c09f6bf70bfb165d89fe8e3',
  '0008-uploads': 'b65df45d0bce948f1212f24384cf57d959556a3e26eca7f09bacf872aa930911',
  '0009-user-lockout': '63f5249c1d23c8e337f11fa5aaee69effe1ca743a0e3ea718e7d288e0367fca0',
  '0010-job-fairness': '2f7206ad46270f6e05940b8e9a49dd328c07170a643ff1dea0452b4349b5bfea',
  '0011-accounts-organizations': 'c33e4de03016aa4999e62ee2d4b890c68de1b801a38987ce2ab3155d061e5093',
  '0012-member-types': '397a44bd341db306f65293667c54ebb7f4421ffda55a73ce1a563f385529e33d',
  '0013-identity-admin': '5dbeeacb556a429b3531267994f39b9b84e975cec84b048d5abbecdaf6049645',
  '0014-access-key-status': 'a4be22e6a2eb95d25596bd15b467a2f1c674746a581b53f36ee01436b6e4747e',
  '0015-job-list': 'ef484f871f94589e68d19c36a89a2f6770558d629fb57bb7a28eb48f4c6d3cca',
};

/** The TypeScript sources of the migrations (this file runs from dist/test/contract). */
const SOURCES = new URL('../../../src/db/migrations/', import.meta.url);

const checksum = (name: string) => createHash('sha256')
  .update(fs.readFileSync(new URL(`${name}.ts`, SOURCES), 'utf8').replace(/\r\n/g, '\n')).digest('hex');

describe('migrations', () => {
  it('every applied migration is exactly as committed', () => {
    const edited = Object.entries(APPLIED).filter(([name, sum]) => checksum(name) !== sum).map(([name]) => name);
    assert.deepEqual(edited, [], `applied migrations are never edited; add a new migration instead (src/db/README.md). `
      + `Edited: ${edited.join(', ')}`);
  });

  it('the migrations this version runs are the source files, each pinned above', async () => {
    const store = openStore('sqlite::memory:');
    try {
      const known = await pendingMigrations(store);
      const files = fs.readdirSync(SOURCES).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -'.ts'.length));
      assert.deepEqual(known, files.sort(), 'src/db/migrate.ts runs every file of src/db/migrations, in order');
      assert.deepEqual(known, Object.keys(APPLIED), 'a new migration gets its checksum in APPLIED when it is committed');
    } finally {
      await store.close();
    }
  });
});
