/**
 * Content-Security-Policy on every HTML response, with a fresh nonce per response.
 *
 * Pages are rendered on the server with escaping (preact-render-to-string), so every literal `<script` or `<style`
 * tag in an HTML body comes from our own templates: user, catalog and model text arrives escaped as `&lt;script`.
 * The hook therefore stamps the response's nonce on every such tag, and the policy allows only nonced scripts
 * (`'strict-dynamic'` lets them load what they load) and same-origin or nonced stylesheets. Plugins, base-URI changes,
 * framing and form posts to other origins are refused.
 *
 * htmx injects an inline `<style>` for its request indicators unless told not to: every page gets a `htmx-config`
 * meta tag that turns that off and turns off htmx's eval-based features; app.css carries the indicator rules instead.
 *
 * A response that already has a policy (Swagger UI at /docs sets its own) keeps it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export const htmxConfig = { includeIndicatorStyles: false, allowEval: false, allowScriptTags: false, selfRequestsOnly: true };

const htmxConfigMeta = `<meta name="htmx-config" content='${JSON.stringify(htmxConfig)}'>`;
const nonceableTag = /<(script|style)\b(?![^>]*\bnonce=)/gi;

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Server-rendered style attributes (bar widths, avatar colours) carry only numbers the server computed.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Adds `nonce` to every script and style tag of a server-rendered HTML document and the htmx config to its head. */
export function applyNonce(html: string, nonce: string): string {
  let result = html.replace(nonceableTag, (_match, tag: string) => `<${tag} nonce="${nonce}"`);
  if (!result.includes('name="htmx-config"')) result = result.replace(/<head>/i, (head) => `${head}${htmxConfigMeta}`);
  return result;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

function isHtml(contentType: unknown): boolean {
  return typeof contentType === 'string' && contentType.toLowerCase().startsWith('text/html');
}

/** Sends the policy and the usual companion headers with every HTML response of `app`. Call on the root instance. */
export function registerContentSecurityPolicy(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!isHtml(reply.getHeader('content-type')) || reply.hasHeader('content-security-policy')) return payload;
    const nonce = newNonce();
    reply.header('content-security-policy', contentSecurityPolicy(nonce));
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (typeof payload === 'string') return applyNonce(payload, nonce);
    if (Buffer.isBuffer(payload)) return applyNonce(payload.toString('utf8'), nonce);
    return payload;
  });
}
