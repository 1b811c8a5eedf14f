import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findDialectBranches, findDialectBranchesIn } from './dialect-branches.js';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('no dialect branch outside src/store and src/messaging', () => {
  it('flags comparisons with a dialect name and one dialect’s SQL in a product fixture, not in the store fixture', () => {
    const findings = findDialectBranches(at('./fixtures'));
    expect(findings.map((finding) => [finding.file, finding.line, finding.reason])).toEqual([
      ['src/tips/privacy/branches-on-dialect.ts', 2, 'compares-dialect'],
      ['src/tips/privacy/branches-on-dialect.ts', 7, 'compares-dialect'],
      ['src/tips/privacy/branches-on-dialect.ts', 8, 'dialect-only-sql'],
    ]);
  });

  it('sees a reversed comparison, a template literal and a PostgreSQL function, and leaves a display of the dialect alone', () => {
    const text = [
      "if ('sqlite' !== database.dialect) run();",
      "await sql`select pg_notify('koivulahti_events', 'x')`.execute(db);",
      'const health = { storeKind: database.dialect };',
    ].join('\n');
    expect(findDialectBranchesIn('src/chat/x.ts', text).map((finding) => [finding.line, finding.reason])).toEqual([
      [1, 'compares-dialect'],
      [2, 'dialect-only-sql'],
    ]);
  });

  it('finds none in the real source tree', () => {
    expect(findDialectBranches(at('../..'))).toEqual([]);
  }, 120_000);
});
