// The tar reader of the import and the cold check (src/tree/tar-reader.ts): what GNU tar and git
// archive write, read member by member whatever the chunks; everything else reported as unusual
// (the caller then extracts with tar itself), and a stream cut short refused.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TarReader, TarTruncated, type TarMemberHeader } from '../../src/tree/tar-reader.js';

interface Read {
  members: Array<Omit<TarMemberHeader, 'mode'> & { data?: string }>;
  unusual?: string;
}

/** Read `tar` in chunks of `chunk` bytes (all at once by default). */
function read(tar: Buffer, chunk = tar.length): Read {
  const out: Read = { members: [] };
  const reader = new TarReader(
    (h) => {
      const { mode: _mode, ...rest } = h;
      const m: Read['members'][number] = { ...rest };
      out.members.push(m);
      if (h.type !== 'File' && h.type !== 'OldFile' && h.type !== 'ContiguousFile') return undefined;
      const parts: Buffer[] = [];
      return { data: (c) => parts.push(Buffer.from(c)), end: () => (m.data = Buffer.concat(parts).toString('latin1')) };
    },
    (why) => (out.unusual = why),
  );
  for (let at = 0; at < tar.length; at += chunk) reader.write(tar.subarray(at, at + chunk));
  reader.end();
  return out;
}

