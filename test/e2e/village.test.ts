/**
 * Village browser test: starts the real program (`src/cli.ts start`) with a fast sim clock on a fresh SQLite file,
 * drives Debian's /usr/bin/chromium through playwright-core and saves screenshots under test-results/.
 * Home shows FEED posts; the NEWS tab shows articles; a new post arrives over SSE while the page stays open; the
 * admin stops and starts the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, resultFile, startProgram } from './harness.js';

/** Polls until `check` returns true; fails with the server output after `timeoutMs`. */
async function until(check: () => Promise<boolean>, label: string, output: () => string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${label}:\n${output()}`);
}

describe.skipIf(requireChromium('village browser test'))('village in the browser', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;
  const output = () => program?.output() ?? '';

  beforeAll(async () => {
    program = await startProgram({
      label: 'village',
      // 96 ticks (one sim-day) in about three seconds, so NEWS appears quickly and posts keep arriving.
      environment: { KOIVULAHTI_VILLAGE_TICK_MS: '30', KOIVULAHTI_VILLAGE_SEED: '1' },
      unset: ['LLM_BASE_URL', 'LLM_MODEL_PATH', 'LLM_PROVIDER', 'KOIVULAHTI_ADMIN_TOKEN'],
      healthTimeoutMs: 45_000,
    });
    baseUrl = program.baseUrl;
    // The run autostarts; wait for the first NEWS article (the reporter writes late on day 1).
    await until(
      async () => ((await (await fetch(`${baseUrl}/posts?channel=NEWS&limit=1`)).json()) as { items: unknown[] }).items.length > 0,
      'a NEWS article',
      output,
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('shows FEED posts, receives a new post live, shows NEWS articles, and lets the admin stop and start the run', async () => {
    if (!browser) throw new Error('no browser');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failedRequests: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
    });
    // Leaving a page aborts its open event stream; that is not a failure.
    page.on('requestfailed', (request) => {
      if (!request.url().includes('/stream?')) failedRequests.push(`${request.failure()?.errorText} ${request.url()}`);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // Home: FEED posts, rendered on the server.
    await page.goto(`${baseUrl}/village`);
    expect(await page.title()).toBe('Village · Koivulahti');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Koivulahti');
    const feed = page.locator('#posts .feed-post');
    await feed.first().waitFor();
    expect(await feed.count()).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: 'Feed', exact: true }).getAttribute('aria-current')).toBe('page');
    expect(await page.locator('.sim-clock .run-state').textContent()).toBe('käynnissä');
    await page.screenshot({ path: resultFile('village-home.png') });

    // Live: a post that was not on the page arrives over SSE, without a reload.
    const initial = new Set(await feed.evaluateAll((items) => items.map((item) => item.getAttribute('data-post-id'))));
    await page.evaluate(() => {
      (window as unknown as { notReloaded?: boolean }).notReloaded = true;
    });
    await page.waitForFunction(
      (known) =>
        Array.from(document.querySelectorAll('#posts .feed-post')).some((item) => !known.includes(item.getAttribute('data-post-id') ?? '')),
      [...initial].filter((id): id is string => id !== null),
      { timeout: 30_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    const clockBefore = await page.locator('.sim-clock .clock-time').textContent();
    await page.waitForFunction((before) => document.querySelector('.sim-clock .clock-time')?.textContent !== before, clockBefore, {
      timeout: 30_000,
    });
    await page.screenshot({ path: resultFile('village-live.png') });

    // NEWS: the front page of the paper.
    await page.getByRole('link', { name: 'Koivulahden Sanomat' }).click();
    await page.waitForURL(`${baseUrl}/village?tab=news`);
    const articles = page.locator('#posts .news-article');
    await articles.first().waitFor();
    expect(await articles.count()).toBeGreaterThan(0);
    expect((await articles.first().locator('.headline').textContent())?.length).toBeGreaterThan(5);
    expect(await page.locator('.paper-name').textContent()).toBe('Koivulahden Sanomat');
    await page.screenshot({ path: resultFile('village-news.png'), fullPage: true });

    await page.getByRole('link', { name: 'Kylächat' }).click();
    await page.locator('#posts .chat-message').first().waitFor();
    await page.screenshot({ path: resultFile('village-chat.png') });

    // An NPC page: relationships with bars, memories, posts.
    await page.goto(`${baseUrl}/village/npcs/npc_sanni`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sanni Virtanen');
    expect(await page.locator('.relationships .meter').count()).toBeGreaterThan(0);
    await page.screenshot({ path: resultFile('village-npc.png'), fullPage: true });

    await page.goto(`${baseUrl}/village/events`);
    expect(await page.locator('.timeline-item').count()).toBeGreaterThan(0);
    await page.screenshot({ path: resultFile('village-events.png') });

    // Admin: stop, then start again, with the page's own forms.
    await page.goto(`${baseUrl}/village/admin`);
    const state = page.locator('dd[data-fact="Tila"]');
    expect(await state.textContent()).toBe('käynnissä');
    await page.getByRole('button', { name: 'Pysäytä' }).click();
    await page.waitForURL(`${baseUrl}/village/admin`);
    expect(await state.textContent()).toBe('pysäytetty');
    const stopped = (await (await fetch(`${baseUrl}/admin/run/status`)).json()) as { running: boolean; sim_ts: string };
    expect(stopped.running).toBe(false);
    await page.screenshot({ path: resultFile('village-admin-stopped.png'), fullPage: true });
    await page.getByRole('button', { name: 'Käynnistä' }).click();
    await page.waitForURL(`${baseUrl}/village/admin`);
    expect(await state.textContent()).toBe('käynnissä');
    await until(
      async () => ((await (await fetch(`${baseUrl}/admin/run/status`)).json()) as { sim_ts: string }).sim_ts !== stopped.sim_ts,
      'the clock to move again',
      output,
    );
    await page.screenshot({ path: resultFile('village-admin.png'), fullPage: true });

    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
