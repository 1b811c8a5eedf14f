/**
 * Finds calls that make domain code nondeterministic: the host clock, unseeded randomness, the environment.
 * Domain code receives a Clock and a seeded Rng instead (DESIGN §1.2).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Finding {
  file: string;
  line: number;
  text: string;
}

const forbidden = [
  /\bDate\.now\s*\(/,
  /\bnew Date\s*\(\s*\)/,
  /\bMath\.random\s*\(/,
  /\bperformance\.now\s*\(/,
  /\bprocess\.(env|hrtime)\b/,
  /\bcrypto\.random/,
];

function* domainFiles(directory: string, insideDomain = false): Generator<string> {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') yield* domainFiles(path, insideDomain || name === 'domain');
    } else if (insideDomain && /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) yield path;
  }
}

export function findNondeterminism(root: string): Finding[] {
  const findings: Finding[] = [];
  for (const file of domainFiles(root)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        const code = text.replace(/\/\/.*$/, '');
        if (forbidden.some((pattern) => pattern.test(code))) findings.push({ file, line: index + 1, text: text.trim() });
      });
  }
  return findings;
}
