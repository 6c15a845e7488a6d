import { defineConfig } from 'vitest/config';

// Timing tests (test/timing/, the rate limiter's) measure rates and latencies over real HTTP, so they run in a
// second pass, one file at a time, where the rest of the suite cannot steal their CPU.
// scripts/test runs both passes.
const timing = process.env.VITEST_TIMING === '1';
const timingTests = ['test/timing/**/*.test.ts', 'apps/server/ingest/rate-limit/**/*.test.ts'];

export default defineConfig({
  test: {
    // Temporal's native bridge does not mix with worker threads.
    pool: 'forks',
    include: timing ? timingTests : ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**', 'data/**', 'dist/**', ...(timing ? [] : timingTests)],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: !timing,
    maxWorkers: 2,
  },
});
