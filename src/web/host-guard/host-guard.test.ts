import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { allowedHostSet, normalizeHost } from './host-guard.js';

const postRoute: FastifyPluginAsyncZod = async (app) => {
  app.post('/test/echo', async () => ({ accepted: true }));
};

describe('normalizeHost', () => {
  it.each([
    ['localhost:8080', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ['localhost.', 'localhost'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:8080', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['Koivulahti.LAN:443', 'koivulahti.lan'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each(['', '[::1', 'example.com:http', '[::1]x'])('rejects %j', (input) => {
    expect(normalizeHost(input)).toBeUndefined();
  });
});

describe('allowedHostSet', () => {
  it('adds the configured host and the allowed hosts to the loopback names', () => {
    expect([...allowedHostSet({ host: '192.168.1.20', allowedHosts: ['koivulahti.lan:8080'] })].sort()).toEqual(
      ['127.0.0.1', '192.168.1.20', '::1', 'koivulahti.lan', 'localhost'].sort(),
    );
  });

  it('never allows a wildcard listen address as a Host', () => {
    expect(allowedHostSet({ host: '0.0.0.0', allowedHosts: [] }).has('0.0.0.0')).toBe(false);
    expect(allowedHostSet({ host: '::', allowedHosts: [] }).has('::')).toBe(false);
  });
});

describe('host guard', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  async function start(overrides: Record<string, string> = {}) {
    harness = await createTestApp({ overrides, routes: [postRoute] });
    return harness.app;
  }

  it.each(['localhost:8080', '127.0.0.1:41234', '[::1]:8080', 'LocalHost'])('lets Host %s through', async (host) => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a foreign Host with 403 host_not_allowed (DNS rebinding)', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: 'evil.example' } });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ code: 'host_not_allowed', status: 403, host: 'evil.example' });
  });

  it('refuses a foreign Host on unknown routes too', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/nowhere', headers: { host: 'evil.example:8080' } });
    expect(response.statusCode).toBe(403);
  });

  it('allows server.allowed_hosts and a non-wildcard server.host, ignoring the port', async () => {
    harness = await createTestApp({ configText: '[server]\nhost = "10.0.0.5"\nallowed_hosts = ["koivulahti.lan"]\n' });
    for (const host of ['10.0.0.5:9999', 'koivulahti.lan', 'KOIVULAHTI.lan:8080']) {
      expect((await harness.app.inject({ method: 'GET', url: '/openapi.json', headers: { host } })).statusCode, host).toBe(200);
    }
    expect((await harness.app.inject({ method: 'GET', url: '/openapi.json', headers: { host: '10.0.0.6' } })).statusCode).toBe(403);
  });

  it('does not accept the wildcard listen address as a Host', async () => {
    const app = await start({ 'server.host': '0.0.0.0' });
    const response = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: '0.0.0.0:8080' } });
    expect(response.statusCode).toBe(403);
  });

  it('refuses a cross-origin POST with 403 origin_not_allowed', async () => {
    const app = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { host: 'localhost:8080', origin: 'https://evil.example' },
      payload: {},
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'origin_not_allowed', origin: 'https://evil.example' });
  });

  it('refuses Origin: null on a POST', async () => {
    const app = await start();
    const response = await app.inject({ method: 'POST', url: '/test/echo', headers: { origin: 'null' }, payload: {} });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('origin_not_allowed');
  });

  it('lets a same-origin POST and a POST without Origin through', async () => {
    const app = await start();
    const sameOrigin = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { host: 'localhost:8080', origin: 'http://localhost:8080' },
      payload: {},
    });
    expect(sameOrigin.statusCode).toBe(200);
    expect(sameOrigin.json()).toEqual({ accepted: true });
    const noOrigin = await app.inject({ method: 'POST', url: '/test/echo', payload: {} });
    expect(noOrigin.statusCode).toBe(200);
  });

  it('does not check the Origin of a GET', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(response.statusCode).toBe(200);
  });
});
