import type { FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { evaluateReadiness, type ReadinessCheck } from './ready.js';
import { Startup } from './startup.js';

const product: FastifyPluginAsync = async (app) => {
  app.get('/product', async () => ({ served: true }));
};

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('evaluateReadiness', () => {
  it('given passing, failing, throwing and hanging checks, then it names each failure and never throws', async () => {
    const checks: ReadinessCheck[] = [
      { name: 'database', check: async () => ({ ok: true }) },
      { name: 'messaging', check: async () => ({ ok: false, reason: 'NATS disconnected for 3 s, reconnecting' }) },
      { name: 'broken', check: () => Promise.reject(new Error('boom')) },
      { name: 'slow', check: () => new Promise(() => undefined) },
    ];
    const readiness = await evaluateReadiness(checks, 50);
    expect(readiness.status).toBe('not_ready');
    expect(readiness.reason).toBe('messaging: NATS disconnected for 3 s, reconnecting; broken: boom; slow: no answer within 50 ms');
    expect(readiness.checks.database).toEqual({ ok: true });
    expect(await evaluateReadiness([checks[0] as ReadinessCheck])).toEqual({ status: 'ready', checks: { database: { ok: true } } });
  });
});

describe('GET /ready and start-up after listen', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it('given a failing dependency, then /ready answers 503 with the reason while /health stays 200', async () => {
    let databaseUp = false;
    harness = await createTestApp({
      context: {
        readiness: [{ name: 'database', check: async () => (databaseUp ? { ok: true } : { ok: false, reason: 'connection refused' }) }],
      },
    });
    const down = await harness.app.inject({ url: '/ready', headers: { host: '10.0.0.7:8080' } });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'not_ready', reason: 'database: connection refused' });
    expect((await harness.app.inject({ url: '/health' })).statusCode).toBe(200);
    databaseUp = true;
    const up = await harness.app.inject({ url: '/ready' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ status: 'ready', checks: { database: { ok: true } } });
  });

  it('given slow initialisation, then /ready says starting, product requests wait for it and are then served', async () => {
    const startup = new Startup();
    const init = deferred();
    harness = await createTestApp({ routes: [product], context: { startup } });
    const running = startup.run([{ name: 'chat', run: () => init.promise }]);
    const starting = await harness.app.inject({ url: '/ready' });
    expect(starting.statusCode).toBe(503);
    expect(starting.json().reason).toBe('startup: starting (chat)');
    expect((await harness.app.inject({ url: '/health' })).statusCode).toBe(200);
    let answered = false;
    const waiting = harness.app.inject({ url: '/product' }).then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    init.resolve();
    await running;
    expect((await waiting).json()).toEqual({ served: true });
    expect((await harness.app.inject({ url: '/ready' })).statusCode).toBe(200);
  });

  it('given initialisation that fails, then /ready and product requests answer 503 not_ready naming the cause', async () => {
    const startup = new Startup();
    harness = await createTestApp({ routes: [product], context: { startup } });
    await expect(startup.run([{ name: 'chat', run: () => Promise.reject(new Error('tokenizer missing')) }])).rejects.toThrow();
    const ready = await harness.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().reason).toBe('startup: start-up failed: tokenizer missing');
    const request = await harness.app.inject({ url: '/product' });
    expect(request.statusCode).toBe(503);
    expect(request.json()).toMatchObject({ code: 'not_ready' });
  });

  it('given a start-up that takes longer than the wait, then a request gets 503 not_ready instead of hanging', async () => {
    const startup = new Startup(20);
    harness = await createTestApp({ routes: [product], context: { startup } });
    void startup.run([{ name: 'slow', run: () => new Promise(() => undefined) }]);
    const request = await harness.app.inject({ url: '/product' });
    expect(request.statusCode).toBe(503);
    expect(request.json().detail).toMatch(/still starting/);
  });
});
