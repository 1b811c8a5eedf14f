import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { healthSchema } from './health.js';

describe('GET /health', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it('reports ok with the version, store kind and bus kind', async () => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(body).toEqual({ status: 'ok', version: '9.9.9-test', store: 'sqlite', bus: 'memory' });
    expect(healthSchema.parse(body)).toEqual(body);
  });

  it('reports the kinds it was given', async () => {
    harness = await createTestApp({ context: { storeKind: 'postgres', busKind: 'nats' } });
    const body = (await harness.app.inject({ method: 'GET', url: '/health' })).json();
    expect(body).toMatchObject({ store: 'postgres', bus: 'nats' });
  });
});
