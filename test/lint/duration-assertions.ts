/**
 * Finds tests that assert how long something took. Speed depends on the machine and its load, so a test that bounds
 * a duration fails on a busy machine without anything being wrong; speed belongs in `npm run bench`.
 *
 * Flagged: a test title that promises a time ("within 100 ms"), and an ordering matcher (toBeLessThan,
 * toBeGreaterThan, ...OrEqual) whose operands involve the clock: `performance.now()`, `Date.now()`, `hrtime`, a
 * variable assigned from one of them (a timestamp, or a difference such as `elapsed`), or a name that says it is a
 * duration (`elapsed`, `duration`, `...Ms`). A deadline in a wait loop (`Date.now() + 10_000` compared with `<` in
 * plain code) is not an assertion and is left alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Finding {
  file: string;
  line: number;
  text: string;
}

const clock = /\bperformance\.now\s*\(|\bDate\.now\s*\(|\bhrtime\b/;
const titled =
  /\b(?:it|test|describe)(?:\.\w+)*\s*\(\s*(['"`])(?:(?!\1).)*?\bwithin\s+\d[\d_,.]*\s*(?:ms|milliseconds?|s|secs?|seconds?|minutes?)\b/;
const durationName = /^(?:elapsed|duration|took|wall)\w*$|\w(?:Ms|Millis|Seconds)$/;
// An argument list with up to two levels of nested parentheses.
const argument = String.raw`((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)`;
const ordered = new RegExp(
  String.raw`expect\(${argument}\)\s*\.\s*(?:not\s*\.\s*)?(?:toBeLessThan|toBeGreaterThan|toBeLessThanOrEqual|toBeGreaterThanOrEqual)\s*\(${argument}\)`,
  'g',
);
const assignment = /\b(?:const|let|var)?\s*([A-Za-z_$][\w$]*)\s*=(?!=)\s*([^;\n]+)/g;

/** Names assigned from the clock anywhere in the file: timestamps and differences of them. */
function clockNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const match of source.matchAll(assignment)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined && clock.test(value) && !/\+/.test(value)) names.add(name);
  }
  // A difference of timestamps (`const elapsed = end - start`) is a duration too.
  for (const match of source.matchAll(assignment)) {
    const [, name, value] = match;
    if (name === undefined || value === undefined || !value.includes('-')) continue;
    const operands = value.split('-').map((part) => part.trim());
    if (operands.some((operand) => names.has(operand))) names.add(name);
  }
  return names;
}

function involvesTime(expression: string, names: Set<string>): boolean {
  if (clock.test(expression)) return true;
  for (const identifier of expression.match(/[A-Za-z_$][\w$]*/g) ?? []) {
    if (names.has(identifier) || durationName.test(identifier)) return true;
  }
  return false;
}

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let at = 0; at < index; at++) if (source.charCodeAt(at) === 10) line++;
  return line;
}

/** Findings in one test file's text. */
export function findDurationAssertions(file: string, source: string): Finding[] {
  const findings: Finding[] = [];
  const lines = source.split('\n');
  lines.forEach((text, index) => {
    if (titled.test(text)) findings.push({ file, line: index + 1, text: text.trim() });
  });
  const names = clockNames(source);
  for (const match of source.matchAll(ordered)) {
    const [whole, actual = '', expected = ''] = match;
    if (!involvesTime(actual, names) && !involvesTime(expected, names)) continue;
    const line = lineOf(source, match.index ?? 0);
    findings.push({ file, line, text: whole.replace(/\s+/g, ' ').trim() });
  }
  return findings.sort((a, b) => a.line - b.line);
}

function* testFiles(directory: string): Generator<string> {
  for (const name of readdirSync(directory)) {
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures' || name.startsWith('.')) continue;
    const path = join(directory, name);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (/\.test\.tsx?$/.test(name)) yield path;
  }
}

/** Findings in every `*.test.ts(x)` under `roots`. */
export function findDurationAssertionsIn(roots: readonly string[]): Finding[] {
  return roots.flatMap((root) => [...testFiles(root)].flatMap((file) => findDurationAssertions(file, readFileSync(file, 'utf8'))));
}
