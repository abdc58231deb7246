// The newc cpio writer: deterministic bytes, the layout the kernel and GNU cpio read (names
// and data 4-byte aligned, TRAILER!!!), checked by reading it back and with GNU cpio itself.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCpio, writeCpio } from '../../src/boot/cpio.js';
import { buildInitramfs, initramfsEntries } from '../../src/boot/init.js';
import { sh } from '../helpers/cli.js';

const initBytes = Buffer.from('\x7fELF fake init, 27 bytes..', 'latin1');

describe('writeCpio', () => {
  it('writes the same bytes for the same entries, and reads back', () => {
    const a = buildInitramfs(initBytes);
    expect(buildInitramfs(Buffer.from(initBytes)).equals(a)).toBe(true);
    expect(a.length % 4).toBe(0);
    expect(a.subarray(0, 6).toString()).toBe('070701');
    const members = readCpio(a);
    expect(members.map((m) => [m.path, m.mode.toString(8)])).toEqual([
      ['dev', '40755'],
      ['dev/console', '20600'],
      ['proc', '40755'],
      ['init', '100755'],
    ]);
    expect(members[1]!.rdev).toEqual([5, 1]);
    expect(members[3]!.data.equals(initBytes)).toBe(true);
    // A different init: a different archive.
    expect(buildInitramfs(Buffer.from('other')).equals(a)).toBe(false);
  });

  it('pads names and data to 4 bytes for every length', () => {
    for (let n = 0; n < 9; n++) {
      const data = Buffer.alloc(n, 0x41 + n);
      const name = 'f'.repeat(n + 1);
      const m = readCpio(writeCpio([{ type: 'file', path: name, data }]));
      expect(m).toHaveLength(1);
      expect(m[0]!.path).toBe(name);
      expect(m[0]!.data.equals(data)).toBe(true);
    }
  });

  it('refuses bad and duplicate paths', () => {
    expect(() => writeCpio([{ type: 'dir', path: 'a/../b' }])).toThrow(/bad path/);
    expect(() =>
      writeCpio([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: '/a' },
      ]),
    ).toThrow(/listed twice/);
  });

  it('is read by GNU cpio as the initramfs tiny boot means', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-cpio-'));
    try {
      const file = join(dir, 'initramfs.cpio');
      await writeFile(file, writeCpio(initramfsEntries(initBytes)));
      const list = await sh('sh', ['-c', `cpio -itv --quiet < ${file}`]);
      const rows = list
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/));
      expect(rows.map((r) => [r[0], r[2], r[3], r.at(-1)])).toEqual([
        ['drwxr-xr-x', 'root', 'root', 'dev'],
        ['crw-------', 'root', 'root', 'dev/console'],
        ['drwxr-xr-x', 'root', 'root', 'proc'],
        ['-rwxr-xr-x', 'root', 'root', 'init'],
      ]);
      await sh('sh', ['-c', `cd ${dir} && mkdir x && cd x && cpio -id --quiet init < ${file}`]);
      expect((await readFile(join(dir, 'x', 'init'))).equals(initBytes)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
