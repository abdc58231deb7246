// One tiny cache shared by the end-to-end tests that build Linux 6.1 (build-6.1, bisect-6.1,
// boot-6.1): they build the same configuration (configs/tinyconfig-6.1.yaml) in the same
// container, so one ccache and one record store make the second and third test mostly cache
// hits instead of two more cold 6.1 builds. Set TINY_E2E_CACHE to keep one across runs.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.TINY_E2E_CACHE) return async () => {};
  const dir = await mkdtemp(join(tmpdir(), 'tiny-e2e-cache-'));
  process.env.TINY_E2E_CACHE = dir;
  return async () => {
    if (!process.env.TINY_KEEP) await rm(dir, { recursive: true, force: true });
  };
}
