// The flagship gate: webserver-tiny on the unmodified Linux 2.6.9 (TINY_TREE_2_6; by default the
// shared tarball next to the project, see test/global-setup.ts), built in the gcc-12-i386 podman
// container and booted the 2004 way, with mem= in a bigger machine.
//
//   tiny build --config webserver-tiny --only base,queue,all-off
//   tiny boot  --config webserver-tiny --limit kernel --machine-mem 16M --mem 2M
//   tiny boot  ... --http                (serves a page over its NE2000 card with mem=2M)
//   tiny boot  ... --find-min-mem --http (the smallest mem= that still serves HTTP)
//
// configs/webserver-tiny.yaml's budget (bzImage <= 301K with xz, Linux 0.99pl15's) makes `tiny build` exit 1
// when the kernel grows past it, and this test fails with it. The figures of this run (bzImage
// bytes, MemFree at mem=2M, the HTTP round trip, the smallest mem= that serves) go to <TINY_E2E_CACHE>/figures/flagship.json,
// which `npm test` prints at the end of its run. diff-vmlinux then compares this run's vmlinux
// files (same cache).

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defaultToolchainsDir, ensureImage, loadToolchain } from '../../src/toolchain/index.js';
import { budgetsForBase } from '../../src/budget/index.js';
import { loadBuildConfig } from '../../src/kbuild/buildconfig.js';
import { run } from '../../src/util/exec.js';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { podman, skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const SLOW = 60 * 60_000;
const TREE = TREE_2_6;
const { skipWhy: podmanSkipWhy } = await podman();
const qemu = await run('qemu-system-i386', ['--version'], { allowFail: true }).catch(() => undefined);
const skipWhy = !TREE
  ? 'TINY_TREE_2_6 is not set and ../shared/kernels/linux-2.6.9.tar.xz is not there (an unmodified Linux 2.6.9 tree or tarball)'
  : !existsSync(join(TREE, 'Makefile'))
    ? `TINY_TREE_2_6=${TREE} is not a kernel tree`
    : (podmanSkipWhy ?? (qemu?.code !== 0 ? 'qemu-system-i386 is not installed; fix: apt-get install -y qemu-system-x86' : undefined));

/** The budget the configuration itself declares for the flagship's base: the gate is the configuration's, not the test's. */
const budget = budgetsForBase((await loadBuildConfig(REPO, 'webserver-tiny')).budgets, '2.6.9').limits.bzImage;

if (skipWhy) {
  if (process.env.CI) throw new Error(`flagship-2.6 cannot run in CI: ${skipWhy}`);
  skippedSuite('flagship-2.6', 'the 2.6.9 flagship: webserver-tiny', skipWhy);
} else {
  describe('the 2.6.9 flagship: webserver-tiny built under its budget and booted with mem=2M', () => {
    const cache = process.env.TINY_E2E_CACHE!;
    const env = { TINY_CACHE: cache, TINY_RUNTIME: 'podman' };
    const figures: Record<string, unknown> = { config: 'webserver-tiny', tree: TREE };
    const save = async () => {
      await mkdir(join(cache, 'figures'), { recursive: true });
      await writeFile(join(cache, 'figures', 'flagship.json'), JSON.stringify(figures, null, 2) + '\n');
    };
    /** `tiny boot` of the queue point with mem=2M in a 16M machine (2004's "boots with mem=2M"), plus `extra`: its JSON. */
    const bootWithMem2M = async (extra: string[]): Promise<unknown> => {
      const r = await tiny(['boot', '--config', 'webserver-tiny', '--tree', resolve(TREE!), '--limit', 'kernel', '--machine-mem', '16M', '--mem', '2M', ...extra, '--json'], { env });
      expect(r.code, r.stdout + r.stderr.slice(-4000)).toBe(0);
      return expectJsonOutput('boot', r.stdout);
    };

    beforeAll(async () => {
      const tc = await loadToolchain(defaultToolchainsDir(), 'gcc-12-i386');
      await ensureImage(tc, createRuntime('podman'), { onLog: (l) => console.log(`image: ${l}`) });
    }, SLOW);

    it(
      'tiny build --only base,queue,all-off: all three built, the queue point within the bzImage budget',
      async () => {
        expect(budget, 'configs/webserver-tiny.yaml declares a bzImage budget for 2.6.9').toBeDefined();
        const t0 = Date.now();
        const r = await tiny(['build', '--config', 'webserver-tiny', '--tree', resolve(TREE!), '--only', 'base,queue,all-off', '--json'], { env });
        figures.build_seconds = Math.round((Date.now() - t0) / 1000);
        const j = (r.stdout ? expectJsonOutput('build', r.stdout) : {}) as unknown as {
          toggles?: Array<{ toggle: string; status: string; dec: number; artifacts: Record<string, { bytes: number }> }>;
        };
        const queue = j.toggles?.find((t) => t.toggle === 'queue');
        if (queue) Object.assign(figures, { bzimage_bytes: queue.artifacts.bzImage?.bytes, dec: queue.dec, budget_bzimage_bytes: budget! });
        await save();
        // Exit 1 is how `tiny build` says a budget was exceeded: the gate.
        expect(r.code, `tiny build exited ${r.code}:\n${r.stderr.slice(-4000)}`).toBe(0);
        expect(j.toggles!.map((t) => [t.toggle, t.status === 'built' || t.status === 'cached'])).toEqual([
          ['base', true],
          ['queue', true],
          ['all-off', true],
        ]);
        console.log(`flagship: webserver-tiny bzImage ${queue!.artifacts.bzImage!.bytes} bytes (budget ${budget}), dec ${queue!.dec}`);
        expect(queue!.artifacts.bzImage!.bytes).toBeLessThanOrEqual(budget!);
      },
      SLOW,
    );

    it(
      'tiny boot --limit kernel --machine-mem 16M --mem 2M: reaches init and reads /proc/meminfo',
      async () => {
        const j = (await bootWithMem2M([])) as { boot: { booted: boolean; limit: string; mem_total_kib: number; mem_free_kib: number } };
        expect(j.boot).toMatchObject({ booted: true, limit: 'kernel' });
        expect(j.boot.mem_total_kib).toBeLessThan(2048);
        Object.assign(figures, { mem_2m: { mem_total_kib: j.boot.mem_total_kib, mem_free_kib: j.boot.mem_free_kib } });
        await save();
        console.log(`flagship: boots with mem=2M, MemTotal ${j.boot.mem_total_kib} kB, MemFree ${j.boot.mem_free_kib} kB`);
      },
      SLOW,
    );

    it(
      'tiny boot --http with mem=2M: the probe serves its page over the NE2000 card, fetched through a loopback port',
      async () => {
        const j = (await bootWithMem2M(['--http'])) as {
          boot: { booted: boolean; qemu: { argv: string[] }; http: { served: boolean; nic: { device: string }; requests: number; round_trips_ms: number[]; mem_free_kib: number } };
        };
        expect(j.boot.booted).toBe(true);
        expect(j.boot.http).toMatchObject({ served: true, nic: { device: 'ne2k_pci' }, requests: 4 });
        // Only the guest's port 80, only on the host's loopback.
        expect(j.boot.qemu.argv.join(' ')).toMatch(/-netdev user,id=n0,restrict=on,hostfwd=tcp:127\.0\.0\.1:\d+-:80 -device ne2k_pci,netdev=n0/);
        expect(j.boot.http.mem_free_kib).toBeLessThan(2048);
        Object.assign(figures, { http_2m: { round_trips_ms: j.boot.http.round_trips_ms, mem_free_kib: j.boot.http.mem_free_kib } });
        await save();
        console.log(`flagship: serves HTTP with mem=2M, round trips ${j.boot.http.round_trips_ms.join('/')} ms, MemFree ${j.boot.http.mem_free_kib} kB while serving`);
      },
      SLOW,
    );

    it(
      "tiny boot --kmalloc with mem=2M: the allocation census of the queue point's accounting variant, callers resolved with its System.map",
      async () => {
        const j = (await bootWithMem2M(['--kmalloc'])) as {
          toggle: string;
          boot: {
            booted: boolean;
            kmalloc: {
              total: number;
              slack: number;
              net: number;
              allocs: number;
              frees: number;
              caller_count: number;
              lost_callers: number;
              callers: Array<{ caller: string; net: number; total: number }>;
            };
          };
        };
        expect(j.toggle).toBe('queue');
        expect(j.boot.booted).toBe(true);
        const k = j.boot.kmalloc;
        expect(k.total).toBeGreaterThan(0);
        expect(k.net).toBeLessThanOrEqual(k.total);
        expect(k.slack).toBeGreaterThanOrEqual(0);
        expect(k.lost_callers).toBe(0);
        expect(k.callers).toHaveLength(k.caller_count);
        // Every caller is a symbol of this kernel plus an offset, and the table adds up to the totals.
        for (const c of k.callers) expect(c.caller).toMatch(/^[A-Za-z_][\w.]*\+0x[0-9a-f]+$/);
        expect(k.callers.reduce((a, c) => a + c.total, 0)).toBe(k.total);
        expect(k.callers.map((c) => c.caller)).toContainEqual(expect.stringMatching(/^dup_task_struct\+/));
        Object.assign(figures, { kmalloc_2m: { total: k.total, net: k.net, slack: k.slack, allocs: k.allocs, callers: k.caller_count } });
        await save();
        console.log(`flagship: kmalloc census at mem=2M: ${k.total} bytes in ${k.allocs} kmallocs from ${k.caller_count} callers, ${k.net} held, slack ${k.slack}`);
      },
      SLOW,
    );

    it(
      'tiny boot --find-min-mem --http from mem=2M: the smallest mem= that still serves HTTP, and 4K less does not',
      async () => {
        const j = (await bootWithMem2M(['--find-min-mem', '--http'])) as {
          min_mem: { min_kib: number; fails_kib: number; step_kib: number; limit: string; serves_http: boolean; at_min: { mem_total_kib: number; mem_free_kib: number; http_mem_free_kib: number } };
        };
        expect(j.min_mem).toMatchObject({ limit: 'kernel', step_kib: 4, serves_http: true });
        expect(j.min_mem.min_kib).toBeLessThanOrEqual(2048);
        expect(j.min_mem.fails_kib).toBe(j.min_mem.min_kib - 4);
        expect(j.min_mem.at_min.mem_total_kib).toBeLessThan(j.min_mem.min_kib);
        Object.assign(figures, {
          min_mem_kib: j.min_mem.min_kib,
          min_mem_serves_http: true,
          at_min_mem_free_kib: j.min_mem.at_min.mem_free_kib,
          at_min_http_mem_free_kib: j.min_mem.at_min.http_mem_free_kib,
        });
        await save();
        console.log(
          `flagship: smallest mem=${j.min_mem.min_kib}K that serves HTTP (MemFree ${j.min_mem.at_min.mem_free_kib} kB at init, ${j.min_mem.at_min.http_mem_free_kib} kB while serving; ${j.min_mem.fails_kib}K fails)`,
        );
      },
      SLOW,
    );
  });
}
