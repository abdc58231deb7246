// tiny build end to end on Linux 2.6.9 (TINY_TREE_2_6 = an unmodified tree, never written to)
// with the product's queue: configs/allnoconfig.yaml and configs/webserver.yaml built in the
// gcc-12-i386 podman container with the compat series (queue/queue.yaml, guard +compat-gcc12,
// which both configurations take as part of their base). allnoconfig's base, built in two
// fresh cache directories, gives the same vmlinux and bzImage, byte for byte, and a third
// cache that starts with the second's ccache compiles nothing itself, and a fourth with ccache
// off (--no-ccache) gives the same key and bytes and leaves its ccache empty; webserver's
// base and queue point (in the run's shared cache, where boot-2.6 built the queue point) have
// the same size: the queue with every option at its default is a no-op. Two lanes give the
// bytes one lane gives, the second lane starting from a copy of the first build, and a toggle
// that lane built incrementally rebuilds clean to the same bytes. A run after a patch edit starts
// where the last one left its lane (at a flip of CC_OPTIMIZE_FOR_SIZE: that flip first).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRecords, openRecordStore } from '../../src/store/index.js';
import { createRuntime, defaultToolchainsDir, ensureImage, loadToolchain } from '../../src/toolchain/index.js';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { podman, skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const SLOW = 90 * 60_000;
const TREE = TREE_2_6;
const queueText = readFileSync(join(REPO, 'queue/queue.yaml'), 'utf8');
const hasCompat = /^\s*-\s*name:\s*compat-/m.test(queueText) && /\+compat/.test(queueText);
const { probe, skipWhy: podmanSkipWhy } = await podman();
const skipWhy = !TREE
  ? 'TINY_TREE_2_6 is not set (an unmodified Linux 2.6.9 tree, e.g. ~/.cache/tiny-trees/linux-2.6.9)'
  : !existsSync(join(TREE, 'Makefile'))
    ? `TINY_TREE_2_6=${TREE} is not a kernel tree`
    : !hasCompat
      ? 'queue/queue.yaml has no compat series yet (patches guarded +compat): 2.6.9 does not build with gcc 12 without it'
      : podmanSkipWhy;

interface JsonToggle {
  toggle: string;
  status: string;
  key: string;
  text: number;
  data: number;
  bss: number;
  dec: number;
  sha256: Record<string, string>;
  duration_ms: number;
  error: string | null;
  lane: number | null;
  run_order: number;
}

/** Objects a toggle's make compiled in a cache (its log's `  CC ` lines): what Kbuild found out of date. */
const compiledIn = (cache: string, config: string, toggle: string) =>
  readFileSync(join(cache, 'logs', config, `${toggle.replace(/[^A-Za-z0-9._+-]/g, '_')}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('  CC ')).length;

if (skipWhy) {
  skippedSuite('build-2.6', 'tiny build on Linux 2.6.9', skipWhy);
} else {
  describe('tiny build on Linux 2.6.9 with the compat series (podman, gcc-12-i386)', () => {
    const caches: string[] = [];
    const timings: string[] = [];
    const build = async (config: string, cache: string, only: string, extra: string[] = []) => {
      const t0 = Date.now();
      const r = await tiny(['build', '--config', config, '--tree', resolve(TREE!), '--only', only, '--json', ...extra], { env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' } });
      timings.push(`${config} in ${cache}: ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      expect(r.code, r.stderr.slice(-4000)).toBe(0);
      return expectJsonOutput('build', r.stdout) as unknown as { toggles: JsonToggle[]; runtime: string; hermetic: boolean };
    };

    beforeAll(async () => {
      if (!probe.usable) throw new Error(`podman is required in CI: ${probe.detail}`);
      const tc = await loadToolchain(defaultToolchainsDir(), 'gcc-12-i386');
      await ensureImage(tc, createRuntime('podman'), { onLog: (l) => console.log(`image: ${l}`) });
      caches.push(await mkdtemp(join(tmpdir(), 'tiny-e2e-build26a-')), await mkdtemp(join(tmpdir(), 'tiny-e2e-build26b-')));
    }, SLOW);

    afterAll(async () => {
      if (timings.length) console.log(`tiny build on 2.6.9:\n  ${timings.join('\n  ')}`);
      if (!process.env.TINY_KEEP) for (const c of caches) await rm(c, { recursive: true, force: true });
    });

    let first: JsonToggle | undefined;
    /** The bench matrix's five toggles built in two lanes (the seeded lane's records are checked clean below). */
    let twoLanes: { cache: string; json: { toggles: JsonToggle[] } } | undefined;

    it(
      'allnoconfig: the base with the compat series builds and measures',
      async () => {
        const j = await build('allnoconfig', caches[0]!, 'base');
        expect(j.runtime).toBe('podman');
        expect(j.hermetic).toBe(true);
        const base = j.toggles.find((t) => t.toggle === 'base')!;
        expect(base.status, base.error ?? '').toBe('built');
        expect(base.text + base.data + base.bss).toBe(base.dec);
        expect(base.dec).toBeGreaterThan(500_000);
        expect(base.sha256.vmlinux).toMatch(/^[0-9a-f]{64}$/);
        expect(base.sha256.bzImage).toMatch(/^[0-9a-f]{64}$/);
        first = base;
      },
      SLOW,
    );

    it(
      'allnoconfig again in another cache directory: the same vmlinux and bzImage, byte for byte',
      async () => {
        const j = await build('allnoconfig', caches[1]!, 'base');
        const base = j.toggles.find((t) => t.toggle === 'base')!;
        expect(base.status).toBe('built'); // a fresh cache: really built again
        expect(base.key).toBe(first!.key);
        expect(base.sha256.vmlinux).toBe(first!.sha256.vmlinux);
        expect(base.sha256.bzImage).toBe(first!.sha256.bzImage);
      },
      SLOW,
    );

    it(
      "allnoconfig in a third cache that starts with the second's ccache: built again, every compilation a ccache hit",
      async () => {
        const third = await mkdtemp(join(tmpdir(), 'tiny-e2e-build26c-'));
        caches.push(third);
        await cp(join(caches[1]!, 'ccache'), join(third, 'ccache'), { recursive: true });
        const j = await build('allnoconfig', third, 'base');
        const base = j.toggles.find((t) => t.toggle === 'base')!;
        expect(base.status).toBe('built');
        expect(base.sha256.bzImage).toBe(first!.sha256.bzImage);
        const [record] = await listRecords(await openRecordStore(third), { config: 'allnoconfig' });
        const stats = record!.ccache!.stats;
        // A date in autoconf.h, which every object includes, made all but a handful miss
        // (compat-kconfig-notimestamp). Kbuild's few objects without it are hits either way.
        expect(stats.hits, JSON.stringify(stats)).toBeGreaterThanOrEqual(Math.floor(stats.calls * 0.95));
        expect(stats.calls).toBeGreaterThan(100);
      },
      SLOW,
    );

    it(
      'allnoconfig with --no-ccache in a fourth cache: built again with ccache off, the same key and bytes, nothing in its ccache',
      async () => {
        const fourth = await mkdtemp(join(tmpdir(), 'tiny-e2e-build26d-'));
        caches.push(fourth);
        const j = await build('allnoconfig', fourth, 'base', ['--no-ccache']);
        const base = j.toggles.find((t) => t.toggle === 'base')!;
        expect(base.status).toBe('built');
        expect(base.key).toBe(first!.key);
        expect(base.sha256.vmlinux).toBe(first!.sha256.vmlinux);
        expect(base.sha256.bzImage).toBe(first!.sha256.bzImage);
        const [record] = await listRecords(await openRecordStore(fourth), { config: 'allnoconfig' });
        expect(record!.ccache).toBeUndefined();
        const left = (await readdir(join(fourth, 'ccache'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile());
        expect(left.map((e) => e.name)).toEqual([]);
      },
      SLOW,
    );

    it(
      'webserver: every requested symbol survives, base and queue build, and the queue point costs nothing',
      async () => {
        const j = await build('webserver', process.env.TINY_E2E_CACHE ?? caches[0]!, 'base,queue');
        const base = j.toggles.find((t) => t.toggle === 'base')!;
        const queue = j.toggles.find((t) => t.toggle === 'queue')!;
        expect(
          [base.status, queue.status].every((s) => s === 'built' || s === 'cached'),
          `${base.error ?? ''} ${queue.error ?? ''}`,
        ).toBe(true);
        expect(base.dec).toBeGreaterThan(first!.dec); // TCP/IP, IDE, ext2, a NIC and a serial console on top of allnoconfig
        // Every linux-tiny option at its default (y): the same text, data and bss as 2.6.9 itself.
        expect([queue.text, queue.data, queue.bss]).toEqual([base.text, base.data, base.bss]);
      },
      SLOW,
    );

    it(
      'two lanes: the second starts from a copy of the first build, compiles only what its toggles change, and gives the bytes one lane gives',
      async () => {
        const only = 'queue,flip:elf-core,without:elf-core,flip:dmi,without:dmi';
        const bench = [
          'build',
          '--config',
          join(REPO, 'test/fixtures/build/configs/bench-webserver.yaml'),
          '--queue',
          join(REPO, 'test/fixtures/build/bench-2.6'),
          '--tree',
          resolve(TREE!),
          '--only',
          only,
          '--json',
        ];
        const buildIn = async (lanes: number) => {
          const cache = await mkdtemp(join(tmpdir(), `tiny-e2e-lanes${lanes}-`));
          caches.push(cache);
          const t0 = Date.now();
          const r = await tiny([...bench, '--lanes', String(lanes)], { env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' } });
          timings.push(`bench-webserver (${only}) in ${lanes} lane(s): ${((Date.now() - t0) / 1000).toFixed(0)}s`);
          expect(r.code, r.stderr.slice(-4000)).toBe(0);
          // The seeded lane's index refresh, run beside its builds, finished before the run did.
          expect(r.stderr).not.toContain('index.lock');
          const admins = join(cache, 'trees.git', 'worktrees');
          expect(readdirSync(admins).filter((w) => existsSync(join(admins, w, 'index.lock')))).toEqual([]);
          return { cache, json: expectJsonOutput('build', r.stdout) as unknown as { toggles: JsonToggle[] } };
        };
        const one = await buildIn(1);
        const two = await buildIn(2);
        twoLanes = two;
        const lane1 = join(two.cache, 'builds', 'bench-webserver-2.6.9-lane1');
        expect(existsSync(join(lane1, 'vmlinux')), 'lane 1 was seeded and built in').toBe(true);
        const compiled = (cache: string, toggle: string) => compiledIn(cache, 'bench-webserver', toggle);
        for (const t of two.json.toggles) {
          expect(t.status, `${t.toggle}: ${t.error ?? ''}`).toBe('built');
          const same = one.json.toggles.find((x) => x.toggle === t.toggle)!;
          expect(t.key).toBe(same.key);
          expect(t.sha256.vmlinux, `${t.toggle}: vmlinux`).toBe(same.sha256.vmlinux);
          expect(t.sha256.bzImage, `${t.toggle}: bzImage`).toBe(same.sha256.bzImage);
          // The queue point is the one full build (335 objects); no other toggle compiles more
          // than its options' objects, in either lane: the seeded lane did not build everything again.
          if (t.toggle !== 'queue') expect(compiled(two.cache, t.toggle), t.toggle).toBeLessThan(20);
        }
        expect(compiled(two.cache, 'queue')).toBeGreaterThan(300);
        // Kconfig's host programs came from the Kconfig lane, which had built them for the same
        // tree: the first build compiled none of them again, and made the same bytes.
        const queueLog = readFileSync(join(two.cache, 'logs', 'bench-webserver', 'queue.log'), 'utf8');
        expect(queueLog).not.toMatch(/HOSTCC +scripts\/basic\/fixdep|HOSTLD +scripts\/kconfig\/conf/);
        expect(queueLog).toMatch(/HOSTCC +scripts\/kallsyms/);

        // A cache whose lane 0 was built by an earlier run of one toggle (lane 1 left alone:
        // nothing to seed it for), then the five: lane 1 starts from lane 0's directory, whose
        // objects are older than lane 1's checkout, and still compiles only what changes.
        const later = await mkdtemp(join(tmpdir(), 'tiny-e2e-lanes-later-'));
        caches.push(later);
        await cp(join(one.cache, 'ccache'), join(later, 'ccache'), { recursive: true });
        const env = { TINY_CACHE: later, TINY_RUNTIME: 'podman' };
        const first = await tiny([...bench.map((a) => (a === only ? 'queue' : a)), '--lanes', '2'], { env });
        expect(first.code, first.stderr.slice(-4000)).toBe(0);
        expect(existsSync(join(later, 'worktrees', 'bench-webserver-2.6.9-lane1')), 'one toggle: no second lane checked out').toBe(false);
        const rest = await tiny([...bench, '--lanes', '2'], { env });
        expect(rest.code, rest.stderr.slice(-4000)).toBe(0);
        expect(existsSync(join(later, 'builds', 'bench-webserver-2.6.9-lane1', 'vmlinux'))).toBe(true);
        for (const t of (expectJsonOutput('build', rest.stdout) as unknown as { toggles: JsonToggle[] }).toggles) {
          expect(t.sha256.vmlinux, `${t.toggle}: vmlinux`).toBe(one.json.toggles.find((x) => x.toggle === t.toggle)!.sha256.vmlinux);
          if (t.toggle !== 'queue') expect(compiled(later, t.toggle), t.toggle).toBeLessThan(20);
        }
      },
      SLOW,
    );

    it(
      'a run begins where the last left its lane: after a patch edit, the lane left at a flip of CC_OPTIMIZE_FOR_SIZE builds that flip first',
      async () => {
        // One lane, the -Os queue point then its -O2 flip: the lane ends with every object
        // compiled -O2. After dmi.patch is edited both build again; the queue point first (the
        // plan's order) would compile everything twice, back to -Os and then to -O2 again.
        const cache = await mkdtemp(join(tmpdir(), 'tiny-e2e-lane-state-'));
        caches.push(cache);
        const root = join(cache, 'edited');
        const editedQueue = join(root, 'test/fixtures/build/bench-2.6');
        await cp(join(REPO, 'test/fixtures/build/bench-2.6'), editedQueue, { recursive: true });
        await symlink(join(REPO, 'queue'), join(root, 'queue'));
        const dmi = join(editedQueue, 'patches/dmi.patch');
        const text = readFileSync(dmi, 'latin1');
        expect(text).toMatch(/^\+#ifdef CONFIG_DMI$/m);
        await writeFile(dmi, text.replace(/^\+#ifdef CONFIG_DMI$/m, '+#ifdef CONFIG_DMI /* the scan */'), 'latin1');
        const flip = 'config:CC_OPTIMIZE_FOR_SIZE';
        const run = async (queue: string) => {
          const t0 = Date.now();
          const args = ['build', '--config', join(REPO, 'test/fixtures/build/configs/bench-os.yaml'), '--queue', queue, '--tree', resolve(TREE!), '--only', `queue,${flip}`, '--lanes', '1', '--json'];
          const r = await tiny(args, { env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' } });
          timings.push(`bench-os (queue, ${flip}) from ${queue === editedQueue ? 'the edited queue' : 'the bench queue'}: ${((Date.now() - t0) / 1000).toFixed(0)}s`);
          expect(r.code, r.stderr.slice(-4000)).toBe(0);
          const toggles = (expectJsonOutput('build', r.stdout) as unknown as { toggles: JsonToggle[] }).toggles;
          for (const t of toggles) expect(t.status, `${t.toggle}: ${t.error ?? ''}`).toBe('built');
          const compiled = (toggle: string) => compiledIn(cache, 'bench-os', toggle);
          return { order: [...toggles].sort((a, b) => a.run_order - b.run_order).map((t) => t.toggle), queue: compiled('queue'), flip: compiled(flip) };
        };
        const cold = await run(join(REPO, 'test/fixtures/build/bench-2.6'));
        expect(cold.order).toEqual(['queue', flip]);
        expect(cold.flip, 'the -O2 flip compiles every object again').toBeGreaterThan(150);
        const next = await run(editedQueue);
        expect(next.order).toEqual([flip, 'queue']);
        expect(next.flip, 'the lane already holds -O2 objects: only the edited file and what links it').toBeLessThan(10);
        expect(next.queue, 'back to -Os: everything, once').toBeGreaterThan(150);
      },
      SLOW,
    );

    it(
      'a record the seeded lane built incrementally is what a clean build gives: tiny rebuild (fresh tree and build directory, no ccache), bit for bit',
      async () => {
        // Lane 1 started from a copy of lane 0's build with its files' times taken over, then
        // built only what its toggles changed: the shortcut whose mistakes would be wrong sizes.
        const { cache, json } = twoLanes!;
        const lastInLane1 = json.toggles
          .filter((t) => t.lane === 1)
          .sort((a, b) => a.run_order - b.run_order)
          .at(-1);
        expect(lastInLane1, JSON.stringify(json.toggles.map((t) => [t.toggle, t.lane, t.run_order]))).toBeDefined();
        const t0 = Date.now();
        const r = await tiny(['rebuild', lastInLane1!.key.slice(0, 12), '--json', '--queue', join(REPO, 'test/fixtures/build/bench-2.6')], {
          env: { TINY_CACHE: cache, TINY_RUNTIME: 'podman' },
        });
        timings.push(`clean rebuild of ${lastInLane1!.toggle} (lane 1): ${((Date.now() - t0) / 1000).toFixed(0)}s`);
        expect(r.code, r.stdout + r.stderr.slice(-3000)).toBe(0);
        const out = expectJsonOutput('rebuild', r.stdout) as unknown as { same: boolean; artifacts: { artifact: string; same: boolean }[] };
        expect(out.artifacts.filter((a) => !a.same).map((a) => a.artifact)).toEqual([]);
        expect(out.same).toBe(true);
        expect(out.artifacts.map((a) => a.artifact)).toEqual(expect.arrayContaining(['vmlinux', 'bzImage', '.config']));
      },
      SLOW,
    );
  });
}
