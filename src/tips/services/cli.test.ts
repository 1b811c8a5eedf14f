import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli.js';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { allMigrations } from '../../runtime.js';
import { EventStore, openDatabase, runMigrations } from '../../store/index.js';
import { decisionLogProjection } from '../read-model/decision-log.js';
import { generateVaultKey } from './privacy/vault.js';
import { TipsService } from './tips-service.js';

describe('koivulahti tips', () => {
  let output: string[];
  let errors: string[];
  let directory: string;
  const k1 = generateVaultKey('k1');
  const k2 = generateVaultKey('k2');

  beforeEach(() => {
    output = [];
    errors = [];
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void output.push(parts.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-tips-cli-'));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(directory, { recursive: true, force: true });
  });

  const environment = (extra: Record<string, string> = {}) => ({
    KOIVULAHTI_SQLITE_PATH: join(directory, 'k.db'),
    LOG_LEVEL: 'silent',
    TIPS_TOKEN_KEYS: k1,
    ...extra,
  });

  /** A user with a few shown-and-reacted decisions and a vaulted token, in the CLI's database. */
  async function seed() {
    const database = await openDatabase({ sqlitePath: join(directory, 'k.db') });
    await runMigrations(database, allMigrations);
    const clock = new ManualClock(Date.parse('2026-11-23T08:00:00Z'));
    const config = parseConfig({
      overrides: {
        'tips.timezone': 'Europe/Helsinki',
        'tips.quiet_hours_start': '00:00',
        'tips.quiet_hours_end': '00:00',
        'tips.token_keys': k1,
      },
    });
    const store = new EventStore(database, { clock, inlineProjections: [decisionLogProjection] });
    const service = new TipsService({ config: config.tips, store, database, clock });
    await service.recordSignals([
      { kind: 'task', taskId: 'a', title: 'Call the dentist', priority: 4, done: false, source: 'manual' },
      { kind: 'task', taskId: 'b', title: 'Water the plants', priority: 2, done: false, source: 'manual' },
    ]);
    for (let round = 0; round < 4; round++) {
      const next = await service.next({ show: true });
      if (next.status !== 'tip') throw new Error('expected a tip');
      await service.react(next.decision.decisionId, 'not_now');
      clock.advance(30 * 60_000);
    }
    await service.vault.put('local', 'todoist', 'plain-token-value');
    await store.close();
    await database.destroy();
  }

  it('given a decision log, when `tips evaluate --policy uniform` runs, then it prints every estimator with its interval and the on-policy value', async () => {
    await seed();
    expect(await main(['tips', 'evaluate', '--policy', 'uniform'], environment())).toBe(0);
    const table = output.join('\n');
    expect(table).toMatch(/policy uniform vs incumbent linucb-v1: 4 rewarded decisions/);
    for (const name of ['ips', 'snips', 'dr', 'switch-dr', 'on-policy'])
      expect(table).toMatch(new RegExp(`^${name}\\s+-?\\d+\\.\\d{4}\\s+-?\\d`, 'm'));
    expect(table).toMatch(/shadow agreement/);
  });

  it('given too few decisions, when `tips promote` runs, then it refuses; with --override and --reason it promotes and says so', async () => {
    await seed();
    expect(await main(['tips', 'promote', '--policy', 'linucb-greedy'], environment())).toBe(0);
    expect(output.at(-1)).toMatch(/^Not promoted: only 4 of 50/);
    expect(await main(['tips', 'promote', '--policy', 'linucb-greedy', '--override'], environment())).toBe(1);
    expect(errors.join('\n')).toMatch(/override needs a reason/);
    expect(await main(['tips', 'promote', '--policy', 'linucb-greedy', '--override', '--reason', 'trial'], environment())).toBe(0);
    expect(output.at(-1)).toMatch(/^Promoted linucb-greedy by override/);
  });

  it('given tokens under k1, when k2 is made active and `tips rotate-keys` runs, then every token is re-encrypted and no token is printed', async () => {
    await seed();
    expect(await main(['tips', 'rotate-keys'], environment({ TIPS_TOKEN_KEYS: `${k1},${k2}`, TIPS_TOKEN_ACTIVE_KEY: 'k2' }))).toBe(0);
    expect(output).toEqual(['Re-encrypted 1 token(s) with key k2.']);
    expect(await main(['tips', 'export', '--out', join(directory, 'export.json')], environment({ TIPS_TOKEN_KEYS: k2 }))).toBe(0);
    const exported = JSON.parse(readFileSync(join(directory, 'export.json'), 'utf8'));
    expect(exported.integrations).toMatchObject([{ provider: 'todoist', keyId: 'k2' }]);
    expect(JSON.stringify(exported)).not.toContain('plain-token-value');
  });

  it('given `tips delete` without --user, an unknown subcommand or an unknown policy, then it fails clearly', async () => {
    expect(await main(['tips', 'delete'], environment())).toBe(1);
    expect(errors.join('\n')).toMatch(/--user ID/);
    expect(await main(['tips', 'frobnicate'], environment())).toBe(1);
    expect(await main(['tips'], environment())).toBe(1);
    expect(await main(['tips', 'evaluate', '--policy', 'nope'], environment())).toBe(1);
    expect(errors.join('\n')).toMatch(/unknown policy nope/);
    expect(await main(['tips', 'keygen', '--kid', 'k7'], environment())).toBe(0);
    expect(output.at(-1)).toMatch(/^k7:[A-Za-z0-9+/]{43}=$/);
  });

  it('given a user, when `tips delete --user local` runs, then it prints a receipt and the user is gone', async () => {
    await seed();
    expect(await main(['tips', 'delete', '--user', 'local'], environment())).toBe(0);
    const receipt = JSON.parse(output.join('\n'));
    expect(receipt.userId).toBe('local');
    expect(receipt.tables.tips_decisions).toBe(4);
    expect(receipt.tables.tips_tokens).toBe(1);
    expect(receipt.revoked).toEqual([{ provider: 'todoist', ok: false, error: 'no revocation endpoint configured' }]);
  });
});
