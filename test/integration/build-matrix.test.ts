// The build matrix on the fake kernel (test/fixtures/fakelinux) with the host runtime: the
// fake queue in test/fixtures/build/fake-queue (an option patch whose default is a no-op, a
// plain code patch, and a patch that breaks the build, selected by the guard `broken`).

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareMatrix, type Prepared } from '../../src/matrix/setup.js';
import { kconfigLaneDirs, laneDirs, MatrixRunner, type ToggleEvent, type ToggleResult } from '../../src/matrix/run.js';
import { displayOrder } from '../../src/matrix/plan.js';
import { readArtifact } from '../../src/store/index.js';
import { buildSizeReport } from '../../src/report/size-report.js';
import { countStatus, renderFailures, toRows } from '../../src/matrix/report.js';
import { sha256 } from '../../src/util/fs.js';
import type { ContainerSession, RunSpec, SessionSpec } from '../../src/toolchain/runtime.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/build');

async function prepare(cache: string, config: string): Promise<Prepared> {
  return prepareMatrix({ root: FIX, config, queueDir: join(FIX, 'fake-queue'), cacheDir: cache, runtime: 'host', jobs: 2 });
}

async function runAll(p: Prepared, events: ToggleEvent[] = []): Promise<Map<string, ToggleResult>> {
  const runner = new MatrixRunner(p.setup, p.plan, { onEvent: (e) => events.push(e) });
  const results = await runner.runAll(p.plan.toggles);
  return new Map(results.map((r) => [r.toggle.name, r]));
}

const dec = (r: ToggleResult | undefined) => r?.record?.measurement?.size.dec;

/** Two fresh caches, a plain run's and the run under test's, removed afterwards. */
async function withTwoCaches(name: string, fn: (plainCache: string, own: string) => Promise<void>): Promise<void> {
  const plainCache = await tempDir('tiny-matrix-plain-');
  const own = await tempDir(`tiny-matrix-${name}-`);
  try {
    await fn(plainCache, own);
  } finally {
    await rm(plainCache, { recursive: true, force: true });
    await rm(own, { recursive: true, force: true });
  }
}

