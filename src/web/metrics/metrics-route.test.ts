import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Metrics } from '../../core/metrics.js';
import { EventStore } from '../../store/event-store.js';
import { createApp } from '../app.js';
import { createTestApp, createTestContext, listenOnLoopback, SseClient, type TestApp, waitUntil } from '../testing.js';

describe('GET /metrics', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const itemRoutes: FastifyPluginAsyncZod = async (app) => {
    app.get('/test/items/:id', { schema: { params: z.object({ id: z.string().regex(/^\d+$/) }) } }, async (request) => ({
      id: request.params.id,
    }));
  };

  /** An app whose context has metrics and an event store that records into them. */
  async function startWithMetrics(options: { defaultMetrics?: boolean } = {}): Promise<TestApp & { metrics: Metrics }> {
    const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? false });
    const base = await createTestContext();
    const context = { ...base, store: new EventStore(base.store.database, { metrics }), metrics };
    const app = await createApp(context, { routes: [itemRoutes] });
    const close = async () => {
      await app.close();
      await context.store.close();
      await base.close();
    };
    cleanups.push(close);
    return { app, context, metrics, close };
  }

  it('given an append, when scraped without credentials, then it answers 200 text/plain with the SSE and event series', async () => {
    const { app, context } = await startWithMetrics();
    await context.store.append('chat-1', 'no-stream', [{ type: 'user_turn', data: { text: 'Hei' } }]);

    const response = await app.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:8080' } });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toContain('koivulahti_sse_clients 0');
    expect(response.body).toContain('koivulahti_events_appended_total{category="chat"} 1');
  });

  it('counts open SSE streams and forgets them when they close', async () => {
    const { app, metrics } = await startWithMetrics();
    const base = await listenOnLoopback(app);
    const sseClients = async () => (await metrics.sseClients.get()).values[0]?.value;

    const first = await SseClient.open(`${base}/stream?topics=chat`);
    const second = await SseClient.open(`${base}/stream?topics=world`);
    expect(await sseClients()).toBe(2);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('koivulahti_sse_clients 2');

    first.close();
    await waitUntil(() => app.sse.connections().length === 1, 'the first stream to close');
    expect(await sseClients()).toBe(1);
    second.close();
    await waitUntil(() => app.sse.connections().length === 0, 'the second stream to close');
    expect(await sseClients()).toBe(0);
  });

  it('is left out of the OpenAPI document', async () => {
    const { app } = await startWithMetrics();
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain('/health');
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('given a context without metrics, then there is no /metrics route', async () => {
    const harness = await createTestApp();
    cleanups.push(() => harness.close());
    expect((await harness.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });

  it('answers a scraper that reaches the process by its pod address, while other routes still refuse that Host', async () => {
    const { app } = await startWithMetrics();
    const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { host: '10.42.0.17:8080' } });
    expect(scraped.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health', headers: { host: '10.42.0.17:8080' } })).statusCode).toBe(200);
    const page = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: '10.42.0.17:8080' } });
    expect(page.statusCode).toBe(403);
    const posted = await app.inject({ method: 'POST', url: '/metrics', headers: { host: 'evil.example' } });
    expect(posted.statusCode).toBe(403);
  });

  it('given requests, then their count and duration are kept by route template and status, never by raw path', async () => {
    const { app } = await startWithMetrics();
    await app.inject({ url: '/test/items/1' });
    await app.inject({ url: '/test/items/2' });
    await app.inject({ url: '/test/items/x' });
    await app.inject({ url: '/no/such/path' });
    const body = (await app.inject({ url: '/metrics' })).body;
    expect(body).toContain('koivulahti_http_requests_total{method="GET",route="/test/items/:id",status_code="200"} 2');
    expect(body).toContain('koivulahti_http_requests_total{method="GET",route="/test/items/:id",status_code="400"} 1');
    expect(body).toContain('koivulahti_http_requests_total{method="GET",route="unmatched",status_code="404"} 1');
    expect(body).toMatch(/koivulahti_http_request_duration_seconds_count\{method="GET",route="\/test\/items\/:id",status_code="200"\} 2/);
    expect(body).not.toContain('/test/items/1');
    expect(body).not.toContain('/no/such/path');
  });

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
  if (!promtool) {
    if (process.env.CI === 'true') throw new Error('promtool is missing (apt-get install -y prometheus); CI=true: the check must run');
    console.warn('[skip] promtool check metrics: promtool is missing (apt-get install -y prometheus)');
  }

  it.skipIf(!promtool)('passes promtool check metrics with every instrument and the process metrics', async () => {
    const { app, context, metrics } = await startWithMetrics({ defaultMetrics: true });
    await context.store.append('chat-1', 'no-stream', [{ type: 'user_turn', data: { text: 'Hei' } }]);
    metrics.llmCalls.inc({ alias: 'writer', operation: 'object', outcome: 'ok' });
    metrics.llmTokens.inc({ alias: 'writer', direction: 'input' }, 10);
    metrics.llmLatency.observe({ alias: 'writer', operation: 'object' }, 0.3);
    metrics.queueDepth.set({ queue: 'village-render', state: 'ready' }, 2);
    metrics.timeJob('village-render')('ok');
    metrics.engineTickLag.set({ world: 'w' }, 0);
    metrics.engineTicks.inc({ world: 'w' });
    metrics.worldLeases.set({ world: 'w' }, 1);
    await app.inject({ url: '/test/items/1' });
    const body = (await app.inject({ url: '/metrics' })).body;
    expect(body).toContain('koivulahti_process_cpu_seconds_total');
    expect(body).not.toContain('koivulahti_nodejs_active_handles_total');
    const check = spawnSync(promtool as string, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});
