import { defineConfig } from 'vitest/config';

// The suite against a real llama.cpp server (`npm run test:llama`): one file at a time, each starts its own server.
export default defineConfig({
  test: {
    include: ['test/llama-server/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
