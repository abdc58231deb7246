// A small ext2 file system image (revision 0, 1 KiB blocks, one block group), built in memory
// from the same entries as the initramfs: the root disk `tiny boot --root disk` gives the
// kernel on its first IDE disk. Written here rather than by mke2fs -d, which copies each
// staged file's ctime and owner into the image: these bytes depend only on the entries.
// Every time stamp is 0, every owner root, inodes are numbered in entry order from 12 (11 is
// lost+found, as mke2fs makes it, so e2fsck finds nothing to fix), blocks are allocated in
// order. Revision 0 because every ext2 driver since 1994 mounts it: no feature flags to agree
// on, 128-byte inodes, directory entries without a file type byte.

import type { CpioEntry } from './cpio.js';

const BLOCK = 1024;
const INODE_SIZE = 128;
const INODES_PER_BLOCK = BLOCK / INODE_SIZE;
const DIRECT_BLOCKS = 12;
const ROOT_INO = 2;
const LOST_FOUND_INO = 11;
const FIRST_FREE_INO = 12;
/** Blocks 0 (boot), 1 (superblock), 2 (group descriptors), 3 (block bitmap), 4 (inode bitmap). */
const INODE_TABLE_BLOCK = 5;
/** One group: a block bitmap of one block covers 8192 blocks. */
const MAX_BLOCKS = BLOCK * 8;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

export interface Ext2Options {
  /** Free blocks to leave beyond what the entries need (default 64; the disk is mounted read-only). */
  spareBlocks?: number;
}

interface Node {
  ino: number;
  path: string;
  mode: number;
  /** Directories: child name → node. */
  children?: Map<string, Node>;
  parent?: Node;
  data?: Buffer;
  rdev?: { major: number; minor: number };
  blocks: number[];
}

