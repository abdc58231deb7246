// Git objects written straight into pack files of the tree store, without a git process: the
// import of a tarball (tarball.ts) hashes every file anyway (OpenSSL's SHA-1, several times
// faster than git's collision-detecting one), and zlib was most of `git fast-import`'s time
// (level 1: ~160 MB/s on kernel sources). So objects are stored deflated at level 0 (zlib's
// "stored" blocks: a copy), which also makes every later checkout from them cheaper; the packs
// are bigger (the size of the tree).
//
// Objects are gathered in memory and written as a pack once SEGMENT_BYTES are held: a pack's
// header names its object count and its trailer is the SHA-1 of everything before, so a pack
// assembled in memory has its count known before its checksum is computed (one pack of unknown
// count would have to be read back and hashed again at the end). Each pack goes to a tmp_pack_
// file, is flushed, then renamed with its index written the same way, index last: git reads a
// pack only through its index, so a killed import leaves only tmp_ files (the store removes them
// later).
//
// Formats: Documentation/gitformat-pack.txt (pack version 2, index version 1). Index version 2
// adds a CRC-32 of every entry's bytes, which git uses to check an entry it copies into another
// pack without inflating it; it cost the import one more pass over every byte (1.4 s of CPU for
// 6.1's 1.3 GB, at the ~1 GB/s of node's zlib.crc32). Git reads version 1 as it reads version 2
// and checks a copied entry by inflating it instead (stored blocks: a copy). Version 1 holds
// 32-bit offsets: a pack is written once it holds SEGMENT_BYTES, far below 4 GiB.

import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareByteStrings } from '../util/bytes.js';
import { withPath } from '../util/nospace.js';
import { adler32 } from './adler32.js';
import type { ObjectType } from '../util/git-object.js';

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

/** How much object data a pack holds before it is written (bigger: fewer packs, more memory). */
export const SEGMENT_BYTES = 64 << 20;
/** Packs written but not yet flushed beyond which `backlog()` asks the caller to wait. */
const PACKS_IN_FLIGHT = 2;

/** A pack entry's header: type and inflated size, 4 then 7 bits per byte. */
export function packEntryHeader(type: ObjectType, size: number): Buffer {
  const out: number[] = [];
  let c = (TYPE_CODE[type] << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  out.push(c);
  return Buffer.from(out);
}

interface PackedEntry {
  oid: Buffer;
  offset: number;
}

/**
 * A pack's index (version 1, see the top of the file) for entries at known offsets: the fan-out,
 * then each entry's offset and id in id order, the pack's checksum and the index's own.
 */
export function packIndex(entries: readonly PackedEntry[], packChecksum: Buffer): Buffer {
  const sorted = entries
    .map((e) => ({ e, key: e.oid.toString('latin1') }))
    .sort((a, b) => compareByteStrings(a.key, b.key))
    .map(({ e }) => e);
  const n = sorted.length;
  const out = Buffer.alloc(256 * 4 + n * (4 + 20) + 20 + 20);
  const fanout = new Uint32Array(256);
  for (const e of sorted) fanout[e.oid[0]!]!++;
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    sum += fanout[i]!;
    out.writeUInt32BE(sum, i * 4);
  }
  let at = 256 * 4;
  for (const e of sorted) {
    // A pack is written once it holds SEGMENT_BYTES: every entry starts far below 4 GiB.
    if (e.offset >= 0x100000000) throw new Error(`pack entry at offset ${e.offset}: beyond what a pack of ${SEGMENT_BYTES} bytes can hold`);
    at = out.writeUInt32BE(e.offset, at);
    at += e.oid.copy(out, at);
  }
  at += packChecksum.copy(out, at);
  createHash('sha1').update(out.subarray(0, at)).digest().copy(out, at);
  return out;
}

const STORED_BLOCK = 65535;
/** zlib's framing of `size` bytes in stored blocks: header, 5 bytes per block of up to 65535, Adler-32. */
export function storedLength(size: number): number {
  return 2 + size + 5 * Math.max(1, Math.ceil(size / STORED_BLOCK)) + 4;
}

