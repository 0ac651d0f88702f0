import { describe, expect, it } from 'vitest';
import { renderRoundup, type RoundupBreakage, type RoundupRoot } from './roundup.ts';

const SHA1 = '0123456789abcdef0123456789abcdef01234567';
const SHA2 = 'fedcba9876543210fedcba9876543210fedcba98';

function breakage(id: number, over: Partial<RoundupBreakage>): RoundupBreakage {
  return {
    id,
    job: `pkg${id}.x86_64-linux`,
    system: 'x86_64-linux',
    kind: 'direct',
    state: 'open',
    flaky: false,
    openedEvalId: 1000 + id,
    openedAt: '2026-11-24T10:00:00Z',
    buildId: 300_000 + id,
    range: { from: SHA1, to: SHA2, url: `https://github.com/NixOS/nixpkgs/compare/${SHA1}...${SHA2}` },
    claim: null,
    ...over,
  };
}

const base = {
  jobset: 'nixpkgs/unstable',
  week: '2026-W48',
  hydraUrl: 'https://hydra.nixos.org/',
  dashboardUrl: 'https://zhf.example.org',
  backlogOpen: 1234,
  generatedAt: '2026-11-25T06:45:00Z',
};

describe('renderRoundup: a small week', () => {
  const small = [
    breakage(1, { job: 'zlib.x86_64-linux', claim: { by: 'alice', prUrl: 'https://github.com/NixOS/nixpkgs/pull/400001' } }),
    breakage(2, { job: 'python313Packages.optax.x86_64-linux', kind: 'dependency' }),
    breakage(3, { job: 'hello.x86_64-linux', state: 'fixed', fixedBy: 'bob', flaky: true }),
    breakage(4, { job: 'old-thing.x86_64-linux', state: 'gone', range: null, buildId: null }),
    breakage(5, { job: 'hello.aarch64-darwin', system: 'aarch64-darwin', claim: { by: 'carol', prUrl: null } }),
    breakage(6, { job: 'foo_bar.*[x]`y`.aarch64-linux', system: 'aarch64-linux', claim: { by: 'evil @everyone](x)', prUrl: null } }),
  ];
  const { summary, parts } = renderRoundup({ ...base, breakages: small });

  it('renders the summary table and checklists as Markdown', () => {
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchInlineSnapshot(`
      "# Zero Hydra Failures: nixpkgs/unstable, week 2026-W48

      Breakages opened from Monday 2026-11-23 to Sunday 2026-11-29 (UTC) on [Hydra](https://hydra.nixos.org/). A box is ticked when Hydra sees the job fixed; claim a breakage on the [dashboard](https://zhf.example.org/) before you start.

      | system | new | fixed | gone | still open | claimed |
      |---|--:|--:|--:|--:|--:|
      | x86_64-linux | 4 | 1 | 1 | 2 | 1 |
      | aarch64-linux | 1 | 0 | 0 | 1 | 1 |
      | aarch64-darwin | 1 | 0 | 0 | 1 | 1 |
      | **total** | 6 | 1 | 1 | 4 | 3 |

      Backlog: 1234 breakages from earlier weeks are still open.

      ### x86_64-linux

      - [x] \`hello.x86_64-linux\` (flaky) · [build 300003](https://hydra.nixos.org/build/300003) ([log](https://hydra.nixos.org/build/300003/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98) · fixed by @bob
      - [x] \`old-thing.x86_64-linux\` · gone from the jobset
      - [ ] \`zlib.x86_64-linux\` · [build 300001](https://hydra.nixos.org/build/300001) ([log](https://hydra.nixos.org/build/300001/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98) · claimed by @alice ([NixOS/nixpkgs#400001](https://github.com/NixOS/nixpkgs/pull/400001))
      - [ ] \`python313Packages.optax.x86_64-linux\` · dependency failed · [build 300002](https://hydra.nixos.org/build/300002) ([log](https://hydra.nixos.org/build/300002/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98)

      ### aarch64-linux

      - [ ] \`\`foo_bar.*[x]\`y\`.aarch64-linux\`\` · [build 300006](https://hydra.nixos.org/build/300006) ([log](https://hydra.nixos.org/build/300006/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98) · claimed by evil \\@everyone\\]\\(x\\)

      ### aarch64-darwin

      - [ ] \`hello.aarch64-darwin\` · [build 300005](https://hydra.nixos.org/build/300005) ([log](https://hydra.nixos.org/build/300005/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98) · claimed by @carol

      _Generated 2026-11-25T06:45:00Z by zhf._
      "
    `);
  });

  it('summarises per system and in total', () => {
    expect(summary.totals).toEqual({ new: 6, fixed: 1, fixedOfWeek: 1, gone: 1, open: 4, claimed: 3 });
    expect(summary.bySystem.map((s) => s.system)).toEqual(['x86_64-linux', 'aarch64-linux', 'aarch64-darwin']);
    expect(summary.bySystem[0]).toEqual({ system: 'x86_64-linux', new: 4, fixed: 1, fixedOfWeek: 1, gone: 1, open: 2, claimed: 1 });
    expect(summary.parts).toBe(1);
  });

  it('says so when nothing broke', () => {
    const empty = renderRoundup({ ...base, breakages: [] });
    expect(empty.parts[0]).toContain('No new breakages this week.');
    expect(empty.parts[0]).not.toContain('- [');
  });

  it('rejects a week that does not exist', () => {
    expect(() => renderRoundup({ ...base, week: '2026-W54', breakages: [] })).toThrow(RangeError);
  });
});

