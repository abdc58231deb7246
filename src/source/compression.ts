// Tarball formats: recognised by their magic bytes first, by their name second.

import { open } from 'node:fs/promises';
import type { Compression } from './types.js';

const TARBALL_NAME = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$/i;

/** True when the file name looks like a tarball (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz, .tar.zst). */
export function isTarballName(path: string): boolean {
  return TARBALL_NAME.test(path);
}

export function compressionFromName(path: string): Compression {
  const p = path.toLowerCase();
  if (/\.(tar\.gz|tgz)$/.test(p)) return 'gzip';
  if (/\.(tar\.bz2|tbz2?)$/.test(p)) return 'bzip2';
  if (/\.(tar\.xz|txz)$/.test(p)) return 'xz';
  if (/\.(tar\.zst|tzst)$/.test(p)) return 'zstd';
  return 'none';
}

export function compressionFromMagic(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'none';
  return undefined;
}

export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    return compressionFromMagic(head.subarray(0, bytesRead)) ?? compressionFromName(path);
  } finally {
    await fh.close();
  }
}

/** The command that writes the decompressed tar stream of `path` to stdout (undefined: plain tar). */
export function decompressCommand(c: Compression, path: string): [string, string[]] | undefined {
  switch (c) {
    case 'gzip':
      return ['gzip', ['-dc', '--', path]];
    case 'bzip2':
      return ['bzip2', ['-dc', '--', path]];
    case 'xz':
      // -T0: liblzma >= 5.4 decompresses multi-block files (kernel.org, Debian) in parallel.
      return ['xz', ['-dc', '-T0', '--', path]];
    case 'zstd':
      return ['zstd', ['-dcq', '--', path]];
    case 'none':
      return undefined;
  }
}