/** Memory that one pack's entries are framed in, in order, then written out in one go. */
class Arena {
  readonly buf: Buffer;
  /** Next free byte; the first 12 are the pack header. */
  used = 12;
  open = 0;
  full = false;
  readonly entries: Array<PackedEntry & { end: number; live: boolean }> = [];
  constructor(buf: Buffer) {
    this.buf = buf;
  }
}

/** One object being written: its bytes go straight into the arena, framed as a stored zlib stream. */
export class ObjectWriter {
  private readonly hash;
  private adler = 1;
  private at: number;
  private written = 0;
  /** Bytes left in the current stored block (0: a block header comes next). */
  private blockLeft = 0;

  constructor(
    private readonly owner: PackWriter,
    private readonly arena: Arena,
    private readonly entry: PackedEntry & { end: number; live: boolean },
    type: ObjectType,
    private readonly size: number,
    header: Buffer,
    private readonly knownOid?: Buffer,
  ) {
    this.hash = knownOid ? undefined : createHash('sha1').update(`${type} ${size}\0`);
    this.at = entry.offset + header.copy(arena.buf, entry.offset);
    arena.buf[this.at++] = 0x78; // zlib header: deflate, 32K window, no dictionary, level "fastest"
    arena.buf[this.at++] = 0x01;
    if (size === 0) this.blockHeader(0);
  }

  write(chunk: Buffer): void {
    if (this.written + chunk.length > this.size) throw new Error(`object of ${this.size} bytes handed ${this.written + chunk.length}`);
    this.hash?.update(chunk);
    this.adler = adler32(this.adler, chunk);
    let from = 0;
    while (from < chunk.length) {
      if (this.blockLeft === 0) this.blockHeader(Math.min(STORED_BLOCK, this.size - this.written));
      const n = Math.min(this.blockLeft, chunk.length - from);
      chunk.copy(this.arena.buf, this.at, from, from + n);
      this.at += n;
      from += n;
      this.written += n;
      this.blockLeft -= n;
    }
  }

  /** The object's id; an object the writer already holds is dropped from this pack. */
  end(): Buffer {
    if (this.written !== this.size) throw new Error(`object of ${this.size} bytes ended after ${this.written}`);
    this.arena.buf.writeUInt32BE(this.adler, this.at);
    this.at += 4;
    if (this.at !== this.entry.end) throw new Error(`pack entry framed in ${this.at - this.entry.offset} bytes, ${this.entry.end - this.entry.offset} reserved`);
    const oid = this.knownOid ?? this.hash!.digest();
    this.entry.oid = oid;
    this.owner.closed(this.arena, this.entry);
    return oid;
  }

  private blockHeader(len: number): void {
    const b = this.arena.buf;
    b[this.at] = this.written + len === this.size ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    b.writeUInt16LE(len, this.at + 1);
    b.writeUInt16LE(~len & 0xffff, this.at + 3);
    this.at += 5;
    this.blockLeft = len;
  }
}

/**
 * Writes objects into packs in `packDir` (objects/pack of a repository). Objects are framed
 * synchronously into memory; packs are written in the background; `finish` writes the last one
 * and resolves once every pack and index is in place. An object written twice is packed once.
 */
export class PackWriter {
  private arena?: Arena;
  /** Objects packed (or already in the repository): ids as binary strings. */
  private readonly seen: Set<string>;
  private readonly writes: Array<Promise<void>> = [];
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private failure: unknown;
  private readonly spare: Buffer[] = [];
  /** The memory of every arena allocated, given back to the system by `finish`. */
  private readonly memory: ArrayBuffer[] = [];
  /** finish() was called: the arenas are gone, nothing more is packed. */
  private finished = false;
  /** The packs written (their names, without .pack/.idx), in order. */
  readonly packs: string[] = [];

  /** `known`: ids (binary strings, packedObjectIds) of objects the repository has: not packed again. */
  constructor(
    private readonly packDir: string,
    known?: Set<string>,
  ) {
    this.seen = known ?? new Set();
  }

  /** A writer into the packs of the repository at `gitDir`, which packs only what it lacks. */
  static async forRepository(gitDir: string): Promise<PackWriter> {
    const objects = join(gitDir, 'objects');
    return new PackWriter(join(objects, 'pack'), await packedObjectIds(objects));
  }

