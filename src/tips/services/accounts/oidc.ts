/**
 * Multi-user accounts (`[tips] accounts = "oidc"`): log in through an OIDC provider with openid-client (authorization
 * code + PKCE + state + nonce), then a signed session cookie names the user; every tips route runs as that user.
 * Form posts and API writes need the session's CSRF token (`_csrf` field or `x-csrf-token` header); pages get it
 * injected into every form. The user id is `u-` + the first 24 hex digits of sha256(issuer | sub).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { Clock } from '../../../core/clock.js';
import { AppError, ValidationError } from '../../../core/errors.js';
import {
  cookieHeader,
  loginCookieName,
  randomToken,
  readCookie,
  sessionCookieName,
  sign,
  tokensEqual,
  verify,
} from '../../../core/signed-cookie.js';
import type { TipsConfig } from '../../config.js';

export const sessionCookie = sessionCookieName;
export const loginCookie = loginCookieName;

interface Session {
  userId: string;
  csrf: string;
  exp: number;
}

interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
}

/** Paths that work without a session. */
const publicPaths = new Set(['/tips/login', '/tips/login/callback', '/tips/tips.css', '/tips/manifest.webmanifest', '/tips/icon.svg']);

export function userIdFor(issuer: string, subject: string): string {
  return `u-${createHash('sha256').update(`${issuer}|${subject}`).digest('hex').slice(0, 24)}`;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

/** A form's CSRF field (any other fields are the route's business). */
const csrfField = z.object({ _csrf: z.string() });

export interface OidcAccounts {
  /** Registers login, callback and logout, and the session and CSRF hooks, in the tips routes' scope. */
  plugin: FastifyPluginAsyncZod;
  /** The user id of a request that passed the session hook. */
  userOf(request: FastifyRequest): string;
}

type Discovery = () => Promise<oidc.Configuration>;

/** The provider's configuration, discovered once (again after a failure). */
function discoveryOf(settings: TipsConfig): Discovery {
  let discovered: Promise<oidc.Configuration> | undefined;
  return () => {
    discovered ??= oidc
      .discovery(
        new URL(settings.oidc_issuer),
        settings.oidc_client_id,
        undefined,
        settings.oidc_client_secret ? oidc.ClientSecretPost(settings.oidc_client_secret) : oidc.None(),
        isLoopback(settings.oidc_issuer) ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new AppError('internal', `OIDC discovery at ${settings.oidc_issuer} failed: ${(error as Error).message}`);
      });
    return discovered;
  };
}

interface Scope {
  settings: TipsConfig;
  secret: string;
  clock: Clock;
  users: WeakMap<FastifyRequest, Session>;
  configuration: Discovery;
}

function refuse(request: FastifyRequest, reply: FastifyReply) {
  if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.redirect('/tips/login', 303);
  throw new AppError('unauthorized', 'log in first (/tips/login)');
}

/** The session on every request, the CSRF check on every write, and the CSRF token in every form of a page. */
function sessionHooks(app: FastifyInstance, { secret, clock, users }: Scope): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (publicPaths.has(path)) return;
    const session = verify<Session>(readCookie(request.headers.cookie, sessionCookie), secret, clock.now());
    if (!session) return refuse(request, reply);
    users.set(request, session);
  });

  // Before the route's schema runs: the schema drops fields it does not know, the CSRF token among them.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || publicPaths.has(request.url.split('?')[0] ?? '')) return;
    const session = users.get(request);
    const field = csrfField.safeParse(request.body);
    const given = (field.success ? field.data._csrf : undefined) ?? request.headers['x-csrf-token'];
    if (!session || typeof given !== 'string' || !tokensEqual(given, session.csrf))
      throw new AppError('origin_not_allowed', 'missing or wrong CSRF token');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const session = users.get(request);
    const type = String(reply.getHeader('content-type') ?? '');
    if (!session || !type.startsWith('text/html') || typeof payload !== 'string') return payload;
    return payload.replaceAll('</form>', `<input type="hidden" name="_csrf" value="${session.csrf}"></form>`);
  });
}

/** Redirects to the provider with a fresh state, nonce and PKCE verifier kept in a signed, short-lived cookie. */
async function startLogin({ settings, secret, clock, configuration }: Scope, reply: FastifyReply) {
  const config = await configuration();
  const pending: PendingLogin = {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    verifier: oidc.randomPKCECodeVerifier(),
    exp: clock.now() + 10 * 60_000,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: settings.oidc_redirect_url,
    scope: 'openid',
    response_type: 'code',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  });
  return reply
    .header('set-cookie', cookieHeader(loginCookie, sign(pending, secret), { path: '/tips/login', maxAgeSeconds: 600 }))
    .redirect(url.href, 303);
}

/** The provider's answer: the code exchanged (state, nonce and PKCE checked), then a session cookie for the user. */
async function completeLogin(
  { settings, secret, clock, configuration }: Scope,
  request: FastifyRequest,
  query: Record<string, string>,
  reply: FastifyReply,
) {
  const pending = verify<PendingLogin>(readCookie(request.headers.cookie, loginCookie), secret, clock.now());
  if (!pending) throw new AppError('unauthorized', 'the login expired or was started elsewhere; log in again');
  const config = await configuration();
  const current = new URL(settings.oidc_redirect_url);
  current.search = new URLSearchParams(query).toString();
  let subject: string;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    subject = tokens.claims()?.sub ?? '';
  } catch (error) {
    throw new AppError('unauthorized', `login failed: ${(error as Error).message}`);
  }
  if (!subject) throw new AppError('unauthorized', 'login failed: no subject');
  const session: Session = {
    userId: userIdFor(config.serverMetadata().issuer, subject),
    csrf: randomToken(),
    exp: clock.now() + settings.session_hours * 3_600_000,
  };
  return reply
    .header('set-cookie', [
      cookieHeader(sessionCookie, sign(session, secret), { path: '/', maxAgeSeconds: settings.session_hours * 3600 }),
      cookieHeader(loginCookie, '', { path: '/tips/login', maxAgeSeconds: 0 }),
    ])
    .redirect('/tips', 303);
}

export function createOidcAccounts(settings: TipsConfig, clock: Clock): OidcAccounts {
  if (!settings.oidc_issuer || !settings.oidc_client_id || !settings.oidc_redirect_url)
    throw new ValidationError('[tips] accounts = "oidc" needs oidc_issuer, oidc_client_id and oidc_redirect_url');
  if (settings.session_secret.length < 32)
    throw new ValidationError('[tips] accounts = "oidc" needs session_secret of at least 32 characters');
  const scope: Scope = { settings, secret: settings.session_secret, clock, users: new WeakMap(), configuration: discoveryOf(settings) };

  const plugin: FastifyPluginAsyncZod = async (app) => {
    sessionHooks(app, scope);
    app.get('/tips/login', { schema: { hide: true }, config: { access: 'public' } }, async (_request, reply) => startLogin(scope, reply));
    app.get(
      '/tips/login/callback',
      { schema: { hide: true, querystring: z.record(z.string(), z.string()) }, config: { access: 'public' } },
      async (request, reply) => completeLogin(scope, request, request.query, reply),
    );
    app.post('/tips/logout', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('set-cookie', cookieHeader(sessionCookie, '', { path: '/', maxAgeSeconds: 0 })).redirect('/tips/login', 303),
    );
  };

  return {
    plugin,
    userOf(request) {
      const session = scope.users.get(request);
      if (!session) throw new AppError('unauthorized', 'log in first (/tips/login)');
      return session.userId;
    },
  };
}
