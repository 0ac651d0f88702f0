// Client-safe formatting helpers shared by pages and components.
import { STATUSES } from '@zhf/db/verdict/table';
import type { Category } from './types.ts';

/** Display order and labels of the verdict categories (SPEC section 3). */
export const CATEGORY_LABEL: Record<Category, string> = {
  new_failure: 'new failure',
  new_job_failing: 'new job failing',
  still_failing: 'still failing',
  failing: 'failing',
  fixed: 'fixed',
  pending: 'pending',
  infra: 'infra',
  new_job: 'new job',
  still_succeeding: 'still succeeding',
  succeeding: 'succeeding',
  removed: 'removed',
};
export const CATEGORY_ORDER = Object.keys(CATEGORY_LABEL) as Category[];

/** Hydra's words for a finished build's `buildstatus` (the verdict table's), e.g. 2 → "dependency failed". */
export function statusWords(code: number): string {
  const row = STATUSES.find((s) => s.code === code);
  return row ? (row.label ?? 'set on build steps only') : 'unknown status';
}

/** What counts as an infrastructure hiccup, in Hydra's words: "aborted", "timed out", … */
export const INFRA_STATUS_WORDS = STATUSES.filter((s) => s.outcome === 'infra' && s.label).map((s) => s.label as string);

/** Categories that mean "broken now": the ones a fixer cares about first. */
export const FAILING: Category[] = ['new_failure', 'new_job_failing', 'still_failing', 'failing'];

const UNITS: [number, string][] = [
  [365 * 86400, 'y'], [30 * 86400, 'mo'], [7 * 86400, 'w'], [86400, 'd'], [3600, 'h'], [60, 'm'],
];

/** "3d", "5h", "now": the age of an instant relative to `now`. */
export function age(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '—';
  const a = Math.abs(s);
  if (a < 60) return s >= 0 ? 'just now' : 'in <1m';
  for (const [n, u] of UNITS) if (a >= n) return s >= 0 ? `${Math.floor(a / n)}${u} ago` : `in ${Math.floor(a / n)}${u}`;
  return 'just now';
}

/** `2026-11-26 14:05 UTC` */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function shortRev(rev: string | null | undefined): string {
  return rev ? rev.slice(0, 10) : '—';
}

export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined) return '—';
  if (h < 48) return `${h.toFixed(h < 10 ? 1 : 0)} h`;
  return `${(h / 24).toFixed(1)} d`;
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** `breakage` or `breakages` for `n` (English: only 1 is singular). */
export function plural(n: number | null | undefined, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

/** A build on Hydra. Job rows and history entries answer a null build while the job awaits it (it renders as `null`). */
export function buildUrl(hydraUrl: string, id: number | null): string {
  return `${hydraUrl}/build/${id}`;
}

/** Hydra's log of a build (HYDRA-API.md "Build logs"). */
export function logUrl(hydraUrl: string, id: number | null): string {
  return `${hydraUrl}/build/${id}/log`;
}

export function evalUrl(hydraUrl: string, id: number): string {
  return `${hydraUrl}/eval/${id}`;
}

/** Dashboard path of a job's history page. */
export function jobPath(jobset: string, job: string): string {
  const [p, j] = jobset.split('/');
  return `/jobs/${encodeURIComponent(p ?? '')}/${encodeURIComponent(j ?? '')}/${encodeURIComponent(job)}`;
}

export function jobsetPath(jobset: string): string {
  const [p, j] = jobset.split('/');
  return `/jobsets/${encodeURIComponent(p ?? '')}/${encodeURIComponent(j ?? '')}`;
}

/** The same query string with `changes` applied (null or '' removes a key); keeps every other filter. */
export function withParams(search: URLSearchParams | string, changes: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams(search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '?';
}

/** Stable colours per system for charts and chips. */
const SYSTEM_COLOURS: Record<string, string> = {
  'x86_64-linux': '#2f6fde',
  'aarch64-linux': '#e0803a',
  'x86_64-darwin': '#8a5cd6',
  'aarch64-darwin': '#2aa198',
  'i686-linux': '#c9486b',
};
const FALLBACK = ['#6b8e23', '#b8860b', '#708090', '#cd5c5c', '#4682b4', '#9acd32'];
export function systemColour(system: string, i = 0): string {
  return SYSTEM_COLOURS[system] ?? FALLBACK[i % FALLBACK.length]!;
}