  /** Start an object of `size` bytes: hand its bytes to write(), then end(). */
  begin(type: ObjectType, size: number, knownOid?: Buffer): ObjectWriter {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('PackWriter: an object begun after finish()');
    const header = packEntryHeader(type, size);
    const length = header.length + storedLength(size);
    if (this.arena && this.arena.used + length + 20 > this.arena.buf.length) this.seal(this.arena);
    // Arenas of the usual size are reused once written: fresh memory costs a page fault per 4 KB.
    if (!this.arena) this.arena = new Arena(12 + length + 20 <= SEGMENT_BYTES ? (this.spare.pop() ?? this.allocate(SEGMENT_BYTES)) : this.allocate(12 + length + 20));
    const arena = this.arena;
    const entry = { oid: Buffer.alloc(0), offset: arena.used, crc: 0, end: arena.used + length, live: true };
    arena.used += length;
    arena.open++;
    arena.entries.push(entry);
    return new ObjectWriter(this, arena, entry, type, size, header, knownOid);
  }

  /** A whole object at once (its id known, as a tree's is when it was hashed to be named). */
  add(type: ObjectType, oid: Buffer, body: Buffer): void {
    if (this.seen.has(oid.toString('latin1'))) return;
    const o = this.begin(type, body.length, oid);
    o.write(body);
    o.end();
  }

  /** True when packs are being written faster than the disk takes them: wait for `drained`. */
  backlog(): boolean {
    return this.inFlight >= PACKS_IN_FLIGHT;
  }