describe('tiny build matrix on the fake kernel (host runtime)', () => {
  let cache: string;
  beforeAll(async () => {
    cache = await tempDir('tiny-matrix-');
  });
  afterAll(async () => {
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  it('plans the toggles of a 2-patch queue, queue point first and base last', async () => {
    const p = await prepare(cache, 'fake-tiny');
    expect(p.plan.toggles.map((t) => t.name)).toEqual(['queue', 'flip:banner-option', 'all-off', 'without:banner-option', 'without:panic-reason', 'base']);
    expect(displayOrder(p.plan.toggles).map((t) => t.name)).toEqual(['base', 'queue', 'all-off', 'flip:banner-option', 'without:banner-option', 'without:panic-reason']);
    expect(p.setup.runtime.hermetic).toBe(false);
  });

  it('configures every toggle first, builds the same .config once and the rest in the order that changes least', async () => {
    const own = await tempDir('tiny-matrix-order-');
    try {
      const p = await prepare(own, 'fake-tiny');
      const runner = new MatrixRunner(p.setup, p.plan);
      const order = await runner.buildOrder(p.plan.toggles);
      // The queue point first; all-off (the one option off: flip:banner-option's .config) right
      // after the flip it equals, served; the flip's without: twin next (the same files).
      expect(order.map((t) => t.name)).toEqual(['queue', 'flip:banner-option', 'all-off', 'without:banner-option', 'base', 'without:panic-reason']);
      const results = [];
      for (const t of order) results.push(await runner.runToggle(t));
      const by = new Map(results.map((r) => [r.toggle.name, r]));
      expect(results.filter((r) => r.status === 'built').map((r) => r.toggle.name)).toEqual(['queue', 'flip:banner-option', 'without:banner-option', 'base', 'without:panic-reason']);
      expect(by.get('all-off')).toMatchObject({ status: 'cached', sameAs: 'flip:banner-option', key: by.get('flip:banner-option')!.key });
      const rows = toRows(results);
      expect(rows.find((r) => r.toggle === 'all-off')!.sameAs).toBe('flip:banner-option');
      // Every toggle says where its time went; Kconfig ran ahead of the builds and still counts.
      for (const r of results) expect(r.timings!.total).toBeGreaterThanOrEqual(r.timings!.kconfig);
      expect(by.get('queue')!.timings!.kconfig).toBeGreaterThan(0);
      expect(by.get('queue')!.timings!.make).toBeGreaterThan(0);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('on the host, where make may write into the worktree, a toggle at the commit its lane just built gets the tree as committed', () =>
    withTwoCaches('tampered', async (plainCache, own) => {
      const plain = await prepare(plainCache, 'fake-tiny');
      const plainRunner = new MatrixRunner(plain.setup, plain.plan);
      const [queue, flip] = (await plainRunner.buildOrder(plain.plan.toggles)).slice(0, 2);
      expect([queue!.name, flip!.name]).toEqual(['queue', 'flip:banner-option']);
      await plainRunner.runToggle(queue!);
      const expected = await plainRunner.runToggle(flip!);

      const p = await prepare(own, 'fake-tiny');
      const runner = new MatrixRunner(p.setup, p.plan);
      const order = await runner.buildOrder(p.plan.toggles);
      expect(await runner.runToggle(order[0]!)).toMatchObject({ status: 'built', lane: 0 });
      // What a build that writes into its source tree would leave: 4 KB more in .data.
      const printk = join(laneDirs(p.setup, 0).src, 'kernel/printk.c');
      await writeFile(printk, `${await readFile(printk, 'utf8')}char left_by_a_build[4096] = { 1 };\n`);
      const got = await runner.runToggle(order[1]!);
      expect(got).toMatchObject({ status: 'built', lane: 0, key: expected.key });
      expect(dec(got)).toBe(dec(expected));
      expect(await readFile(printk, 'utf8')).not.toContain('left_by_a_build');
    }));

  it('with a head start, the first toggle builds while the others are configured in the Kconfig lane: the same order, records and sizes', () =>
    withTwoCaches('head-start', async (plainCache, own) => {
      const plain = await prepare(plainCache, 'fake-tiny');
      const plainRunner = new MatrixRunner(plain.setup, plain.plan);
      const plainResults = [];
      for (const t of await plainRunner.buildOrder(plain.plan.toggles)) plainResults.push(await plainRunner.runToggle(t));

      const p = await prepare(own, 'fake-tiny');
      const events: ToggleEvent[] = [];
      const runner = new MatrixRunner(p.setup, p.plan, { headStart: true, onEvent: (e) => events.push(e) });
      const order = await runner.buildOrder(p.plan.toggles);
      expect(order.map((t) => t.name)).toEqual(['queue', 'flip:banner-option', 'all-off', 'without:banner-option', 'base', 'without:panic-reason']);
      // The queue point was building before the others were configured: its build began before
      // the last Kconfig did.
      const queueBuilding = events.findIndex((e) => e.toggle.name === 'queue' && e.state === 'building');
      const lastConfig = events.findLastIndex((e) => e.state === 'config');
      expect(queueBuilding).toBeGreaterThanOrEqual(0);
      expect(queueBuilding).toBeLessThan(lastConfig);
      // The others were configured in the Kconfig lane, never in lane 0, where the queue point built.
      expect(events.filter((e) => e.state === 'config' && e.toggle.name !== 'queue').every((e) => e.lane === -1)).toBe(true);
      expect(existsSync(join(kconfigLaneDirs(p.setup).build, '.config'))).toBe(true);
      // The Kconfig lane holds what Kconfig reads, not the code (but for the files its moves
      // changed: init/main.c and kernel/panic.c, which the patches touch).
      expect(existsSync(join(kconfigLaneDirs(p.setup).src, 'init/Kconfig'))).toBe(true);
      expect(existsSync(join(kconfigLaneDirs(p.setup).src, 'kernel/printk.c'))).toBe(false);
      expect(existsSync(join(kconfigLaneDirs(p.setup).src, 'net/socket.c'))).toBe(false);

      const results = [];
      for (const t of order) results.push(await runner.runToggle(t));
      expect(results.map((r) => [r.toggle.name, r.status])).toEqual(plainResults.map((r) => [r.toggle.name, r.status]));
      expect(results.map((r) => r.key)).toEqual(plainResults.map((r) => r.key));
      expect(results.map(dec)).toEqual(plainResults.map(dec));
      // The head start's own run: built once, its events replayed to whoever runs it.
      expect(results[0]).toMatchObject({ status: 'built', lane: 0 });
      expect(events.filter((e) => e.toggle.name === 'queue' && e.state === 'built').length).toBeGreaterThanOrEqual(1);
      await runner.close();
    }));

  it('with container sessions, a cache that never ran Kconfig starts the Kconfig lane and lane 0 at once; a re-run served from the store starts none', async () => {
    const own = await tempDir('tiny-matrix-sessions-');
    try {
      // The host runtime has no containers: sessions that record their starts and run each
      // command as the host runtime would.
      const opened: string[] = [];
      const commands: string[] = [];
      const withSessions = (p: Prepared): Prepared => {
        const host = p.setup.runtime;
        host.openSession = (spec: SessionSpec): ContainerSession => ({
          name: spec.name,
          starts: { count: 0, ms: 0 },
          open: async () => {
            // Whether any patch series was made yet (the store's memo of applied patches).
            const series = existsSync(join(own, 'trees.git', 'tiny', 'series')) ? 'a series made' : 'no series made';
            opened.push(`${spec.name}: ${commands.length} commands run, ${series}`);
          },
          run: (s: RunSpec) => {
            commands.push(s.cmd.join(' '));
            return host.runInContainer(s);
          },
          close: async () => {},
        });
        return p;
      };
      const run = async () => {
        const p = withSessions(await prepare(own, 'fake-tiny'));
        const runner = new MatrixRunner(p.setup, p.plan, { headStart: true, sessions: true });
        const results = [];
        for (const t of await runner.buildOrder(p.plan.toggles)) results.push(await runner.runToggle(t));
        await runner.close();
        return results;
      };

      const cold = await run();
      expect(cold.filter((r) => r.status === 'built').length).toBe(5);
      // Both started before the first toggle's patch series was made, and so before any command.
      expect(opened).toHaveLength(2);
      for (const o of opened) expect(o).toMatch(/: 0 commands run, no series made$/);
      expect(commands.length).toBeGreaterThan(0);

      opened.length = 0;
      commands.length = 0;
      const again = await run();
      expect(again.map((r) => r.status)).toEqual(cold.map(() => 'cached'));
      expect(opened).toEqual([]);
      expect(commands).toEqual([]);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('builds every toggle; the no-op point costs nothing, the flip saves bytes', async () => {
    const p = await prepare(cache, 'fake-tiny');
    const events: ToggleEvent[] = [];
    const r = await runAll(p, events);
    for (const [name, res] of r) expect(res.status, `${name}: ${res.error ?? ''} ${res.details?.join('\n') ?? ''}`).toMatch(/built|cached/);
    // all-off has one option to flip: the same inputs as flip:banner-option, served from the store.
    expect(r.get('all-off')!.status).toBe('cached');
    expect(r.get('all-off')!.key).toBe(r.get('flip:banner-option')!.key);

    // The option at its default (y) keeps the kernel as it was.
    expect(dec(r.get('queue'))).toBe(dec(r.get('without:banner-option')));
    expect(dec(r.get('without:panic-reason'))).toBe(dec(r.get('base')));
    expect(r.get('queue')!.record!.measurement!.sha256.vmlinux).toBe(r.get('without:banner-option')!.record!.measurement!.sha256.vmlinux);
    // The plain patch adds a string; flipping BANNER to n drops one.
    expect(dec(r.get('queue'))!).toBeGreaterThan(dec(r.get('base'))!);
    expect(dec(r.get('flip:banner-option'))!).toBeLessThan(dec(r.get('queue'))!);

    // Sizes come from the real vmlinux: text + data + bss = dec, and its sha256 is stored.
    const q = r.get('queue')!.record!;
    const s = q.measurement!.size;
    expect(s.text + s.data + s.bss).toBe(s.dec);
    const vmlinux = await readArtifact(p.setup.records, q, 'vmlinux');
    expect(sha256(vmlinux!)).toBe(q.measurement!.sha256.vmlinux);
    expect(q.inputs.env).toMatchObject({
      KBUILD_BUILD_USER: 'tiny',
      KBUILD_BUILD_HOST: 'tiny',
      KBUILD_BUILD_TIMESTAMP: 'Sat Feb  3 00:00:00 UTC 2001',
      SOURCE_DATE_EPOCH: '981158400',
      LC_ALL: 'C',
      TZ: 'UTC',
    });
    expect(q.hermetic).toBe(false);
    expect(q.inputs.runtime).toBe('host');
    // flip toggles record the option's flipped value in their .config
    const flipCfg = await readArtifact(p.setup.records, r.get('flip:banner-option')!.record!, 'config');
    expect(flipCfg!.toString()).toMatch(/^# CONFIG_BANNER is not set$/m);
    expect((await readArtifact(p.setup.records, q, 'config'))!.toString()).toMatch(/^CONFIG_BANNER=y$/m);

    const states = events.filter((e) => e.toggle.name === 'queue').map((e) => e.state);
    expect(states[0]).toBe('queued');
    expect(states).toContain('building');
    expect(states.at(-1)).toBe('built');
  });

  it('serves a second run entirely from the store, without running make', async () => {
    const p = await prepare(cache, 'fake-tiny');
    const events: ToggleEvent[] = [];
    const t0 = Date.now();
    const r = await runAll(p, events);
    const ms = Date.now() - t0;
    expect([...r.values()].map((x) => x.status)).toEqual(p.plan.toggles.map(() => 'cached'));
    expect(events.some((e) => e.state === 'building' || e.state === 'config')).toBe(false);
    expect(ms).toBeLessThan(5000);
  });

  it('finds each stored toggle from the memo alone (storedRecord: what tiny boot uses without the lock)', async () => {
    const p = await prepare(cache, 'fake-tiny');
    const events: ToggleEvent[] = [];
    const runner = new MatrixRunner(p.setup, p.plan, { onEvent: (e) => events.push(e) });
    const served = await runAll(p);
    for (const t of p.plan.toggles) expect((await runner.storedRecord(t))?.key, t.name).toBe(served.get(t.name)!.key);
    expect(events).toEqual([]);
    // An empty cache has nothing stored: undefined, and still no make.
    const fresh = await tempDir('tiny-matrix-fresh-');
    try {
      const q = await prepare(fresh, 'fake-tiny');
      const r2 = new MatrixRunner(q.setup, q.plan, { onEvent: (e) => events.push(e) });
      expect(await r2.storedRecord(q.plan.toggles.find((t) => t.name === 'flip:banner-option')!)).toBeUndefined();
      expect(events).toEqual([]);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it("flips the configuration's own symbols (kconfig.flips) against the queue point, and reports what each is worth", async () => {
    const p = await prepare(cache, 'fake-flips');
    expect(p.plan.toggles.map((t) => t.name)).toEqual(expect.arrayContaining(['config:INET', 'config:IPV6']));
    const r = await runAll(p);
    const flip = r.get('config:INET')!;
    // (the same .config as fake-tiny's queue point, built earlier in this cache: served from the store)
    expect(flip.status, flip.error).toMatch(/^(built|cached)$/);
    // INET: n at the queue point (the fragment); the toggle turns it on and is bigger for it.
    const cfg = (await readArtifact(p.setup.records, flip.record!, 'config'))!.toString();
    expect(cfg).toContain('CONFIG_INET=y');
    expect(dec(flip)).toBeGreaterThan(dec(r.get('queue'))!);
    // IPV6 depends on INET: hidden at the queue point, so its flip cannot change anything.
    const hidden = r.get('config:IPV6')!;
    expect(hidden.status).toBe('not-applicable');
    expect(hidden.error).toBe("CONFIG_IPV6 is not in the queue point's .config: Kconfig hides it there (its dependencies are off), so flipping it alone changes nothing");
    const rows = toRows([...r.values()]);
    expect(renderFailures(rows)).toContain('config:IPV6: not applicable: CONFIG_IPV6 is not in the queue point');
    expect(countStatus(rows)).toMatchObject({ failed: 0, 'not-applicable': 1 });

    const built = [...r.values()].filter((x) => x.record);
    const report = buildSizeReport({ config: 'fake-flips', run: { startedAt: 'x' }, toggles: built.map((x) => ({ toggle: x.toggle.name, key: x.key!, status: x.record!.status, record: x.record! })) });
    expect(report.configFlips.map((c) => c.symbol)).toEqual(['INET']);
    expect(report.configFlips[0]!.saves!.dec).toBe(dec(flip)! - dec(r.get('queue'))!);
  });

  it('two lanes build the same toggles into the same records, each lane in its own directories', async () => {
    const other = await tempDir('tiny-matrix-lanes-');
    try {
      const one = await runAll(await prepare(cache, 'fake-tiny'));
      const p = await prepareMatrix({ root: FIX, config: 'fake-tiny', queueDir: join(FIX, 'fake-queue'), cacheDir: other, runtime: 'host', jobs: 1, lanes: 2 });
      const events: ToggleEvent[] = [];
      const two = await runAll(p, events);
      for (const [name, r] of two) {
        expect(r.status, `${name}: ${r.error ?? ''}`).toMatch(/built|cached/);
        expect(r.key).toBe(one.get(name)!.key);
        expect(r.record!.measurement!.sha256.vmlinux).toBe(one.get(name)!.record!.measurement!.sha256.vmlinux);
      }
      expect(new Set(events.filter((e) => e.state === 'building').map((e) => e.lane))).toEqual(new Set([0, 1]));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a patch that breaks compilation fails its toggles with the first error and stops nothing else', async () => {
    const p = await prepare(cache, 'fake-broken');
    const r = await runAll(p);
    expect(r.get('queue')!.status).toBe('failed');
    expect(r.get('queue')!.error).toMatch(/init\/main\.c:\d+:\d+: .*expected expression/);
    expect(r.get('queue')!.firstError?.file).toBe('init/main.c');
    expect(r.get('without:broken')!.status).toMatch(/built|cached/);
    expect(r.get('base')!.status).toMatch(/built|cached/);
  });
});
