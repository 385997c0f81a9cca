import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { IMS_BIN } from '../helpers/server.js';

const run = promisify(execFile);

const ALT = '5b3d1e0f9a7c4e2b8d6f0a1c3e5b7d9f';
const ACME = 'acac0000000000000000000000000001';

describe('ims bootstrap', () => {
  it('prints the id of every domain, project and user it created or found, the same each time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-boot-ids-'));
    const file = path.join(dir, 'boot.json');
    fs.writeFileSync(file, JSON.stringify({
      domains: [{ name: 'acme', id: ACME }],
      projects: [{ name: 'alt', id: ALT }, { name: 'web', domain: 'acme' }],
      users: [
        { name: 'demo', password: 'secret', project: 'demo' },
        { name: 'alice', password: 'secret', project: 'web', domain: 'acme' },
      ],
    }));
    const first = await run(process.execPath, [IMS_BIN, 'bootstrap', file, '--data-dir', dir]);
    const id = '([0-9a-f]{32})';
    const m = new RegExp(`^applied ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`
      + `domain acme ${ACME}\\n`
      + `project Default/alt ${ALT}\\n`
      + `project acme/web ${id}\\n`
      + `project Default/demo ${id}\\n`
      + `user Default/demo ${id}\\n`
      + `user acme/alice ${id}\\n$`).exec(first.stdout);
    assert.ok(m, first.stdout);
    const second = await run(process.execPath, [IMS_BIN, 'bootstrap', file, '--data-dir', dir]);
    assert.equal(second.stdout, first.stdout, 'found again: the same ids');
  });
});
