// The ext2 writer behind `tiny boot --root disk`: deterministic bytes, and a file system that
// e2fsprogs' own e2fsck finds clean and debugfs reads back (the kernel mounting it is the e2e
// test: test/e2e/boot-2.6.test.ts).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeExt2 } from '../../src/boot/ext2.js';
import { buildRootDisk } from '../../src/boot/init.js';
import { sh } from '../helpers/cli.js';

const initBytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));

async function withImage<T>(img: Buffer, f: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tiny-ext2-'));
  try {
    const file = join(dir, 'root.ext2');
    await writeFile(file, img);
    return await f(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('writeExt2', () => {
  it('writes the same bytes for the same entries; revision 0, 1 KiB blocks, every time stamp 0', () => {
    const a = buildRootDisk(initBytes);
    expect(buildRootDisk(Buffer.from(initBytes)).equals(a)).toBe(true);
    expect(a.length % 1024).toBe(0);
    expect(a.readUInt16LE(1024 + 56)).toBe(0xef53);
    expect(a.readUInt32LE(1024 + 76)).toBe(0); // s_rev_level
    expect(buildRootDisk(Buffer.from('other')).equals(a)).toBe(false);
  });

  it('is clean for e2fsck -fn, and debugfs reads back the tree, the device node and init', async () => {
    await withImage(buildRootDisk(initBytes), async (file) => {
      // e2fsck exits 0 only when it found nothing to fix.
      const fsck = await sh('e2fsck', ['-fn', file]);
      expect(fsck).toContain('Pass 5: Checking group summary information');
      const ls = await sh('debugfs', ['-R', 'ls -l /', file]);
      const names = ls
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      expect(names.map((r) => [r[1], r[2], r[3], r.at(-1)])).toEqual([
        ['40755', '(0)', '0', '.'],
        ['40755', '(0)', '0', '..'],
        ['40700', '(0)', '0', 'lost+found'],
        ['40755', '(0)', '0', 'dev'],
        ['40755', '(0)', '0', 'proc'],
        ['40755', '(0)', '0', 'sbin'],
      ]);
      const consoleStat = await sh('debugfs', ['-R', 'stat /dev/console', file]);
      expect(consoleStat).toMatch(/Type: character special\s+Mode:\s+0600/);
      expect(consoleStat).toMatch(/Device major\/minor number: 05:01/);
      const init = await sh('debugfs', ['-R', 'stat /sbin/init', file]);
      expect(init).toMatch(/Type: regular\s+Mode:\s+0755/);
      expect(init).toContain('Size: 2500');
      const dump = file + '.init';
      await sh('debugfs', ['-R', `dump /sbin/init ${dump}`, file]);
      expect((await readFile(dump)).equals(initBytes)).toBe(true);
    });
  });

  it('keeps e2fsck happy with many entries over several inode-table blocks, and files up to 12 KiB', async () => {
    const entries = [{ type: 'dir' as const, path: 'd' }, ...Array.from({ length: 30 }, (_, i) => ({ type: 'file' as const, path: `d/f${i}`, data: Buffer.alloc(i * 400, i), mode: 0o644 }))];
    await withImage(writeExt2(entries), async (file) => {
      await sh('e2fsck', ['-fn', file]);
      const stat = await sh('debugfs', ['-R', 'stat /d/f29', file]);
      expect(stat).toContain('Size: 11600');
    });
  });

  it('refuses what it cannot write, saying why', () => {
    expect(() => writeExt2([{ type: 'file', path: 'a/b', data: Buffer.alloc(1) }])).toThrow('ext2: a/b: its directory a is not listed before it');
    expect(() =>
      writeExt2([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: 'a' },
      ]),
    ).toThrow('ext2: a is listed twice');
    expect(() => writeExt2([{ type: 'file', path: 'big', data: Buffer.alloc(13 * 1024) }])).toThrow(/12 direct blocks/);
    const many = Array.from({ length: 80 }, (_, i) => ({ type: 'dir' as const, path: `directory-${i}` }));
    expect(() => writeExt2(many)).toThrow('ext2: directory / needs more than one block');
  });
});