describe('renderRoundup: splitting', () => {
  const checklist = (text: string) => text.split('\n').filter((l) => /^- \[[ x]\] /.test(l));
  const systems = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'];
  const big = Array.from({ length: 5000 }, (_, i) =>
    breakage(i + 1, {
      job: `python313Packages.some-package-number-${i}.${systems[i % 4]}`,
      system: systems[i % 4],
      kind: i % 3 === 0 ? 'dependency' : 'direct',
      state: i % 5 === 0 ? 'fixed' : 'open',
      flaky: i % 11 === 0,
      claim: i % 4 === 0 ? { by: `user${i}`, prUrl: `https://github.com/NixOS/nixpkgs/pull/${400000 + i}` } : null,
    }),
  );

  it('splits a 5,000-breakage week into parts under the limit, losing and duplicating no line', () => {
    const unsplit = renderRoundup({ ...base, breakages: big }, { maxChars: Number.MAX_SAFE_INTEGER });
    expect(unsplit.parts).toHaveLength(1);
    expect(unsplit.parts[0].length).toBeGreaterThan(65_536);

    const { parts, summary } = renderRoundup({ ...base, breakages: big });
    expect(parts.length).toBeGreaterThan(1);
    expect(summary.parts).toBe(parts.length);
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThan(65_536);
      expect(part.startsWith(`**Part ${i + 1} of ${parts.length}** · nixpkgs/unstable 2026-W48\n`)).toBe(true);
    });
    const lines = checklist(unsplit.parts[0]);
    expect(lines).toHaveLength(5000);
    expect(parts.flatMap(checklist)).toEqual(lines);
  });

  it('repeats the group heading in a part that continues a group, and never ends a part on a heading', () => {
    const { parts } = renderRoundup({ ...base, breakages: big.slice(0, 200) }, { maxChars: 4000 });
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts.slice(1)) {
      const body = part.split('\n').slice(2); // after the part header and its blank line
      expect(body[0]).toMatch(/^(### .+ \(continued\)|### .+|_Generated)/);
    }
    for (const part of parts) {
      const last = part.trimEnd().split('\n').pop()!;
      expect(last.startsWith('###')).toBe(false);
      expect(part.length).toBeLessThan(4000);
    }
    // Every item sits under the heading of its own system, possibly repeated.
    for (const part of parts) {
      let heading = '';
      for (const line of part.split('\n')) {
        if (line.startsWith('### ')) heading = line.slice(4).replace(' (continued)', '');
        else if (line.startsWith('- [')) expect(line).toContain(`.${heading}\``);
      }
    }
    expect(parts.flatMap(checklist)).toEqual(checklist(renderRoundup({ ...base, breakages: big.slice(0, 200) }, { maxChars: 1e9 }).parts[0]));
  });

  it('numbers parts with two digits without breaking the limit', () => {
    const { parts } = renderRoundup({ ...base, breakages: big.slice(0, 400) }, { maxChars: 2500 });
    expect(parts.length).toBeGreaterThanOrEqual(10);
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThan(2500);
      expect(p.startsWith(`**Part ${i + 1} of ${parts.length}**`)).toBe(true);
    });
  });

  it('refuses a limit too small for a single line instead of cutting it', () => {
    expect(() => renderRoundup({ ...base, breakages: big.slice(0, 5) }, { maxChars: 300 })).toThrow(RangeError);
  });
});

