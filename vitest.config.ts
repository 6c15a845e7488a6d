import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporal's native bridge does not mix with worker threads.
    pool: 'forks',
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**', 'data/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
