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
});
