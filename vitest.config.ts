import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The Linux 6.1 end-to-end files share one cache (test/global-setup.ts): build-6.1 goes first
 * and fills its ccache and record store, so boot-6.1 finds its kernel stored and bisect-6.1's
 * good point is mostly ccache hits. Everything else keeps vitest's own order.
 */
const FIRST = ['build-6.1', 'boot-6.1', 'bisect-6.1'];
class SharedCacheOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((n) => f.moduleId.endsWith(`/${n}.test.ts`));
      return i < 0 ? FIRST.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Integration tests share git caches and a 2-core machine: keep file-level parallelism modest.
    // `npm test` runs the Linux 6.1 end-to-end files (test/e2e/*-6.1.test.ts) in a second vitest
    // run after the rest, one file at a time in the order above: a kernel build beside the other
    // tests starves their workers on 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: SharedCacheOrder },
  },
});
