import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Integration tests share git caches and a 2-core machine: keep file-level parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
