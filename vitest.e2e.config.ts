import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/cluster/**/*.test.ts'],
    pool: 'forks',
    // A test without an assertion passes whatever the code does.
    expect: { requireAssertions: true },
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
