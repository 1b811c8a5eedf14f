/**
 * Browser test of the Content-Security-Policy: every page of the real program is opened in Debian's chromium with a
 * listener for `securitypolicyviolation` events and CSP console errors; htmx and its SSE extension must load and run
 * under the policy (the village page opens its live stream through them).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, startProgram } from './harness.js';

const pages = ['/', '/admin', '/village', '/village/npcs', '/chat', '/bots/new', '/tips', '/tips/signals'];

async function trackViolations(page: Page, violations: string[]): Promise<void> {
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const holder = window as unknown as { __csp?: string[] };
      holder.__csp ??= [];
      holder.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
}

async function collected(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

describe.skipIf(requireChromium('CSP browser test'))('every page under the Content-Security-Policy', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    program = await startProgram({ label: 'csp', unset: ['LLM_PROVIDER', 'LLM_BASE_URL', 'LLM_MODEL', 'LLM_MODEL_PATH', 'LLM_API_KEY'] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('given each page, then it loads with a nonce policy, htmx runs and nothing is blocked', async () => {
    if (!browser || !program) throw new Error('not started');
    const page = await browser.newPage();
    const violations: string[] = [];
    await trackViolations(page, violations);
    for (const path of pages) {
      const response = await page.goto(`${program.baseUrl}${path}`);
      expect(response?.status(), path).toBeLessThan(400);
      const policy = (await response?.request().response())?.headers()['content-security-policy'];
      expect(policy, path).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic'/);
      await page.waitForLoadState('load');
      const htmx = await page.evaluate(() => {
        const instance = (window as unknown as { htmx?: { config: Record<string, unknown>; version: string } }).htmx;
        return instance ? { version: instance.version, indicators: instance.config.includeIndicatorStyles } : undefined;
      });
      expect(htmx, path).toMatchObject({ indicators: false });
      violations.push(...(await collected(page)).map((violation) => `${path}: ${violation}`));
    }
    expect(violations).toEqual([]);
  });

  it('given the village page, then the SSE extension opens its live stream under the policy', async () => {
    if (!browser || !program) throw new Error('not started');
    const page = await browser.newPage();
    const violations: string[] = [];
    await trackViolations(page, violations);
    const stream = page.waitForRequest((request) => request.url().includes('/stream?topics='), { timeout: 30_000 });
    await page.goto(`${program.baseUrl}/village`);
    expect((await stream).url()).toContain('/stream?topics=');
    expect(await page.evaluate(() => typeof (window as unknown as { htmx?: { ext?: unknown } }).htmx)).toBe('object');
    violations.push(...(await collected(page)));
    expect(violations).toEqual([]);
  });
});
