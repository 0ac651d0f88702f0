// nixpkgs' rebuild-count labels (`10.rebuild-linux: 11-100`), as its pull-request CI sets them.

export type Kernel = 'linux' | 'darwin';

/** Every label that is set for `count` distinct rebuilt packages; several are set at once (`1` and `1-10`). */
export function rebuildLabels(kernel: Kernel, count: number): string[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`rebuildLabels: count must be a non-negative integer, got ${count}`);
  }
  const label = (bucket: string) => `10.rebuild-${kernel}: ${bucket}`;
  if (count === 0) return [label('0')];
  if (count === 1) return [label('1'), label('1-10')];
  if (count <= 10) return [label('1-10')];
  if (count <= 100) return [label('11-100')];
  if (count <= 500) return [label('101-500')];
  const band = count <= 1000 ? '501-1000' : count <= 2500 ? '1001-2500' : count <= 5000 ? '2501-5000' : '5001+';
  return [label('501+'), label(band)];
}
