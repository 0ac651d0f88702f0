// Form actions for claiming, shared by every page that lists breakages. They call the API's
// claim endpoints with the visitor's session; success redirects back (post/redirect/get),
// so the same forms work without JavaScript and with `use:enhance`.
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { PR_URL } from '../api/routes/breakages.ts';
import { apiSend, type ApiResult } from './api.ts';

/** The API names its JSON fields; the reader of a form knows them by their labels. */
function inFormTerms(message: string): string {
  return message.replace(/\bprUrl\b/g, 'PR link').replace(/^note:/, 'Note:');
}

/** Checked here so the reader is told in the form's terms, before the API is asked. */
function prUrlProblem(prUrl: string): string | null {
  return prUrl && !PR_URL.test(prUrl) ? 'PR link: must be a GitHub pull request URL, like https://github.com/NixOS/nixpkgs/pull/123456' : null;
}

function backTo(url: URL): string {
  const p = new URLSearchParams(url.search);
  for (const k of [...p.keys()]) if (k.startsWith('/')) p.delete(k);
  const s = p.toString();
  return `${url.pathname}${s ? `?${s}` : ''}`;
}

async function idOf(event: RequestEvent): Promise<{ id: number | null; form: FormData }> {
  const form = await event.request.formData();
  const raw = String(form.get('id') ?? '');
  return { id: /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : null, form };
}

function needUser(event: RequestEvent, id: number | null) {
  if (!event.locals.user) return fail(401, { id, message: 'Sign in to claim breakages.' });
  if (id === null) return fail(400, { id, message: 'Which breakage? The form did not say.' });
  return null;
}

/** A claim or PR form: the breakage, the PR link it gives, checked, and `bad`, the failure to answer with instead. */
async function prForm(event: RequestEvent) {
  const { id, form } = await idOf(event);
  const prUrl = String(form.get('prUrl') ?? '').trim();
  const problem = prUrlProblem(prUrl);
  return { id, form, prUrl, bad: needUser(event, id) ?? (problem ? fail(400, { id, message: problem }) : null) };
}

/** The API's answer: its error in the form's terms, or back to the page (post/redirect/get). */
function answer(event: RequestEvent, id: number | null, r: ApiResult<unknown>) {
  if (!r.ok) return fail(r.status, { id, message: inFormTerms(r.message) });
  redirect(303, backTo(event.url));
}

export const claimActions = {
  claim: async (event: RequestEvent) => {
    const { id, prUrl, bad } = await prForm(event);
    if (bad) return bad;
    return answer(event, id, await apiSend(event, 'POST', `/api/breakages/${id}/claim`, prUrl ? { prUrl } : {}));
  },
  release: async (event: RequestEvent) => {
    const { id } = await idOf(event);
    const bad = needUser(event, id);
    if (bad) return bad;
    return answer(event, id, await apiSend(event, 'DELETE', `/api/breakages/${id}/claim`));
  },
  pr: async (event: RequestEvent) => {
    const { id, form, prUrl, bad } = await prForm(event);
    if (bad) return bad;
    const note = form.get('note');
    const body: Record<string, string | null> = { prUrl: prUrl || null };
    if (typeof note === 'string') body.note = note.trim() || null;
    return answer(event, id, await apiSend(event, 'PATCH', `/api/breakages/${id}/claim`, body));
  },
};
