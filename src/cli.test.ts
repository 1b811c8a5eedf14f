import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli.js';
import { version } from './core/version.js';

describe('koivulahti command', () => {
  let output: string[];
  let errors: string[];
  let directory: string;

  beforeEach(() => {
    output = [];
    errors = [];
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void output.push(parts.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-cli-'));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(directory, { recursive: true, force: true });
  });

  const environment = () => ({ KOIVULAHTI_SQLITE_PATH: join(directory, 'k.db'), LOG_LEVEL: 'silent' });

  it('prints its version and its help', async () => {
    expect(await main(['--version'], environment())).toBe(0);
    expect(output).toEqual([version]);
    expect(await main(['--help'], environment())).toBe(0);
    expect(output.join('\n')).toMatch(/start .*\n.*migrate/s);
  });

  it('refuses an unknown command or option with exit code 2', async () => {
    expect(await main(['frobnicate'], environment())).toBe(2);
    expect(errors.join('\n')).toContain("unknown command 'frobnicate'");
    expect(await main(['start', '--prot', '1'], environment())).toBe(2);
    expect(await main([], environment())).toBe(2);
  });

  it('exits non-zero naming the key of a bad configuration value', async () => {
    expect(await main(['migrate'], { ...environment(), PORT: 'eighty' })).toBe(1);
    expect(errors.join('\n')).toMatch(/config_invalid: PORT \(server\.port\): /);

    const configPath = join(directory, 'config.toml');
    writeFileSync(configPath, '[queue]\nmax_attempts = 0\n');
    expect(await main(['migrate', '--config', configPath], environment())).toBe(1);
    expect(errors.join('\n')).toMatch(/config_invalid: queue\.max_attempts: /);
  });

  it('migrates a new SQLite database, then finds it up to date', async () => {
    expect(await main(['migrate'], environment())).toBe(0);
    expect(output.join('\n')).toMatch(/Applied \d+ migration\(s\):\n {2}0001-store-events/);
    output.length = 0;
    expect(await main(['migrate'], environment())).toBe(0);
    expect(output).toEqual(['Database is up to date.']);
  });

  it('backs up the SQLite database on demand', async () => {
    expect(await main(['migrate'], environment())).toBe(0);
    output.length = 0;
    const backupEnvironment = { ...environment(), KOIVULAHTI_CONFIG: join(directory, 'config.toml') };
    writeFileSync(backupEnvironment.KOIVULAHTI_CONFIG, `[chat]\nbackup_dir = "${join(directory, 'backups')}"\n`);
    expect(await main(['backup'], backupEnvironment)).toBe(0);
    const written = output.join('\n').replace('Backup written to ', '');
    expect(written.startsWith(join(directory, 'backups'))).toBe(true);
    expect(existsSync(written)).toBe(true);
  });

  it('reports an unreachable PostgreSQL clearly', async () => {
    expect(await main(['migrate'], { ...environment(), DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' })).toBe(1);
    const message = errors.join('\n');
    expect(message).toContain('store_unavailable: cannot connect to PostgreSQL');
    expect(message).not.toContain('secret');
  });
});
