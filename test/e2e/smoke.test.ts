/**
 * Browser smoke test: starts the real program (`src/cli.ts start`) on a free port with a fresh SQLite file, drives
 * Debian's /usr/bin/chromium through playwright-core (never a downloaded browser), and saves a screenshot of the home page.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, resultFile, startProgram } from './harness.js';

describe.skipIf(requireChromium('browser smoke test'))('browser smoke test', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    program = await startProgram();
    baseUrl = program.baseUrl;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('shows the navigation, reaches the admin page and the API docs, and saves screenshots', async () => {
    if (!browser) throw new Error('no browser');
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const failedRequests: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => {
      // A live stream is cut when the page navigates away; that is the only failure expected here.
      const leavingLiveStream = request.url().includes('/stream?') && request.failure()?.errorText === 'net::ERR_ABORTED';
      if (!leavingLiveStream) failedRequests.push(`${request.failure()?.errorText} ${request.url()}`);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${baseUrl}/`);
    expect(await page.title()).toBe('Koivulahti');
    const navigation = page.getByRole('navigation', { name: 'Main' });
    expect(await navigation.getByRole('link').allInnerTexts()).toEqual(['Village', 'Chat', 'Tips', 'Admin']);
    expect(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx)).toBe('object');

    await page.screenshot({ path: resultFile('smoke-home.png'), fullPage: true });

    await navigation.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(`${baseUrl}/admin`);
    expect(await navigation.getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');
    const store = page.locator('.facts div', { hasText: 'Event store' }).locator('dd');
    expect(await store.textContent()).toBe('sqlite');
    await page.screenshot({ path: resultFile('smoke-admin.png'), fullPage: true });

    await navigation.getByRole('link', { name: 'Village' }).click();
    await page.waitForURL(`${baseUrl}/village`);
    expect(await navigation.getByRole('link', { name: 'Village' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    await page.screenshot({ path: resultFile('smoke-village.png'), fullPage: true });

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Koivulahti' }).waitFor();
    expect(await page.locator('.opblock-summary-path', { hasText: '/health' }).count()).toBe(1);

    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
