// Adler-32, zlib's checksum, which ends every zlib stream of a pack written by pack-writer.ts:
// over every byte of an import (1.3 GB for a 6.x tarball). node's zlib does not expose it.
//
// Two implementations, the same function:
//   adler32Js    plain JavaScript, sixteen bytes a step: ~1.75 GB/s here (0.74 s of the main
//                thread for a 6.1 import, which is CPU-bound on two cores)
//   adler32      WebAssembly SIMD (V8 >= 9.1, so every Node tiny runs on), the bytes copied
//                into its memory first: ~8.5 GB/s with the copy; adler32Js where WebAssembly
//                cannot be compiled
//
// The WebAssembly function is written below as its instructions, assembled here (a few hundred
// bytes), so the source is the only form of it. Its arithmetic, for a run of K blocks of 16
// bytes (n = 16K bytes, x_i the bytes) starting from (a, b):
//   a' = a + Σ x_i
//   b' = b + n·a + Σ (n - i)·x_i
//      = b + n·a + 16·Σ_k (K-1-k)·S_k + Σ_k Σ_r (16-r)·x_{16k+r}       (S_k: block k's sum)
// Four 32-bit lanes hold the sums: vs1 (Σ x), vps (vs1 added up before each block: the middle
// term) and vs2 (each block's bytes times 16..1: the last term). A run is at most 128 blocks, so
// no lane and no total can pass 2^32 before the reduction modulo 65521 (b' < 7·10^8).

