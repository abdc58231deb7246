// runQemu's process handling, with sh standing in for qemu (the real machine runs in
// test/faults/small.test.ts and the e2e boots): the console kept as bytes, the mark's time,
// the overall and the silent timeouts, and the install hint when the binary is missing.

import { describe, expect, it } from 'vitest';
import { runQemu } from '../../src/boot/qemu.js';
import { TinyError } from '../../src/util/diagnostics.js';

describe('runQemu', () => {
  it('keeps the console (one character per byte), qemu stderr apart, and times the mark', async () => {
    const lines: string[] = [];
    const r = await runQemu('sh', ['-c', "printf 'Linux version\\r\\n\\351t\\351\\nTINY-MARK ok\\n'; echo 'qemu: warning' >&2"], {
      timeoutMs: 10_000,
      mark: 'TINY-MARK',
      onLine: (l) => lines.push(l),
    });
    expect(r.code).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.console).toBe('Linux version\r\n\xe9t\xe9\nTINY-MARK ok\n');
    expect(r.stderr).toBe('qemu: warning\n');
    expect(lines).toEqual(['Linux version', '\xe9t\xe9', 'TINY-MARK ok']);
    expect(r.markMs).toBeGreaterThanOrEqual(0);
    expect(r.firstOutputMs).toBeGreaterThanOrEqual(0);
  });

  it('kills a machine that runs past the timeout', async () => {
    const r = await runQemu('sh', ['-c', 'echo booting; exec sleep 30'], { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, code: null, console: 'booting\n' });
  });

  it('kills a machine that says nothing for silentMs', async () => {
    const r = await runQemu('sleep', ['30'], { timeoutMs: 30_000, silentMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(30_000);
    expect(r.firstOutputMs).toBeUndefined();
  });

  it('names the package to install when the binary is missing', async () => {
    const e = await runQemu('qemu-system-i386-not-here', [], { timeoutMs: 1000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TinyError);
    expect((e as TinyError).message).toBe('qemu-system-i386-not-here is not installed: tiny boot runs the kernel under it');
  });
});
