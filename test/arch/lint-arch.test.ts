import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintArch } from '../../scripts/lint-arch.ts';

const repo = join(import.meta.dirname, '../..');
const script = join(repo, 'scripts/lint-arch.ts');
const tmp = mkdtempSync(join(tmpdir(), 'zhf-lint-arch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const clean = {
  'db/src/queries/a.ts': "import { sql } from 'drizzle-orm';\nexport const q = sql`select 1`;\n",
  'apps/collector/src/s.ts': "import { q } from '@zhf/db/queries';\n// select * from comments is no SQL\nexport const s = q;\n",
  'apps/dashboard/src/lib/r.ts': "import { s } from '@zhf/collector/s';\nexport const r = s;\n",
  'apps/zhf/src/config.ts': 'export const env = process.env;\n',
  'apps/zhf/src/cli.ts': "import { r } from '@zhf/dashboard/src/lib/r.ts';\nimport { sim } from '@zhf/sim';\nexport { r, sim };\n",
};

describe('lint:arch', () => {
  it('passes on this repository', () => {
    expect(lintArch(repo)).toEqual([]);
  });

  it('passes on a tree that follows the rules', () => {
    expect(lintArch(tree('clean', clean))).toEqual([]);
  });

  it('names every import against the direction, SQL outside db/ and process.env outside the config module', () => {
    const root = tree('broken', {
      ...clean,
      'apps/collector/src/up.ts': "import type { ApiEnv } from '../../dashboard/src/lib/r.ts';\nexport const x = await import('@zhf/zhf/cli');\n",
      'apps/collector/src/raw.ts': "export const q = sql`update jobsets set probe = null`;\nexport const r = 'delete from claims where id = $1';\n",
      'apps/dashboard/src/lib/env.ts': 'export const level = process.env.ZHF_LOG_LEVEL;\n',
      'db/src/up.ts': "import { Collector } from '@zhf/collector/sync';\n",
      'apps/sim/src/s.ts': "import { q } from '@zhf/db/queries';\n",
    });
    const problems = lintArch(root);
    expect(problems).toEqual([
      expect.stringMatching(/^db\/src\/up\.ts:1: db imports collector/),
      expect.stringMatching(/^apps\/collector\/src\/raw\.ts:1: SQL outside db\//),
      expect.stringMatching(/^apps\/collector\/src\/raw\.ts:2: SQL outside db\//),
      expect.stringMatching(/^apps\/collector\/src\/up\.ts:1: collector imports dashboard/),
      expect.stringMatching(/^apps\/collector\/src\/up\.ts:2: collector imports zhf/),
      expect.stringMatching(/^apps\/dashboard\/src\/lib\/env\.ts:1: process\.env read outside apps\/zhf\/src\/config\.ts/),
      expect.stringMatching(/^apps\/sim\/src\/s\.ts:1: sim imports db/),
    ]);
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, root], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('lint:arch: 7 problem(s)');
  });
});
