import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Integration tests share git caches and a 2-core machine: keep file-level parallelism modest.
    // `npm test` runs the Linux 6.1 end-to-end files (test/e2e/*-6.1.test.ts) in a second vitest
    // run after the rest: a kernel build beside the other tests starves their workers on 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
