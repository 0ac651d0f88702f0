import { z } from 'zod';
import { allJobsets, findJobset, listBreakages, openBreakageCounts, type BreakageView } from '@zhf/db/queries';
import { ownOrigin } from '../auth.ts';
import { NotFound } from '../errors.ts';
import { HealthSchema } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, text, type ApiApp } from '../route.ts';

/** A jobset whose last good sync is older than this makes /healthz report `degraded`. */
export const STALE_SYNC_S = 3600;

const nameParam = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'not a project or jobset name');

/** Prometheus label value escaping: backslash, quote, newline. */
const label = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** XML text and attribute escaping; characters XML 1.0 cannot carry at all are dropped. */
export function xml(s: string): string {
  return s
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** An Atom feed of breakages; `opts` for feeds across jobsets (a maintainer's). */
export function atom(
  feedUrl: string, site: string, jobset: string, items: BreakageView[], now: Date,
  opts: { alternate?: string; jobsetOf?: (b: BreakageView) => string } = {},
): string {
  const updated = items[0]?.openedAt ?? now.toISOString();
  const entries = items.map((b) => {
    const page = `${site}/jobs/${opts.jobsetOf?.(b) ?? jobset}/${encodeURIComponent(b.job)}`;
    const what = b.kind === 'dependency' ? 'dependency failure' : 'new failure';
    const summary = [`${b.job} (${b.system}): ${what} in eval ${b.openedEvalId}, ${b.state}.`,
      b.range ? `Commit range: ${b.range.url}` : '', `Hydra build: ${b.buildUrl}`, b.claim ? `Claimed by @${b.claim.by}.` : '',
      b.maintainers.length ? `Maintainers: ${b.maintainers.map((m) => m.github ?? m.name).join(', ')}.` : ''].filter(Boolean).join(' ');
    return `  <entry>
    <id>${xml(`${site}/breakages/${b.id}`)}</id>
    <title>${xml(`${b.job}: ${what}`)}</title>
    <updated>${xml(b.openedAt)}</updated>
    <link rel="alternate" type="text/html" href="${xml(page)}"/>
    <link rel="related" type="text/html" title="Hydra build" href="${xml(b.buildUrl)}"/>
    <category term="${xml(b.system)}"/>
    <summary type="text">${xml(summary)}</summary>
  </entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xml(feedUrl)}</id>
  <title>${xml(`New breakages in ${jobset}`)}</title>
  <updated>${xml(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xml(feedUrl)}"/>
  <link rel="alternate" type="text/html" href="${xml(opts.alternate ?? `${site}/`)}"/>
  <author><name>zhf</name></author>
${entries.join('\n')}
</feed>
`;
}

/** `/healthz`, `/metrics` and `/feeds/:project/:jobset.atom`. */
export function opsRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/healthz', summary: 'Liveness and last-sync age per jobset', responses: ok(HealthSchema),
  }, async (c) => {
    const { database, config, now } = c.get('deps');
    const t = now();
    const rows = await allJobsets(database.db);
    const byRef = new Map(rows.map((r) => [`${r.project}/${r.name}`, r]));
    const jobsets = config.jobsets.map((ref) => {
      const r = byRef.get(ref);
      const ok = r?.lastSyncOkAt ?? null;
      return {
        jobset: ref,
        lastSyncOkAt: ok?.toISOString() ?? null,
        ageSeconds: ok === null ? null : Math.max(0, Math.round((t.getTime() - ok.getTime()) / 1000)),
        lastError: r?.lastSyncError ?? null,
      };
    });
    const status: 'ok' | 'degraded' = jobsets.some((j) => j.ageSeconds === null || j.ageSeconds > STALE_SYNC_S) ? 'degraded' : 'ok';
    return c.json({ status, jobsets }, 200);
  });
  route(app, {
    method: 'get', path: '/metrics', summary: 'Prometheus text exposition', responses: text('text/plain'),
  }, async (c) => {
    const { database, now, metrics } = c.get('deps');
    const t = now();
    const lines: string[] = [];
    lines.push('# HELP zhf_open_breakages Open breakages by jobset, system and failure kind.', '# TYPE zhf_open_breakages gauge');
    for (const r of await openBreakageCounts(database.db)) {
      lines.push(`zhf_open_breakages{jobset="${label(r.jobset)}",system="${label(r.system)}",kind="${label(r.kind ?? 'unknown')}"} ${r.n}`);
    }
    const jobsets = await allJobsets(database.db);
    lines.push('# HELP zhf_sync_duration_seconds Duration of the last sync of a jobset.', '# TYPE zhf_sync_duration_seconds gauge');
    for (const j of jobsets) if (j.lastSyncMs !== null) lines.push(`zhf_sync_duration_seconds{jobset="${label(`${j.project}/${j.name}`)}"} ${j.lastSyncMs / 1000}`);
    lines.push('# HELP zhf_last_sync_age_seconds Seconds since the last successful sync of a jobset.', '# TYPE zhf_last_sync_age_seconds gauge');
    for (const j of jobsets) {
      if (j.lastSyncOkAt) lines.push(`zhf_last_sync_age_seconds{jobset="${label(`${j.project}/${j.name}`)}"} ${Math.max(0, (t.getTime() - j.lastSyncOkAt.getTime()) / 1000)}`);
    }
    lines.push('# HELP zhf_hydra_requests_total Requests made to Hydra by endpoint and HTTP status.', '# TYPE zhf_hydra_requests_total counter');
    for (const [key, n] of [...(metrics?.hydraRequests() ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b))) {
      const [endpoint, status = 'unknown'] = key.split(' ');
      lines.push(`zhf_hydra_requests_total{endpoint="${label(endpoint ?? key)}",status="${label(status)}"} ${n}`);
    }
    return c.text(`${lines.join('\n')}\n`, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  route(app, {
    method: 'get', path: '/feeds/{project}/{file}', summary: 'New breakages of a jobset as an Atom feed (file: <jobset>.atom)',
    request: { params: z.object({ project: nameParam, file: z.string() }) },
    responses: { ...text('application/atom+xml'), ...errors(404) },
  }, async (c) => {
    const { database, config, now } = c.get('deps');
    const { project, file } = c.req.valid('param');
    const name = file.slice(0, -'.atom'.length);
    if (!nameParam.safeParse(name).success) throw new NotFound(`no feed ${project}/${file}`);
    const js = await findJobset(database.db, project, name);
    if (!js) throw new NotFound(`jobset ${project}/${name} is not tracked`);
    const t = now();
    const page = await listBreakages(database.db, { now: t, hydraUrl: config.hydraUrl }, { jobsetId: js.id, preexisting: false, sort: 'opened' }, null, 100);
    const site = ownOrigin(c);
    const body = atom(`${site}/feeds/${project}/${name}.atom`, site, `${project}/${name}`, page.items, t);
    return c.body(body, 200, { 'content-type': 'application/atom+xml; charset=utf-8' });
  }, { routing: '/feeds/{project}/{file{[^/]+\\.atom}}' });
  return app;
}
