import { Writable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { accessLogUrl } from '../app.js';
import { createTestApp, type TestApp } from '../testing.js';
import { requestIdFor } from './request-id.js';

const whoAmI: FastifyPluginAsync = async (app) => {
  app.get('/test/ip', async (request) => ({ ip: request.ip, protocol: request.protocol, id: request.id }));
};

describe('requestIdFor', () => {
  it('keeps a plain X-Request-Id, else takes the traceparent trace id, else makes a UUID', () => {
    expect(requestIdFor({ headers: { 'x-request-id': 'abc-123.x' } })).toBe('abc-123.x');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(requestIdFor({ headers: { traceparent } })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(requestIdFor({ headers: { 'x-request-id': 'bad id\n', traceparent } })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(requestIdFor({ headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } })).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(requestIdFor({ headers: { 'x-request-id': 'x'.repeat(129) } })).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request ids, the access log and trusted proxies', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it('given X-Request-Id or traceparent, then the response echoes the id; errors carry it too', async () => {
    harness = await createTestApp({ routes: [whoAmI] });
    const given = await harness.app.inject({ url: '/test/ip', headers: { 'x-request-id': 'req-42' } });
    expect(given.headers['x-request-id']).toBe('req-42');
    expect(given.json().id).toBe('req-42');
    const traced = await harness.app.inject({
      url: '/nope',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(traced.headers['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traced.json().requestId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const fresh = await harness.app.inject({ url: '/test/ip' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('given debug logging, then each request writes one access line with its id, route and status, and no OAuth code', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    harness = await createTestApp({ routes: [whoAmI], context: { logger: pino({ level: 'debug' }, sink) } });
    await harness.app.inject({ url: '/test/ip?code=s3cr3t&x=1', headers: { 'x-request-id': 'one' } });
    await harness.app.inject({ url: '/missing', headers: { 'x-request-id': 'two' } });
    const access = lines.filter((line) => line.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ reqId: 'one', method: 'GET', route: '/test/ip', status: 200 });
    expect(access[1]).toMatchObject({ reqId: 'two', status: 404, route: 'unmatched' });
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
    expect(accessLogUrl('/cb?code=abc&state=def&page=2')).toBe('/cb?code=%5Bredacted%5D&state=%5Bredacted%5D&page=2');
  });

  it('given no trusted proxy, then X-Forwarded-For is ignored; given the proxy is trusted, then the client is the forwarded one', async () => {
    harness = await createTestApp({ routes: [whoAmI] });
    const ignored = await harness.app.inject({ url: '/test/ip', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(ignored.json().ip).toBe('127.0.0.1');
    await harness.close();
    harness = await createTestApp({ routes: [whoAmI], configText: '[server]\ntrusted_proxies = ["127.0.0.1"]\n' });
    const trusted = await harness.app.inject({
      url: '/test/ip',
      headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.9', 'x-forwarded-proto': 'https' },
    });
    expect(trusted.json()).toMatchObject({ ip: '203.0.113.9', protocol: 'https' });
    const other = await harness.app.inject({
      url: '/test/ip',
      remoteAddress: '10.1.1.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(other.json().ip).toBe('10.1.1.1');
  });
});
