// `zhf check` as text: a summary line, then the packages grouped by what a reviewer does next.

import type { CheckItem, CheckResult } from './run.ts';

const day = (iso: string) => iso.slice(0, 10);

function line(i: CheckItem): string {
  const parts = [`  ${i.attr}  ${i.system}`];
  if (i.buildId !== null) parts.push(`build ${i.buildId}`);
  if (i.since) parts.push(`failing since eval ${i.since.evalId} (${day(i.since.at)})`);
  if (i.breakage) {
    const claim = i.breakage.claim ? `claimed by @${i.breakage.claim.by}${i.breakage.claim.prUrl ? ` (${i.breakage.claim.prUrl})` : ''}` : 'unclaimed';
    parts.push(`breakage #${i.breakage.id}, ${claim}`);
  }
  if (i.lastVerdict) parts.push(`last verdict ${i.lastVerdict.outcome} in eval ${i.lastVerdict.evalId}`);
  if (i.job !== `${i.attr}.${i.system}` && !i.note) parts.push(`as ${i.job}`);
  if (i.note) parts.push(i.note);
  return parts.join('  ·  ');
}

export function formatCheckText(r: CheckResult): string {
  const s = r.summary;
  const out: string[] = [];
  out.push(`zhf check against ${r.jobset} eval ${r.evalId} (${day(r.timestamp)}${r.revision ? `, ${r.revision.slice(0, 12)}` : ''})${r.pr ? ` for PR #${r.pr}` : ''}`);
  const counts = [
    `${s.verdicts['already-broken']} already broken on Hydra`,
    `${s.verdicts['likely-new']} likely new`,
    `${s.verdicts.pending} pending on Hydra`,
    `${s.verdicts.unknown} unknown to Hydra`,
    `${s.verdicts.built} built`,
  ];
  if (r.note) out.push(r.note);
  out.push(`${s.total} package${s.total === 1 ? '' : 's'}: ${counts.join(', ')}${s.skipped ? ` (${s.skipped} blacklisted/non-existent/tests entries not checked)` : ''}`);
  const groups: [string, CheckItem[]][] = [
    ['Likely new (green on Hydra):', r.items.filter((i) => i.verdict === 'likely-new')],
    ['Already broken on Hydra:', r.items.filter((i) => i.verdict === 'already-broken')],
    ['Pending on Hydra:', r.items.filter((i) => i.verdict === 'pending')],
    ['Unknown to Hydra (no such job in the newest eval, or no verdict):', r.items.filter((i) => i.verdict === 'unknown')],
    ['Built here but failing on Hydra (fixed by this change?):', r.items.filter((i) => i.verdict === 'built' && i.hydra === 'failing')],
  ];
  for (const [title, items] of groups) {
    if (!items.length) continue;
    out.push('', title, ...items.map(line));
  }
  return out.join('\n');
}
