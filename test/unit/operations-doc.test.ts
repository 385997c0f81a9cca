import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../../src/options.js';
import { optionsTable, withTable } from '../../tools/options-table.js';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/operations.md');

describe('docs/operations.md', () => {
  it('has the options table of src/options.ts (else run `npm run docs`)', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    assert.equal(withTable(text), text);
  });

  it('the table has a row per option, with its flag, variable and default', () => {
    const table = optionsTable();
    for (const o of OPTIONS) {
      assert.match(table, new RegExp(`^\\| \`${o.flags.split(' ')[0]}\` \\| \`${o.env}\` \\| `, 'm'), o.key);
    }
    assert.match(table, /^\| `--port` \| `IMS_PORT` \| `9292` \| `serve` \|/m);
    assert.match(table, /^\| `--no-jobs` \| `IMS_NO_JOBS` \| jobs run \| `serve` \|/m);
    assert.match(table, /^\| \| `IMS_MASTER_KEY` \| none \| all \|/m);
  });
});
