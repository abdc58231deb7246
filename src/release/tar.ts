// A deterministic tar writer (POSIX ustar, with a pax extended header only for a path that does
// not fit ustar's name/prefix fields). The archive depends on nothing but its entries: paths
// sorted bytewise (so a directory precedes its contents), one fixed mtime, uid/gid 0 with the
// owner names "root", modes 0755 for directories and executables and 0644 for every other file,
// padded to GNU tar's 10240-byte records. Pure: entries in, bytes out.

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

/** The tar archive of `entries` with every mtime set to `mtime` (seconds since the epoch). */
export function createTar(entries: readonly TarEntry[], mtime: number): Buffer {
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > 0o77777777777) throw new Error(`tar: bad mtime ${mtime}`);
  const seen = new Set<string>();
  const norm = entries.map((e) => {
    const path = e.path.replace(/\/+$/, '');
    if (!path || path.startsWith('/') || path.split('/').some((c) => c === '..' || c === '.' || c === '')) {
      throw new Error(`tar: bad entry path ${JSON.stringify(e.path)}`);
    }
    if (seen.has(path)) throw new Error(`tar: ${path} listed twice`);
    seen.add(path);
    return { ...e, path };
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
  norm.sort((a, b) => compareEntries(a.path, b.path));
  const out: Buffer[] = [];
  for (const e of norm) {
    const isDir = e.data === undefined;
    const name = isDir ? `${e.path}/` : e.path;
    if (!splitPath(name)) {
      const pax = Buffer.from(paxRecord('path', name), 'utf8');
      out.push(header(`PaxHeaders/${name.slice(-80).replace(/^\/+/, '')}`, pax.length, 0o644, 'x', mtime), ...padded(pax));
    }
    const mode = isDir || e.executable ? 0o755 : 0o644;
    out.push(header(name, isDir ? 0 : e.data!.length, mode, isDir ? '5' : '0', mtime));
    if (!isDir) out.push(...padded(e.data!));
  }
  out.push(Buffer.alloc(2 * BLOCK));
  const total = out.reduce((n, b) => n + b.length, 0);
  if (total % RECORD) out.push(Buffer.alloc(RECORD - (total % RECORD)));
  return Buffer.concat(out);
}
