// The pack writer's framing against zlib and git's formats: the Adler-32 it carries is zlib's,
// its stored blocks have the length reserved for them, and entry headers encode git's type and
// size. (That git inflates the framed objects: test/integration/tree-pack-writer.test.ts.)
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, crc32ByTable, packEntryHeader, storedLength } from '../../src/tree/pack-writer.js';

describe('pack writer framing', () => {
  it("carries zlib's Adler-32 over any split of the bytes", () => {
    for (const size of [0, 1, 15, 16, 17, 5551, 5552, 5553, 65535, 65536, 200_000]) {
      const body = size > 1000 ? Buffer.alloc(size, 0xff) : randomBytes(size); // 0xff: the worst case for overflow
      const zlibs = zlib.deflateSync(body).readUInt32BE(zlib.deflateSync(body).length - 4);
      expect(adler32(1, body)).toBe(zlibs);
      const cut = Math.floor(size / 3);
      expect(adler32(adler32(1, body.subarray(0, cut)), body.subarray(cut))).toBe(zlibs);
    }
  });

  it('frames a body in stored blocks of at most 65535 bytes', () => {
    expect(storedLength(0)).toBe(2 + 5 + 4);
    expect(storedLength(65535)).toBe(2 + 65535 + 5 + 4);
    expect(storedLength(65536)).toBe(2 + 65536 + 10 + 4);
    expect(storedLength(200_000)).toBe(2 + 200_000 + 4 * 5 + 4);
  });

  it("encodes an entry's type and size as git does (4 bits, then 7 per byte)", () => {
    expect([...packEntryHeader('blob', 0)]).toEqual([0x30]);
    expect([...packEntryHeader('blob', 15)]).toEqual([0x3f]);
    expect([...packEntryHeader('blob', 16)]).toEqual([0xb0, 0x01]);
    expect([...packEntryHeader('tree', 100)]).toEqual([0xa4, 0x06]);
    expect([...packEntryHeader('commit', 2 ** 20)]).toEqual([0x90, 0x80, 0x80, 0x04]);
  });

  it("computes zlib's CRC-32 without node's (a Node older than 20.15 has none)", () => {
    const known = { '': 0, a: 0xe8b7be43, '123456789': 0xcbf43926 };
    for (const [text, crc] of Object.entries(known)) expect(crc32ByTable(Buffer.from(text))).toBe(crc);
    const body = randomBytes(100_000);
    if ('crc32' in zlib) expect(crc32ByTable(body)).toBe((zlib as unknown as { crc32: (b: Buffer) => number }).crc32(body));
    expect(crc32ByTable(body.subarray(5000), crc32ByTable(body.subarray(0, 5000)))).toBe(crc32ByTable(body));
  });
});
