// Pages read and write only through the HTTP API, in process (no network hop, no database).
import { error, type RequestEvent } from '@sveltejs/kit';
import { getContext } from '../context.ts';

type Event = Pick<RequestEvent, 'request' | 'locals'>;

export interface ApiResult<T> {
  ok: boolean;
  status: number;
  body: T;
  /** The API's error message when not ok. */
  message: string;
}

/** The in-process request, carrying the visitor's cookie and, for writes, their CSRF token. */
async function call(event: Event, method: string, path: string, body?: unknown): Promise<Response> {
  const headers = new Headers({ accept: 'application/json' });
  const cookie = event.request.headers.get('cookie');
  if (cookie) headers.set('cookie', cookie);
  if (method !== 'GET') {
    if (event.locals.user) headers.set('x-csrf-token', event.locals.user.csrf);
    headers.set('content-type', 'application/json');
  }
  return getContext().fetch(new Request(`http://zhf.internal${path}`, {
    method, headers, body: body === undefined || method === 'GET' ? undefined : JSON.stringify(body),
  }));
}

async function parse<T>(res: Response, path: string): Promise<ApiResult<T>> {
  let body: unknown = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: { code: 'bad_json', message: `${path} answered non-JSON (${res.status})` } };
  }
  const message = res.ok ? '' : ((body as { error?: { message?: string } } | null)?.error?.message ?? `${path} answered ${res.status}`);
  return { ok: res.ok, status: res.status, body: body as T, message };
}

/** A write (or a read whose failure the page shows inline): never throws on an API error. */
export async function apiSend<T>(event: Event, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  return parse<T>(await call(event, method, path, body), path);
}

/** A read the page cannot render without: an API error becomes the page's error (404 stays 404). */
export async function apiGet<T>(event: Event, path: string): Promise<T> {
  const r = await parse<T>(await call(event, 'GET', path), path);
  if (!r.ok) error(r.status >= 400 && r.status < 600 ? r.status : 500, r.message);
  return r.body;
}

/** Like apiGet, but a failure is null (for optional panels on a page). */
export async function apiTry<T>(event: Event, path: string): Promise<T | null> {
  const r = await parse<T>(await call(event, 'GET', path), path);
  return r.ok ? r.body : null;
}

/** `?a=1&b=x` from defined values only; arrays repeat the key. */
export function qs(params: Record<string, string | number | boolean | null | undefined | (string | number)[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function hydraUrl(): string {
  return getContext().hydraUrl;
}
