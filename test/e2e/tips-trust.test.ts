/**
 * Browser test of the tips privacy controls on the real program (`src/cli.ts start`, fresh SQLite): on
 * `/tips/signals` the user unchecks "Mood" and saves (a consent event), exports everything as JSON, and deletes their
 * data by typing their user id; afterwards the export is empty.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, resultFile, startProgram } from './harness.js';

describe.skipIf(requireChromium('tips trust browser test'))('tips trust browser test', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    program = await startProgram({
      label: 'tips-trust',
      config: '[tips]\ntimezone = "Europe/Helsinki"\nquiet_hours_start = "00:00"\nquiet_hours_end = "00:00"\ndaily_budget = 0\n',
      unset: ['LLM_BASE_URL', 'LLM_MODEL_PATH'],
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('revokes a purpose, exports, and deletes everything from the signals page', async () => {
    if (!browser || !program) throw new Error('no browser');
    const base = program.baseUrl;
    const posted = await fetch(`${base}/api/tips/signals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signals: [{ kind: 'mood', score: 2, note: 'tired', at: Date.now() }] }),
    });
    expect(posted.status).toBe(201);

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${base}/tips/signals`);
    const mood = page.locator('input[name="purpose_mood"]');
    expect(await mood.isChecked()).toBe(true);
    await mood.uncheck();
    await page.getByRole('button', { name: 'Save consent' }).click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('input[name="purpose_mood"]').isChecked()).toBe(false);
    const consents = (await (await fetch(`${base}/api/tips/consents`)).json()) as {
      consents: Array<{ purpose: string; granted: boolean }>;
    };
    expect(consents.consents.find((consent) => consent.purpose === 'mood')?.granted).toBe(false);

    const exported = (await (await fetch(`${base}/api/tips/export`)).json()) as { events: Array<{ type: string }> };
    expect(exported.events.map((event) => event.type)).toEqual(['mood_recorded', 'consent_revoked']);

    await page.locator('#delete-confirm').fill('local');
    await page.getByRole('button', { name: 'Delete my data' }).click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('.notice').textContent()).toMatch(/Deleted \d+ rows of local/);
    await page.screenshot({ path: resultFile('tips-trust-deleted.png') });
    const after = (await (await fetch(`${base}/api/tips/export`)).json()) as { events: unknown[] };
    expect(after.events).toEqual([]);
    await page.close();
  });
});