/** The image; throws on paths whose parent is missing, duplicates, or a file over 12 KiB (direct blocks only). */
export function writeExt2(entries: CpioEntry[], o: Ext2Options = {}): Buffer {
  const root: Node = { ino: ROOT_INO, path: '', mode: S_IFDIR | 0o755, children: new Map(), blocks: [] };
  root.parent = root;
  const lostFound: Node = { ino: LOST_FOUND_INO, path: 'lost+found', mode: S_IFDIR | 0o700, children: new Map(), parent: root, blocks: [] };
  root.children!.set('lost+found', lostFound);
  const nodes: Node[] = [root, lostFound];
  let nextIno = FIRST_FREE_INO;
  for (const e of entries) {
    const parts = e.path.split('/').filter(Boolean);
    const name = parts.pop();
    if (!name) throw new Error(`ext2: empty path`);
    let dir = root;
    for (const p of parts) {
      const d = dir.children!.get(p);
      if (!d?.children) throw new Error(`ext2: ${e.path}: its directory ${p} is not listed before it`);
      dir = d;
    }
    if (dir.children!.has(name)) throw new Error(`ext2: ${e.path} is listed twice`);
    if (Buffer.byteLength(name) > 255) throw new Error(`ext2: ${e.path}: a name is longer than 255 bytes`);
    const node: Node =
      e.type === 'dir'
        ? { ino: nextIno++, path: e.path, mode: S_IFDIR | (e.mode ?? 0o755), children: new Map(), parent: dir, blocks: [] }
        : e.type === 'file'
          ? { ino: nextIno++, path: e.path, mode: S_IFREG | (e.mode ?? 0o644), data: e.data, parent: dir, blocks: [] }
          : { ino: nextIno++, path: e.path, mode: S_IFCHR | (e.mode ?? 0o600), rdev: { major: e.major, minor: e.minor }, parent: dir, blocks: [] };
    if (node.data && node.data.length > DIRECT_BLOCKS * BLOCK)
      throw new Error(`ext2: ${e.path} is ${node.data.length} bytes; this writer keeps files to ${DIRECT_BLOCKS} direct blocks (${DIRECT_BLOCKS} KiB)`);
    if (node.rdev && (node.rdev.major > 255 || node.rdev.minor > 255)) throw new Error(`ext2: ${e.path}: device ${node.rdev.major}:${node.rdev.minor} does not fit the old 8:8 encoding`);
    dir.children!.set(name, node);
    nodes.push(node);
  }

  const inodeCount = Math.max(16, Math.ceil((nextIno - 1) / INODES_PER_BLOCK) * INODES_PER_BLOCK);
  const inodeTableBlocks = inodeCount / INODES_PER_BLOCK;
  let nextBlock = INODE_TABLE_BLOCK + inodeTableBlocks;

  // Directory contents first (their sizes are known from the names), then file data, in entry order.
  const dirBlocks = new Map<Node, Buffer>();
  for (const n of nodes) {
    if (!n.children) continue;
    const list: [string, number][] = [['.', n.ino], ['..', n.parent!.ino], ...[...n.children].map(([k, v]) => [k, v.ino] as [string, number])];
    const block = directoryBlock(list, n.path || '/');
    n.blocks = [nextBlock++];
    dirBlocks.set(n, block);
  }
  for (const n of nodes) {
    if (!n.data) continue;
    const count = Math.ceil(n.data.length / BLOCK);
    n.blocks = Array.from({ length: count }, () => nextBlock++);
  }
  const usedBlocks = nextBlock;
  const blockCount = usedBlocks + (o.spareBlocks ?? 64);
  if (blockCount > MAX_BLOCKS) throw new Error(`ext2: ${blockCount} blocks do not fit one block group (${MAX_BLOCKS})`);

  const img = Buffer.alloc(blockCount * BLOCK);
  const dirs = nodes.filter((n) => n.children).length;

  // Superblock (byte 1024).
  const sb = img.subarray(BLOCK, 2 * BLOCK);
  sb.writeUInt32LE(inodeCount, 0);
  sb.writeUInt32LE(blockCount, 4);
  sb.writeUInt32LE(0, 8); // reserved for root
  sb.writeUInt32LE(blockCount - usedBlocks, 12);
  sb.writeUInt32LE(inodeCount - (nextIno - 1), 16);
  sb.writeUInt32LE(1, 20); // first data block (1 KiB blocks)
  sb.writeUInt32LE(0, 24); // log block size: 1024 << 0
  sb.writeUInt32LE(0, 28); // log fragment size
  sb.writeUInt32LE(MAX_BLOCKS, 32); // blocks per group
  sb.writeUInt32LE(MAX_BLOCKS, 36); // fragments per group
  sb.writeUInt32LE(inodeCount, 40); // inodes per group
  sb.writeInt16LE(-1, 54); // max mount count: never ask for a check
  sb.writeUInt16LE(0xef53, 56);
  sb.writeUInt16LE(1, 58); // state: clean
  sb.writeUInt16LE(1, 60); // errors: continue
  // creator OS 0 (Linux), revision 0, every time stamp and check interval 0.

  // Group descriptor (block 2).
  const gd = img.subarray(2 * BLOCK, 3 * BLOCK);
  gd.writeUInt32LE(3, 0);
  gd.writeUInt32LE(4, 4);
  gd.writeUInt32LE(INODE_TABLE_BLOCK, 8);
  gd.writeUInt16LE(blockCount - usedBlocks, 12);
  gd.writeUInt16LE(inodeCount - (nextIno - 1), 14);
  gd.writeUInt16LE(dirs, 16);

  // Block bitmap: bit i is block i + 1 (the first data block); the bits past the last block are set.
  const bb = img.subarray(3 * BLOCK, 4 * BLOCK);
  for (let b = 1; b < usedBlocks; b++) setBit(bb, b - 1);
  for (let i = blockCount - 1; i < BLOCK * 8; i++) setBit(bb, i);
  // Inode bitmap: bit i is inode i + 1; the reserved inodes 1..10 are in use; padding set.
  const ib = img.subarray(4 * BLOCK, 5 * BLOCK);
  for (let i = 1; i < nextIno; i++) setBit(ib, i - 1);
  for (let i = inodeCount; i < BLOCK * 8; i++) setBit(ib, i);

  for (const n of nodes) {
    const at = INODE_TABLE_BLOCK * BLOCK + (n.ino - 1) * INODE_SIZE;
    const ino = img.subarray(at, at + INODE_SIZE);
    ino.writeUInt16LE(n.mode, 0);
    const size = n.children ? BLOCK * n.blocks.length : (n.data?.length ?? 0);
    ino.writeUInt32LE(size, 4);
    const links = n.children ? 2 + [...n.children.values()].filter((c) => c.children).length : 1;
    ino.writeUInt16LE(links, 26);
    ino.writeUInt32LE(n.blocks.length * (BLOCK / 512), 28);
    if (n.rdev) ino.writeUInt32LE((n.rdev.major << 8) | n.rdev.minor, 40);
    n.blocks.forEach((b, i) => {
      ino.writeUInt32LE(b, 40 + 4 * i);
    });
    if (n.children) dirBlocks.get(n)!.copy(img, n.blocks[0]! * BLOCK);
    if (n.data) n.data.copy(img, n.blocks[0]! * BLOCK);
  }
  return img;
}

function setBit(b: Buffer, i: number): void {
  b[i >> 3]! |= 1 << (i & 7);
}

/** One block of revision-0 directory entries (inode, rec_len, name_len as 16 bits, name); the last one runs to the end. */
function directoryBlock(list: [string, number][], where: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  let at = 0;
  list.forEach(([name, ino], i) => {
    const nameBytes = Buffer.from(name, 'utf8');
    const len = 8 + Math.ceil(nameBytes.length / 4) * 4;
    const recLen = i === list.length - 1 ? BLOCK - at : len;
    if (at + len > BLOCK) throw new Error(`ext2: directory ${where} needs more than one block; this writer keeps directories to one`);
    block.writeUInt32LE(ino, at);
    block.writeUInt16LE(recLen, at + 4);
    block.writeUInt16LE(nameBytes.length, at + 6);
    nameBytes.copy(block, at + 8);
    at += recLen;
  });
  return block;
}
