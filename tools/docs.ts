import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTable } from './options-table.js';

/** `npm run docs`: writes the options table of docs/operations.md from src/options.ts. */
const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/operations.md');
const before = fs.readFileSync(file, 'utf8');
const after = withTable(before);
fs.writeFileSync(file, after);
process.stdout.write(before === after ? 'docs/operations.md is up to date\n' : 'docs/operations.md: options table rewritten\n');
