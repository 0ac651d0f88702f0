/**
 * The simulated GitHub: the parts of GitHub's REST API zhf reads (ECOSYSTEM-FORMATS.md, "GitHub
 * REST"), for a nixpkgs whose history is a simulated Hydra's eval revisions. Each tracked branch
 * is the jobset that evaluates it: its evals' `nixpkgs` revisions are commits of the branch, in
 * order, and between two of them pull requests were merged, the last one's merge commit being
 * the revision the next eval checked out. After the newest eval, pull requests keep being merged
 * as the clock passes their time (commits no eval contains yet).
 *
 *   const github = await startGithubSim(hydra, { prsPerGap: 3 });
 *   await fetch(`${github.url}/repos/NixOS/nixpkgs/compare/${base}...${head}`)  // { status, ahead_by, ... }
 *   github.model.pulls()   // ground truth: every pull request, with the eval that first contains it
 *
 * The history is read "as of" the Hydra data's clock, so it grows as evals appear.
 */
import { Hono, type Context } from 'hono';
import { hash4, hashString, type HydraData } from './model.ts';
import type { DataSource } from './server.ts';
import { serveLocal, type LocalServer } from './serve-local.ts';

export interface GithubBranchSpec {
  /** The nixpkgs branch (`master`, `staging-next`). */
  name: string;
  /** The Hydra jobset that evaluates it. */
  project: string;
  jobset: string;
  /** Branched off this branch: at its newest eval revision no later than this branch's first eval. */
  from?: string;
}

export interface GithubSimOptions {
  /** `owner/name` (default NixOS/nixpkgs). */
  repo?: string;
  /** Default: `master` for nixpkgs/unstable, `staging-next` (from master) for nixpkgs/staging-next, those the data has. */
  branches?: GithubBranchSpec[];
  /** Pull requests merged into a branch between two of its evals (default 3, at least 1). */
  prsPerGap?: number;
  /** The eval input whose revision is the commit (default `nixpkgs`). */
  input?: string;
  seed?: number;
  /**
   * Number of the first pull request (default 900 000: above every real nixpkgs pull request yet,
   * so a link to github.com never opens an unrelated real one).
   */
  firstPullNumber?: number;
  /**
   * GitHub's primary rate limit per client and hour: `{ anonymous: 60, token: 5000 }` as on
   * github.com. Off by default (the headers are sent either way).
   */
  rateLimit?: { anonymous: number; token: number } | false;
  /** When set, only these tokens are accepted; any other is 401 Bad credentials. */
  tokens?: string[];
}

export interface SimCommit {
  sha: string;
  parents: string[];
  message: string;
  /** Epoch seconds. */
  date: number;
  author: string;
  /** The branch it was made for. */
  branch: string;
  /** Creation order: parents always come first. */
  order: number;
  /** The Hydra eval whose revision it is, if any. */
  evalId: number | null;
}

export interface SimPull {
  number: number;
  title: string;
  user: string;
  state: 'open' | 'closed';
  merged: boolean;
  /** Epoch seconds. */
  createdAt: number;
  mergedAt: number | null;
  closedAt: number | null;
  /** The merge commit when merged; the last test merge otherwise (as GitHub reports it). */
  mergeCommitSha: string;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  /** Ground truth: the first eval of the base branch's jobset whose revision contains the merge (null: none yet, or not merged). */
  firstEvalId: number | null;
  /** Ground truth: the merge commit is that eval's revision itself. */
  mergeIsEvalRevision: boolean;
}

interface History {
  key: string;
  commits: Map<string, SimCommit>;
  /** Sorted by sha, for abbreviated lookups. */
  sorted: string[];
  pulls: Map<number, SimPull>;
  tips: Map<string, string>;
}

const PKGS = ['hello', 'curl', 'openssl', 'python3Packages.requests', 'nodejs_22', 'rustc', 'ghc', 'firefox', 'gimp', 'libxml2', 'zstd', 'ffmpeg', 'neovim', 'git', 'jq', 'postgresql_17', 'systemd', 'mesa', 'qt6.qtbase', 'kdePackages.kate'];
const USERS = ['r-ryantm', 'alyssa', 'bjorn', 'chidi', 'dagny', 'emeka', 'farah', 'gus', 'hana'];
const DOC = 'https://docs.github.com/rest';

