import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Headers every response carries. Pages replace the Content-Security-Policy with their own
 * (SvelteKit's `kit.csp` in svelte.config.js: scripts only from this site plus the hash of the
 * page's inline start script); everything else (JSON, feeds, assets) is never a document to
 * run or frame, so it gets the strictest policy.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Claim and release are one click: no other site may frame a page to trick that click.
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Filter URLs stay on this site; other sites learn only the origin.
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/**
 * Sets the security headers on a Node response before any handler writes it. Pages (`api`
 * false) get no CSP here: SvelteKit sends theirs, and a 304 revalidating a page must carry
 * none, or the browser would store this one over the page's (and block its scripts).
 */
export function setSecurityHeaders(res: ServerResponse, api: boolean): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (api || name !== 'content-security-policy') res.setHeader(name, value);
  }
}

/**
 * Node's `clientError`: a request its parser refused (a request line and headers over 16 KB, a
 * malformed request) gets the API's JSON error shape instead of an empty body, then the
 * connection closes (the parser cannot find where the next request would start).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'headers_too_large', 'request line and headers over 16 KB']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'timeout', 'the request took too long to arrive']
      : [400, 'invalid', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
    'connection: close',
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
