import { describe, expect, it } from 'vitest';
import { parseChangedPaths } from './changed-paths.ts';

// Shapes from ECOSYSTEM-FORMATS.md (written to match, not captured).
const current = {
  attrdiff: { added: ['newpkg'], changed: ['hello', 'curl'], removed: ['oldpkg'] },
  attrdiffByKernel: {
    linux: { added: ['newpkg'], changed: ['hello', 'curl'], removed: [] },
    darwin: { added: [], changed: ['hello'], removed: ['oldpkg'] },
  },
  attrdiffByPlatform: { 'x86_64-linux': { added: ['newpkg'], changed: ['hello', 'curl'], removed: [] } },
  labels: { '10.rebuild-darwin: 1': true, '10.rebuild-darwin: 1-10': true, '10.rebuild-linux: 1-10': true, '10.rebuild-linux: 11-100': false },
  rebuildCountByKernel: { darwin: 1, linux: 2 },
  rebuildsByKernel: { darwin: ['hello'], linux: ['curl', 'hello'] },
  rebuildsByPlatform: { 'aarch64-darwin': ['hello'], 'x86_64-linux': ['curl', 'hello'] },
};

const oldest2024 = {
  attrdiff: { added: [], changed: ['hello'], removed: [] },
  labels: ['10.rebuild-darwin: 0', '10.rebuild-linux: 1', '10.rebuild-linux: 1-10'],
  rebuildCountByKernel: { darwin: 0, linux: 1 },
  rebuildsByKernel: { darwin: [], linux: ['hello'] },
};

describe('parseChangedPaths: accepted variants', () => {
  it.each([
    [
      'current form (2026) with per-kernel and per-platform diffs and boolean labels',
      current,
      {
        attrdiff: current.attrdiff,
        attrdiffByKernel: current.attrdiffByKernel,
        attrdiffByPlatform: current.attrdiffByPlatform,
        rebuildsByPlatform: current.rebuildsByPlatform,
        rebuildsByKernel: current.rebuildsByKernel,
        rebuildCountByKernel: current.rebuildCountByKernel,
        // only the labels set to true
        labels: ['10.rebuild-darwin: 1', '10.rebuild-darwin: 1-10', '10.rebuild-linux: 1-10'],
      },
    ],
    [
      'oldest form (2024): labels as a string list, rebuildsByKernel only',
      oldest2024,
      {
        attrdiff: oldest2024.attrdiff,
        attrdiffByKernel: null,
        attrdiffByPlatform: null,
        rebuildsByPlatform: null,
        rebuildsByKernel: oldest2024.rebuildsByKernel,
        rebuildCountByKernel: oldest2024.rebuildCountByKernel,
        labels: oldest2024.labels,
      },
    ],
  ])('%s', (_name, input, value) => {
    expect(parseChangedPaths(input)).toEqual({ ok: true, value });
  });

  it('2025 form: no byKernel/byPlatform diffs', () => {
    const { attrdiffByKernel: _k, attrdiffByPlatform: _p, ...v2025 } = current;
    const r = parseChangedPaths(v2025);
    expect(r.ok && r.value.attrdiffByKernel).toBeNull();
    expect(r.ok && r.value.attrdiffByPlatform).toBeNull();
    expect(r.ok && r.value.rebuildsByPlatform).toEqual(current.rebuildsByPlatform);
  });

  it('only attrdiff', () => {
    const r = parseChangedPaths({ attrdiff: { added: ['a'], changed: [], removed: [] } });
    expect(r.ok && r.value.attrdiff).toEqual({ added: ['a'], changed: [], removed: [] });
    expect(r.ok && r.value.labels).toBeNull();
  });

  it('only rebuildsByPlatform (seen in the wild)', () => {
    const r = parseChangedPaths({ rebuildsByPlatform: { 'x86_64-linux': ['hello'] } });
    expect(r).toMatchObject({ ok: true, value: { attrdiff: null, rebuildsByPlatform: { 'x86_64-linux': ['hello'] } } });
  });

  it('ignores unknown keys and treats a diff without a list as empty', () => {
    const r = parseChangedPaths({ attrdiff: { changed: ['x'] }, somethingNew: 42 });
    expect(r.ok && r.value.attrdiff).toEqual({ added: [], changed: ['x'], removed: [] });
  });
});

describe('parseChangedPaths: rejected input names the bad key', () => {
  it.each([
    [null, 'changed-paths.json must be a JSON object'],
    [[1, 2], 'changed-paths.json must be a JSON object'],
    ['{}', 'changed-paths.json must be a JSON object'],
    [{}, 'not a changed-paths.json: it has none of attrdiff, rebuildsByPlatform, rebuildsByKernel'],
    [{ labels: [] }, 'not a changed-paths.json: it has none of attrdiff, rebuildsByPlatform, rebuildsByKernel'],
    [{ rebuildsByPlatform: { 'x86_64-linux': 'hello' } }, 'rebuildsByPlatform.x86_64-linux must be an array of attribute names'],
    [{ rebuildsByPlatform: { 'x86_64-linux': ['hello', 3] } }, 'rebuildsByPlatform.x86_64-linux must be an array of attribute names'],
    [{ rebuildsByPlatform: ['hello'] }, 'rebuildsByPlatform must be an object'],
    [{ rebuildsByKernel: { linux: null } }, 'rebuildsByKernel.linux must be an array of attribute names'],
    [{ attrdiff: [] }, 'attrdiff must be an object with added, changed, removed'],
    [{ attrdiff: { added: 'x' } }, 'attrdiff.added must be an array of attribute names'],
    [{ attrdiff: {}, attrdiffByPlatform: { 'aarch64-darwin': { removed: {} } } }, 'attrdiffByPlatform.aarch64-darwin.removed must be an array of attribute names'],
    [{ attrdiff: {}, rebuildCountByKernel: { linux: -1 } }, 'rebuildCountByKernel.linux must be a non-negative integer'],
    [{ attrdiff: {}, rebuildCountByKernel: { linux: '3' } }, 'rebuildCountByKernel.linux must be a non-negative integer'],
    [{ attrdiff: {}, labels: { '10.rebuild-linux: 0': 'yes' } }, 'labels.10.rebuild-linux: 0 must be a boolean'],
    [{ attrdiff: {}, labels: [true] }, 'labels must be an array of label names'],
    [{ attrdiff: {}, labels: 'x' }, 'labels must be an object of label → boolean or an array of label names'],
  ])('%j → %s', (input, error) => {
    expect(parseChangedPaths(input)).toEqual({ ok: false, error });
  });
});
