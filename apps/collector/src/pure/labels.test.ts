import { describe, expect, it } from 'vitest';
import { rebuildLabels } from './labels.ts';

describe('rebuildLabels', () => {
  it.each([
    [0, ['0']],
    [1, ['1', '1-10']],
    [2, ['1-10']],
    [10, ['1-10']],
    [11, ['11-100']],
    [100, ['11-100']],
    [101, ['101-500']],
    [500, ['101-500']],
    [501, ['501+', '501-1000']],
    [1000, ['501+', '501-1000']],
    [1001, ['501+', '1001-2500']],
    [2500, ['501+', '1001-2500']],
    [2501, ['501+', '2501-5000']],
    [5000, ['501+', '2501-5000']],
    [5001, ['501+', '5001+']],
    [250_000, ['501+', '5001+']],
  ])('%i → %j', (count, buckets) => {
    expect(rebuildLabels('linux', count)).toEqual(buckets.map((b) => `10.rebuild-linux: ${b}`));
    expect(rebuildLabels('darwin', count)).toEqual(buckets.map((b) => `10.rebuild-darwin: ${b}`));
  });

  it.each([-1, 1.5, Number.NaN])('rejects %j', (count) => {
    expect(() => rebuildLabels('linux', count)).toThrow(RangeError);
  });
});
