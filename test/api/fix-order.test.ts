import { expect, it } from 'vitest';
import { describeEachDriver } from '../support/db.ts';
import { A, call, REQUESTS, useScenario, X } from './support.ts';

// The fix list puts direct failures first (the ones to fix). The order is the query's, so a
// second page continues it: dependency failures never reappear at the top of page 2.
describeEachDriver('fix list order across pages', (get) => {
  const t = useScenario(get);

  it('sort=kind pages through direct failures first, then dependency failures, each by system and job', async () => {
    for (const limit of [1, 2, 3, 100]) {
      const seen: [string, string][] = [];
      let cursor: string | null = null;
      do {
        const p: { status: number; json: { items: { job: string; kind: string }[]; nextCursor: string | null; total: number } } =
          await call(t.app, 'GET', `/api/breakages?sort=kind&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(p.status).toBe(200);
        expect(p.json.total).toBe(5);
        seen.push(...p.json.items.map((b): [string, string] => [b.job, b.kind]));
        cursor = p.json.nextCursor;
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual([
        [`hello.${A}`, 'direct'], [`gone.${X}`, 'direct'], [`newjob.${X}`, 'direct'], [REQUESTS, 'direct'], [`depfail.${X}`, 'dependency'],
      ]);
    }
    // A cursor of another sort's shape is refused, not misread.
    const other = await call(t.app, 'GET', '/api/breakages?sort=system&limit=1');
    expect((await call(t.app, 'GET', `/api/breakages?sort=kind&cursor=${other.json.nextCursor}`)).status).toBe(400);
  });
});
