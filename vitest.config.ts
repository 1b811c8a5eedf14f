import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/cluster/**', 'test/llama-server/**', 'node_modules/**', 'dist/**'],
    pool: 'forks',
    // A test without an assertion passes whatever the code does.
    expect: { requireAssertions: true },
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
