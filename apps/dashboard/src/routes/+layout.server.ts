import { getContext } from '$lib/server/context';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals }) => {
  const ctx = getContext();
  return {
    user: locals.user ? { login: locals.user.login, maintainer: locals.user.maintainer } : null,
    hydraUrl: ctx.hydraUrl,
    devLogin: ctx.devLogin,
    githubLogin: ctx.githubLogin,
  };
};
