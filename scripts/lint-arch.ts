// The layout's rules, checked: `npm run lint:arch` (also part of `npm run check`).
//   1. Packages import only downwards: db <- collector <- dashboard <- zhf; sim is a leaf that
//      only zhf (the demo) and the tests use.
//   2. SQL (drizzle sql`…` templates, raw SQL strings) lives in db/ only.
//   3. process.env is read in the config module (apps/zhf/src/config.ts) only.
// Tests (test/, *.test.ts) are outside the rules. Usage: lint-arch.ts [ROOT]; exit 1 on a violation.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Each package's directory and the packages it may import. */
export const PACKAGES: Record<string, { dir: string; mayImport: string[] }> = {
  db: { dir: 'db', mayImport: [] },
  collector: { dir: 'apps/collector', mayImport: ['db'] },
  dashboard: { dir: 'apps/dashboard', mayImport: ['collector', 'db'] },
  zhf: { dir: 'apps/zhf', mayImport: ['dashboard', 'collector', 'db', 'sim'] },
  sim: { dir: 'apps/sim', mayImport: [] },
};
export const CONFIG_MODULE = 'apps/zhf/src/config.ts';

const SOURCE = /\.(ts|js|svelte)$/;
const SKIP_DIRS = new Set(['node_modules', '.svelte-kit', 'build', 'migrations']);
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
const SQL_TEMPLATE = /\bsql\s*`/;
const RAW_SQL = /['"`]\s*(select\s+[\w*(]|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s|create\s+(table|index)\s|alter\s+table\s|drop\s+table\s)/i;
const ENV = /\bprocess\.env\b/;

function files(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (SOURCE.test(name) && !/\.test\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function packageOfPath(root: string, abs: string): string | null {
  const rel = relative(root, abs).split(sep).join('/');
  for (const [name, { dir }] of Object.entries(PACKAGES)) if (rel === dir || rel.startsWith(dir + '/')) return name;
  return null;
}

/** Lines outside comments, numbered from 1 (block comments and `//` tails dropped, strings kept). */
function codeLines(text: string): [number, string][] {
  const lines: [number, string][] = [];
  let inBlock = false;
  text.split('\n').forEach((line, i) => {
    let code = '';
    let rest = line;
    while (rest) {
      if (inBlock) {
        const end = rest.indexOf('*/');
        if (end < 0) { rest = ''; break; }
        inBlock = false;
        rest = rest.slice(end + 2);
      } else {
        const start = rest.indexOf('/*');
        const slash = rest.search(/(^|[^:'"`])\/\//);
        if (slash >= 0 && (start < 0 || slash < start)) { code += rest.slice(0, slash + (rest[slash] === '/' ? 0 : 1)); rest = ''; break; }
        if (start < 0) { code += rest; rest = ''; break; }
        code += rest.slice(0, start);
        inBlock = true;
        rest = rest.slice(start + 2);
      }
    }
    lines.push([i + 1, code]);
  });
  return lines;
}

export function lintArch(root: string): string[] {
  const problems: string[] = [];
  for (const [pkg, { dir, mayImport }] of Object.entries(PACKAGES)) {
    for (const file of files(join(root, dir))) {
      const rel = relative(root, file).split(sep).join('/');
      for (const [n, line] of codeLines(readFileSync(file, 'utf8'))) {
        for (const m of line.matchAll(IMPORT)) {
          const spec = m[1]!;
          let target: string | null = null;
          if (spec.startsWith('@zhf/')) target = spec.slice(5).split('/')[0]!;
          else if (spec.startsWith('.')) target = packageOfPath(root, resolve(dirname(file), spec));
          if (target && target !== pkg && !mayImport.includes(target)) {
            problems.push(`${rel}:${n}: ${pkg} imports ${target} (${spec}); ${pkg} may import ${mayImport.join(', ') || 'no other package'}`);
          }
        }
        if (pkg !== 'db' && (SQL_TEMPLATE.test(line) || RAW_SQL.test(line))) problems.push(`${rel}:${n}: SQL outside db/: move it into a db/src/queries function`);
        if (rel !== CONFIG_MODULE && ENV.test(line)) problems.push(`${rel}:${n}: process.env read outside ${CONFIG_MODULE}: take it from the Config`);
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('lint-arch.ts')) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const problems = lintArch(root);
  for (const p of problems) process.stderr.write(p + '\n');
  if (problems.length) {
    process.stderr.write(`lint:arch: ${problems.length} problem(s)\n`);
    process.exit(1);
  }
  process.stdout.write('lint:arch: packages flow db <- collector <- dashboard <- zhf; SQL in db/; process.env in the config module\n');
}
