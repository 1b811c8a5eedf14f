/**
 * Host and Origin guard against DNS rebinding and cross-site form posts.
 *
 * Policy:
 * - The `Host` header must name an allowed host, compared case-insensitively with the port ignored: `localhost`,
 *   `127.0.0.1`, `::1` (written `[::1]`), the configured `server.host` unless it is a wildcard (`0.0.0.0`, `::`),
 *   and every entry of `server.allowed_hosts`. Anything else, or no Host at all, is 403 `host_not_allowed`.
 *   A rebinding attack points an attacker's name at 127.0.0.1; the browser still sends the attacker's name as Host.
 * - On state-changing methods (POST, PUT, PATCH, DELETE) an `Origin` header, when present, must also name an allowed
 *   host (any scheme and port), else 403 `origin_not_allowed`. `Origin: null` is refused. Requests without an Origin
 *   (curl, server-to-server) pass: browsers always send Origin on cross-origin state-changing requests.
 * - Because ports are ignored, another local service on the same machine counts as same-site; it already runs with
 *   the user's rights.
 * - `openPaths` (GET only: /health and /metrics) answer any Host: orchestrators and Prometheus reach a process by its
 *   pod or container address, and these answers carry counts, never user data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';

export interface HostGuardOptions {
  /** `server.host`, the address the server listens on. */
  host: string;
  /** `server.allowed_hosts`, extra names the server is reached by (a LAN name, a reverse proxy's name). */
  allowedHosts: readonly string[];
  /** Paths served to GET and HEAD requests whatever their Host (exact match, query string ignored). */
  openPaths?: readonly string[];
}

const loopbackHosts = ['localhost', '127.0.0.1', '::1'];
const wildcardHosts = new Set(['0.0.0.0', '::', '[::]']);
const stateChangingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `Example.COM:8080` -> `example.com`, `[::1]:80` -> `::1`, `localhost.` -> `localhost`; undefined when unparseable. */
export function normalizeHost(value: string): string | undefined {
  let host = value.trim().toLowerCase();
  if (host === '') return undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end === -1) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d*$/.test(rest)) return undefined;
    host = host.slice(1, end);
  } else if (host.split(':').length === 2) {
    const [name, port] = host.split(':') as [string, string];
    if (!/^\d*$/.test(port)) return undefined;
    host = name;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' ? undefined : host;
}

export function allowedHostSet(options: HostGuardOptions): Set<string> {
  const allowed = new Set<string>(loopbackHosts);
  const candidates = [...(wildcardHosts.has(options.host.trim()) ? [] : [options.host]), ...options.allowedHosts];
  for (const candidate of candidates) {
    const host = normalizeHost(candidate);
    if (host !== undefined) allowed.add(host);
  }
  return allowed;
}

/** An `onRequest` hook enforcing the policy above. */
export function createHostGuard(options: HostGuardOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const allowed = allowedHostSet(options);
  const openPaths = new Set(options.openPaths ?? []);
  return async (request) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && openPaths.has(request.url.split('?')[0] ?? '')) return;
    const hostHeader = request.headers.host;
    const host = hostHeader === undefined ? undefined : normalizeHost(hostHeader);
    if (host === undefined || !allowed.has(host)) {
      throw new AppError('host_not_allowed', `Host ${JSON.stringify(hostHeader ?? '')} is not allowed; add it to server.allowed_hosts.`, {
        details: { host: hostHeader ?? null },
      });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && stateChangingMethods.has(request.method)) {
      const originHost = hostOfOrigin(origin);
      if (originHost === undefined || !allowed.has(originHost)) {
        throw new AppError('origin_not_allowed', `Origin ${JSON.stringify(origin)} may not send ${request.method} requests.`, {
          details: { origin },
        });
      }
    }
  };
}

function hostOfOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? normalizeHost(url.host) : undefined;
  } catch {
    return undefined;
  }
}
