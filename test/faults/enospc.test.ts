// A full disk (ENOSPC) under the cache and under `queue apply --out`: a small tmpfs, filled by
// tiny's own writes at different points depending on its size. The run must stop with one
// message naming the path and the free space (exit 1, no stack trace), leave nothing
// half-written (no empty lock, no temp file, no half record), and once there is room again the
// same command must run at once (no lock to wait for) and give a clean run's result.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONFIG, FAKE_QUEUE, cleanRun, comparable, filesMatching, scratch, smallDisk, snapshotBytes, tiny, treeHash, type SmallDisk } from './harness.js';
import { skippedSuite } from '../helpers/trees.js';

const build = ['build', '--config', FAKE_CONFIG, '--queue', FAKE_QUEUE, '--runtime', 'host'];
const NO_SPACE = /^tiny: no space left on (\/\S+): (?:\d+(?:\.\d)? [KM]B needed, )?\d+(?:\.\d)? [KM]B free$/m;
const HINT = '  hint: free some space on that file system (or point TINY_CACHE at a larger one) and run again: nothing half-written was kept';

/** What a failed write must not leave: an empty or temp lock, a temp file, a half record. */
async function leftovers(dir: string): Promise<string[]> {
  const temp = (await filesMatching(dir, /\.lock$|\.tmp$|\.stale\./)).filter((f) => f !== 'records/.tmp'); // the store's own temp directory
  return [...temp, ...(await filesMatching(join(dir, 'records', '.tmp'), /./)).map((f) => `records/.tmp/${f}`)];
}

const probe = await smallDisk('1m');
if ('skip' in probe) {
  skippedSuite('faults/enospc', 'a full disk under the cache', probe.skip);
} else {
  await probe.remove();

  describe('a full disk under the cache, then the same command with room again', { timeout: 180_000 }, () => {
    const disks: SmallDisk[] = [];
    let inputs: Record<string, string>;
    beforeAll(async () => {
      inputs = await snapshotBytes(join(FAKE_QUEUE, '..', '..'));
    });
    afterAll(async () => {
      for (const d of disks) await d.remove();
    });

    // 400k fills up while the worktree is checked out (git says only "unable to write file"),
    // 900k while a record is written.
    for (const size of ['400k', '900k']) {
      it(`a ${size} cache: exit 1 naming the path and the free space, nothing half-written; with room, the rerun equals a clean run`, async () => {
        const disk = (await smallDisk(size)) as SmallDisk;
        disks.push(disk);
        const env = { TINY_CACHE: disk.dir };

        const full = await tiny(build, { env });
        expect(full.code, full.stderr).toBe(1);
        const m = NO_SPACE.exec(full.stderr);
        expect(m, full.stderr).not.toBeNull();
        expect(m![1]!.startsWith(disk.dir)).toBe(true);
        expect(full.stderr).toContain(HINT);
        expect(full.stderr).not.toMatch(/internal error|    at /);
        expect(await leftovers(disk.dir)).toEqual([]);

        await disk.grow('64m');
        const t0 = Date.now();
        const rerun = await tiny([...build, '--json'], { env });
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(rerun.stderr).not.toMatch(/is using the cache|timed out waiting|took over the lock/);
        expect(Date.now() - t0).toBeLessThan(120_000);
        expect(comparable(rerun.stdout)).toEqual(comparable(await cleanRun(build)));
        expect(await snapshotBytes(join(FAKE_QUEUE, '..', '..'))).toEqual(inputs);
      });
    }

    it('queue apply --out on a full disk: exit 1 naming --out, no half tree; with room, the rerun gives the clean tree', async () => {
      const disk = (await smallDisk('64k')) as SmallDisk;
      disks.push(disk);
      const cache = await scratch('tiny-enospc-cache-');
      const out = join(disk.dir, 'linux');
      const apply = ['queue', 'apply', '--queue', FAKE_QUEUE, '--out', out];
      try {
        const full = await tiny(apply, { env: { TINY_CACHE: cache } });
        expect(full.code, full.stderr).toBe(1);
        const m = NO_SPACE.exec(full.stderr);
        expect(m, full.stderr).not.toBeNull();
        expect(m![1]!.startsWith(disk.dir)).toBe(true);
        expect(full.stderr).not.toMatch(/internal error|    at /);
        // git removes the worktree it could not finish: nothing half-checked-out is left.
        expect(await filesMatching(disk.dir, /./)).toEqual([]);

        await disk.grow('64m');
        const rerun = await tiny(apply, { env: { TINY_CACHE: cache } });
        expect(rerun.code, rerun.stderr).toBe(0);
        const clean = join(cache, 'clean-linux');
        expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', clean], { env: { TINY_CACHE: cache } })).code).toBe(0);
        expect(await treeHash(out)).toBe(await treeHash(clean));
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    });
  });
}
