// The minimum-memory search on a fake boot function (the real one boots qemu: see
// test/e2e/boot-6.1.test.ts and boot-2.6.test.ts), and the --mem parser.

import { describe, expect, it } from 'vitest';
import { findMinMem, parseMem } from '../../src/boot/minmem.js';

function fakeKernel(needsKiB: number) {
  const tried: number[] = [];
  return {
    tried,
    boot: async (kib: number) => {
      tried.push(kib);
      return kib >= needsKiB ? { booted: true } : { booted: false, reason: `Out of memory at ${kib}K` };
    },
  };
}

describe('findMinMem', () => {
  it('finds the smallest size that boots, to the step, in about log2(range/step) boots', async () => {
    for (const needs of [1032, 2040, 2048, 2056, 3333, 16384]) {
      const k = fakeKernel(needs);
      const r = await findMinMem({ lowKiB: 1024, highKiB: 16384, stepKiB: 8, boot: k.boot });
      expect(r.minKiB).toBe(Math.ceil(needs / 8) * 8);
      expect(r.failsKiB).toBe(r.minKiB - 8);
      expect(r.stepKiB).toBe(8);
      // 1920 steps between the bounds: 11 bisection boots, plus the upper bound itself.
      expect(k.tried.length).toBeLessThanOrEqual(12);
      expect(new Set(k.tried).size).toBe(k.tried.length); // never boots a size twice
      expect(k.tried.every((kib) => kib % 8 === 0 && kib > 1024 && kib <= 16384)).toBe(true);
      expect(r.tries.find((t) => t.kib === r.failsKiB)?.booted ?? false).toBe(false);
    }
  });

  it('reuses known results and reports every try with its reason', async () => {
    const k = fakeKernel(2000);
    const tries: number[] = [];
    const r = await findMinMem({ lowKiB: 1024, highKiB: 4096, stepKiB: 8, known: [{ kib: 4096, booted: true }], boot: k.boot, onTry: (t) => tries.push(t.kib) });
    expect(k.tried).not.toContain(4096);
    expect(tries).toEqual(k.tried);
    expect(r.minKiB).toBe(2000);
    expect(r.tries[0]).toEqual({ kib: 4096, booted: true });
    expect(r.tries.filter((t) => !t.booted).every((t) => /^Out of memory at \d+K$/.test(t.reason!))).toBe(true);
  });

  it('refuses an upper bound that does not boot, and a bad range', async () => {
    await expect(findMinMem({ lowKiB: 1024, highKiB: 2048, stepKiB: 8, boot: fakeKernel(4096).boot })).rejects.toThrow(/does not boot with the upper bound 2048 KiB/);
    await expect(findMinMem({ lowKiB: 2048, highKiB: 1024, stepKiB: 8, boot: fakeKernel(1).boot })).rejects.toThrow(/bad range/);
    await expect(findMinMem({ lowKiB: 1024, highKiB: 2052, stepKiB: 8, boot: fakeKernel(1).boot })).rejects.toThrow(/bad range/);
  });
});

describe('parseMem', () => {
  it('reads qemu-style sizes into KiB', () => {
    expect(parseMem('16M')).toBe(16384);
    expect(parseMem('16')).toBe(16384);
    expect(parseMem('2048K')).toBe(2048);
    expect(parseMem('1.5M')).toBe(1536);
    expect(parseMem('2MiB')).toBe(2048);
    expect(parseMem('1G')).toBe(1048576);
    expect(() => parseMem('lots')).toThrow(/not a memory size/);
    expect(() => parseMem('0.3K')).toThrow(/whole number/);
  });
});