describe('renderRoundup: maintainers per line', () => {
  const list = [
    breakage(1, { job: 'zlib.x86_64-linux', maintainers: ['alice', 'bob-the-builder'] }),
    breakage(2, { job: 'hello.x86_64-linux', maintainers: [] }),
    breakage(3, { job: 'odd.x86_64-linux', maintainers: ['not a login', 'x'] }),
  ];
  const line = (md: string, job: string) => md.split('\n').find((l) => l.includes(`\`${job}\``))!;

  it.each([
    [false, 'zlib.x86_64-linux', 'maintainers: alice, bob-the-builder'],
    [true, 'zlib.x86_64-linux', 'maintainers: @alice, @bob-the-builder'],
    [true, 'odd.x86_64-linux', 'maintainers: @x'],
  ])('mentions=%s: %s names %s', (mentions, job, want) => {
    const md = renderRoundup({ ...base, breakages: list, mentions }).parts.join('\n');
    expect(line(md, job).endsWith(` · ${want}`)).toBe(true);
  });

  it('writes no @ without the opt-in, and nothing for a package without maintainers', () => {
    const md = renderRoundup({ ...base, breakages: list }).parts.join('\n');
    expect(md).not.toMatch(/(^|[^\\])@(alice|bob)/);
    expect(line(md, 'hello.x86_64-linux')).not.toContain('maintainers');
  });
});

