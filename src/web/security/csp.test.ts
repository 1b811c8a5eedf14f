import type { FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { applyNonce, contentSecurityPolicy } from './csp.js';

const rawHtml: FastifyPluginAsync = async (app) => {
  app.get('/test/raw', async (_request, reply) =>
    reply
      .type('text/html')
      .send('<!doctype html><html><head><script src="/x.js"></script><style>p{}</style></head><body>&lt;script&gt;</body></html>'),
  );
  app.get('/test/own-policy', async (_request, reply) =>
    reply
      .type('text/html')
      .header('content-security-policy', "default-src 'none'")
      .send('<html><head><script src="/y.js"></script></head></html>'),
  );
};

function nonceOf(policy: string | undefined): string {
  const nonce = /'nonce-([^']+)'/.exec(policy ?? '')?.[1];
  if (!nonce) throw new Error(`no nonce in ${policy}`);
  return nonce;
}

describe('applyNonce', () => {
  it('stamps every script and style tag and adds the htmx config, but not escaped text', () => {
    const html = applyNonce(
      '<html><head><SCRIPT src="/a.js"></SCRIPT><style>b{}</style></head><body>&lt;script&gt; <p>x</p></body></html>',
      'N1',
    );
    expect(html).toContain('<SCRIPT nonce="N1" src="/a.js">');
    expect(html).toContain('<style nonce="N1">');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<head><meta name="htmx-config" content=\'{"includeIndicatorStyles":false');
  });

  it('keeps a nonce a template already set', () => {
    expect(applyNonce('<script nonce="own" src="/a.js"></script>', 'N2')).toBe('<script nonce="own" src="/a.js"></script>');
  });
});

describe('Content-Security-Policy', () => {
  let harness: TestApp;

  afterEach(async () => {
    await harness?.close();
  });

  it.each(['/', '/admin', '/village', '/chat', '/tips'])(
    'given the page %s, then it has a strict policy whose nonce every script carries',
    async (url) => {
      harness = await createTestApp();
      const response = await harness.app.inject({ url });
      expect(response.statusCode).toBe(200);
      const policy = response.headers['content-security-policy'] as string;
      expect(policy).toContain("script-src 'nonce-");
      expect(policy).toContain("'strict-dynamic'");
      expect(policy).toContain("object-src 'none'");
      expect(policy).toContain("base-uri 'none'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toMatch(/script-src[^;]*unsafe/);
      const nonce = nonceOf(policy);
      const scripts = response.body.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
      expect(response.body).toContain('name="htmx-config"');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  it('given two requests, then each gets its own nonce', async () => {
    harness = await createTestApp();
    const first = nonceOf((await harness.app.inject({ url: '/' })).headers['content-security-policy'] as string);
    const second = nonceOf((await harness.app.inject({ url: '/' })).headers['content-security-policy'] as string);
    expect(first).not.toBe(second);
    expect(contentSecurityPolicy(first)).toContain(`'nonce-${first}'`);
  });

  it('given any HTML a route sends, then its tags are stamped; a route with its own policy keeps it; JSON gets none', async () => {
    harness = await createTestApp({ routes: [rawHtml] });
    const raw = await harness.app.inject({ url: '/test/raw' });
    const nonce = nonceOf(raw.headers['content-security-policy'] as string);
    expect(raw.body).toContain(`<script nonce="${nonce}" src="/x.js">`);
    expect(raw.body).toContain(`<style nonce="${nonce}">`);
    expect(raw.body).toContain('&lt;script&gt;');
    const own = await harness.app.inject({ url: '/test/own-policy' });
    expect(own.headers['content-security-policy']).toBe("default-src 'none'");
    expect(own.body).not.toContain('nonce=');
    const json = await harness.app.inject({ url: '/health' });
    expect(json.headers['content-security-policy']).toBeUndefined();
  });
});
