/**
 * Signed cookies for sessions and pending logins: `base64url(json).base64url(hmac-sha256)`, verified in constant time,
 * with an expiry inside the signed payload. Cookies are HttpOnly, Secure and SameSite=Lax.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The session cookie (OIDC accounts) and the pending-login cookie; the OpenAPI security scheme names the first. */
export const sessionCookieName = 'koivulahti_tips_session';
export const loginCookieName = 'koivulahti_tips_login';

export function sign(payload: object, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const mac = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${mac}`;
}

/** The payload when the signature is valid and `exp` (epoch ms) is in the future; otherwise undefined. */
export function verify<T extends { exp: number }>(value: string | undefined, secret: string, now: number): T | undefined {
  if (!value) return undefined;
  const dot = value.indexOf('.');
  if (dot < 1) return undefined;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = createHmac('sha256', secret).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    return typeof payload.exp === 'number' && payload.exp > now ? payload : undefined;
  } catch {
    return undefined;
  }
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function tokensEqual(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieHeader(name: string, value: string, options: { path: string; maxAgeSeconds: number }): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;
}

/** The value of cookie `name` in a Cookie header (URL-decoded), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
