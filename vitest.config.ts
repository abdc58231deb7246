import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The end-to-end files that build kernels share one cache (test/global-setup.ts) and run in the
 * order of test/phase2.json: the 2.6.9 flagship gate fills the ccache and record store that
 * diff-vmlinux and boot-2.6 then read, build-6.1 goes before boot-6.1 and bisect-6.1, whose good
 * point is mostly ccache hits. Everything else keeps vitest's own order.
 */
const ORDER: string[] = (JSON.parse(readFileSync(new URL('./test/phase2.json', import.meta.url), 'utf8')) as { files: string[] }).files;
class SharedCacheOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = ORDER.findIndex((n) => f.moduleId.endsWith(`/${n}`));
      return i < 0 ? ORDER.length : i;
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
    // `npm test` (scripts/test.mjs) runs the kernel-building end-to-end files (test/phase2.json)
    // in a second vitest run after the rest, one file at a time: a kernel build beside the other
    // tests starves their workers on 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: SharedCacheOrder },
  },
});
