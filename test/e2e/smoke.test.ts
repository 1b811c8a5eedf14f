/**
 * Browser smoke test: starts the real program (`src/cli.ts start`) on a free port with a fresh SQLite file, drives
 * Debian's /usr/bin/chromium through playwright-core (never a downloaded browser), and saves a screenshot of the home page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = '/usr/bin/chromium';
const resultsDirectory = join(repository, 'test-results');
const chromiumMissing = !existsSync(chromiumPath);

if (chromiumMissing) {
  const message = `${chromiumPath} is missing: apt-get install -y chromium`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the browser tests must run)`);
  console.warn(`[skip] browser smoke test: ${message}`);
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

describe.skipIf(chromiumMissing)('browser smoke test', () => {
  let directory: string;
  let server: ChildProcess;
  let browser: Browser | undefined;
  let baseUrl: string;
  let serverOutput = '';

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const environment: NodeJS.ProcessEnv = { ...process.env, KOIVULAHTI_SQLITE_PATH: join(directory, 'k.db'), LOG_LEVEL: 'warn' };
    delete environment.KOIVULAHTI_CONFIG;
    delete environment.DATABASE_URL;
    delete environment.NATS_URL;
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

    mkdirSync(resultsDirectory, { recursive: true });
    await page.screenshot({ path: join(resultsDirectory, 'smoke-home.png'), fullPage: true });

    await navigation.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(`${baseUrl}/admin`);
    expect(await navigation.getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');
    const store = page.locator('.facts div', { hasText: 'Event store' }).locator('dd');
    expect(await store.textContent()).toBe('sqlite');
    await page.screenshot({ path: join(resultsDirectory, 'smoke-admin.png'), fullPage: true });

    await navigation.getByRole('link', { name: 'Village' }).click();
    await page.waitForURL(`${baseUrl}/village`);
    expect(await navigation.getByRole('link', { name: 'Village' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    await page.screenshot({ path: join(resultsDirectory, 'smoke-village.png'), fullPage: true });

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Koivulahti' }).waitFor();
    expect(await page.locator('.opblock-summary-path', { hasText: '/health' }).count()).toBe(1);

    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
