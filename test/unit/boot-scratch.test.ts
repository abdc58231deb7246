// tiny boot's scratch directories: a killed boot's directory (its process gone) is removed by
// the next boot; a live process's is kept.

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootScratch, removeStaleScratch } from '../../src/boot/scratch.js';

describe('boot scratch directories', () => {
  it('removes the directories of processes that are gone, keeps live ones and other names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-boot-scratch-'));
    try {
      // A pid that surely existed and is gone: a child that has exited.
      const gone = spawnSync('true').pid!;
      await mkdir(join(dir, `abc.${gone}`));
      await mkdir(join(dir, `def.${process.pid}`));
      await mkdir(join(dir, 'init-XYZ'));
      expect(await removeStaleScratch(dir)).toEqual([`abc.${gone}`]);
      expect((await readdir(dir)).sort()).toEqual([`def.${process.pid}`, 'init-XYZ']);
      const mine = await bootScratch(dir, 'key');
      expect(mine).toBe(join(dir, `key.${process.pid}`));
      expect((await readdir(dir)).sort()).toEqual([`def.${process.pid}`, 'init-XYZ', `key.${process.pid}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
