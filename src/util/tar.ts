// A deterministic tar writer (POSIX ustar, with a pax extended header only for a path that does
// not fit ustar's name/prefix fields). The archive depends on nothing but its entries: paths
// sorted bytewise (so a directory precedes its contents), one fixed mtime, uid/gid 0 with the
// owner names "root", modes 0755 for directories and executables and 0644 for every other file,
// padded to GNU tar's 10240-byte records. createTar is pure (entries in, bytes out);
// writeTarFile writes the same bytes to a file, reading one entry's content at a time (record
// stores are too big to hold in memory at once).

import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TarEntry {
  /** Relative path with '/' separators; a directory's path may end in '/'. */
  path: string;
  /** File content; absent for a directory. */
  data?: Buffer;
  /** Marks a regular file as executable (mode 0755). */
  executable?: boolean;
}

const BLOCK = 512;
const RECORD = 20 * BLOCK;

function octal(n: number, width: number): string {
  // width - 1 digits, then NUL (as GNU tar writes them).
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function put(buf: Buffer, offset: number, width: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > width) throw new Error(`tar: field too long: ${text}`);
  bytes.copy(buf, offset);
}

/** ustar splits a long path into prefix (155 bytes) + '/' + name (100 bytes). */
function splitPath(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  return undefined;
}

function header(path: string, size: number, mode: number, type: '0' | '5' | 'x', mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const split = splitPath(path) ?? { name: path.slice(0, 100), prefix: '' };
  put(h, 0, 100, split.name);
  put(h, 100, 8, octal(mode, 8));
  put(h, 108, 8, octal(0, 8));
  put(h, 116, 8, octal(0, 8));
  put(h, 124, 12, octal(size, 12));
  put(h, 136, 12, octal(mtime, 12));
  put(h, 148, 8, '        ');
  put(h, 156, 1, type);
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  put(h, 265, 32, 'root');
  put(h, 297, 32, 'root');
  put(h, 329, 8, octal(0, 8));
  put(h, 337, 8, octal(0, 8));
  put(h, 345, 155, split.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data];
}

/** A pax record "<len> path=<value>\n", whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Paths compared bytewise (not by locale): the same order everywhere. */
function compareEntries(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** An entry whose content is read only when it is written (writeTarFile). */
export interface LazyTarEntry {
  path: string;
  /** Content size in bytes (written in the header before the content is read); absent for a directory. */
  size?: number;
  /** The content; must give exactly `size` bytes. */
  read?: () => Promise<Buffer>;
  executable?: boolean;
}

interface Normalized<E> {
  path: string;
  entry?: E;
}

/** Paths checked, parents added, sorted bytewise: the order both writers use. */
function normalize<E extends { path: string }>(entries: readonly E[]): Normalized<E>[] {
  const seen = new Set<string>();
  const norm: Normalized<E>[] = entries.map((e) => {
    const path = e.path.replace(/\/+$/, '');
    if (!path || path.startsWith('/') || path.split('/').some((c) => c === '..' || c === '.' || c === '')) {
      throw new Error(`tar: bad entry path ${JSON.stringify(e.path)}`);
    }
    if (seen.has(path)) throw new Error(`tar: ${path} listed twice`);
    seen.add(path);
    return { path, entry: e };
  });
  // Every parent directory gets its own entry (tar -x would create it with the umask's mode).
  for (const e of [...norm]) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        norm.push({ path: dir });
      }
    }
  }
  return norm.sort((a, b) => compareEntries(a.path, b.path));
}

/** The blocks before an entry's content: a pax header when the path is long, then its ustar header. */
function entryHeader(path: string, isDir: boolean, size: number, executable: boolean, mtime: number): Buffer[] {
  const out: Buffer[] = [];
  const name = isDir ? `${path}/` : path;
  if (!splitPath(name)) {
    const pax = Buffer.from(paxRecord('path', name), 'utf8');
    out.push(header(`PaxHeaders/${name.slice(-80).replace(/^\/+/, '')}`, pax.length, 0o644, 'x', mtime), ...padded(pax));
  }
  const mode = isDir || executable ? 0o755 : 0o644;
  out.push(header(name, isDir ? 0 : size, mode, isDir ? '5' : '0', mtime));
  return out;
}

function checkMtime(mtime: number): void {
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > 0o77777777777) throw new Error(`tar: bad mtime ${mtime}`);
}

/** The end-of-archive blocks and the padding to a whole record, after `total` bytes. */
function trailer(total: number): Buffer[] {
  const out = [Buffer.alloc(2 * BLOCK)];
  const end = total + 2 * BLOCK;
  if (end % RECORD) out.push(Buffer.alloc(RECORD - (end % RECORD)));
  return out;
}

/** The tar archive of `entries` with every mtime set to `mtime` (seconds since the epoch). */
export function createTar(entries: readonly TarEntry[], mtime: number): Buffer {
  checkMtime(mtime);
  const out: Buffer[] = [];
  for (const { path, entry } of normalize(entries)) {
    const isDir = entry?.data === undefined;
    out.push(...entryHeader(path, isDir, isDir ? 0 : entry.data!.length, entry?.executable === true, mtime));
    if (!isDir) out.push(...padded(entry.data!));
  }
  const total = out.reduce((n, b) => n + b.length, 0);
  out.push(...trailer(total));
  return Buffer.concat(out);
}

/**
 * Write the archive createTar would make of these entries to `file`, atomically (a temp file
 * beside it, renamed into place), holding one entry's content in memory at a time.
 * Returns the archive's size.
 */
export async function writeTarFile(file: string, entries: readonly LazyTarEntry[], mtime: number): Promise<number> {
  checkMtime(mtime);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  let total = 0;
  const write = async (bufs: Buffer[]) => {
    for (const b of bufs) {
      await fh.write(b);
      total += b.length;
    }
  };
  try {
    for (const { path, entry } of normalize(entries)) {
      const isDir = entry?.read === undefined;
      const size = entry?.size ?? 0;
      await write(entryHeader(path, isDir, size, entry?.executable === true, mtime));
      if (isDir) continue;
      const data = await entry.read!();
      if (data.length !== size) throw new Error(`tar: ${path} has ${data.length} bytes, not the ${size} announced`);
      await write(padded(data));
    }
    await write(trailer(total));
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
    return total;
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}