const resolveData = (source: DataSource): HydraData =>
  typeof (source as HydraData).getBuild === 'function' ? (source as HydraData) : (source as { data: HydraData }).data;

/** The repository model: history, pull requests and the compare rule, as of the data's clock. */
export class SimulatedGithub {
  readonly repo: string;
  private readonly data: HydraData;
  private readonly opts: Required<Pick<GithubSimOptions, 'prsPerGap' | 'input' | 'seed' | 'firstPullNumber'>>;
  private readonly specs: GithubBranchSpec[];
  private cached: History | null = null;

  constructor(source: DataSource, opts: GithubSimOptions = {}) {
    this.data = resolveData(source);
    this.repo = opts.repo ?? 'NixOS/nixpkgs';
    this.opts = {
      prsPerGap: Math.max(1, Math.floor(opts.prsPerGap ?? 3)),
      input: opts.input ?? 'nixpkgs',
      seed: opts.seed ?? 0x617,
      firstPullNumber: opts.firstPullNumber ?? 900_000,
    };
    this.specs = opts.branches ?? this.defaultBranches();
  }

  private defaultBranches(): GithubBranchSpec[] {
    const has = (p: string, j: string) => this.data.jobset(p, j) !== undefined;
    const out: GithubBranchSpec[] = [];
    if (has('nixpkgs', 'unstable')) out.push({ name: 'master', project: 'nixpkgs', jobset: 'unstable' });
    if (has('nixpkgs', 'staging-next')) out.push({ name: 'staging-next', project: 'nixpkgs', jobset: 'staging-next', ...(out.length ? { from: 'master' } : {}) });
    return out;
  }

  /** A deterministic 40-hex commit id for a key. */
  private sha(key: string): string {
    const h = hashString(key);
    let out = '';
    for (let k = 0; k < 5; k++) out += hash4(h, this.opts.seed, k, 0xc0ffee).toString(16).padStart(8, '0');
    return out;
  }

