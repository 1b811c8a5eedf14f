import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { formatDuration } from './pages.js';

describe('pages', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it('serves the home page with a link to each product', async () => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body.startsWith('<!doctype html>')).toBe(true);
    for (const href of ['/village', '/chat', '/tips']) expect(response.body).toContain(`class="more" href="${href}"`);
    expect(response.body).toContain('<a class="brand" href="/" aria-current="page">');
  });

  it.each([
    ['/village', 'Village'],
    ['/chat', 'Chat'],
    ['/tips', 'Tips'],
  ])('says plainly that %s is not built yet', async (url, title) => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<title>${title} · Koivulahti</title>`);
    expect(response.body).toContain('not built yet');
    expect(response.body).toContain(`<a href="${url}" aria-current="page">${title}</a>`);
  });

  it('shows the real system facts on /admin', async () => {
    harness = await createTestApp();
    await harness.context.store.append('world-koivulahti', 'any', [
      { type: 'day_started', data: {} },
      { type: 'villager_woke', data: {} },
      { type: 'villager_woke', data: {} },
    ]);
    const response = await harness.app.inject({ method: 'GET', url: '/admin' });
    expect(response.statusCode).toBe(200);
    const facts = Object.fromEntries(
      [...response.body.matchAll(/<dt>([^<]+)<\/dt><dd>([^<]+)<\/dd>/g)].map((match) => [match[1], match[2]]),
    );
    expect(facts).toMatchObject({
      Version: '9.9.9-test',
      'Event store': 'sqlite',
      Bus: 'memory',
      'Event log head position': '3',
      'Open live streams': '0',
    });
    expect(facts.Uptime).toMatch(/^\d+ (d|h|min|s)/);
  });

  it('sets protective headers on pages', async () => {
    harness = await createTestApp();
    const response = await harness.app.inject({ method: 'GET', url: '/admin' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [42, '42 s'],
    [60, '1 min'],
    [3_725, '1 h 2 min'],
    [90_061, '1 d 1 h'],
    [86_400 + 59, '1 d'],
  ])('%d s -> %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});
