// `npm run docs:verdicts`: writes README's verdict tables from table.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withVerdictTables } from './docs.ts';

const path = fileURLToPath(new URL('../../../README.md', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = withVerdictTables(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README.md: verdict tables up to date' : 'README.md: verdict tables written');