describe('renderRoundup: roots first (SPEC section 8)', () => {
  const OPENSSL = '/nix/store/aaaa-openssl-3.4.0.drv';
  const ZLIB = '/nix/store/bbbb-zlib-1.3.1.drv';
  const UPSTREAM = '/nix/store/cccc-gcc-14.drv';
  const root = (over: Partial<RoundupRoot> & Pick<RoundupRoot, 'key' | 'job' | 'blocks'>): RoundupRoot => ({
    jobset: 'nixpkgs/unstable', system: 'x86_64-linux', breakageId: null, state: 'open', buildId: null, range: null, claim: null, fixedBy: null, maintainers: [], ...over,
  });
  const week = [
    breakage(1, { job: 'openssl.x86_64-linux', range: null }),
    breakage(2, { job: 'curl.x86_64-linux', kind: 'dependency', rootKey: OPENSSL }),
    breakage(3, { job: 'git.x86_64-linux', kind: 'dependency', rootKey: OPENSSL, state: 'fixed' }),
    breakage(4, { job: 'png.aarch64-linux', system: 'aarch64-linux', kind: 'dependency', rootKey: ZLIB }),
    breakage(5, { job: 'mystery.x86_64-linux', kind: 'dependency', rootKey: null }),
    breakage(6, { job: 'alone.x86_64-linux' }),
    breakage(7, { job: 'cc-wrapper.aarch64-linux', system: 'aarch64-linux', kind: 'dependency', rootKey: UPSTREAM }),
  ];
  const roots = [
    root({ key: ZLIB, job: 'zlib.aarch64-linux', system: 'aarch64-linux', jobset: 'nixos/unstable', blocks: 2, breakageId: 90, buildId: 900, maintainers: ['alice'] }),
    root({ key: OPENSSL, job: 'openssl.x86_64-linux', blocks: 5, breakageId: 1, buildId: 300_001, claim: { by: 'octo', prUrl: 'https://github.com/NixOS/nixpkgs/pull/1' } }),
    root({ key: UPSTREAM, job: 'gcc', system: 'aarch64-linux', jobset: 'other/staging', blocks: 1, state: null, buildId: 77 }),
  ];
  const { parts, summary } = renderRoundup({ ...base, breakages: week, roots });
  const md = parts.join('');

  it('lists the roots most blocking first, then the rest without the roots and their dependents', () => {
    expect(parts).toHaveLength(1);
    const body = md.slice(md.indexOf('### Fix these first'), md.indexOf('_Generated'));
    expect(body).toMatchInlineSnapshot(`
      "### Fix these first: 3 roots block 8 jobs

      - [ ] \`openssl.x86_64-linux\` · blocks 5 jobs · [build 300001](https://hydra.nixos.org/build/300001) ([log](https://hydra.nixos.org/build/300001/log)) · claimed by @octo ([NixOS/nixpkgs#1](https://github.com/NixOS/nixpkgs/pull/1))
      - [ ] \`zlib.aarch64-linux\` in nixos/unstable · blocks 2 jobs · [build 900](https://hydra.nixos.org/build/900) ([log](https://hydra.nixos.org/build/900/log)) · maintainers: alice
      - [ ] \`gcc\` in other/staging on aarch64-linux · blocks 1 job · [build 77](https://hydra.nixos.org/build/77) ([log](https://hydra.nixos.org/build/77/log))

      ### x86_64-linux

      - [ ] \`alone.x86_64-linux\` · [build 300006](https://hydra.nixos.org/build/300006) ([log](https://hydra.nixos.org/build/300006/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98)
      - [ ] \`mystery.x86_64-linux\` · dependency failed · [build 300005](https://hydra.nixos.org/build/300005) ([log](https://hydra.nixos.org/build/300005/log)) · [0123456...fedcba9](https://github.com/NixOS/nixpkgs/compare/0123456789abcdef0123456789abcdef01234567...fedcba9876543210fedcba9876543210fedcba98)
      - and 2 jobs blocked by the roots above

      ### aarch64-linux

      - 2 jobs blocked by the roots above

      "
    `);
  });

  it('keeps the summary over every breakage of the week', () => {
    expect(summary.totals).toEqual({ new: 7, fixed: 1, fixedOfWeek: 1, gone: 0, open: 6, claimed: 0 });
  });

  it('ticks a root that is fixed and says when it blocks nothing any more', () => {
    const done = renderRoundup({ ...base, breakages: week.slice(0, 3), roots: [root({ key: OPENSSL, job: 'openssl.x86_64-linux', blocks: 0, state: 'fixed', fixedBy: 'octo', breakageId: 1 })] });
    expect(done.parts[0]).toContain('### Fix these first: 1 root blocks no job now\n\n- [x] `openssl.x86_64-linux` · blocks no job now · fixed by @octo\n');
  });

  it('changes nothing when no root is known', () => {
    expect(renderRoundup({ ...base, breakages: week, roots: [] }).parts).toEqual(renderRoundup({ ...base, breakages: week.map((b) => ({ ...b, rootKey: null })) }).parts);
    expect(renderRoundup({ ...base, breakages: week }).parts[0]).not.toContain('Fix these first');
  });

  it('splits a long roots section into parts, repeating its heading, and loses no line', () => {
    const many = Array.from({ length: 300 }, (_, i) => root({ key: `/nix/store/k${i}.drv`, job: `python313Packages.root-number-${i}.x86_64-linux`, blocks: 300 - i, buildId: 1000 + i }));
    const deps = many.map((r, i) => breakage(i + 1, { job: `dep-${i}.x86_64-linux`, kind: 'dependency', rootKey: r.key }));
    const checklist = (text: string) => text.split('\n').filter((l) => /^- \[[ x]\] /.test(l));
    const whole = renderRoundup({ ...base, breakages: deps, roots: many }, { maxChars: 1e9 }).parts[0]!;
    const { parts: split } = renderRoundup({ ...base, breakages: deps, roots: many }, { maxChars: 6000 });
    expect(split.length).toBeGreaterThan(3);
    for (const part of split) expect(part.length).toBeLessThan(6000);
    expect(split.slice(1, -1).every((p) => p.includes('### Fix these first: 300 roots block 45150 jobs (continued)'))).toBe(true);
    expect(checklist(whole)).toHaveLength(300);
    expect(split.flatMap(checklist)).toEqual(checklist(whole));
    expect(split.at(-1)).toContain('- 300 jobs blocked by the roots above');
  });
});
