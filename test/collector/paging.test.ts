import { expect, it } from 'vitest';
import { evalContext, evalJobRows, evalJobRowsByScan, type JobRowFilters } from '../../db/src/queries/index.ts';
import { newSim, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const SYSTEMS = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'];

describeEachDriver('eval rows: cursor paging and totals', (get) => {
  it('pages through every filter combination exactly as one full scan lists it', async () => {
    const database = get();
    const sim = newSim(Date.UTC(2026, 10, 16) / 1000);
    const js = sim.jobset('paging2', 'unstable');
    const first: Record<string, string> = {};
    const second: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) {
      for (const [si, s] of SYSTEMS.entries()) {
        const job = `pkg${i}.${s}`;
        first[job] = (i + si) % 17 === 0 ? 'failure' : 'success';
        second[job] = i % 23 === 0 ? 'failure' : i % 29 === 0 ? 'dep' : i % 31 === 0 ? 'pending' : i % 37 === 0 ? 'success' : 'reuse';
      }
    }
    for (let i = 0; i < 40; i++) delete second[`pkg${i * 7}.x86_64-darwin`];
    sim.eval(js, { jobs: first as never });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: second as never });
    const h = await startHarness(database, sim, { collector: { fetchMode: 'bulk' } });
    try {
      const [r] = await h.collector.syncAll(['paging2/unstable']);
      // Bulk downloads stream inside the eval's transaction: no single fetches to wait for.
      expect(r!.fetchMs).toBe(0);
      const ctx = (await evalContext(database.db, e2.id))!;
      const filters: JobRowFilters[] = [
        {},
        { categories: ['still_failing'] },
        { categories: ['still_succeeding', 'pending'], systems: ['aarch64-darwin'] },
        { kinds: ['dependency'] },
        { categories: ['removed'] },
        { q: 'pkg1' },
        { q: 'pkg14', categories: ['still_succeeding'], systems: ['x86_64-linux', 'aarch64-linux'] },
        { categories: ['infra'] },
      ];
      for (const f of filters) {
        const reference = await evalJobRowsByScan(database.db, ctx, f);
        const paged = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await evalJobRows(database.db, ctx, f, cursor, 333);
          expect(page.total, JSON.stringify(f)).toBe(reference.length);
          paged.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 100);
        expect(paged.map((r) => `${r.job} ${r.category}`), JSON.stringify(f)).toEqual(reference.map((r) => `${r.job} ${r.category}`));
      }
      expect((await evalJobRowsByScan(database.db, ctx, {})).length).toBeGreaterThan(5000);
    } finally {
      await h.close();
    }
  }, 120_000);
});
