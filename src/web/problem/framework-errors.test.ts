import { connect } from 'node:net';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, listenOnLoopback, type TestApp } from '../testing.js';

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get('/test/item/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => ({ id: request.params.id }));
  app.post('/test/item', { schema: { body: z.object({ name: z.string() }) } }, async (request) => ({ name: request.body.name }));
};

const problemType = /^application\/problem\+json/;

/** Sends raw bytes and returns what the server wrote back before closing. */
function rawExchange(baseUrl: string, bytes: string): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.on('connect', () => socket.write(bytes));
    socket.setTimeout(10_000, () => reject(new Error('no answer')));
  });
}

describe('problem+json for every error Fastify raises', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it.each([
    ['/%', 400, 'bad_url'],
    ['/test/item/%zz', 400, 'bad_url'],
    ['/test/item/%E0%A4%A', 400, 'bad_url'],
    [`/test/item/${'a'.repeat(500)}`, 414, 'uri_too_long'],
    ['/no/such/route', 404, 'not_found'],
  ])('given GET %s, then %i %s as problem+json with a request id', async (url, status, code) => {
    harness = await createTestApp({ routes: [routes] });
    const response = await harness.app.inject({ url });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(problemType);
    const problem = response.json();
    expect(problem).toMatchObject({ status, code, type: `urn:koivulahti:problem:${code}` });
    expect(problem.requestId).toBe(response.headers['x-request-id']);
    expect(response.body.length).toBeLessThan(1_000);
  });

  it.each([
    [{ 'content-type': 'text/x-weird' }, 'x', 415, 'unsupported_media_type'],
    [{ 'content-type': 'application/json' }, '{', 400, 'invalid_json'],
    [{ 'content-type': 'application/json' }, '{"name": 5}', 400, 'validation_failed'],
  ])('given a POST with %j, then %i %s', async (headers, payload, status, code) => {
    harness = await createTestApp({ routes: [routes] });
    const response = await harness.app.inject({ method: 'POST', url: '/test/item', headers, payload });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(problemType);
    expect(response.json().code).toBe(code);
  });

  it('given a body over the limit, then 413 payload_too_large', async () => {
    harness = await createTestApp({ routes: [routes], overrides: { 'server.body_limit_bytes': '32' } });
    const response = await harness.app.inject({ method: 'POST', url: '/test/item', payload: { name: 'x'.repeat(100) } });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('payload_too_large');
  });

  it('given malformed HTTP or oversized headers on the socket, then the parser error is a problem document too', async () => {
    harness = await createTestApp({ routes: [routes] });
    const url = await listenOnLoopback(harness.app);
    const garbage = await rawExchange(url, 'GARBAGE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'bad_request', status: 400 });
    const huge = await rawExchange(url, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'headers_too_large' });
  });
});
