import { describe, expect, it } from 'vitest';
import { heldUpload, HOLD, holdUpload } from './uploads.ts';

// The uploads behind /preflight?upload=: found again by id, the same upload the same id,
// and bounded in number and age so a busy server does not keep every file ever sent.
describe('held changed-paths.json uploads', () => {
  const upload = (n: number, baseEvalId = 1) => ({ changedPaths: { rebuildsByPlatform: { x: [`p${n}`] } }, baseEvalId, jobset: 'nixpkgs/unstable', bytes: 100 });

  it('finds an upload by its id; the same file on the same base is the same id, another base another', () => {
    const t = 1_000_000;
    const a = holdUpload(upload(1), t);
    expect(heldUpload(a, t)?.changedPaths).toEqual(upload(1).changedPaths);
    expect(holdUpload(upload(1), t)).toBe(a);
    expect(holdUpload(upload(1, 2), t)).not.toBe(a);
    expect(heldUpload('nope', t)).toBeNull();
  });

  it(`keeps the newest ${HOLD.entries} for ${HOLD.hours} hours`, () => {
    const t = 2_000_000;
    const ids = Array.from({ length: HOLD.entries + 5 }, (_, i) => holdUpload(upload(100 + i), t + i));
    expect(ids.slice(0, 5).map((id) => heldUpload(id, t + 100))).toEqual([null, null, null, null, null]);
    expect(ids.slice(5).every((id) => heldUpload(id, t + 100) !== null)).toBe(true);
    expect(heldUpload(ids.at(-1)!, t + HOLD.hours * 3600_000 + 1000)).toBeNull();
  });
});
