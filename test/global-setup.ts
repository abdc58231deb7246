// What every vitest run shares, set up once before the test files start:
//
// - One tiny cache for the end-to-end tests that build kernels (TINY_E2E_CACHE): the 2.6.9
//   flagship gate, diff-vmlinux, boot-2.6 and the 6.1 files build the same configurations in
//   the same container, so one ccache and one record store turn the later tests' builds into
//   cache hits. `scripts/test.mjs` sets it for both phases of `npm test`; set it yourself to
//   keep one across runs.
// - The unmodified Linux 2.6.9 tree (TINY_TREE_2_6): when unset, the tarball that sits next to
//   the project (../shared/kernels/linux-2.6.9.tar.xz, on every developer machine and in CI) is
//   unpacked once into ~/.cache/tiny-trees/linux-2.6.9 (the last source queue/queue.yaml
//   lists) and the 2.6 tests run on it. See test/helpers/shared-tree.ts.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSharedTree } from './helpers/shared-tree.js';

export default async function setup(): Promise<() => Promise<void>> {
  if (!process.env.TINY_TREE_2_6) {
    const tree = await ensureSharedTree((line) => console.log(`global-setup: ${line}`));
    if (tree) process.env.TINY_TREE_2_6 = tree;
  }
  if (process.env.TINY_E2E_CACHE) return async () => {};
  const dir = await mkdtemp(join(tmpdir(), 'tiny-e2e-cache-'));
  process.env.TINY_E2E_CACHE = dir;
  return async () => {
    if (!process.env.TINY_KEEP) await rm(dir, { recursive: true, force: true });
  };
}
