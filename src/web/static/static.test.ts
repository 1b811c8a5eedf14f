import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';

describe('static files', () => {
  let harness: TestApp;

  beforeAll(async () => {
    harness = await createTestApp();
  });

  afterAll(async () => {
    await harness.close();
  });

  it.each([
    ['/static/htmx.min.js', 'text/javascript; charset=utf-8', 'public, max-age=86400', 'version:"2.0.11"'],
    ['/static/htmx-ext-sse.js', 'text/javascript; charset=utf-8', 'public, max-age=86400', "htmx.defineExtension('sse'"],
    ['/static/app.css', 'text/css; charset=utf-8', 'no-cache', '.site-header'],
  ])('serves %s as %s', async (url, contentType, cacheControl, marker) => {
    const response = await harness.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['cache-control']).toBe(cacheControl);
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(response.body).toContain(marker);
  });

  it('serves the stylesheet that sits beside the module', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/static/app.css' });
    expect(response.body).toBe(readFileSync(new URL('./app.css', import.meta.url), 'utf8'));
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await harness.app.inject({ method: 'GET', url: '/static/htmx.min.js' });
    const etag = String(first.headers.etag);
    const second = await harness.app.inject({
      method: 'GET',
      url: '/static/htmx.min.js',
      headers: { 'if-none-match': `W/"other", ${etag}` },
    });
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
    const stale = await harness.app.inject({ method: 'GET', url: '/static/htmx.min.js', headers: { 'if-none-match': '"other"' } });
    expect(stale.statusCode).toBe(200);
  });

  it('answers an unknown static file with a 404 problem', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/static/nope.js' });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('not_found');
  });
});
