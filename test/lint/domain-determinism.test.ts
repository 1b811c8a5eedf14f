import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findNondeterminism } from './domain-determinism.js';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('domain determinism', () => {
  it('flags the host clock and unseeded randomness in a domain/ fixture', () => {
    const findings = findNondeterminism(at('./fixtures/src'));
    expect(findings.map((finding) => [finding.file.split('/').pop(), finding.line])).toEqual([
      ['reads-the-clock.ts', 1],
      ['reads-the-clock.ts', 2],
    ]);
  });

  it('finds none in the real domain folders', () => {
    expect(findNondeterminism(at('../../src'))).toEqual([]);
  });
});
