import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli.js';
import { simulate } from './sim-command.js';

describe('koivulahti sim and replay', () => {
  let output: string[];
  let errors: string[];
  let directory: string;

  beforeEach(() => {
    output = [];
    errors = [];
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void output.push(parts.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    directory = mkdtempSync(join(tmpdir(), 'koivulahti-sim-'));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(directory, { recursive: true, force: true });
  });

  const environment = () => ({ KOIVULAHTI_SQLITE_PATH: join(directory, 'k.db'), LOG_LEVEL: 'silent' });

  it('given seed 42 and 7 days, when sim runs in memory, then it prints the summary tables and writes the JSON lines', async () => {
    const out = join(directory, 'run.jsonl');
    expect(await main(['sim', '--seed', '42', '--days', '7', '--memory', '--out', out], environment())).toBe(0);
    const printed = output.join('\n');
    expect(printed).toMatch(/^Run koivulahti-42-[0-9a-f]{12}: 7 sim-day\(s\), seed 42, \d+ events/);
    for (const heading of ['Village events by type', 'Render decisions by channel', 'Biggest relationship changes'])
      expect(printed).toContain(heading);
    expect(printed).toMatch(/NEWS\s+\d+\s+\d+\s+\d+/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string).type).toBe('run_started');
    expect(printed).toContain(`seed 42, ${lines.length} events`);
  });

  it('given a persisted run, when replayed, then it reports identical; a second sim of the same run is refused', async () => {
    expect(await main(['sim', '--seed', '3', '--days', '2'], environment())).toBe(0);
    const runId = /^Run (\S+):/.exec(output[0] ?? '')?.[1] as string;
    output = [];
    expect(await main(['replay', '--run', runId], environment())).toBe(0);
    expect(output.join('\n')).toMatch(/^identical: run .* from the seed, \d+ events compared/);
    output = [];
    expect(await main(['replay', '--run', runId, '--from', '2026-05-05T06:00'], environment())).toBe(0);
    expect(output.join('\n')).toMatch(/^identical: .* from the snapshot at version \d+/);
    expect(await main(['sim', '--seed', '3', '--days', '2'], environment())).toBe(1);
    expect(errors.join('\n')).toContain(`run ${runId} is already recorded`);
  });

  it('refuses bad numbers, a missing run and a broken catalog directory', async () => {
    expect(await main(['sim', '--days', 'seven', '--memory'], environment())).toBe(1);
    expect(errors.join('\n')).toContain('--days must be an integer');
    expect(await main(['sim', '--seed', '4294967296', '--memory'], environment())).toBe(1);
    expect(errors.join('\n')).toContain('--seed must be an integer between');
    expect(await main(['replay'], environment())).toBe(1);
    expect(errors.join('\n')).toContain('replay needs --run ID');
    expect(await main(['sim', '--memory', '--catalog', directory], environment())).toBe(1);
    expect(errors.join('\n')).toContain('world.json: $: cannot read: ENOENT');
  });

  it('given a terminal, when sim runs, then it draws a progress bar; otherwise it prints plain progress lines', async () => {
    const bar: string[] = [];
    await simulate({ seed: 1, days: 2, progress: { isTTY: true, write: (text) => bar.push(text) } });
    expect(bar[0]).toMatch(/^\r\[#{15}-{15}\] day 1\/2 {2}\d+ events$/);
    expect(bar[bar.length - 1]).toMatch(/^\r\[#{30}\] day 2\/2 {2}\d+ events\n$/);
    const lines: string[] = [];
    await simulate({ seed: 1, days: 2, progress: { isTTY: false, write: (text) => lines.push(text) } });
    expect(lines).toEqual([expect.stringMatching(/^day 1\/2 done, \d+ events\n$/), expect.stringMatching(/^day 2\/2 done, \d+ events\n$/)]);
  });

  it('given --npcs, when sim runs and is replayed with the same --npcs, then the town is grown, its run is its own and replays identical', async () => {
    const grown = await simulate({ seed: 3, days: 1, npcs: 40 });
    const plain = await simulate({ seed: 3, days: 1 });
    expect(grown.catalog.catalog.npcs).toHaveLength(40);
    expect(grown.runId).not.toBe(plain.runId);
    expect(await main(['sim', '--seed', '3', '--days', '1', '--npcs', '40'], environment())).toBe(0);
    const runId = /Run (\S+):/.exec(output.join('\n'))?.[1] as string;
    expect(runId).toBe(grown.runId);
    expect(await main(['replay', '--run', runId, '--npcs', '40'], environment())).toBe(0);
    expect(output.join('\n')).toContain(`identical: run ${runId}`);
    expect(await main(['sim', '--days', '1', '--npcs', '0', '--memory'], environment())).not.toBe(0);
    expect(errors.join('\n')).toContain('--npcs must be an integer from 1 to 100000, got 0');
  }, 120_000);
});
