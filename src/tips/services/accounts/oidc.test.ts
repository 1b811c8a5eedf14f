import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../../core/signed-cookie.js';
import { openDatabase } from '../../../store/index.js';
import { createTipsHarness, type TipsHarness } from '../../http/testing.js';
import { loginCookie, sessionCookie, userIdFor } from './oidc.js';

const callback = 'http://127.0.0.1:8080/tips/login/callback';
const secret = 'a-session-secret-of-at-least-32-characters';

/** A real OIDC provider (oidc-provider, with its development login and consent forms) on a loopback port. */
async function startProvider(): Promise<{ issuer: string; server: Server }> {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end();
  const server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'koivulahti',
        client_secret: 'client-secret',
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    findAccount: async (_context: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
  });
  provider.on('server_error', (_context: unknown, error: Error) => console.error('provider server_error', error));
  handler = provider.callback();
  return { issuer, server };
}

/** Follows the provider's redirects and fills its dev login/consent forms like a browser, until it redirects to our callback. */
async function loginAtProvider(authorizeUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([key, value]) => `${key}=${value}`).join('; ');
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [key, ...value] = (pair ?? '').split('=');
      if (key) jar.set(key.trim(), value.join('='));
    }
  };
  let url = authorizeUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(callback)) return url;
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: cookie() } });
    remember(response);
    init = {};
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
    if (!form) throw new Error(`provider answered ${response.status} without a form: ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [tag] of (form[2] ?? '').matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1];
      if (name) fields.set(name, /value="([^"]*)"/.exec(tag)?.[1] ?? '');
    }
    if (fields.has('login')) fields.set('login', login);
    if (fields.has('password')) fields.set('password', 'any');
    url = new URL((form[1] as string).replaceAll('&amp;', '&'), url).href;
    init = { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps at the provider');
}

const setCookies = (headers: Record<string, unknown>) => {
  const value = headers['set-cookie'];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]) as string[];
};
const cookieValue = (lines: string[], name: string) =>
  lines
    .find((line) => line.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1) ?? '';

describe('multi-user accounts through OIDC on loopback', () => {
  let provider: { issuer: string; server: Server };
  let harness: TipsHarness;

  beforeAll(async () => {
    provider = await startProvider();
    harness = await createTipsHarness(await openDatabase({ sqlitePath: ':memory:' }), {
      overrides: {
        'tips.accounts': 'oidc',
        'tips.oidc_issuer': provider.issuer,
        'tips.oidc_client_id': 'koivulahti',
        'tips.oidc_client_secret': 'client-secret',
        'tips.oidc_redirect_url': callback,
        'tips.session_secret': secret,
      },
    });
  });

  afterAll(async () => {
    await harness?.close();
    await new Promise<void>((resolve) => provider.server.close(() => resolve()));
  });

  async function logIn(login: string): Promise<{ cookie: string; csrf: string }> {
    const start = await harness.app.inject({ method: 'GET', url: '/tips/login' });
    expect(start.statusCode).toBe(303);
    const loginLines = setCookies(start.headers);
    expect(loginLines[0]).toMatch(/HttpOnly; Secure; SameSite=Lax/);
    const returned = await loginAtProvider(start.headers.location as string, login);
    const finish = await harness.app.inject({
      method: 'GET',
      url: returned.slice('http://127.0.0.1:8080'.length),
      headers: { cookie: `${loginCookie}=${cookieValue(loginLines, loginCookie)}` },
    });
    expect(finish.statusCode).toBe(303);
    expect(finish.headers.location).toBe('/tips');
    const lines = setCookies(finish.headers);
    const session = lines.find((line) => line.startsWith(`${sessionCookie}=`)) ?? '';
    expect(session).toMatch(/; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax$/);
    const cookie = `${sessionCookie}=${cookieValue(lines, sessionCookie)}`;
    const page = await harness.app.inject({ method: 'GET', url: '/tips/signals', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    expect(csrf).not.toBe('');
    return { cookie, csrf };
  }

  it('given no session, when a tips page or API is requested, then the page redirects to the login and the API answers 401', async () => {
    expect((await harness.app.inject({ method: 'GET', url: '/tips' })).headers.location).toBe('/tips/login');
    expect((await harness.app.inject({ method: 'GET', url: '/api/tips/next' })).statusCode).toBe(401);
    const forged = `${sessionCookie}=${sign({ userId: 'local', csrf: 'x', exp: Date.now() + 60_000 }, 'another-secret-another-secret-another')}`;
    expect((await harness.app.inject({ method: 'GET', url: '/api/tips/next', headers: { cookie: forged } })).statusCode).toBe(401);
  });

  it('given a user at the provider, when they log in end to end, then a secure http-only session names them and the API runs as them', async () => {
    const { cookie } = await logIn('aino');
    const next = await harness.app.inject({ method: 'GET', url: '/api/tips/next', headers: { cookie } });
    expect(next.statusCode).toBe(200);
    expect(next.json().decision.decisionId).toBe(`${userIdFor(provider.issuer, 'aino')}-1`);
  });

  it('given a session, when a form is posted without the CSRF token, then it is refused; with it, it is taken', async () => {
    const { cookie, csrf } = await logIn('mikko');
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const without = await harness.app.inject({ method: 'POST', url: '/tips/signals', headers: form, payload: 'kind=mood&score=4' });
    expect(without.statusCode).toBe(403);
    expect(without.json().detail).toMatch(/CSRF/);
    const wrong = await harness.app.inject({
      method: 'POST',
      url: '/tips/signals',
      headers: form,
      payload: 'kind=mood&score=4&_csrf=nope',
    });
    expect(wrong.statusCode).toBe(403);
    const right = await harness.app.inject({
      method: 'POST',
      url: '/tips/signals',
      headers: form,
      payload: `kind=mood&score=4&_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toMatch(/ok=/);
    const api = await harness.app.inject({
      method: 'POST',
      url: '/api/tips/consents',
      headers: { cookie },
      payload: { purpose: 'mood', granted: false },
    });
    expect(api.statusCode).toBe(403);
    const apiOk = await harness.app.inject({
      method: 'POST',
      url: '/api/tips/consents',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { purpose: 'mood', granted: false },
    });
    expect(apiOk.statusCode).toBe(200);
  });
});
