// The pack writer's framing against zlib and git's formats: the Adler-32 it carries is zlib's,
// its stored blocks have the length reserved for them, and entry headers encode git's type and
// size. (That git inflates the framed objects: test/integration/tree-pack-writer.test.ts.)
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, adler32Js, adlerModule } from '../../src/tree/adler32.js';
import { packEntryHeader, storedLength } from '../../src/tree/pack-writer.js';

describe('pack writer framing', () => {
  /** zlib's own Adler-32 of `body`: the last four bytes of its zlib stream. */
  const zlibAdler = (body: Buffer) => {
    const z = zlib.deflateSync(body, { level: 0 });
    return z.readUInt32BE(z.length - 4);
  };
  // 0xff: the worst case for overflow; sizes around 16-byte blocks, the 128-block runs of the
  // WebAssembly function, zlib's NMAX and its 1 MiB memory.
  const SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 2047, 2048, 2049, 5551, 5552, 5553, 65535, 65536, 200_000, (1 << 20) - 1, 1 << 20, (1 << 20) + 17, 3 << 20];

  for (const [label, fn] of [
    ['WebAssembly', adler32],
    ['JavaScript', adler32Js],
  ] as const) {
    it(`carries zlib's Adler-32 over any split of the bytes (${label})`, () => {
      for (const size of SIZES) {
        for (const body of [Buffer.alloc(size, 0xff), randomBytes(size)]) {
          const want = zlibAdler(body);
          expect(fn(1, body), `${size} bytes`).toBe(want);
          const cut = Math.floor(size / 3) + 1;
          expect(fn(fn(1, body.subarray(0, cut)), body.subarray(cut)), `${size} bytes cut at ${cut}`).toBe(want);
        }
      }
    });
  }

  it('has a WebAssembly Adler-32 that compiles here (else every import takes the slower one)', () => {
    // (The types have no DOM, which declares WebAssembly; Node has it.)
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(adlerModule())).toBe(true);
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
});
