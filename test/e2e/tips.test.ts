/**
 * Browser test of the one-tip page: starts the real program (`src/cli.ts start`) with a fresh SQLite file and a
 * config without quiet hours, records tasks and a mood through the API, then drives Debian's /usr/bin/chromium on a
 * phone-sized viewport: `/tips` shows one tip; "Done" brings the next one; a done tip never comes back; at the end
 * the page is calm. Screenshots go to test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, resultFile, startProgram } from './harness.js';

const hour = 3_600_000;

describe.skipIf(requireChromium('tips browser test'))('tips browser test', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    program = await startProgram({
      label: 'tips',
      config: '[tips]\ntimezone = "Europe/Helsinki"\nquiet_hours_start = "00:00"\nquiet_hours_end = "00:00"\ndaily_budget = 0\n',
      unset: ['LLM_BASE_URL', 'LLM_MODEL_PATH'],
    });
    baseUrl = program.baseUrl;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  async function card(page: Page) {
    const tip = page.locator('#tip');
    return {
      decision: await tip.getAttribute('data-decision'),
      kind: await tip.getAttribute('data-kind'),
      text: (await page.locator('#tip .tip-text').textContent())?.trim() ?? '',
    };
  }

  async function react(page: Page, label: string, previous: string | null) {
    await page.getByRole('button', { name: label, exact: true }).click();
    await page.waitForFunction((id) => document.querySelector('#tip')?.getAttribute('data-decision') !== id, previous);
  }

  it('shows one tip; "Done" brings the next one and a done tip never comes back', async () => {
    if (!browser) throw new Error('no browser');
    const now = Date.now();
    const signals = [
      {
        kind: 'task',
        taskId: 'invoice',
        title: 'Send the invoice to Koivulahti Oy',
        priority: 4,
        dueAt: now - 26 * hour,
        durationMinutes: 15,
      },
      { kind: 'task', taskId: 'plants', title: 'Water the plants', priority: 2, durationMinutes: 5 },
      { kind: 'task', taskId: 'sauna', title: 'Book the sauna for Saturday', priority: 3, dueAt: now + 5 * hour },
      { kind: 'mood', score: 2, note: 'slept badly', at: now - hour },
    ];
    const posted = await fetch(`${baseUrl}/api/tips/signals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signals }),
    });
    expect(posted.status).toBe(201);

    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const failedRequests: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => failedRequests.push(`${request.failure()?.errorText} ${request.url()}`));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const reactionPosts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/reaction'))
        reactionPosts.push(request.headers()['hx-request'] ?? 'no-htmx');
    });

    await page.goto(`${baseUrl}/tips`);
    expect(await page.title()).toBe('oO');
    expect(await page.locator('.tip-text').count()).toBe(1);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(0, 0, 0)');
    await page.screenshot({ path: resultFile('tips-first.png'), animations: 'disabled' });

    await page.locator('.why summary').click();
    await page.screenshot({ path: resultFile('tips-why.png'), animations: 'disabled' });
    expect(await page.locator('.why dd').first().textContent()).not.toBe('');

    const done: string[] = [];
    const seen: string[] = [];
    let doneCount = 0;
    for (let step = 0; step < 14; step++) {
      const current = await card(page);
      expect(await page.locator('.tip-text').count()).toBe(1);
      seen.push(`${current.kind}: ${current.text}`);
      expect(done).not.toContain(current.text);
      if (current.kind === 'nothing') {
        if (doneCount >= 3) break;
        await react(page, 'Show me a tip', current.decision);
      } else if (current.kind === 'todo') {
        done.push(current.text);
        doneCount++;
        await react(page, 'Done', current.decision);
        if (doneCount === 1) await page.screenshot({ path: resultFile('tips-next.png'), animations: 'disabled' });
      } else {
        done.push(current.text);
        await react(page, 'Helpful', current.decision);
      }
    }
    expect(doneCount).toBe(3);
    // Every reaction went through htmx (the card is swapped in place, no full page load).
    expect(reactionPosts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(reactionPosts)).toEqual(new Set(['true']));
    const last = await card(page);
    expect(last.kind).toBe('nothing');
    expect(last.text).toBe('Nothing needs you right now.');
    await page.screenshot({ path: resultFile('tips-all-clear.png'), animations: 'disabled' });

    // A reload shows the same calm card, not a done tip.
    await page.reload();
    expect(done).not.toContain((await card(page)).text);

    const log = (await (await fetch(`${baseUrl}/api/tips/decisions?limit=100`)).json()) as {
      decisions: Array<{ reaction: string | null }>;
    };
    expect(log.decisions.filter((entry) => entry.reaction === 'done')).toHaveLength(3);

    await page.getByRole('link', { name: 'Decisions' }).click();
    await page.waitForURL(`${baseUrl}/tips/decisions`);
    expect(await page.locator('.log li').count()).toBe(log.decisions.length);
    expect(await page.locator('.log-meta', { hasText: 'done (1)' }).count()).toBe(3);
    await page.screenshot({ path: resultFile('tips-decisions.png'), fullPage: true, animations: 'disabled' });

    await page.goto(`${baseUrl}/tips/signals`);
    await page.screenshot({ path: resultFile('tips-signals.png'), fullPage: true, animations: 'disabled' });
    const manifest = await fetch(`${baseUrl}/tips/manifest.webmanifest`);
    expect((await manifest.json()).start_url).toBe('/tips');

    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    console.log(`tips e2e sequence:\n${seen.join('\n')}`);
  });
});
