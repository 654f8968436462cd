// Who may talk to the dashboard: whoever holds the token kloop printed. The token arrives once in
// the URL (?token=), is traded for a cookie, and is compared in constant time. The Host header must
// name the loopback address, so a web page on another origin cannot reach the server through a DNS
// name that resolves to 127.0.0.1 (DNS rebinding); state-changing requests must come from the
// dashboard's own origin.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function sameToken(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieName(port: number): string {
  // cookies are shared by every port of a host: one name per dashboard
  return `kloop_ui_${port}`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type Verdict = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403; reason: string };

export function allowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Checks host, origin (for writes) and token (query, cookie or Authorization: Bearer). */
export function authorize(req: IncomingMessage, url: URL, token: string, port: number): Verdict {
  if (!allowedHost(req.headers.host, port))
    return { ok: false, status: 403, reason: `host ${req.headers.host ?? '(none)'} is not this dashboard` };
  const origin = req.headers.origin;
  if (origin && !allowedHost(origin.replace(/^http:\/\//, ''), port))
    return { ok: false, status: 403, reason: `requests from ${origin} are refused` };
  const query = url.searchParams.get('token');
  if (query !== null)
    return sameToken(query, token) ? { ok: true, viaQuery: true } : { ok: false, status: 403, reason: 'wrong token' };
  const auth = req.headers.authorization;
  const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  const cookie = readCookie(req.headers.cookie, cookieName(port));
  const given = bearer ?? cookie;
  if (given === undefined) return { ok: false, status: 401, reason: 'no token' };
  return sameToken(given, token) ? { ok: true, viaQuery: false } : { ok: false, status: 403, reason: 'wrong token' };
}
