// The index writer's layout (git reads what it writes: test/integration/tree-import.test.ts).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gitIndex, type IndexEntry } from '../../src/tree/git-index.js';

const stat = { ctimeNs: 1_700_000_000_123_456_789n, mtimeNs: 1_700_000_001_000_000_001n, dev: 2049n, ino: 2n ** 33n + 5n, uid: 0n, gid: 0n, size: 5n };
const entry = (path: string, mode: IndexEntry['mode'] = '100644'): IndexEntry => ({ path, oid: Buffer.alloc(20, 0xab), mode, stat });

describe('gitIndex', () => {
  it('writes a version 2 header, entries sorted by path bytes and padded to 8, and a SHA-1 trailer', () => {
    const out = gitIndex([entry('b'), entry('a/c', '100755'), entry('a.c'), entry('l', '120000')]);
    expect(out.subarray(0, 4).toString()).toBe('DIRC');
    expect(out.readUInt32BE(4)).toBe(2);
    expect(out.readUInt32BE(8)).toBe(4);
    // "a.c" < "a/c" < "b" < "l": '.' sorts before '/'.
    const names: string[] = [];
    let at = 12;
    for (let i = 0; i < 4; i++) {
      const len = out.readUInt16BE(at + 60) & 0xfff;
      names.push(out.subarray(at + 62, at + 62 + len).toString());
      at += (62 + len + 8) & ~7;
    }
    expect(names).toEqual(['a.c', 'a/c', 'b', 'l']);
    expect(at + 20).toBe(out.length);
    expect(out.subarray(at).equals(createHash('sha1').update(out.subarray(0, at)).digest())).toBe(true);
  });

  it('stores seconds and nanoseconds, 32-bit fields truncated as git truncates them, and the mode', () => {
    const out = gitIndex([entry('x', '100755')]);
    expect(out.readUInt32BE(12)).toBe(1_700_000_000);
    expect(out.readUInt32BE(16)).toBe(123_456_789);
    expect(out.readUInt32BE(20)).toBe(1_700_000_001);
    expect(out.readUInt32BE(24)).toBe(1);
    expect(out.readUInt32BE(32)).toBe(5); // inode 2^33 + 5, low 32 bits
    expect(out.readUInt32BE(36)).toBe(0o100755);
  });

  it('caps the name length in the flags at 0xfff for a long path', () => {
    const long = 'd/'.repeat(2100) + 'f';
    const out = gitIndex([entry(long)]);
    expect(out.readUInt16BE(12 + 60)).toBe(0xfff);
    expect(out.subarray(12 + 62, 12 + 62 + long.length).toString()).toBe(long);
  });
});