  drained(): Promise<void> {
    if (!this.backlog()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async finish(): Promise<string[]> {
    if (this.arena) this.seal(this.arena);
    try {
      await Promise.all(this.writes);
    } finally {
      this.release();
    }
    if (this.failure) throw this.failure;
    return this.packs;
  }

  /**
   * Arena memory that `release` can hand back at once. A Buffer's memory goes back only when the
   * garbage collector finds it unused, which can be long after an import: meanwhile each child
   * process the run spawns (git, podman, size...) is forked from a process hundreds of MB larger
   * (measured on node 20: 1 ms a spawn at 80 MB, 10-20 ms at 330 MB, the main thread blocked).
   */
  private allocate(bytes: number): Buffer {
    const memory = new ArrayBuffer(bytes, { maxByteLength: bytes });
    this.memory.push(memory);
    return Buffer.from(memory, 0, bytes);
  }

  /** Every arena's memory back to the system (a resizable ArrayBuffer shrunk to 0 is unmapped). */
  private release(): void {
    this.finished = true;
    this.arena = undefined;
    this.spare.length = 0;
    for (const m of this.memory.splice(0)) m.resize(0);
  }

  /** Called by an ObjectWriter as it ends. */
  closed(arena: Arena, entry: PackedEntry & { live: boolean }): void {
    const key = entry.oid.toString('latin1');
    if (this.seen.has(key)) entry.live = false;
    else this.seen.add(key);
    arena.open--;
    if (arena.full && arena.open === 0) this.write(arena);
  }

  /** No more objects go into `arena`; it is written once the last one open in it has ended. */
  private seal(arena: Arena): void {
    if (this.arena === arena) this.arena = undefined;
    arena.full = true;
    if (arena.open === 0) this.write(arena);
  }

  private write(arena: Arena): void {
    if (!arena.entries.some((e) => e.live)) {
      if (arena.buf.length === SEGMENT_BYTES) this.spare.push(arena.buf);
      return;
    }
    this.inFlight++;
    const write = writePack(this.packDir, arena)
      .then((name) => {
        this.packs.push(name);
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        if (arena.buf.length === SEGMENT_BYTES) this.spare.push(arena.buf);
        this.inFlight--;
        if (!this.backlog()) for (const w of this.waiters.splice(0)) w();
      });
    this.writes.push(write);
  }
}

/**
 * One pack and its index from an arena's live entries (an object packed twice is left out),
 * written under tmp_ names, flushed, then renamed into place.
 */
async function writePack(packDir: string, arena: Arena): Promise<string> {
  // tmp_pack_* as git names its own (the store removes those a kill left); "tiny-": not git's.
  const tag = `tiny-${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmpPack = join(packDir, `tmp_pack_${tag}`);
  const tmpIdx = join(packDir, `tmp_idx_${tag}`);
  try {
    const live = arena.entries.filter((e) => e.live);
    const header = arena.buf.subarray(0, 12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(live.length, 8);
    // Consecutive live entries go out as one run of the arena.
    const runs: Buffer[] = [header];
    const packed: PackedEntry[] = [];
    let offset = 12;
    let runStart = -1;
    let runEnd = -1;
    for (const e of live) {
      if (e.offset !== runEnd) {
        if (runStart >= 0) runs.push(arena.buf.subarray(runStart, runEnd));
        runStart = e.offset;
      }
      runEnd = e.end;
      packed.push({ oid: e.oid, offset });
      offset += e.end - e.offset;
    }
    runs.push(arena.buf.subarray(runStart, runEnd));
    const sum = createHash('sha1');
    for (const r of runs) sum.update(r);
    const checksum = sum.digest();
    runs.push(checksum);
    const name = `pack-${checksum.toString('hex')}`;
    await writeSynced(tmpPack, runs);
    await writeSynced(tmpIdx, [packIndex(packed, checksum)]);
    await rename(tmpPack, join(packDir, `${name}.pack`));
    await rename(tmpIdx, join(packDir, `${name}.idx`));
    return name;
  } catch (e) {
    // The write's own error is the one to report, whatever the clean-up meets.
    await Promise.all([rm(tmpPack, { force: true }), rm(tmpIdx, { force: true })]).catch(() => {});
    throw withPath(e, tmpPack, arena.used);
  }
}
/** Write `chunks` to a new file and flush it to disk. */
async function writeSynced(path: string, chunks: readonly Buffer[]): Promise<void> {
  const fh = await open(path, 'wx', 0o444);
  try {
    // writev takes at most IOV_MAX (1024) buffers at a time.
    for (let i = 0; i < chunks.length; i += 1024) {
      const part = chunks.slice(i, i + 1024);
      const want = part.reduce((n, b) => n + b.length, 0);
      const { bytesWritten } = await fh.writev(part);
      if (bytesWritten !== want) await fh.write(Buffer.concat(part).subarray(bytesWritten));
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The ids of the objects in the packs of `objectsDir` and of the repositories it borrows from
 * (objects/info/alternates), as binary strings: an import packs only what the store lacks, as
 * git's own fast-import and add do, so a second base stores only the files that differ.
 */
export async function packedObjectIds(objectsDir: string, seenDirs = new Set<string>()): Promise<Set<string>> {
  const ids = new Set<string>();
  if (seenDirs.has(objectsDir)) return ids;
  seenDirs.add(objectsDir);
  const packDir = join(objectsDir, 'pack');
  for (const name of (await readdir(packDir).catch(() => [] as string[])).filter((n) => /^pack-[0-9a-f]+\.idx$/.test(n))) {
    const idx = await readFile(join(packDir, name)).catch(() => undefined);
    if (!idx || idx.length < 8 + 1024) continue;
    const v2 = idx.readUInt32BE(0) === 0xff744f63;
    // Version 2: the fan-out after an 8-byte header, then the ids; version 1: the fan-out, then (offset, id) pairs.
    const fanout = v2 ? 8 : 0;
    const count = idx.readUInt32BE(fanout + 255 * 4);
    for (let i = 0; i < count; i++) {
      const at = v2 ? 8 + 1024 + i * 20 : 1024 + i * 24 + 4;
      ids.add(idx.toString('latin1', at, at + 20));
    }
  }
  const alternates = await readFile(join(objectsDir, 'info', 'alternates'), 'utf8').catch(() => '');
  for (const line of alternates.split('\n')) {
    const dir = line.trim();
    if (!dir || dir.startsWith('#')) continue;
    for (const id of await packedObjectIds(dir.startsWith('/') ? dir : join(objectsDir, dir), seenDirs)) ids.add(id);
  }
  return ids;
}
