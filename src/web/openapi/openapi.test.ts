import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';

describe('OpenAPI', () => {
  let harness: TestApp;

  beforeAll(async () => {
    harness = await createTestApp();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('serves /openapi.json with /health and its response schema', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info).toMatchObject({ title: 'Koivulahti', version: '9.9.9-test' });
    const health = document.paths['/health'].get;
    const schema = health.responses['200'].content['application/json'].schema;
    expect(schema.properties).toHaveProperty('status');
    expect(schema.properties.store.enum).toEqual(['sqlite', 'postgres']);
    expect(schema.properties.bus.enum).toEqual(['memory', 'nats']);
  });

  it('documents the SSE stream and its topics parameter', async () => {
    const document = (await harness.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const parameters: Array<{ name: string; in: string }> = document.paths['/stream'].get.parameters;
    expect(parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'topics', in: 'query' }),
        expect.objectContaining({ name: 'last-event-id', in: 'header' }),
      ]),
    );
  });

  it('leaves pages, static files and the docs themselves out', async () => {
    const document = (await harness.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const paths = Object.keys(document.paths);
    for (const hidden of ['/', '/admin', '/static/app.css', '/openapi.json', '/docs']) expect(paths).not.toContain(hidden);
  });

  it('serves Swagger UI at /docs from local assets', async () => {
    const page = await harness.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.body).not.toMatch(/src="https?:/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const bundle = await harness.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });
});
