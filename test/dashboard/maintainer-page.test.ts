import { describe, expect, it } from 'vitest';
import { maintainerGroups } from '../../apps/dashboard/src/lib/maintainer-page.ts';

describe("the maintainer page's groups", () => {
  it('puts only the week\'s news under "new this week": what was failing when tracking began is backlog', () => {
    const items = [
      { id: 1, week: '2026-W50', preexisting: false },
      { id: 2, week: '2026-W50', preexisting: true },
      { id: 3, week: '2026-W49', preexisting: false },
      { id: 4, week: '2026-W48', preexisting: true },
    ];
    const g = maintainerGroups(items, '2026-W50');
    expect(g.thisWeek.map((b) => b.id)).toEqual([1]);
    expect(g.earlier.map((b) => b.id)).toEqual([2, 3, 4]);
  });
});