  private evalsOf(spec: GithubBranchSpec): { id: number; revision: string; timestamp: number }[] {
    const out: { id: number; revision: string; timestamp: number }[] = [];
    for (const id of this.data.evalIds(spec.project, spec.jobset)) {
      const e = this.data.getEval(id);
      const revision = e?.inputs[this.opts.input]?.revision;
      if (e && revision && /^[0-9a-f]{40}$/.test(revision)) out.push({ id, revision, timestamp: e.timestamp });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** The history as of now: rebuilt when an eval appears or a pull request's merge time passes. */
  private history(): History {
    const now = this.data.now();
    const perBranch = this.specs.map((s) => this.evalsOf(s));
    const key = `${now}|${perBranch.map((evals) => evals.map((e) => e.id).join(',')).join(';')}`;
    if (this.cached?.key === key) return this.cached;
    const commits = new Map<string, SimCommit>();
    const pulls = new Map<number, SimPull>();
    const tips = new Map<string, string>();
    const add = (c: Omit<SimCommit, 'order'>) => {
      const had = commits.get(c.sha);
      if (had) return had;
      const full = { ...c, order: commits.size };
      commits.set(c.sha, full);
      return full;
    };
    const m = this.opts.prsPerGap;
    const SPACING = 1200;

    this.specs.forEach((spec, bi) => {
      const evals = perBranch[bi]!;
      // Consecutive evals of one revision: one commit.
      const revs = evals.filter((e, i) => i === 0 || e.revision !== evals[i - 1]!.revision);
      const first = revs[0];
      // A branch appears with its jobset's first eval (so a fork point never moves later).
      if (!first) return;
      // Forked from the parent branch's eval just before this one's first, else a root of its own.
      const forkOf = spec.from ? this.specs.findIndex((s) => s.name === spec.from) : -1;
      const at = forkOf >= 0 && forkOf < bi ? perBranch[forkOf]!.filter((e) => e.timestamp <= first.timestamp).at(-1) : undefined;
      let tip: string;
      let tipTime: number;
      if (at && commits.has(at.revision)) {
        tip = at.revision;
        tipTime = at.timestamp;
      } else {
        tipTime = first.timestamp - (m + 2) * SPACING;
        tip = add({ sha: this.sha(`root:${spec.name}`), parents: [], message: `${spec.name}: the start of the simulated history`, date: tipTime, author: USERS[1]!, branch: spec.name, evalId: null }).sha;
      }
      for (let k = 0; k <= revs.length; k++) {
        const next = revs[k];
        const gapStart = k === 0 ? tipTime : revs[k - 1]!.timestamp;
        const times = mergeTimes(gapStart, next?.timestamp ?? null, m, SPACING);
        const forkPoint = tip;
        for (let i = 0; i < m; i++) {
          const last = next !== undefined && i === m - 1;
          const mergedAt = times[i]!;
          // After the newest eval: only what has been merged by now, and never the merge that becomes the next eval's revision.
          if (!next && (i === m - 1 || mergedAt > now)) break;
          const number = this.opts.firstPullNumber + 10 * (k * m + i) + bi;
          const h = hashString(`${spec.name}:${k}:${i}`);
          const pkg = PKGS[h % PKGS.length]!;
          const user = USERS[(h >>> 8) % USERS.length]!;
          const minor = (h >>> 16) % 20;
          const title = `${pkg}: ${1 + (h % 5)}.${minor} -> ${1 + (h % 5)}.${minor + 1}`;
          const headRef = `${pkg.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-update`;
          const created = mergedAt - 86_400 - ((h >>> 4) % 86_400);
          const head = add({ sha: this.sha(`head:${spec.name}:${k}:${i}`), parents: [forkPoint], message: title, date: created, author: user, branch: `${user}:${headRef}`, evalId: null });
          const mergeSha = last ? next.revision : this.sha(`merge:${spec.name}:${k}:${i}`);
          add({
            sha: mergeSha, parents: [tip, head.sha], message: `Merge pull request #${number} from ${user}/${headRef}\n\n${title}`,
            date: mergedAt, author: USERS[(h >>> 12) % USERS.length]!, branch: spec.name, evalId: last ? next.id : null,
          });
          tip = mergeSha;
          pulls.set(number, {
            number, title, user, state: 'closed', merged: true, createdAt: created, mergedAt, closedAt: mergedAt,
            mergeCommitSha: mergeSha, baseRef: spec.name, baseSha: forkPoint, headRef, headSha: head.sha,
            firstEvalId: next?.id ?? null, mergeIsEvalRevision: last,
          });
        }
        if (next && !commits.has(next.revision)) {
          add({ sha: next.revision, parents: [tip], message: `${spec.name} at eval ${next.id}`, date: next.timestamp, author: USERS[0]!, branch: spec.name, evalId: next.id });
        }
        if (next) {
          tip = next.revision;
          const c = commits.get(tip)!;
          if (c.evalId === null) c.evalId = next.id;
        }
      }
      tips.set(spec.name, tip);
    });

    // Pull requests that never reached a tracked branch: one open, one closed unmerged, one merged elsewhere.
    const master = perBranch[0]?.[0];
    if (master) {
      const base = master.revision;
      const extra = (n: number, kind: 'open' | 'closed' | 'elsewhere') => {
        const number = this.opts.firstPullNumber - n;
        const headRef = `${kind}-change`;
        const user = USERS[n % USERS.length]!;
        const title = kind === 'open' ? 'treewide: a change still under review' : kind === 'closed' ? 'hello: a change that was closed unmerged' : 'haskellPackages: a change merged into haskell-updates';
        const created = master.timestamp + 60;
        const head = add({ sha: this.sha(`extra-head:${kind}`), parents: [base], message: title, date: created, author: user, branch: `${user}:${headRef}`, evalId: null });
        // GitHub's test merge for unmerged ones; a real merge on another branch for the third.
        const merge = add({
          sha: this.sha(`extra-merge:${kind}`), parents: [base, head.sha], date: created + 600, author: user, evalId: null,
          message: kind === 'elsewhere' ? `Merge pull request #${number} from ${user}/${headRef}\n\n${title}` : `Merge ${head.sha} into ${base}`,
          branch: kind === 'elsewhere' ? 'haskell-updates' : `refs/pull/${number}/merge`,
        });
        if (kind === 'elsewhere') tips.set('haskell-updates', merge.sha);
        pulls.set(number, {
          number, title, user, state: kind === 'open' ? 'open' : 'closed', merged: kind === 'elsewhere', createdAt: created,
          mergedAt: kind === 'elsewhere' ? created + 600 : null, closedAt: kind === 'open' ? null : created + 600,
          mergeCommitSha: merge.sha, baseRef: kind === 'elsewhere' ? 'haskell-updates' : 'master', baseSha: base,
          headRef, headSha: head.sha, firstEvalId: null, mergeIsEvalRevision: false,
        });
      };
      extra(1, 'open');
      extra(2, 'closed');
      extra(3, 'elsewhere');
    }
    this.cached = { key, commits, sorted: [...commits.keys()].sort(), pulls, tips };
    return this.cached;
  }

  // ---------------- reading the model ----------------

  /** Every commit, oldest first. */
  commits(): SimCommit[] {
    return [...this.history().commits.values()].sort((a, b) => a.order - b.order);
  }

  /** Every pull request, by number. */
  pulls(): SimPull[] {
    return [...this.history().pulls.values()].sort((a, b) => a.number - b.number);
  }

  pull(n: number): SimPull | undefined {
    return this.history().pulls.get(n);
  }

  /** A full sha, an unambiguous abbreviation (4 hex digits or more) or a branch name; undefined when unknown. */
  resolve(ref: string): SimCommit | undefined {
    const h = this.history();
    const tip = h.tips.get(ref);
    if (tip) return h.commits.get(tip);
    if (!/^[0-9a-f]{4,40}$/i.test(ref)) return undefined;
    const r = ref.toLowerCase();
    if (r.length === 40) return h.commits.get(r);
    // First sha >= r in sorted order, then check it is the only one with that prefix.
    let lo = 0, hi = h.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h.sorted[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    const a = h.sorted[lo], b = h.sorted[lo + 1];
    if (!a?.startsWith(r) || b?.startsWith(r)) return undefined;
    return h.commits.get(a);
  }

  /** The commit and its ancestors. */
  ancestors(sha: string): Set<string> {
    const h = this.history();
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const p of h.commits.get(s)?.parents ?? []) stack.push(p);
    }
    return seen;
  }

  /** GitHub's compare of `base...head`: how `head` stands against `base`. */
  compare(base: SimCommit, head: SimCommit): {
    status: 'ahead' | 'behind' | 'identical' | 'diverged'; aheadBy: number; behindBy: number; ahead: SimCommit[]; mergeBase: SimCommit | null;
  } {
    const h = this.history();
    const ofBase = this.ancestors(base.sha);
    const ofHead = this.ancestors(head.sha);
    const ahead = [...ofHead].filter((s) => !ofBase.has(s)).map((s) => h.commits.get(s)!).sort((a, b) => a.order - b.order);
    const behindBy = [...ofBase].filter((s) => !ofHead.has(s)).length;
    let mergeBase: SimCommit | null = null;
    for (const s of ofBase) if (ofHead.has(s)) {
      const c = h.commits.get(s)!;
      if (!mergeBase || c.order > mergeBase.order) mergeBase = c;
    }
    const status = base.sha === head.sha ? 'identical' : ahead.length === 0 ? 'behind' : behindBy === 0 ? 'ahead' : 'diverged';
    return { status, aheadBy: ahead.length, behindBy, ahead, mergeBase };
  }
}

/**
 * When the `m` pull requests of a gap were merged: every `spacing` seconds from its start, and
 * those that would fall at or after the next eval squeezed in before it (the last one always:
 * its merge is that eval's revision). A time shown before the next eval existed never changes.
 */
export function mergeTimes(start: number, next: number | null, m: number, spacing: number): number[] {
  const fixed = Array.from({ length: m }, (_, i) => start + (i + 1) * spacing);
  if (next === null) return fixed;
  const kept = fixed.findIndex((t, i) => t >= next || i === m - 1);
  const from = kept > 0 ? fixed[kept - 1]! : start;
  const squeezed = m - kept;
  return [...fixed.slice(0, kept), ...Array.from({ length: squeezed }, (_, n) => Math.floor(from + ((n + 1) * (next - from)) / (squeezed + 1)))];
}

// ---------------- the HTTP side ----------------

export interface GithubSimApp {
  app: Hono;
  model: SimulatedGithub;
  /** Every request: path and Authorization header. */
  requests: { path: string; auth: string | null }[];
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createGithubSimApp(source: DataSource, opts: GithubSimOptions = {}): GithubSimApp {
  const model = new SimulatedGithub(source, opts);
  const data = resolveData(source);
  const [owner, name] = model.repo.split('/') as [string, string];
  const api = 'http://api.github.invalid';
  const web = 'https://github.com';
  const repoApi = `${api}/repos/${model.repo}`;
  const requests: GithubSimApp['requests'] = [];
  const used = new Map<string, { window: number; count: number }>();
  const app = new Hono();

  const userOf = (login: string) => ({
    login, id: hashString(login) % 10_000_000, node_id: `U_${login}`, type: login === 'r-ryantm' ? 'Bot' : 'User', site_admin: false,
    avatar_url: `https://avatars.githubusercontent.com/u/${hashString(login) % 10_000_000}?v=4`, url: `${api}/users/${login}`, html_url: `${web}/${login}`,
  });
  const repoOf = () => ({
    id: 4542716, node_id: 'MDEwOlJlcG9zaXRvcnk0NTQyNzE2', name, full_name: model.repo, private: false, owner: userOf(owner),
    html_url: `${web}/${model.repo}`, url: repoApi, default_branch: 'master', fork: false,
  });
  const commitOf = (c: SimCommit) => {
    const person = { name: c.author, email: `${c.author}@users.noreply.github.com`, date: iso(c.date) };
    return {
      sha: c.sha, node_id: `C_${c.sha.slice(0, 20)}`,
      commit: {
        author: person, committer: person, message: c.message, tree: { sha: c.sha.split('').reverse().join(''), url: `${repoApi}/git/trees/${c.sha}` },
        url: `${repoApi}/git/commits/${c.sha}`, comment_count: 0, verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      url: `${repoApi}/commits/${c.sha}`, html_url: `${web}/${model.repo}/commit/${c.sha}`, comments_url: `${repoApi}/commits/${c.sha}/comments`,
      author: userOf(c.author), committer: userOf(c.author),
      parents: c.parents.map((p) => ({ sha: p, url: `${repoApi}/commits/${p}`, html_url: `${web}/${model.repo}/commit/${p}` })),
    };
  };
  const notFound = (c: Context, doc: string) => c.json({ message: 'Not Found', documentation_url: `${DOC}/${doc}`, status: '404' }, 404);

  app.use('*', async (c, next) => {
    const auth = c.req.header('authorization') ?? null;
    requests.push({ path: c.req.path, auth });
    const token = auth?.match(/^(?:Bearer|token)\s+(.+)$/i)?.[1] ?? null;
    if (token !== null && opts.tokens && !opts.tokens.includes(token)) {
      return c.json({ message: 'Bad credentials', documentation_url: DOC, status: '401' }, 401);
    }
    const limit = opts.rateLimit ? (token ? opts.rateLimit.token : opts.rateLimit.anonymous) : token ? 5000 : 60;
    const who = token ? `token:${token}` : 'anonymous';
    const now = Math.floor(Date.now() / 1000);
    let u = used.get(who);
    if (!u || now >= u.window + 3600) used.set(who, (u = { window: now, count: 0 }));
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(Math.max(0, remaining)), 'x-ratelimit-used': String(Math.min(limit, u!.count)),
      'x-ratelimit-reset': String(u!.window + 3600), 'x-ratelimit-resource': 'core',
    });
    if (opts.rateLimit && u.count >= limit) {
      return c.json({ message: `API rate limit exceeded for ${token ? 'user' : '127.0.0.1'}.`, documentation_url: `${DOC}/overview/rate-limits-for-the-rest-api` }, 403, headers(0));
    }
    u.count++;
    await next();
    for (const [k, v] of Object.entries(headers(limit - u.count))) c.header(k, v);
  });