/** Adler-32 carried on over `buf` (start from 1), in JavaScript. */
export function adler32Js(state: number, buf: Uint8Array): number {
  let a = state & 0xffff;
  let b = state >>> 16;
  let i = 0;
  const n = buf.length;
  while (i < n) {
    // 5552: zlib's NMAX, the most bytes between two reductions before b could outgrow 32 bits.
    const end = Math.min(i + 5552, n);
    // Sixteen at a time: twice as fast in V8 as one.
    for (const end16 = end - ((end - i) & 15); i < end16; i += 16) {
      a += buf[i]!;
      b += a;
      a += buf[i + 1]!;
      b += a;
      a += buf[i + 2]!;
      b += a;
      a += buf[i + 3]!;
      b += a;
      a += buf[i + 4]!;
      b += a;
      a += buf[i + 5]!;
      b += a;
      a += buf[i + 6]!;
      b += a;
      a += buf[i + 7]!;
      b += a;
      a += buf[i + 8]!;
      b += a;
      a += buf[i + 9]!;
      b += a;
      a += buf[i + 10]!;
      b += a;
      a += buf[i + 11]!;
      b += a;
      a += buf[i + 12]!;
      b += a;
      a += buf[i + 13]!;
      b += a;
      a += buf[i + 14]!;
      b += a;
      a += buf[i + 15]!;
      b += a;
    }
    for (; i < end; i++) {
      a += buf[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// --- the WebAssembly module ---------------------------------------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...Buffer.from(s)].map((c) => [c]));
const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)];

/** The instructions used (WebAssembly core spec, binary format, and its SIMD proposal). */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  select: [0x1b],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  load8u: [0x2d, 0, 0],
  i32: (n: number) => [0x41, ...sleb(n)],
  eqz: [0x45],
  ltU: [0x49],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  remU: [0x70],
  and: [0x71],
  shl: [0x74],
  shrU: [0x76],
  v128Load: [...simd(0x00), 4, 0],
  v128Const: (bytes: number[]) => [...simd(0x0c), ...bytes],
  laneI32: (lane: number) => [...simd(0x1b), lane],
  /** i16x8.extadd_pairwise_i8x16_u */
  pairs8: simd(0x7d),
  /** i32x4.extadd_pairwise_i16x8_u */
  pairs16: simd(0x7f),
  /** i16x8.extmul_low_i8x16_u, i16x8.extmul_high_i8x16_u */
  mulLow8: simd(0x9e),
  mulHigh8: simd(0x9f),
  /** i32x4.add */
  addI32x4: simd(0xae),
};

const MOD = 65521;
const BLOCKS_PER_RUN = 128;
// adler32(state, ptr, len) -> state. Locals after the three parameters:
const [STATE, PTR, LEN, A, B, BLOCKS, N, VS1, VS2, VPS, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const WEIGHTS = [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
const ZERO = op.v128Const(new Array<number>(16).fill(0));
const sumLanes = (v: number) => [...op.get(v), ...op.laneI32(0), ...op.get(v), ...op.laneI32(1), ...op.add, ...op.get(v), ...op.laneI32(2), ...op.add, ...op.get(v), ...op.laneI32(3), ...op.add];

const BODY = [
  ...[...op.get(STATE), ...op.i32(0xffff), ...op.and, ...op.set(A)],
  ...[...op.get(STATE), ...op.i32(16), ...op.shrU, ...op.set(B)],
  // Runs of up to 128 blocks of 16 bytes.
  ...[...op.block, ...op.loop],
  ...[...op.get(LEN), ...op.i32(16), ...op.ltU, ...op.brIf(1)],
  ...[...op.get(LEN), ...op.i32(4), ...op.shrU, ...op.tee(BLOCKS), ...op.i32(BLOCKS_PER_RUN), ...op.get(BLOCKS), ...op.i32(BLOCKS_PER_RUN), ...op.ltU, ...op.select, ...op.set(BLOCKS)],
  ...[...op.get(BLOCKS), ...op.i32(4), ...op.shl, ...op.set(N)],
  ...[...op.get(B), ...op.get(N), ...op.get(A), ...op.mul, ...op.add, ...op.set(B)], // b += n·a
  ...[...ZERO, ...op.set(VS1), ...ZERO, ...op.set(VS2), ...ZERO, ...op.set(VPS)],
  ...op.loop,
  ...[...op.get(PTR), ...op.v128Load, ...op.set(V)],
  ...[...op.get(VPS), ...op.get(VS1), ...op.addI32x4, ...op.set(VPS)], // vps += vs1
  ...[...op.get(VS1), ...op.get(V), ...op.pairs8, ...op.pairs16, ...op.addI32x4, ...op.set(VS1)], // vs1 += the block's bytes
  // vs2 += the block's bytes times 16..1
  ...[...op.get(VS2), ...op.get(V), ...op.v128Const(WEIGHTS), ...op.mulLow8, ...op.pairs16, ...op.addI32x4],
  ...[...op.get(V), ...op.v128Const(WEIGHTS), ...op.mulHigh8, ...op.pairs16, ...op.addI32x4, ...op.set(VS2)],
  ...[...op.get(PTR), ...op.i32(16), ...op.add, ...op.set(PTR)],
  ...[...op.get(BLOCKS), ...op.i32(1), ...op.sub, ...op.tee(BLOCKS), ...op.brIf(0)],
  ...op.end,
  // a += Σ vs1; b += 16·Σ vps + Σ vs2; both modulo 65521
  ...[...op.get(A), ...sumLanes(VS1), ...op.add, ...op.i32(MOD), ...op.remU, ...op.set(A)],
  ...[...op.get(B), ...sumLanes(VPS), ...op.i32(4), ...op.shl, ...op.add, ...sumLanes(VS2), ...op.add, ...op.i32(MOD), ...op.remU, ...op.set(B)],
  ...[...op.get(LEN), ...op.get(N), ...op.sub, ...op.set(LEN)],
  ...[...op.br(0), ...op.end, ...op.end],
  // The last bytes, one at a time.
  ...[...op.block, ...op.loop],
  ...[...op.get(LEN), ...op.eqz, ...op.brIf(1)],
  ...[...op.get(A), ...op.get(PTR), ...op.load8u, ...op.add, ...op.tee(A), ...op.get(B), ...op.add, ...op.set(B)],
  ...[...op.get(PTR), ...op.i32(1), ...op.add, ...op.set(PTR)],
  ...[...op.get(LEN), ...op.i32(1), ...op.sub, ...op.set(LEN)],
  ...[...op.br(0), ...op.end, ...op.end],
  ...[...op.get(A), ...op.i32(MOD), ...op.remU, ...op.get(B), ...op.i32(MOD), ...op.remU, ...op.i32(16), ...op.shl, ...op.add],
  ...op.end,
];

const I32 = 0x7f;
const V128 = 0x7b;
/** Its memory: 1 MiB, which a buffer is copied into a piece at a time. */
const PAGES = 16;
const CAPACITY = PAGES * 65536;

/** The module's bytes; exported so a test compiles them itself (adler32 would fall back quietly). */
export function adlerModule(): Uint8Array {
  // Locals: a, b, blocks, n (i32); vs1, vs2, vps, v (v128).
  const code = [
    ...vec([
      [...uleb(4), I32],
      [...uleb(4), V128],
    ]),
    ...BODY,
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])), // (i32, i32, i32) -> i32
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(PAGES)]])),
    ...section(
      7,
      vec([
        [...name('adler32'), 0x00, 0],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/** The part of the WebAssembly API used here (tiny compiles without the DOM types that declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
type Compiled = { run: (state: number, ptr: number, len: number) => number; heap: Uint8Array } | null;
let compiled: Compiled | undefined;

function compile(): Compiled {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly!;
    const { exports } = new wasm.Instance(new wasm.Module(adlerModule()));
    const memory = exports.memory as { buffer: ArrayBuffer };
    return { run: exports.adler32 as (s: number, p: number, n: number) => number, heap: new Uint8Array(memory.buffer) };
  } catch {
    return null; // no WebAssembly (SIMD) here: adler32Js
  }
}

/** Adler-32 carried on over `buf` (start from 1): WebAssembly SIMD where it compiles, else adler32Js. */
export function adler32(state: number, buf: Uint8Array): number {
  compiled ??= compile();
  if (!compiled || buf.length < 64) return adler32Js(state, buf);
  const { run, heap } = compiled;
  for (let at = 0; at < buf.length; at += CAPACITY) {
    const piece = buf.subarray(at, Math.min(at + CAPACITY, buf.length));
    heap.set(piece, 0);
    state = run(state, 0, piece.length) >>> 0;
  }
  return state;
}
