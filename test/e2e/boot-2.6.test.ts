// tiny boot end to end on Linux 2.6.9 (TINY_TREE_2_6 = an unmodified tree, never written to):
// configs/webserver.yaml with the compat series, built in the gcc-12-i386 podman container and
// booted under qemu-system-i386 from the boot probe's ext2 root disk on hda (the configuration
// has IDE and ext2 and no initrd support, so `--root auto` picks the disk). It must reach init
// and report MemFree at boot; the console must show what a 2.6.9 kernel really prints (its
// banner, the IDE probe, the ext2 root mounted read-only). Then the same kernel serves a page
// over its NE2000 card (--http): the build is the one above, so it costs one boot. webserver-tiny's boot with mem=2M and
// its smallest mem= are the flagship gate's (flagship-2.6.test.ts).
//
// Cache: the run's e2e cache (test/global-setup.ts); TINY_E2E_CACHE keeps it across runs.

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBootResults } from '../../src/boot/results.js';
import { openRecordStore } from '../../src/store/index.js';
import { createRuntime, defaultToolchainsDir, ensureImage, loadToolchain } from '../../src/toolchain/index.js';
import { run } from '../../src/util/exec.js';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { podman, skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const SLOW = 60 * 60_000;
const TREE = TREE_2_6;
const queueText = readFileSync(join(REPO, 'queue/queue.yaml'), 'utf8');
const hasCompat = /^\s*-\s*name:\s*compat-bitops-plus-m/m.test(queueText);
const { skipWhy: podmanSkipWhy } = await podman();
const qemu = await run('qemu-system-i386', ['--version'], { allowFail: true }).catch(() => undefined);
const skipWhy = !TREE
  ? 'TINY_TREE_2_6 is not set (an unmodified Linux 2.6.9 tree, e.g. ~/.cache/tiny-trees/linux-2.6.9)'
  : !existsSync(join(TREE, 'Makefile'))
    ? `TINY_TREE_2_6=${TREE} is not a kernel tree`
    : !hasCompat
      ? 'queue/queue.yaml has no compat series (compat-bitops-plus-m): 2.6.9 built by gcc 12 does not boot without it'
      : (podmanSkipWhy ?? (qemu?.code !== 0 ? 'qemu-system-i386 is not installed; fix: sudo apt-get install -y qemu-system-x86' : undefined));

if (skipWhy) {
  skippedSuite('boot-2.6', 'tiny boot on Linux 2.6.9', skipWhy);
} else {
  describe('tiny boot on Linux 2.6.9: the webserver kernel (qemu-system-i386, TCG)', () => {
    let cache: string;
    const timings: string[] = [];

    beforeAll(async () => {
      // The e2e cache of the run (test/global-setup.ts; TINY_E2E_CACHE keeps one across runs).
      cache = process.env.TINY_E2E_CACHE ?? (await mkdtemp(join(tmpdir(), 'tiny-e2e-boot26-')));
      const tc = await loadToolchain(defaultToolchainsDir(), 'gcc-12-i386');
      await ensureImage(tc, createRuntime('podman'), { onLog: (l) => console.log(`image: ${l}`) });
    }, SLOW);

    afterAll(async () => {
      if (timings.length) console.log(`tiny boot on 2.6.9:\n  ${timings.join('\n  ')}`);
      if (cache && cache !== process.env.TINY_E2E_CACHE && !process.env.TINY_KEEP) await rm(cache, { recursive: true, force: true });
    });

    it(
      'webserver boots to init from the ext2 disk with -m 16M and reports MemTotal and MemFree',
      async () => {
        const t0 = Date.now();
        const r = await tiny(['boot', '--config', 'webserver', '--tree', resolve(TREE!), '--mem', '16M', '--json'], { env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' } });
        timings.push(`webserver boot -m 16M (with the build when not cached): ${((Date.now() - t0) / 1000).toFixed(0)}s`);
        expect(r.code, r.stdout + r.stderr.slice(-4000)).toBe(0);
        const j = expectJsonOutput('boot', r.stdout) as unknown as {
          key: string;
          toggle: string;
          root: { kind: string };
          boot: { booted: boolean; banner: string; mem_total_kib: number; mem_free_kib: number; to_init_ms: number; total_ms: number };
        };
        timings.push(`  MemTotal ${j.boot.mem_total_kib} kB, MemFree ${j.boot.mem_free_kib} kB, init after ${j.boot.to_init_ms} ms`);
        expect(j.root.kind).toBe('disk');
        expect(j.boot.booted).toBe(true);
        expect(j.boot.banner).toMatch(/^Linux version 2\.6\.9 \(tiny@tiny/);
        expect(j.boot.mem_total_kib).toBeGreaterThan(8 * 1024);
        expect(j.boot.mem_total_kib).toBeLessThan(16 * 1024);
        expect(j.boot.mem_free_kib).toBeGreaterThan(1024);
        expect(j.boot.mem_free_kib).toBeLessThan(j.boot.mem_total_kib);
        const kept = await readBootResults(await openRecordStore(cache), j.key);
        const boot = kept.find((k) => k.kind === 'boot' && k.memKiB === 16384 && k.limit === 'machine');
        expect(boot).toMatchObject({ booted: true, memFreeKiB: j.boot.mem_free_kib, root: { kind: 'disk' } });
        // What 2.6.9 itself said: the PIIX driver found hda, ext2 mounted it read-only, init ran.
        const consoleText = (boot as { console: string[] }).console.join('\n');
        expect(consoleText).toContain('VFS: Mounted root (ext2 filesystem) readonly.');
        expect(consoleText).toContain('tiny-init: meminfo end');
      },
      SLOW,
    );

    it(
      'webserver --http: the probe brings eth0 up on the NE2000 card and serves its page and /proc/meminfo to the host',
      async () => {
        const t0 = Date.now();
        const r = await tiny(['boot', '--config', 'webserver', '--tree', resolve(TREE!), '--mem', '16M', '--http', '--json'], { env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' } });
        timings.push(`webserver boot -m 16M --http: ${((Date.now() - t0) / 1000).toFixed(0)}s`);
        expect(r.code, r.stdout + r.stderr.slice(-4000)).toBe(0);
        const j = expectJsonOutput('boot', r.stdout) as unknown as { key: string; boot: { http: { served: boolean; round_trips_ms: number[]; mem_free_kib: number; page_bytes: number } } };
        expect(j.boot.http).toMatchObject({ served: true, requests: 4, nic: { device: 'ne2k_pci', kconfig: 'NE2K_PCI' }, guest_address: '10.0.2.15' });
        expect(j.boot.http.round_trips_ms).toHaveLength(3);
        expect(j.boot.http.mem_free_kib).toBeGreaterThan(1024);
        const served = (await readBootResults(await openRecordStore(cache), j.key)).find((k) => k.kind === 'boot' && k.http !== undefined);
        expect(served).toMatchObject({ booted: true, memKiB: 16384, http: { served: true, memFreeKiB: j.boot.http.mem_free_kib } });
        // The kernel's own words: the card found, the probe's requests as it saw them.
        const consoleText = (served as { console: string[] }).console.join('\n');
        expect(consoleText).toContain('tiny-init: http listening on 10.0.2.15:80');
        expect(consoleText).toContain('tiny-init: http served GET /restart HTTP/1.1');
        timings.push(`  round trips ${j.boot.http.round_trips_ms.join('/')} ms, MemFree while serving ${j.boot.http.mem_free_kib} kB`);
      },
      SLOW,
    );
  });
}
