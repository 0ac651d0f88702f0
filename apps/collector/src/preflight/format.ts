// The preflight report as a terminal reads it: what is compared, the labels, counts per system
// and kernel, the impact counts, then each non-empty list cut to a screenful, saying how many
// more there are and that --json lists them all.

import type { PreflightItem } from '../pure/preflight.ts';
import type { PreflightEvalRef, PreflightResult } from './run.ts';

const LIST_TITLES: [keyof PreflightResult['impact'], string][] = [
  ['newlyBroken', 'Newly broken (green in the base, failing in the candidate)'],
  ['newlyFixed', 'Newly fixed (failing in the base, green in the candidate)'],
  ['stillFailing', 'Still failing (failing in both)'],
  ['atRisk', 'At risk (rebuilt, green in the base now)'],
  ['mayFix', 'May get fixed (rebuilt, failing in the base now)'],
  ['pending', 'Pending in the base'],
  ['infra', 'Infrastructure failure in the base (aborted, timed out…)'],
  ['new', 'New (absent from the base)'],
];

export function formatPreflightText(report: PreflightResult, opts: { maxLines?: number } = {}): string {
  const maxLines = opts.maxLines ?? 50;
  const out: string[] = [];
  const candidate = report.candidate ? evalLabel(report.candidate) : 'a changed-paths.json';
  out.push(`Mass-rebuild preflight: ${candidate} against ${evalLabel(report.base)}`);
  out.push('');
  out.push(`Labels: ${report.labels.join(', ')}`);
  out.push('');

  const t = report.totals;
  out.push(`Rebuilt jobs: ${t.rebuilt}` +
    ` (base has ${t.baseJobs} jobs${t.candidateJobs === null ? '' : `, candidate ${t.candidateJobs}`})`);
  const systems = Object.entries(report.rebuildsBySystem);
  const sysWidth = Math.max(6, ...systems.map(([s]) => s.length));
  for (const [system, n] of systems) out.push(`  ${system.padEnd(sysWidth)}  ${String(n).padStart(7)}`);
  // Neither rebuilt nor unchanged until their full records are fetched (a report from an older server has no count).
  if (t.unknownOutputs > 0) out.push(`Not known yet (a build with no outputs stored on either side): ${t.unknownOutputs}`);
  out.push('');
  out.push('Packages rebuilt per kernel (the label count):');
  for (const kernel of ['linux', 'darwin'] as const) {
    const k = report.byKernel[kernel];
    out.push(`  ${kernel.padEnd(6)}  ${String(k.packages).padStart(7)}  ${k.labels.join(', ')}` +
      (k.systems.length ? `  (${k.systems.join(', ')})` : ''));
  }
  out.push('');

  out.push("Impact against the base eval's current outcomes:");
  const counts: [string, number][] = [
    ['at risk (green now)', t.atRisk],
    ['may get fixed (failing now)', t.mayFix],
    ['pending in the base', t.pending],
    ['infra in the base', t.infra],
    ['new jobs', t.new],
  ];
  if (report.candidateResults) {
    counts.push(['newly broken', t.newlyBroken], ['newly fixed', t.newlyFixed], ['still failing', t.stillFailing]);
  }
  const labelWidth = Math.max(...counts.map(([l]) => l.length));
  for (const [label, n] of counts) out.push(`  ${label.padEnd(labelWidth)}  ${String(n).padStart(7)}`);

  if (report.notes.length) {
    out.push('');
    for (const note of report.notes) out.push(`Note: ${note}`);
  }

  for (const [key, title] of LIST_TITLES) {
    const list = report.impact[key];
    // The total, not the list's length: a report from the API may carry a slice of the list.
    const total = Math.max(t[key], list.length);
    if (total === 0) continue;
    out.push('');
    out.push(`${title}: ${total}`);
    const shown = list.slice(0, maxLines);
    for (const item of shown) out.push(`  ${itemLine(item)}`);
    if (total > shown.length) out.push(`  … ${total - shown.length} more (--json lists all ${total})`);
  }
  return out.join('\n') + '\n';
}

function evalLabel(e: PreflightEvalRef): string {
  return `${e.jobset} eval ${e.id}${e.revision ? ` (${e.revision.slice(0, 12)})` : ''}`;
}

function itemLine(i: PreflightItem): string {
  const side = (outcome: string | null, build: number | null) => (outcome === null ? '—' : build === null ? outcome : `${outcome} #${build}`);
  const parts = [i.job];
  if (i.baseOutcome !== null || i.baseBuildId !== null) parts.push(`base: ${side(i.baseOutcome, i.baseBuildId)}`);
  if (i.candidateOutcome !== null || i.candidateBuildId !== null) parts.push(`candidate: ${side(i.candidateOutcome, i.candidateBuildId)}`);
  if (i.kind === 'dependency') parts.push('dependency failed');
  return parts.join('  ');
}