  const sameRepo = (c: Context) => `${c.req.param('owner')}/${c.req.param('repo')}`.toLowerCase() === model.repo.toLowerCase();

  app.get('/repos/:owner/:repo/compare/:spec{.+}', (c) => {
    const doc = 'commits/commits#compare-two-commits';
    if (!sameRepo(c)) return notFound(c, doc);
    const parts = c.req.param('spec').split('...');
    if (parts.length !== 2) return notFound(c, doc);
    const base = model.resolve(decodeURIComponent(parts[0]!));
    const head = model.resolve(decodeURIComponent(parts[1]!));
    if (!base || !head) return notFound(c, doc);
    const r = model.compare(base, head);
    const spec = `${parts[0]}...${parts[1]}`;
    return c.json({
      url: `${repoApi}/compare/${spec}`, html_url: `${web}/${model.repo}/compare/${spec}`,
      permalink_url: `${web}/${model.repo}/compare/${owner}:${base.sha.slice(0, 7)}...${owner}:${head.sha.slice(0, 7)}`,
      diff_url: `${web}/${model.repo}/compare/${spec}.diff`, patch_url: `${web}/${model.repo}/compare/${spec}.patch`,
      base_commit: commitOf(base), merge_base_commit: r.mergeBase ? commitOf(r.mergeBase) : null,
      status: r.status, ahead_by: r.aheadBy, behind_by: r.behindBy, total_commits: r.aheadBy,
      // GitHub lists at most 250 commits, oldest first.
      commits: r.ahead.slice(0, 250).map(commitOf), files: [],
    });
  });

