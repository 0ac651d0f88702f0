import { getContext } from '$lib/server/context';
import { apiTry } from '$lib/server/pages/api';
import type { LayoutServerLoad } from './$types';

type Health = { jobsets: { jobset: string; lastError: string | null }[] };

export const load: LayoutServerLoad = async (event) => {
  const ctx = getContext();
  // Every page says when Hydra cannot be read: what it shows is as of the last good sync.
  const health = await apiTry<Health>(event, '/healthz');
  const syncFailing = (health?.jobsets ?? []).filter((j) => j.lastError).map((j) => ({ jobset: j.jobset, reason: j.lastError! }));
  return {
    user: event.locals.user ? { login: event.locals.user.login, maintainer: event.locals.user.maintainer } : null,
    hydraUrl: ctx.hydraUrl,
    devLogin: ctx.devLogin,
    githubLogin: ctx.githubLogin,
    syncFailing,
    nextSyncAt: syncFailing.length ? (ctx.nextSyncAt?.()?.toISOString() ?? null) : null,
  };
};
