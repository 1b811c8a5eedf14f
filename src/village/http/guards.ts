/**
 * Admin authentication and public-read rate limiting for the village routes.
 *
 * Admin: with `server.admin_token` set, `Authorization: Bearer <token>` (or the `village_admin` cookie the admin
 * page's login form sets) is required; without one the routes are open, which is safe only because the server then
 * binds a loopback address (`assertSafeBind` refuses anything else).
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { AppError, ConfigError } from '../../core/errors.js';

/** The server settings admin access depends on (`[server]` host and admin_token). */
export interface AdminAccess {
  host: string;
  admin_token?: string | undefined;
}

export const adminCookie = 'village_admin';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

/** The server must not expose open admin routes: a non-loopback bind needs an admin token. */
export function assertSafeBind(server: AdminAccess): void {
  if (!isLoopbackHost(server.host) && server.admin_token === undefined)
    throw new ConfigError(
      'server.admin_token',
      `required when server.host (${server.host}) is not a loopback address: the village admin routes would be open to the network`,
    );
}

function safeEqual(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function isAdmin(request: FastifyRequest, server: AdminAccess): boolean {
  const token = server.admin_token;
  if (token === undefined) return true;
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ') && safeEqual(header.slice(7).trim(), token)) return true;
  const cookie = readCookie(request, adminCookie);
  return cookie !== undefined && safeEqual(cookie, token);
}

export function adminGuard(server: AdminAccess) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (isAdmin(request, server)) return;
    reply.header('www-authenticate', 'Bearer realm="koivulahti-admin"');
    throw new AppError('unauthorized', 'This admin route needs `Authorization: Bearer <admin_token>`.');
  };
}

/** Fixed one-minute windows per client address; `perMinute` 0 turns it off. */
export function readRateLimit(perMinute: number, clock: Clock) {
  const windows = new Map<string, { start: number; count: number }>();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (perMinute <= 0) return;
    const now = clock.now();
    const key = request.ip;
    let window = windows.get(key);
    if (!window || now - window.start >= 60_000) {
      if (windows.size > 10_000) windows.clear();
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
      reply.header('retry-after', String(retryAfter));
      throw new AppError('rate_limited', `At most ${perMinute} village reads per minute; retry in ${retryAfter} s.`, {
        details: { retryAfterSeconds: retryAfter },
      });
    }
  };
}
