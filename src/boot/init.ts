// The boot probe: src/boot/init.c compiled for i386 (no libc) and packed with /dev/console and
// /proc into a newc cpio (the initramfs `tiny boot` hands to the kernel) or an ext2 image (the
// root disk). Deterministic: fixed source, flags and compiler (the configuration's toolchain
// image, or the host's cross gcc for the host runtime) give the same bytes; the root image's
// hash keys the boot results.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runtime } from '../toolchain/runtime.js';
import { TinyError } from '../util/diagnostics.js';
import { sha256, writeFileAtomic } from '../util/fs.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { writeExt2 } from './ext2.js';

export const INIT_SOURCE = fileURLToPath(new URL('../../src/boot/init.c', import.meta.url));

/**
 * Freestanding, static, no PIE, i386 code (any CPU qemu emulates); no unwind tables, no
 * .comment, no build ID, stripped: nothing in the binary depends on where or when it was built.
 * noseparate-code keeps it to two segments (1 KB instead of 8 KB of page padding).
 */
export const INIT_CFLAGS = [
  '-std=gnu11',
  '-Os',
  '-march=i386',
  '-static',
  '-nostdlib',
  '-no-pie',
  '-fno-pie',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-ident',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--build-id=none',
  '-Wl,-z,noseparate-code',
  '-s',
];

export interface InitBinary {
  bytes: Buffer;
  sha256: string;
  /** Where it was compiled: the image ID, or "host". */
  compiler: string;
}

export interface BuildInitOptions {
  cacheDir: string;
  runtime: Runtime;
  /** The toolchain image to compile in (ignored by the host runtime). */
  image: string;
  /** e.g. i686-linux-gnu- */
  crossCompile: string;
  onLog?: (line: string) => void;
}

/** Compile init.c (or take it from the cache, keyed by source, flags and compiler). */
export async function buildInit(o: BuildInitOptions): Promise<InitBinary> {
  const source = await readFile(INIT_SOURCE);
  const compiler = o.runtime.supportsImages ? o.image : 'host';
  const cmd = [`${o.crossCompile}gcc`, ...INIT_CFLAGS, '-o', 'init', 'init.c'];
  const id = sha256(JSON.stringify({ source: sha256(source), cmd, compiler }));
  const cached = join(o.cacheDir, 'boot', 'init', id);
  const hit = await readFile(cached).catch(() => undefined);
  if (hit) return { bytes: hit, sha256: sha256(hit), compiler };

  await mkdir(join(o.cacheDir, 'boot', 'tmp'), { recursive: true });
  const dir = await mkdtemp(join(o.cacheDir, 'boot', 'tmp', 'init-'));
  try {
    await writeFile(join(dir, 'init.c'), source);
    o.onLog?.(`compiling the boot probe (src/boot/init.c) with ${o.crossCompile}gcc ${o.runtime.supportsImages ? `in ${o.image.replace(/^sha256:/, '').slice(0, 12)}` : 'on the host'}`);
    const r = await o.runtime.runInContainer({
      image: o.image,
      workdir: '/tiny/src',
      mounts: [{ host: dir, container: '/tiny/src', readonly: false }],
      env: { LC_ALL: 'C' },
      network: 'none',
      cmd,
      timeoutMs: 120_000,
    });
    if (r.code !== 0)
      throw new TinyError(
        `cannot compile the boot probe init.c: ${r.output.trim().split('\n').slice(-5).join('\n')}`,
        1,
        [],
        o.runtime.supportsImages ? undefined : `install the cross compiler: sudo apt-get install -y gcc-i686-linux-gnu`,
      );
    const bytes = await readFile(join(dir, 'init'));
    await writeFileAtomic(cached, bytes);
    return { bytes, sha256: sha256(bytes), compiler };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the initramfs holds: /init, /proc to mount on, and /dev/console for init's output. */
export function initramfsEntries(init: Buffer): CpioEntry[] {
  return [
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'dir', path: 'proc' },
    { type: 'file', path: 'init', data: init, mode: 0o755 },
  ];
}

export function buildInitramfs(init: Buffer): Buffer {
  return writeCpio(initramfsEntries(init));
}

/** The root disk holds the same, with init where a kernel looks for it on a disk: /sbin/init. */
export function rootDiskEntries(init: Buffer): CpioEntry[] {
  return [
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sbin' },
    { type: 'file', path: 'sbin/init', data: init, mode: 0o755 },
  ];
}

export function buildRootDisk(init: Buffer): Buffer {
  return writeExt2(rootDiskEntries(init));
}

export type RootKind = 'initramfs' | 'disk';

const has = (dotConfig: string, symbol: string) => new RegExp(`^CONFIG_${symbol}=y$`, 'm').test(dotConfig);

/**
 * What the boot probe needs from the kernel's .config, with why: the root (an initrd the kernel
 * unpacks as initramfs, or an ext2 file system on the first IDE disk), /proc, ELF binaries, and
 * a console on the first serial port. Returns the missing ones (empty: the kernel can run the probe).
 */
export function missingBootOptions(dotConfig: string, root: RootKind = 'initramfs'): { symbol: string; why: string }[] {
  const rootNeeds =
    root === 'initramfs'
      ? [{ symbol: 'BLK_DEV_INITRD', why: 'the initramfs is passed as an initrd (qemu -initrd); 2.6 needs BLK_DEV_RAM: y for it too' }]
      : [
          { symbol: 'BLK_DEV_IDEDISK', why: 'the root disk is the first IDE disk (root=/dev/hda)' },
          { symbol: 'EXT2_FS', why: 'the root disk is an ext2 file system' },
        ];
  const needs: { symbol: string; why: string }[] = [
    ...rootNeeds,
    { symbol: 'PROC_FS', why: 'init reads /proc/meminfo' },
    { symbol: 'BINFMT_ELF', why: 'init is an ELF binary' },
    { symbol: 'SERIAL_8250_CONSOLE', why: 'the console is the first serial port (console=ttyS0)' },
  ];
  return needs.filter((n) => !has(dotConfig, n.symbol));
}

/** The root a kernel can use when none is asked for: the initramfs when it has initrd support, else the IDE disk when it can mount one, else the initramfs (and its missing options). */
export function defaultRoot(dotConfig: string): RootKind {
  if (has(dotConfig, 'BLK_DEV_INITRD')) return 'initramfs';
  return missingBootOptions(dotConfig, 'disk').some((m) => m.symbol === 'BLK_DEV_IDEDISK' || m.symbol === 'EXT2_FS') ? 'initramfs' : 'disk';
}
