import type { FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './testing.js';

const echo: FastifyPluginAsync = async (app) => {
  app.post('/echo', async (request) => request.body);
};

describe('createApp', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it('given an HTML form post, when a product route reads the body, then it sees a flat record of the fields', async () => {
    harness = await createTestApp({
      routes: [echo],
    });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Sanni+Virtanen&note=%3Cscript%3E&name=Aino',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'Aino', note: '<script>' });
  });

  it('given the operations surface (engine, worker), then only /health answers and the pages, docs and streams do not', async () => {
    harness = await createTestApp({ surface: 'operations' });
    expect((await harness.app.inject({ url: '/health' })).statusCode).toBe(200);
    for (const url of ['/', '/openapi.json', '/stream?topics=x', '/static/htmx.min.js'])
      expect((await harness.app.inject({ url })).statusCode, url).toBe(404);
    const full = await createTestApp();
    try {
      expect((await full.app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
    } finally {
      await full.close();
    }
  });
});
