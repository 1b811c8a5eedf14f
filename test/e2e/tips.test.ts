/**
 * Browser test of the one-tip page: starts the real program (`src/cli.ts start`) with a fresh SQLite file and a
 * config without quiet hours, records tasks and a mood through the API, then drives Debian's /usr/bin/chromium on a
 * phone-sized viewport: `/tips` shows one tip; "Done" brings the next one; a done tip never comes back; at the end
 * the page is calm. Screenshots go to test-results/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = '/usr/bin/chromium';
const resultsDirectory = join(repository, 'test-results');
const chromiumMissing = !existsSync(chromiumPath);

if (chromiumMissing) {
  const message = `${chromiumPath} is missing: apt-get install -y chromium`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the browser tests must run)`);
  console.warn(`[skip] tips browser test: ${message}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the server did not become healthy:\n${output()}`);
}

const hour = 3_600_000;

describe.skipIf(chromiumMissing)('tips browser test', () => {
  let directory: string;
  let server: ChildProcess;
  let browser: Browser | undefined;
  let baseUrl: string;
  let serverOutput = '';

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-tips-e2e-'));
    const configPath = join(directory, 'config.toml');
    writeFileSync(
      configPath,
      '[tips]\ntimezone = "Europe/Helsinki"\nquiet_hours_start = "00:00"\nquiet_hours_end = "00:00"\ndaily_budget = 0\n',
    );
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      KOIVULAHTI_CONFIG: configPath,
      KOIVULAHTI_SQLITE_PATH: join(directory, 'k.db'),
      LOG_LEVEL: 'warn',
    };
    delete environment.DATABASE_URL;
    delete environment.NATS_URL;
    delete environment.LLM_BASE_URL;
    delete environment.LLM_MODEL_PATH;
    server = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--port', String(port), '--host', '127.0.0.1'], {
      cwd: repository,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => {
      serverOutput += String(chunk);
    });
    server.stderr?.on('data', (chunk) => {
      serverOutput += String(chunk);
    });
    await waitForHealth(baseUrl, server, () => serverOutput);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) server.kill('SIGKILL');
    }
    if (directory) rmSync(directory, { recursive: true, force: true });
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

    mkdirSync(resultsDirectory, { recursive: true });
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
    await page.screenshot({ path: join(resultsDirectory, 'tips-first.png'), animations: 'disabled' });

    await page.locator('.why summary').click();
    await page.screenshot({ path: join(resultsDirectory, 'tips-why.png'), animations: 'disabled' });
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
        if (doneCount === 1) await page.screenshot({ path: join(resultsDirectory, 'tips-next.png'), animations: 'disabled' });
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
    await page.screenshot({ path: join(resultsDirectory, 'tips-all-clear.png'), animations: 'disabled' });

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
    await page.screenshot({ path: join(resultsDirectory, 'tips-decisions.png'), fullPage: true, animations: 'disabled' });

    await page.goto(`${baseUrl}/tips/signals`);
    await page.screenshot({ path: join(resultsDirectory, 'tips-signals.png'), fullPage: true, animations: 'disabled' });
    const manifest = await fetch(`${baseUrl}/tips/manifest.webmanifest`);
    expect((await manifest.json()).start_url).toBe('/tips');

    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    console.log(`tips e2e sequence:\n${seen.join('\n')}`);
  });
});
