import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findDurationAssertions, findDurationAssertionsIn } from './duration-assertions.js';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const timed = [
  "it('answers within 100 ms', async () => {",
  '  const started = performance.now();',
  '  await work();',
  '  const elapsed = performance.now() - started;',
  '  expect(elapsed).toBeLessThan(400);',
  '  expect(performance.now() - started).toBeGreaterThan(80);',
  '  const abortedAt = performance.now();',
  '  const closedAt = await server.waitForClose(0);',
  '  expect(closedAt - abortedAt).toBeLessThan(100);',
  '  expect(closedAt).toBeGreaterThanOrEqual(abortedAt);',
  '  expect(timings[1]?.ownFirstTokenMs).toBeGreaterThanOrEqual(300);',
  '  const took = process.hrtime.bigint() - begin;',
  '  expect(Number(took)).not.toBeGreaterThan(1e9);',
  '});',
].join('\n');

const untimed = [
  "it('polls until the row is there', async () => {",
  '  const deadline = Date.now() + 10_000;',
  '  while (!(await done()) && Date.now() < deadline) await sleep(20);',
  "  expect(log.indexOf('a')).toBeLessThan(log.indexOf('b'));",
  '  expect(rows.length).toBeGreaterThan(0);',
  '  expect(entry.shownAt).toBeGreaterThan(0);',
  '  expect(serviceMs(profile, shape)).toBeCloseTo(70);',
  '});',
].join('\n');

describe('duration assertions in tests', () => {
  it('flags a timed title, elapsed-time bounds, timestamp comparisons and duration fields', () => {
    expect(findDurationAssertions('timed.test.ts', timed).map((finding) => finding.line)).toEqual([1, 5, 6, 9, 10, 11, 13]);
  });

  it('leaves polling deadlines, ordering of log entries and counts alone', () => {
    expect(findDurationAssertions('untimed.test.ts', untimed)).toEqual([]);
  });

  it('finds none in the real test files', () => {
    const roots = ['../../src', '../../test', '../../bench', '../../scripts'].map(at);
    const self = at('./duration-assertions.test.ts');
    expect(findDurationAssertionsIn(roots).filter((finding) => finding.file !== self)).toEqual([]);
  });
});
