/**
 * Shared setup for the browser tests: starts the real program (`src/cli.ts start`) on a free port with a fresh SQLite
 * file and a cleaned environment, launches Debian's /usr/bin/chromium through playwright-core (never a downloaded
 * browser), and stops both again. Screenshots go to test-results/ (see `resultFile`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = '/usr/bin/chromium';

export const resultsDirectory = join(repository, 'test-results');
export const chromiumMissing = !existsSync(chromiumPath);

/** The path of `name` under test-results/, creating the directory if needed. */
export function resultFile(name: string): string {
  mkdirSync(resultsDirectory, { recursive: true });
  return join(resultsDirectory, name);
}

/**
 * Call at module level: when chromium is missing, warns that `suiteName` is skipped, or throws under CI=true (where the
 * browser tests must run). Returns `chromiumMissing`, for `describe.skipIf`.
 */
export function requireChromium(suiteName: string): boolean {
  if (chromiumMissing) {
    const message = `${chromiumPath} is missing: apt-get install -y chromium`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: the browser tests must run)`);
    console.warn(`[skip] ${suiteName}: ${message}`);
  }
  return chromiumMissing;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** Always removed from the inherited environment, so the program runs on its own SQLite file only. */
const alwaysUnset = ['KOIVULAHTI_CONFIG', 'DATABASE_URL', 'NATS_URL'];

export interface ProgramOptions {
  /** Names the temporary directory `koivulahti-<label>-e2e-…` (default `koivulahti-e2e-…`). */
  label?: string;
  /** Set on top of the inherited environment (after `unset` and the built-in removals). */
  environment?: Record<string, string>;
  /** Further inherited variables to remove, besides KOIVULAHTI_CONFIG, DATABASE_URL and NATS_URL. */
  unset?: readonly string[];
  /** TOML written to `<directory>/config.toml` and passed as KOIVULAHTI_CONFIG. */
  config?: string;
  /** How long to wait for /health (default 30 s). */
  healthTimeoutMs?: number;
}

export interface Program {
  baseUrl: string;
  port: number;
  /** The temporary directory holding the SQLite file (and config.toml); removed by `stop`. */
  directory: string;
  /** Everything the program wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; removes the directory. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
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

/** Resolves once `url`/health answers 200; fails with the process's output when it exits or the time runs out. */
export async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
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

/** Starts `node --import tsx src/cli.ts start` on a free port and resolves once /health answers. */
export async function startProgram(options: ProgramOptions = {}): Promise<Program> {
  const directory = mkdtempSync(join(tmpdir(), options.label ? `koivulahti-${options.label}-e2e-` : 'koivulahti-e2e-'));
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...alwaysUnset, ...(options.unset ?? [])]) delete environment[name];
  environment.KOIVULAHTI_SQLITE_PATH = join(directory, 'k.db');
  environment.LOG_LEVEL = 'warn';
  if (options.config !== undefined) {
    const configPath = join(directory, 'config.toml');
    writeFileSync(configPath, options.config);
    environment.KOIVULAHTI_CONFIG = configPath;
  }
  Object.assign(environment, options.environment);

  let server: ChildProcess | undefined;
  let serverOutput = '';
  const output = () => serverOutput;
  const stop = async () => {
    if (server && server.exitCode === null) {
      const child = server;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
    }
    rmSync(directory, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
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
    await waitForHealth(baseUrl, server, output, options.healthTimeoutMs ?? 30_000);
    return { baseUrl, port, directory, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
