// tiny boot end to end on Linux 6.1: configs/tinyconfig-6.1.yaml (tinyconfig + printk, initrd,
// ELF, serial console, /proc) built in the gcc-12-i386 podman container — the same config and
// queue as test/e2e/build-6.1.test.ts, in a shared cache, so CI builds that kernel once — then
// booted under qemu-system-i386 (TCG) with the boot-probe initramfs: it must reach init, print
// /proc/meminfo, and have its MemTotal/MemFree and boot time recorded next to the build
// record; --find-min-mem bisects the smallest memory it boots with. Also: a kernel that cannot
// reach init (no initramfs support: the record's .config says why) is reported as a failure.
//
// Runs in `npm test` and CI like build-6.1 (TINY_QUICK=1 skips it): the kernel is build-6.1's
// queue point, so with the shared cache only the boots cost time. Needs the 6.1 orig tarball
// (~/.cache/tiny-src), podman and qemu-system-i386; skipped without them, except in CI, where a
// missing podman or qemu fails the test. Cache: test/global-setup.ts.
// Time on 2 shared cores: see the timings printed at the end (cold: build + 1 + ~12 boots).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBootResults } from '../../src/boot/results.js';
import { openRecordStore } from '../../src/store/index.js';
import { createRuntime, defaultToolchainsDir, ensureImage, loadToolchain } from '../../src/toolchain/index.js';
import { run } from '../../src/util/exec.js';
import { tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { DEBIAN_ORIG, DEBIAN_SRC, DEBIAN_SRC_MISSING, podman, skippedSuite } from '../helpers/trees.js';

const SLOW = 60 * 60_000;

const TARBALL = DEBIAN_ORIG ? join(DEBIAN_SRC, DEBIAN_ORIG) : undefined;
const { probe, skipWhy: podmanSkipWhy } = await podman();
const qemu = await run('qemu-system-i386', ['--version'], { allowFail: true }).catch(() => undefined);
const CI = !!process.env.CI;
const skipWhy =
  process.env.TINY_QUICK === '1'
    ? 'TINY_QUICK=1: booting the Linux 6.1 kernel built in the podman toolchain is skipped'
    : !TARBALL
      ? DEBIAN_SRC_MISSING
      : (podmanSkipWhy ?? (qemu?.code !== 0 && !CI ? 'qemu-system-i386 is not installed; fix: sudo apt-get install -y qemu-system-x86' : undefined));

interface BootJson {
  config: string;
  toggle: string;
  key: string;
  image: { name: string; bytes: number; sha256: string };
  root: { kind: string; bytes: number; sha256: string };
  boot: { booted: boolean; mem_kib: number; mem_total_kib: number; mem_free_kib: number; to_init_ms: number; total_ms: number; uptime_at_init_s: number; banner: string; reason?: string };
  min_mem: { min_kib: number; fails_kib: number; step_kib: number; tries: { kib: number; booted: boolean; reason?: string }[]; at_min: { mem_free_kib: number } } | null;
}

if (skipWhy) {
  skippedSuite('boot-6.1', 'tiny boot on Linux 6.1', skipWhy);
} else {
  describe('tiny boot on Linux 6.1 tinyconfig (qemu-system-i386, TCG)', () => {
    let cache: string;
    const env = () => ({ TINY_CACHE: cache, TINY_RUNTIME: 'podman' });
    const base = ['boot', '--config', 'tinyconfig-6.1', '--queue', 'test/fixtures/build/queue-6.1', '--tree', TARBALL!, '--json'];
    const timings: string[] = [];
    let first: BootJson;
    let failsKiB = 0;

    beforeAll(async () => {
      if (!probe.usable) throw new Error(`podman is required in CI: ${probe.detail}`);
      if (qemu?.code !== 0) throw new Error('qemu-system-i386 is required in CI: sudo apt-get install -y qemu-system-x86 (scripts/setup.sh installs it)');
      // The 6.1 e2e tests share a cache (test/global-setup.ts): build-6.1 and this test build the
      // same queue point, so whichever runs second gets it from the store.
      cache = process.env.TINY_E2E_CACHE ?? (await mkdtemp(join(tmpdir(), 'tiny-e2e-boot61-')));
      const tc = await loadToolchain(defaultToolchainsDir(), 'gcc-12-i386');
      await ensureImage(tc, createRuntime('podman'), { onLog: (l) => console.log(`image: ${l}`) });
    }, SLOW);

    afterAll(async () => {
      if (timings.length) console.log(`tiny boot on 6.1:\n  ${timings.join('\n  ')}`);
      if (cache && cache !== process.env.TINY_E2E_CACHE && !process.env.TINY_KEEP) await rm(cache, { recursive: true, force: true });
    });

    it(
      'builds the queue point if needed, boots it to init with -m 24M and records MemTotal/MemFree',
      async () => {
        const t0 = Date.now();
        const r = await tiny([...base, '--mem', '24M'], { env: env() });
        timings.push(`boot -m 24M (with the build when not cached): ${((Date.now() - t0) / 1000).toFixed(0)}s`);
        expect(r.code, r.stdout + r.stderr.slice(-4000)).toBe(0);
        first = expectJsonOutput('boot', r.stdout) as unknown as BootJson;
        timings.push(`  qemu: init after ${first.boot.to_init_ms} ms, exit after ${first.boot.total_ms} ms; MemTotal ${first.boot.mem_total_kib} kB, MemFree ${first.boot.mem_free_kib} kB`);
        expect(first.toggle).toBe('queue');
        expect(first.image.name).toBe('bzImage');
        expect(first.boot.booted).toBe(true);
        expect(first.root.kind).toBe('initramfs'); // tinyconfig + BLK_DEV_INITRD: --root auto picks it
        // The guest's RAM as the kernel sees it: below 24 MiB (firmware and kernel reserve some), and free < total.
        // (6.1 i386 loads at CONFIG_PHYSICAL_START = 16 MiB: with -m 16M it never starts.)
        expect(first.boot.mem_total_kib).toBeGreaterThan(12 * 1024);
        expect(first.boot.mem_total_kib).toBeLessThan(24 * 1024);
        expect(first.boot.mem_free_kib).toBeGreaterThan(0);
        expect(first.boot.mem_free_kib).toBeLessThan(first.boot.mem_total_kib);
        expect(first.boot.to_init_ms).toBeGreaterThan(0);
        expect(first.boot.total_ms).toBeGreaterThanOrEqual(first.boot.to_init_ms);
        expect(first.boot.uptime_at_init_s).toBeGreaterThan(0);

        // Kept with the build record, under boot/, keyed by the initramfs and the memory size.
        const store = await openRecordStore(cache);
        const kept = await readBootResults(store, first.key);
        const mine = kept.find((k) => k.kind === 'boot' && k.memKiB === 24576 && k.root.sha256 === first.root.sha256);
        expect(mine).toMatchObject({ booted: true, memFreeKiB: first.boot.mem_free_kib, memTotalKiB: first.boot.mem_total_kib });
      },
      SLOW,
    );

    it(
      'boots the same initramfs again (deterministic) and text output shows the figures',
      async () => {
        const r = await tiny(['boot', '--config', 'tinyconfig-6.1', '--queue', 'test/fixtures/build/queue-6.1', '--tree', TARBALL!, '--mem', '24M'], { env: env() });
        expect(r.code, r.stderr.slice(-3000)).toBe(0);
        expect(r.stdout).toContain(`initramfs ${first.root.bytes.toLocaleString('en-US')} bytes (sha256 ${first.root.sha256.slice(0, 12)})`);
        expect(r.stdout).toMatch(/-m 24M: booted to init in [\d.]+ s/);
        expect(r.stdout).toMatch(/^ {2}MemTotal +[\d,]+ kB$/m);
        expect(r.stdout).toMatch(/^ {2}MemFree +[\d,]+ kB$/m);
      },
      SLOW,
    );

    it(
      '--find-min-mem bisects the smallest -m that reaches init, and records it',
      async () => {
        const t0 = Date.now();
        const r = await tiny([...base, '--mem', '24M', '--find-min-mem'], { env: env() });
        timings.push(`--find-min-mem: ${((Date.now() - t0) / 1000).toFixed(0)}s`);
        expect(r.code, r.stderr.slice(-3000)).toBe(0);
        const j = expectJsonOutput('boot', r.stdout) as unknown as BootJson;
        const m = j.min_mem!;
        timings.push(`  minimum: ${m.min_kib} KiB (${m.tries.length} boots)`);
        expect(m.step_kib).toBe(8);
        expect(m.min_kib - m.fails_kib).toBe(8);
        expect(m.min_kib).toBeGreaterThan(16384); // loaded at 16 MiB
        expect(m.min_kib).toBeLessThanOrEqual(24576);
        expect(m.tries.find((t) => t.kib === m.min_kib)?.booted).toBe(true);
        expect(m.tries.find((t) => t.kib === m.fails_kib)?.booted).toBe(false);
        expect(m.at_min.mem_free_kib).toBeLessThan(j.boot.mem_free_kib);
        const store = await openRecordStore(cache);
        const kept = await readBootResults(store, j.key);
        expect(kept.find((k) => k.kind === 'min-mem' && k.root.sha256 === j.root.sha256)).toMatchObject({ minKiB: m.min_kib, failsKiB: m.fails_kib });
        failsKiB = m.fails_kib;
      },
      SLOW,
    );

    it(
      'a boot that does not reach init exits 1 with the reason and the last console lines',
      async () => {
        const r = await tiny(['boot', '--config', 'tinyconfig-6.1', '--queue', 'test/fixtures/build/queue-6.1', '--tree', TARBALL!, '--mem', `${failsKiB}K`, '--timeout', '30'], { env: env() });
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(new RegExp(`-m ${failsKiB}K: boot FAILED \\((panic|oops|bug|timeout|no-init|exited)\\): .+`));
        expect(r.stderr).toMatch(/did not boot with -m \d+K: .+/);
        expect(r.stderr).toContain('last console lines:');
      },
      SLOW,
    );
  });
}
