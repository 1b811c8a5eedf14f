import { Writable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, NotFoundError } from '../../core/errors.js';
import { createTestApp, type TestApp } from '../testing.js';
import { problemContentType } from './problem.js';

const problemContentTypePattern = new RegExp(`^${problemContentType.replace('+', '\\+')}(;|$)`);

const testRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/test/villagers',
    {
      schema: {
        body: z.object({ name: z.string(), age: z.number().int().min(0), pets: z.array(z.object({ name: z.string() })).optional() }),
      },
    },
    async (request) => ({ created: request.body.name }),
  );
  app.get('/test/missing', async () => {
    throw new NotFoundError('villager 7 does not exist', { villagerId: 7 });
  });
  app.get('/test/unavailable', async () => {
    throw new AppError('store_unavailable', 'cannot connect to PostgreSQL (postgres://admin:***@db.internal/koivulahti)');
  });
  app.get('/test/crash', async () => {
    throw new Error('secret internals: token=abc123');
  });
};

describe('problem details', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  async function start(overrides: Record<string, string> = {}) {
    harness = await createTestApp({ overrides, routes: [testRoutes] });
    return harness.app;
  }

  it('answers an unknown route with a 404 problem document', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/no/such/page?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(problemContentTypePattern);
    expect(response.json()).toMatchObject({
      type: 'urn:koivulahti:problem:not_found',
      title: 'Not found',
      status: 404,
      code: 'not_found',
      instance: '/no/such/page',
      detail: 'No route for GET /no/such/page.',
    });
  });

  it('answers a malformed JSON body with 400 invalid_json', async () => {
    const app = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/test/villagers',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "Aino",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(problemContentTypePattern);
    expect(response.json()).toMatchObject({ code: 'invalid_json', status: 400, title: 'Malformed JSON body' });
  });

  it('answers an empty JSON body with 400 invalid_json', async () => {
    const app = await start();
    const response = await app.inject({ method: 'POST', url: '/test/villagers', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('invalid_json');
  });

  it('names every invalid field of a zod-validated body', async () => {
    const app = await start();
    const response = await app.inject({ method: 'POST', url: '/test/villagers', payload: { name: 42, age: 3, pets: [{ name: null }] } });
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((error: { field: string }) => error.field).sort()).toEqual(['body.name', 'body.pets.0.name']);
    expect(problem.detail).toMatch(/body\.name: .*expected string/);
  });

  it('accepts a valid body', async () => {
    const app = await start();
    const response = await app.inject({ method: 'POST', url: '/test/villagers', payload: { name: 'Aino', age: 34 } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ created: 'Aino' });
  });

  it('answers an unsupported content type with 415', async () => {
    const app = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/test/villagers',
      headers: { 'content-type': 'application/x-koivu' },
      payload: 'name=Aino',
    });
    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toMatch(problemContentTypePattern);
    expect(response.json().code).toBe('unsupported_media_type');
  });

  it('answers a body over server.body_limit_bytes with 413', async () => {
    const app = await start({ 'server.body_limit_bytes': '64' });
    const response = await app.inject({ method: 'POST', url: '/test/villagers', payload: { name: 'x'.repeat(200), age: 1 } });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'payload_too_large', limitBytes: 64 });
  });

  it('turns an AppError into its status and code with its details', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/test/missing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', detail: 'villager 7 does not exist', villagerId: 7 });
  });

  it('keeps the message of a 5xx AppError out of the response', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/test/unavailable' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'store_unavailable', title: 'Store unavailable' });
    expect(response.body).not.toContain('db.internal');
  });

  it('answers an unexpected error with 500 internal, logs the stack and leaks nothing', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    harness = await createTestApp({ routes: [testRoutes], context: { logger: pino({ level: 'error' }, sink) } });
    const response = await harness.app.inject({ method: 'GET', url: '/test/crash' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(problemContentTypePattern);
    expect(response.json()).toMatchObject({ code: 'internal', status: 500 });
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toContain('problem.test.ts');
    const logged = lines.join('\n');
    expect(logged).toContain('secret internals');
    expect(logged).toContain('problem.test.ts');
  });
});