  app.get('/repos/:owner/:repo/pulls/:n{[0-9]+}', (c) => {
    const doc = 'pulls/pulls#get-a-pull-request';
    if (!sameRepo(c)) return notFound(c, doc);
    const p = model.pull(Number(c.req.param('n')));
    // A pull request not yet opened at the clock does not exist.
    if (!p || p.createdAt > data.now()) return notFound(c, doc);
    const prApi = `${repoApi}/pulls/${p.number}`;
    const head = model.resolve(p.headSha);
    return c.json({
      url: prApi, id: 1_000_000_000 + p.number, node_id: `PR_${p.number}`, html_url: `${web}/${model.repo}/pull/${p.number}`,
      diff_url: `${web}/${model.repo}/pull/${p.number}.diff`, patch_url: `${web}/${model.repo}/pull/${p.number}.patch`,
      issue_url: `${repoApi}/issues/${p.number}`, commits_url: `${prApi}/commits`, number: p.number, state: p.state, locked: false,
      title: p.title, user: userOf(p.user), body: `Simulated pull request #${p.number}.`, labels: [], milestone: null, draft: false,
      created_at: iso(p.createdAt), updated_at: iso(p.closedAt ?? p.createdAt), closed_at: p.closedAt === null ? null : iso(p.closedAt),
      merged_at: p.mergedAt === null ? null : iso(p.mergedAt), merge_commit_sha: p.mergeCommitSha,
      assignee: null, assignees: [], requested_reviewers: [], requested_teams: [],
      head: { label: `${p.user}:${p.headRef}`, ref: p.headRef, sha: p.headSha, user: userOf(p.user), repo: { ...repoOf(), full_name: `${p.user}/${name}`, name, owner: userOf(p.user), fork: true } },
      base: { label: `${owner}:${p.baseRef}`, ref: p.baseRef, sha: p.baseSha, user: userOf(owner), repo: repoOf() },
      author_association: 'CONTRIBUTOR', auto_merge: null, active_lock_reason: null,
      merged: p.merged, mergeable: p.state === 'open' ? true : null, rebaseable: p.state === 'open' ? true : null,
      mergeable_state: p.state === 'open' ? 'clean' : 'unknown', merged_by: p.merged ? userOf(USERS[hashString(String(p.number)) % USERS.length]!) : null,
      comments: 0, review_comments: 0, maintainer_can_modify: false, commits: head ? 1 : 0, additions: 2, deletions: 2, changed_files: 1,
    });
  });

  app.notFound((c) => c.json({ message: 'Not Found', documentation_url: DOC, status: '404' }, 404));
  return { app, model, requests };
}

/** The simulator and where it listens. */
export interface RunningGithubSim extends GithubSimApp, LocalServer {}

export async function startGithubSim(source: DataSource, opts: GithubSimOptions & { port?: number } = {}): Promise<RunningGithubSim> {
  const sim = createGithubSimApp(source, opts);
  return { ...sim, ...(await serveLocal(sim.app.fetch, opts.port)) };
}
