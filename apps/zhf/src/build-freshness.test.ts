import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIsStale } from './build-freshness.ts';

describe('whether the dashboard needs building before the server starts', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tree = () => {
    const d = mkdtempSync(join(tmpdir(), 'zhf-build-'));
    dirs.push(d);
    mkdirSync(join(d, 'src/routes/fix'), { recursive: true });
    writeFileSync(join(d, 'src/routes/fix/+page.svelte'), '<p>fix</p>');
    writeFileSync(join(d, 'svelte.config.js'), 'export default {}');
    return d;
  };
  const at = (path: string, s: number) => utimesSync(path, s, s);

  it('builds a fresh clone, which has no build', () => {
    const d = tree();
    expect(buildIsStale(join(d, 'build/handler.js'), [join(d, 'src'), join(d, 'svelte.config.js')])).toBe(true);
  });

  it('keeps a build newer than every source, and rebuilds after a source changed (a pull)', () => {
    const d = tree();
    mkdirSync(join(d, 'build'));
    writeFileSync(join(d, 'build/handler.js'), '');
    at(join(d, 'src/routes/fix/+page.svelte'), 1_000);
    at(join(d, 'svelte.config.js'), 1_000);
    at(join(d, 'build/handler.js'), 2_000);
    const sources = [join(d, 'src'), join(d, 'svelte.config.js')];
    expect(buildIsStale(join(d, 'build/handler.js'), sources)).toBe(false);
    at(join(d, 'src/routes/fix/+page.svelte'), 3_000);
    expect(buildIsStale(join(d, 'build/handler.js'), sources)).toBe(true);
  });
});
