// `tiny build` and `tiny rebuild` as a user runs them (bin/tiny.js over dist/), on the fake
// kernel with the host runtime: the table, JSON, --only, the build lock, Ctrl-C and resuming,
// bad input (unknown configuration, a symbol the tree does not have), budgets, rebuild.

import { spawn } from 'node:child_process';
import { cp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TINY_BIN, tempCache, tiny, type CliResult } from '../helpers/cli.js';
import { expectContract, expectJsonOutput } from '../helpers/json-contract.js';

const FIX = 'test/fixtures/build';
const QUEUE = ['--queue', `${FIX}/fake-queue`, '--runtime', 'host'];
const FAKE = ['build', '--config', `${FIX}/configs/fake-tiny.yaml`, ...QUEUE];

function spawnTiny(args: string[], env: NodeJS.ProcessEnv): { done: Promise<CliResult>; child: ReturnType<typeof spawn>; stderr: () => string } {
  const child = spawn(process.execPath, [TINY_BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + 2 : 1), stdout, stderr })));
  return { done, child, stderr: () => stderr };
}

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tiny build (CLI, fake kernel, host runtime)', () => {
  let cache: string;
  let tmp: string;
  beforeAll(async () => {
    cache = await tempCache('tiny-build-cli-');
    tmp = await tempCache('tiny-build-cfg-');
  });
  afterAll(async () => {
    await rm(cache, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  });

  it('prints a size table per toggle and exits 0', async () => {
    const r = await tiny(FAKE, { env: { TINY_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^tiny build fake-tiny: 0\.0 \(tree [0-9a-f]{12}\), gcc-12-i386 host:[0-9a-f]{7} on host \(not hermetic\)$/);
    expect(lines[2]).toMatch(/^toggle\s+text\s+data\s+bss\s+dec\s+vmlinux\s+bzImage\s+Δdec queue\s+Δdec base\s+status\s+time$/);
    expect(lines.slice(3, 9).map((l) => l.split(/\s+/)[0])).toEqual(['base', 'queue', 'all-off', 'flip:banner-option', 'without:banner-option', 'without:panic-reason']);
    expect(r.stdout).toMatch(/^queue\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+0\s+\+\d+\s+built/m);
    expect(r.stdout).toMatch(/^6 toggles: 5 built, 1 cached, 0 failed in /m);
    // progress (not a TTY: one plain line per state change) went to stderr
    expect(r.stderr).toMatch(/\[COMPLETED\] queue\s+built/);
  });

  it('--json gives size(1) names, sha256 of every artifact and the record key; a re-run is all cached', async () => {
    const t0 = Date.now();
    const r = await tiny([...FAKE, '--json'], { env: { TINY_CACHE: cache } });
    const ms = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    const j = expectJsonOutput('build', r.stdout) as {
      ok: boolean;
      toggles: Array<{ status: string; text: number; data: number; bss: number; dec: number; key: string; sha256: Record<string, string>; lane: number | null }>;
    };
    expect(j.ok).toBe(true);
    for (const t of j.toggles) {
      expect(t.status).toBe('cached');
      expect(t.lane).toBeNull(); // served from the store: no lane built it
      expect(t).toHaveProperty('text');
      expect(t.text + t.data + t.bss).toBe(t.dec);
      expect(t.key).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(t.sha256).sort()).toEqual(['.config', 'bzImage', 'vmlinux']);
    }
    expect(ms).toBeLessThan(10_000);
  });

  it('--only runs one toggle (a flip computes the defaults first) and keeps the latest-run index', async () => {
    const r = await tiny([...FAKE, '--only', 'flip:banner-option', '--json'], { env: { TINY_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).toggles.map((t: { toggle: string }) => t.toggle)).toEqual(['flip:banner-option']);
    const idx = JSON.parse(await import('node:fs/promises').then((f) => f.readFile(join(cache, 'runs', 'fake-tiny.json'), 'utf8')));
    expectContract('run-index', idx);
    expect(idx.toggles.map((t: { toggle: string }) => t.toggle)).toEqual(['base', 'queue', 'all-off', 'flip:banner-option', 'without:banner-option', 'without:panic-reason']);
    const bad = await tiny([...FAKE, '--only', 'flip:nope'], { env: { TINY_CACHE: cache } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--only: unknown toggle flip:nope');
  });

  it("--only after the queue changed: the previous run's other toggles leave the latest-run index", async () => {
    // The same queue with one patch's description changed: every toggle's inputs differ.
    const queue = join(tmp, 'changed-queue');
    await cp(`${FIX}/fake-queue`, queue, { recursive: true });
    const yaml = join(queue, 'queue.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('path: ../../fakelinux', `path: ${join(REPO, 'test/fixtures/fakelinux')}`));
    const patch = join(queue, 'patches', 'panic-reason.patch');
    await writeFile(patch, (await readFile(patch, 'utf8')).replace(/^(Subject: .*)$/m, '$1 (reworded)'));
    const r = await tiny(['build', '--config', `${FIX}/configs/fake-tiny.yaml`, '--queue', queue, '--runtime', 'host', '--only', 'queue'], { env: { TINY_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('tiny: the last run of fake-tiny was made from another queue, configuration or toolchain: its other toggles leave the latest-run index');
    const idx = JSON.parse(await readFile(join(cache, 'runs', 'fake-tiny.json'), 'utf8'));
    expect(idx.toggles.map((t: { toggle: string }) => t.toggle)).toEqual(['queue']);
    // Back to the fixture queue: a full run makes the whole index again.
    expect((await tiny(FAKE, { env: { TINY_CACHE: cache } })).code).toBe(0);
  });

  it('tiny rebuild reproduces a record and says so per artifact', async () => {
    const j = JSON.parse((await tiny([...FAKE, '--json'], { env: { TINY_CACHE: cache } })).stdout);
    const key = j.toggles.find((t: { toggle: string }) => t.toggle === 'queue').key as string;
    const r = await tiny(['rebuild', key.slice(0, 10), '--queue', `${FIX}/fake-queue`], { env: { TINY_CACHE: cache } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^vmlinux\s+[0-9a-f]{64}\s+[0-9a-f]{64}\s+same$/m);
    expect(r.stdout).toMatch(/^bzImage\s+[0-9a-f]{64}\s+[0-9a-f]{64}\s+same$/m);
    expect(r.stdout).toContain('same: every artifact rebuilt bit for bit');
    const rj = await tiny(['rebuild', key, '--queue', `${FIX}/fake-queue`, '--json'], { env: { TINY_CACHE: cache } });
    expect(rj.code, rj.stderr).toBe(0);
    expect(expectJsonOutput('rebuild', rj.stdout)).toMatchObject({ schema_version: 1, key, toggle: 'queue', same: true, error: null });
    const none = await tiny(['rebuild', 'ffffffff'], { env: { TINY_CACHE: cache } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no record ffffffff');
  });

  it('a second tiny build on the same cache waits for the first (or fails at once with --no-wait)', async () => {
    const lockCache = await tempCache('tiny-build-lock-');
    try {
      const a = spawnTiny([...FAKE], { TINY_CACHE: lockCache });
      await until(() => /\[STARTED\] queue/.test(a.stderr()));
      // The first build is stopped (SIGSTOP to its process group) while it holds the lock: the
      // fake kernel builds in about a second, which a second tiny could otherwise miss.
      process.kill(-a.child.pid!, 'SIGSTOP');
      const nowait = await tiny([...FAKE, '--no-wait'], { env: { TINY_CACHE: lockCache } });
      expect(nowait.code).toBe(1);
      expect(nowait.stderr).toMatch(/another tiny build \(process \d+\) is using the cache/);
      const b = spawnTiny([...FAKE, '--json'], { TINY_CACHE: lockCache });
      await until(() => /waiting for it to finish/.test(b.stderr()));
      process.kill(-a.child.pid!, 'SIGCONT');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.code, rb.stderr).toBe(0);
      expect(rb.stderr).toMatch(/another tiny build \(process \d+\) is using the cache .*: waiting for it to finish/);
      // the second ran after the first: everything was in the store by then
      expect(JSON.parse(rb.stdout).toggles.every((t: { status: string }) => t.status === 'cached')).toBe(true);
    } finally {
      await rm(lockCache, { recursive: true, force: true });
    }
  }, 120_000);

  it('Ctrl-C stops after the running toggle, keeps the store consistent, and the next run resumes', async () => {
    const c = await tempCache('tiny-build-int-');
    try {
      const a = spawnTiny([...FAKE], { TINY_CACHE: c });
      // A loaded machine (the whole suite in parallel) can take minutes for the fake builds.
      let ended = false;
      void a.done.then(() => (ended = true));
      await until(() => {
        if (/\[COMPLETED\] flip:banner-option/.test(a.stderr())) return true;
        if (ended) throw new Error(`the build ended before flip:banner-option completed:\n${a.stderr().slice(-3000)}`);
        return false;
      }, 200_000);
      process.kill(-a.child.pid!, 'SIGINT'); // the terminal signals the whole process group
      const ra = await a.done;
      expect(ra.code).toBe(130);
      expect(ra.stderr).toContain('tiny: interrupted: run `tiny build` again to resume');
      expect(ra.stdout).toMatch(/^queue\s.*\sbuilt\s/m);
      expect(ra.stdout).toMatch(/interrupted/);
      // no half-written record: only complete record directories (and an empty temp dir)
      expect(await readdir(join(c, 'records', '.tmp'))).toEqual([]);
      const rb = await tiny([...FAKE, '--json'], { env: { TINY_CACHE: c } });
      expect(rb.code, rb.stderr).toBe(0);
      const st = Object.fromEntries(JSON.parse(rb.stdout).toggles.map((t: { toggle: string; status: string }) => [t.toggle, t.status]));
      expect(st.queue).toBe('cached');
      expect(st['flip:banner-option']).toBe('cached');
      expect(Object.values(st)).toContain('built');
    } finally {
      await rm(c, { recursive: true, force: true });
    }
  }, 300_000);

  it('an unknown configuration lists the known ones', async () => {
    const r = await tiny(['build', '--config', 'webservr', ...QUEUE], { env: { TINY_CACHE: cache } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tiny: unknown configuration 'webservr'");
    expect(r.stderr).toMatch(/hint: did you mean 'webserver'\? known configurations: .*webserver/);
  });

  it('a symbol the tree does not have fails every toggle with a clear message', async () => {
    await mkdir(join(tmp, 'configs'), { recursive: true });
    const file = join(tmp, 'configs', 'fake-nope.yaml');
    await writeFile(file, 'name: fake-nope\ntoolchain: gcc-12-i386\narch: i386\nkconfig:\n  base: defconfig\n  fragment:\n    NOPE: y\ntargets: [vmlinux]\n');
    const r = await tiny(['build', '--config', file, ...QUEUE], { env: { TINY_CACHE: cache } });
    expect(r.code).toBe(1);
    // Said once for the toggles failing alike: "base, queue, ...: FAILED: ...".
    expect(r.stderr).toMatch(/^(?:\S+, )*queue(?:, \S+)*: FAILED: 1 requested Kconfig symbol did not survive defconfig \+ fragment: NOPE$/m);
    expect(r.stderr).toMatch(/CONFIG_NOPE is not defined in this tree/);
    expect(r.stdout).toMatch(/^base\s.*failed/m);
  });

  it('a budget over its limit fails the run, naming it', async () => {
    await mkdir(join(tmp, 'configs'), { recursive: true });
    const file = join(tmp, 'configs', 'fake-budget.yaml');
    await writeFile(
      file,
      'name: fake-budget\ntoolchain: gcc-12-i386\narch: i386\nkconfig:\n  base: defconfig\n  fragment:\n    EXPERT: y\n    PRINTK: y\ntargets: [vmlinux, bzImage]\nbudgets:\n  dec: 1000\n  min_saving_per_patch: 4K\n',
    );
    const r = await tiny(['build', '--config', file, ...QUEUE, '--json'], { env: { TINY_CACHE: cache } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^tiny: budget exceeded \(configuration fake-budget on [\d.]+\):\n  ✗ dec [\d,]+ bytes > budget 1,000 by [\d,]+ bytes in toggle queue\n/m);
    expect(r.stderr).toMatch(/^  ✗ patch banner-option saves \d+ bytes \(dec, flip:banner-option vs queue: option off vs on\) < min_saving_per_patch 4K \(4,096\) by [\d,]+ bytes$/m);
    const j = expectJsonOutput('build', r.stdout) as { ok: boolean; budgets: { failures: Array<{ budget: string; patch: string | null }> } };
    expect(j.ok).toBe(false);
    expect(j.budgets.failures.map((f) => `${f.budget} ${f.patch}`)).toEqual(['dec null', 'min_saving_per_patch banner-option', 'min_saving_per_patch panic-reason']);
  });
});
