// A cache shared by the end-to-end tests that build the same kernel: test/e2e/build-6.1.test.ts
// and test/e2e/boot-6.1.test.ts both build configs/tinyconfig-6.1.yaml with the queue of
// test/fixtures/build/queue-6.1, so in one cache the queue point is built once and the other
// test gets it from the store (two tiny runs on one cache wait for each other on its build
// lock). $TINY_E2E_CACHE overrides the place. Not removed after the run (the other test file
// may still be using it); it lives under the temp directory.

import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function sharedE2eCache(name: string): string {
  return process.env.TINY_E2E_CACHE ?? join(tmpdir(), `tiny-e2e-${name}-${process.getuid?.() ?? 'u'}`);
}
