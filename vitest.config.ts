import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Network tests start real brokers and proxies; give them room on a 2-core machine, but bound everything.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Timing-sensitive tests measure injected latency: keep files from competing for the 2 cores.
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
