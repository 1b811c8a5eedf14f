import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, type TestApp } from '../testing.js';
import { operationIdFor } from './openapi.js';

const routes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/things/:id', { schema: { summary: 'A thing', params: z.object({ id: z.string() }) } }, async () => ({}));
  app.get('/api/open', { schema: { summary: 'Open', operationId: 'readOpen' }, config: { access: 'public' } }, async () => ({}));
  app.post('/api/admin/thing', { schema: { summary: 'Admin' }, config: { access: 'admin' } }, async () => ({}));
};

describe('OpenAPI', () => {
  let harness: TestApp;

  beforeAll(async () => {
    harness = await createTestApp({ routes: [routes] });
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

  it('names every operation, declares the servers and security schemes, and documents problem responses', async () => {
    const document = (await harness.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(document.servers).toEqual([{ url: '/', description: 'This server' }]);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearerAuth', 'sessionCookie']);
    expect(document.components.schemas.Problem.required).toContain('code');
    const ids: string[] = [];
    for (const path of Object.values(document.paths) as Array<Record<string, { operationId: string; responses: object }>>)
      for (const operation of Object.values(path)) {
        ids.push(operation.operationId);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['4XX', '5XX']));
      }
    expect(new Set(ids).size).toBe(ids.length);
    const thing = document.paths['/api/things/{id}'].get;
    expect(thing.operationId).toBe('getApiThingsById');
    expect(thing.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
    expect(thing.responses['401'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    const open = document.paths['/api/open'].get;
    expect(open).toMatchObject({ operationId: 'readOpen', security: [] });
    expect(open.responses['401']).toBeUndefined();
    expect(document.paths['/api/admin/thing'].post.description).toContain('admin role');
    expect(document.paths['/health'].get.security).toEqual([]);
    expect(document.paths['/stream'].get.security).toContainEqual({});
  });

  it('makes operation ids from method and path', () => {
    expect(operationIdFor('GET', '/api/tips/next')).toBe('getApiTipsNext');
    expect(operationIdFor('POST', '/chats/:id/rewind/undo')).toBe('postChatsByIdRewindUndo');
    expect(operationIdFor('GET', '/')).toBe('getRoot');
    expect(operationIdFor('DELETE', '/api/tips-x/{userId}')).toBe('deleteApiTipsXByUserId');
  });
});
