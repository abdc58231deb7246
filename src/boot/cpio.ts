// A cpio archive in the "newc" format (the one the kernel's initramfs unpacker reads and
// usr/gen_init_cpio writes), built in memory. Deterministic: the same entries give the same
// bytes — inode numbers count up from 721 in entry order (as gen_init_cpio does), every mtime
// is the given one (default 0), owners are root.

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const FIRST_INO = 721;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio: field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function member(fields: { ino: number; mode: number; nlink: number; mtime: number; size: number; rdevMajor: number; rdevMinor: number }, name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name + '\0', 'utf8');
  const header = '070701' + [fields.ino, fields.mode, 0, 0, fields.nlink, fields.mtime, fields.size, 0, 0, fields.rdevMajor, fields.rdevMinor, nameBytes.length, 0].map(hex8).join('');
  return Buffer.concat([Buffer.from(header, 'ascii'), nameBytes, Buffer.alloc(pad4(110 + nameBytes.length)), data, Buffer.alloc(pad4(data.length))]);
}

/** The archive (ending with the TRAILER!!! member). Paths are relative to the root: "init", "dev/console". */
export function writeCpio(entries: readonly CpioEntry[], opts: { mtime?: number } = {}): Buffer {
  const mtime = opts.mtime ?? 0;
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    if (!path || path.split('/').some((c) => c === '' || c === '.' || c === '..')) throw new Error(`cpio: bad path ${JSON.stringify(e.path)}`);
    if (seen.has(path)) throw new Error(`cpio: ${path} listed twice`);
    seen.add(path);
    const ino = FIRST_INO + i;
    if (e.type === 'dir') parts.push(member({ ino, mode: S_IFDIR | (e.mode ?? 0o755), nlink: 2, mtime, size: 0, rdevMajor: 0, rdevMinor: 0 }, path, Buffer.alloc(0)));
    else if (e.type === 'file') parts.push(member({ ino, mode: S_IFREG | (e.mode ?? 0o644), nlink: 1, mtime, size: e.data.length, rdevMajor: 0, rdevMinor: 0 }, path, e.data));
    else parts.push(member({ ino, mode: S_IFCHR | (e.mode ?? 0o600), nlink: 1, mtime, size: 0, rdevMajor: e.major, rdevMinor: e.minor }, path, Buffer.alloc(0)));
  });
  parts.push(member({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0, rdevMajor: 0, rdevMinor: 0 }, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** The members of a newc archive (for tests and `tiny boot`'s own checks). */
export function readCpio(archive: Buffer): { path: string; mode: number; size: number; rdev: [number, number]; data: Buffer }[] {
  const out: { path: string; mode: number; size: number; rdev: [number, number]; data: Buffer }[] = [];
  let off = 0;
  for (;;) {
    const magic = archive.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`cpio: bad magic at ${off}: ${JSON.stringify(magic)}`);
    const f = (i: number) => parseInt(archive.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = f(1);
    const size = f(6);
    const namesize = f(11);
    const name = archive.toString('utf8', off + 110, off + 110 + namesize - 1);
    let p = off + 110 + namesize;
    p += pad4(p);
    const data = archive.subarray(p, p + size);
    p += size + pad4(size);
    if (name === 'TRAILER!!!') return out;
    out.push({ path: name, mode, size, rdev: [f(9), f(10)], data });
    off = p;
  }
}