/** One 512-byte header, checksum filled in. */
function header(f: { name: string; type?: string; size?: number | Buffer; magic?: 'ustar' | 'gnu' | 'v7'; prefix?: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(f.name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  if (Buffer.isBuffer(f.size)) f.size.copy(b, 124);
  else b.write(`${(f.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write(f.type ?? '0', 156, 'latin1');
  if (f.linkname) b.write(f.linkname, 157, 100, 'utf8');
  const magic = f.magic ?? 'ustar';
  if (magic === 'ustar') b.write('ustar\x0000', 257, 'latin1');
  if (magic === 'gnu') b.write('ustar  \0', 257, 'latin1');
  if (f.prefix) b.write(f.prefix, 345, 155, 'utf8');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const padded = (data: string | Buffer) => {
  const d = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
  return Buffer.concat([d, Buffer.alloc((512 - (d.length % 512)) % 512)]);
};
const member = (name: string, data: string, more: Parameters<typeof header>[0] | object = {}) => Buffer.concat([header({ name, size: Buffer.byteLength(data, 'latin1'), ...more }), padded(data)]);
const pax = (type: 'x' | 'g', records: Record<string, string>) => {
  const body = Object.entries(records)
    .map(([k, v]) => {
      const text = ` ${k}=${v}\n`;
      const bytes = Buffer.byteLength(text);
      let n = bytes + 1;
      while (String(n).length + bytes !== n) n++;
      return `${n}${text}`;
    })
    .join('');
  return Buffer.concat([header({ name: 'PaxHeader', type, size: Buffer.byteLength(body) }), padded(Buffer.from(body, 'utf8'))]);
};
const END = Buffer.alloc(1024);

const work = mkdtempSync(join(tmpdir(), 'tiny-tar-reader-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tar reader', () => {
  it("reads GNU tar's four formats the same whatever the chunks: long names, links, empty files, sizes around a block", () => {
    const src = join(work, 'src', 'pkg-1.0');
    const deep = join(src, 'a'.repeat(120), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, `${'c'.repeat(90)}.c`), 'long\n');
    writeFileSync(join(src, 'empty'), '');
    writeFileSync(join(src, 'block'), 'x'.repeat(512));
    writeFileSync(join(src, 'latin1.c'), Buffer.from('/* J\xf6rg */\n', 'latin1'));
    execFileSync('ln', ['-s', 'l'.repeat(150), join(src, 'long-link')]);
    execFileSync('ln', [join(src, 'block'), join(src, 'hard')]);
    for (const format of ['gnu', 'oldgnu', 'posix', 'ustar']) {
      const tarball = join(work, `${format}.tar`);
      const made = execFileSync('sh', ['-c', `tar -c --format=${format} -f '${tarball}' -C '${join(work, 'src')}' pkg-1.0 2>&1 || echo REFUSED`]).toString();
      const whole = read(readFileSync(tarball));
      if (made.includes('REFUSED')) continue; // ustar cannot hold the long link
      expect(whole.unusual, format).toBeUndefined();
      const byPath = new Map(whole.members.map((m) => [m.path.replace(/\/$/, ''), m]));
      expect(byPath.get(`pkg-1.0/${'a'.repeat(120)}/${'b'.repeat(60)}/${'c'.repeat(90)}.c`)?.data, format).toBe('long\n');
      expect(byPath.get('pkg-1.0/empty')?.data, format).toBe('');
      expect(byPath.get('pkg-1.0/latin1.c')?.data, format).toBe('/* J\xf6rg */\n');
      expect(byPath.get('pkg-1.0/long-link'), format).toMatchObject({ type: 'SymbolicLink', linkpath: 'l'.repeat(150) });
      expect([byPath.get('pkg-1.0/hard')?.type, byPath.get('pkg-1.0/block')?.type].sort(), format).toEqual(['File', 'Link']);
      for (const chunk of [1, 7, 511, 513, 4096]) expect(read(readFileSync(tarball), chunk), `${format} in chunks of ${chunk}`).toEqual(whole);
    }
  });

  it("reads git archive's tarballs: the global pax header (the commit) says nothing about the members", () => {
    const repo = join(work, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    git('init', '-q');
    writeFileSync(join(repo, 'Makefile'), 'VERSION = 2\n');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const r = read(git('archive', '--prefix=linux-2.6.9/', 'HEAD'));
    expect(r).toEqual({
      members: [
        { path: 'linux-2.6.9/', type: 'Directory', size: 0, linkpath: '' },
        { path: 'linux-2.6.9/Makefile', type: 'File', size: 12, linkpath: '', data: 'VERSION = 2\n' },
      ],
    });
  });

  it('takes a pax path, linkpath and size over the header, for the next member only', () => {
    const tar = Buffer.concat([pax('x', { path: 'pkg/ünïcödé-and-long.c', size: '3' }), member('pkg/short.c', 'abc'), member('pkg/next.c', 'de'), END]);
    expect(read(tar).members).toEqual([
      { path: 'pkg/ünïcödé-and-long.c', type: 'File', size: 3, linkpath: '', data: 'abc' },
      { path: 'pkg/next.c', type: 'File', size: 2, linkpath: '', data: 'de' },
    ]);
  });

  it("joins a ustar name to its prefix, and reads GNU's base-256 sizes", () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(5, 8);
    const tar = Buffer.concat([header({ name: 'file.c', prefix: 'pkg/deep', size: 5 }), padded('hello'), header({ name: 'pkg/big', size }), padded('world'), END]);
    expect(read(tar).members.map((m) => [m.path, m.data])).toEqual([
      ['pkg/deep/file.c', 'hello'],
      ['pkg/big', 'world'],
    ]);
  });

  it('leaves to tar what only tar reads, and says what it was', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a GNU sparse member', Buffer.concat([header({ name: 'pkg/image', type: 'S', magic: 'gnu' }), END]), /type "S" \(a sparse file\)/],
      ['a pax sparse file', Buffer.concat([pax('x', { 'GNU.sparse.major': '1' }), member('pkg/image', 'x'), END]), /sparse file \(GNU\.sparse/],
      ['a header charset', Buffer.concat([pax('x', { hdrcharset: 'BINARY' }), member('pkg/a', 'x'), END]), /charset "BINARY"/],
      ['a global path', Buffer.concat([pax('g', { path: 'x' }), member('pkg/a', 'x'), END]), /global header setting path/],
      ['a damaged header', Buffer.concat([member('pkg/a', 'x'), Buffer.from('garbage'.padEnd(512, '!')), END]), /checksum does not add up/],
      ['a v7 header', Buffer.concat([header({ name: 'pkg/a', magic: 'v7' }), END]), /neither the ustar nor GNU format/],
      ['a directory with data', Buffer.concat([member('pkg/d/', 'xyz', { type: '5' }), END]), /type Directory with 3 bytes/],
      ['a file named like a directory', Buffer.concat([member('pkg/d/', 'xyz'), END]), /a file whose name ends in \//],
      ['members after the end', Buffer.concat([member('pkg/a', 'x'), Buffer.alloc(512), member('pkg/b', 'y'), END]), /data after the end-of-archive block/],
    ];
    for (const [what, tar, why] of cases) {
      const r = read(tar);
      expect(r.unusual, what).toMatch(why);
      // Nothing is handed over after it.
      expect(r.members.length, what).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a stream that ends inside a member or a header', () => {
    const whole = Buffer.concat([member('pkg/a.c', 'x'.repeat(1000)), END]);
    expect(() => read(whole.subarray(0, 700))).toThrow(TarTruncated);
    expect(() => read(whole.subarray(0, 700))).toThrow('the tar stream ends inside member "pkg/a.c" (a truncated or damaged file?)');
    expect(() => read(whole.subarray(0, 100))).toThrow('the tar stream ends inside a header');
    // Inside an extended header (the pax records of the next member).
    expect(() => read(Buffer.concat([whole.subarray(0, 1536), pax('x', { path: 'pkg/b.c' })]).subarray(0, 1536 + 600))).toThrow('the tar stream ends inside a header');
    // A stream that stops between members without the end-of-archive blocks is whole (tar -x reads it).
    expect(read(whole.subarray(0, 1536)).members).toHaveLength(1);
  });
});
