#!/usr/bin/env node
// Benchmark: tiny's queue commands on Debian's real 6.1 series (debian/patches, ~165 patches)
// against the native tools doing the same job, every leg repeated in one run:
//
//   tar -x                 plain `tar -xf` of the orig tarball
//   tar -x + quilt push -a a patched tree from the tarball, the native way
//   tiny import            tiny's first import of the tarball into a fresh cache's tree store
//   tiny import (shared)   the same in a second fresh cache that borrows the first one's tree
//                          store (TINY_SHARED_TREES): nothing is imported again
//   tiny apply --out cold  `tiny queue apply --out DIR` with a fresh cache: import, every patch
//                          as a commit, the tree checked out — the same product as tar + quilt
//   tiny apply --out warm  the same again on that cache into a new directory (base imported,
//                          commits memoized): the checkout
//   quilt push -a          applying alone, on an extracted tree
//   tiny check cold (dir)  `tiny queue check --tree DIR` (order + alone + reverse + pairs) with a
//                          fresh cache, on the tree tar -x just extracted (before quilt patches
//                          it): the directory hashed in memory, not imported
//   tiny check cold        the same from the queue's base source, the tarball: its decompression
//                          included
//   tiny check warm        the same check again
//
// Like is compared with like: tar + quilt against apply --out (a patched tree from a tarball),
// tar against import, quilt push against check from the extracted tree, tar + quilt against
// check from the tarball (check does three times quilt's work: in order, alone and reversed,
// plus pairs). Every leg runs --repeat N times (default 3), after a `sync` (untimed): min and
// median, and the load average before and after each leg. Nothing is removed until the end
// (about 7 GB a repeat): ext4 makes new files slowly for minutes after many were deleted (its
// inode allocator skips recently freed inodes, reading their blocks: `recently_deleted` was over
// half of the CPU of a checkout right after a 6.1 tree was removed, 28 s against 12 s), and the
// legs would each pay for the one before. quilt is I/O-bound and suffers most from a
// loaded machine: read the load beside every figure.
//
// Usage: node bench/queue-check.mjs [--repeat N] [--record results/bench-queue-check.json]
//        (after `npm run build` and scripts/setup.sh)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuClock, median, settle, settleDiskAtStart, waitForSettledDisk, writeBenchRecord } from './record.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const REPEAT = Math.max(1, Number(arg('--repeat', '3')));
const SRC = process.env.TINY_DEBIAN_SRC ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tiny-src');
const orig = readdirSync(SRC).find((f) => /^linux_6\.1\.\d+\.orig\.tar\.xz$/.test(f));
if (!orig) throw new Error(`no linux_6.1.*.orig.tar.xz in ${SRC}: run scripts/setup.sh`);
const version = orig.match(/linux_(6\.1\.\d+)/)[1];
const patches = join(SRC, 'debian', 'patches');
const work = mkdtempSync(join(tmpdir(), 'tiny-bench-qc-'));
const tinyArgs = (args) => [join(REPO, 'bin/tiny.js'), ...args];

const load = () => loadavg()[0].toFixed(1);
const legs = {};
/** Busy CPU seconds of each leg's repeats (cpuClock), beside their wall times. */
const cpu = {};
const loadAtStart = loadavg();
const loads = [];
function timed(leg, rep, fn) {
  // Every leg starts with nothing left to write back: a leg that writes a tree (tar -x, a
  // checkout) leaves about 1.3 GB of dirty pages, which slow the next leg's writes.
  settle();
  const l0 = load();
  const c0 = cpuClock();
  const t0 = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = c0 === undefined ? undefined : cpuClock() - c0;
  legs[leg] ??= [];
  legs[leg].push(s);
  if (c !== undefined) {
    cpu[leg] ??= [];
    cpu[leg].push(c);
  }
  loads.push(`${leg}#${rep} ${l0}->${load()}`);
  console.log(`[${rep}/${REPEAT}] ${leg.padEnd(26)} ${s.toFixed(2).padStart(8)} s${c === undefined ? '' : `, CPU ${c.toFixed(1).padStart(5)} s`}   (load ${l0} -> ${load()})`);
  return { s, cpu: c };
}
/** Where a cold apply's time went, from its `--timings` line (src/report/apply-timings.ts). */
let applyPhases;
function phasesOfApply(stderr) {
  const m = /timings: base ([\d.]+) s, series ([\d.]+) s, checkout ([\d.]+) s( \(beside the series\))?(?:, move ([\d.]+) s)?; total ([\d.]+) s/.exec(stderr);
  // A changed line must not leave the record without its phases unnoticed.
  if (!m) throw new Error(`tiny queue apply --timings printed no timings line the benchmark can read:\n${stderr}`);
  return [
    { name: 'the base imported', s: Number(m[1]) },
    { name: 'the patch series', s: Number(m[2]) },
    { name: m[4] ? 'the checkout, beside the series' : 'the checkout', s: Number(m[3]) },
    ...(m[5] !== undefined ? [{ name: 'the move to the top commit', s: Number(m[5]) }] : []),
    { name: 'the whole apply', s: Number(m[6]) },
  ];
}
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r;
}

try {
  const series = execFileSync('grep', ['-cv', '^\\s*\\(#\\|$\\)', join(patches, 'series')])
    .toString()
    .trim();
  console.log(`bench/queue-check: Debian linux ${version}, ${series} patches, ${REPEAT} repeats; ${new Date().toISOString()}`);
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n`,
  );
  const queue = join(work, 'queue');
  sh('node', tinyArgs(['queue', 'import-quilt', patches, '--out', queue, '--base-version', version, '--base-source', join(SRC, orig)]), {
    env: { ...process.env, TINY_CACHE: join(work, 'cache-import-quilt') },
  });
  rmSync(join(work, 'cache-import-quilt'), { recursive: true, force: true });

  // The import alone (the tree store's API: no command imports without doing more).
  const importScript = `import { resolveSource } from '${REPO}/dist/source/index.js';
    import { openTreeStore, importBase } from '${REPO}/dist/tree/index.js';
    const store = await openTreeStore(process.env.TINY_CACHE);
    const src = await resolveSource({ kind: 'tarball', path: '${join(SRC, orig)}' }, { cacheDir: process.env.TINY_CACHE });
    await importBase(store, src, { version: '${version}' });`;

  console.log(waitForSettledDisk(work));
  console.log(`${settleDiskAtStart([join(SRC, orig)])}\n`);
  for (let rep = 1; rep <= REPEAT; rep++) {
    const dir = join(work, `r${rep}`);
    mkdirSync(dir);
    const env = (name) => ({ ...process.env, TINY_CACHE: join(dir, name) });

    // The native way: a patched tree from the tarball.
    const tarDir = join(dir, 'tar');
    mkdirSync(tarDir);
    const tar = timed('tar -x', rep, () => sh('tar', ['-xf', join(SRC, orig), '-C', tarDir]));
    const quiltTree = join(tarDir, readdirSync(tarDir)[0]);
    timed('tiny check cold (dir)', rep, () => sh('node', tinyArgs(['queue', 'check', '--queue', queue, '--tree', quiltTree, '--json']), { env: env('cache-check-dir') }));
    const quilt = timed('quilt push -a', rep, () => sh('quilt', ['push', '-a', '-q'], { cwd: quiltTree, env: { ...process.env, QUILT_PATCHES: patches } }));
    legs['tar -x + quilt push -a'] ??= [];
    legs['tar -x + quilt push -a'].push(tar.s + quilt.s);
    if (tar.cpu !== undefined) {
      cpu['tar -x + quilt push -a'] ??= [];
      cpu['tar -x + quilt push -a'].push(tar.cpu + quilt.cpu);
    }

    timed('tiny import (cold cache)', rep, () => sh('node', ['--input-type=module', '-e', importScript], { env: env('cache-import') }));
    // A second cache sharing the first one's tree store (TINY_SHARED_TREES): the import is borrowed.
    timed('tiny import (shared store)', rep, () => sh('node', ['--input-type=module', '-e', importScript], { env: { ...env('cache-import-2'), TINY_SHARED_TREES: join(dir, 'cache-import') } }));

    timed('tiny apply --out (cold)', rep, () => {
      const r = sh('node', tinyArgs(['queue', 'apply', '--queue', queue, '--out', join(dir, 'applied-cold'), '--timings']), { env: env('cache-apply') });
      applyPhases = phasesOfApply(r.stderr.toString());
    });
    // Warm: the same cache (base imported, commits memoized), a new output directory.
    timed('tiny apply --out (warm)', rep, () => sh('node', tinyArgs(['queue', 'apply', '--queue', queue, '--out', join(dir, 'applied-warm')]), { env: env('cache-apply') }));

    timed('tiny check cold (tarball)', rep, () => sh('node', tinyArgs(['queue', 'check', '--queue', queue, '--json']), { env: env('cache-check') }));
    timed('tiny check (warm)', rep, () => sh('node', tinyArgs(['queue', 'check', '--queue', queue, '--json']), { env: env('cache-check') }));
  }

  if (applyPhases) console.log(`\nthe last cold apply (--timings): ${applyPhases.map((p) => `${p.name} ${p.s.toFixed(2)} s`).join(', ')}`);
  console.log(`\nsummary (${REPEAT} repeats)`);
  for (const [leg, xs] of Object.entries(legs))
    console.log(
      `  ${leg.padEnd(26)} min ${Math.min(...xs)
        .toFixed(2)
        .padStart(7)} s  median ${median(xs).toFixed(2).padStart(7)} s${cpu[leg] ? `  CPU (median) ${median(cpu[leg]).toFixed(1).padStart(6)} s` : ''}`,
    );
  const m = (leg) => median(legs[leg]);
  const ratios = [
    { name: 'tiny apply --out cold / (tar -x + quilt push -a)', value: m('tiny apply --out (cold)') / m('tar -x + quilt push -a'), goal: '<= 1.0' },
    { name: 'tiny apply --out warm / (tar -x + quilt push -a)', value: m('tiny apply --out (warm)') / m('tar -x + quilt push -a') },
    { name: 'tiny import / tar -x', value: m('tiny import (cold cache)') / m('tar -x'), goal: '<= 1.1' },
    { name: 'tiny import, second cache sharing the store / tar -x', value: m('tiny import (shared store)') / m('tar -x') },
    { name: 'quilt push -a / tiny check warm (check: order + alone + reverse + pairs)', value: m('quilt push -a') / m('tiny check (warm)'), goal: '>= 3' },
    { name: 'tiny check cold from the extracted tree / quilt push -a', value: m('tiny check cold (dir)') / m('quilt push -a'), goal: '<= 2' },
    { name: 'tiny check cold from the tarball / (tar -x + quilt push -a)', value: m('tiny check cold (tarball)') / m('tar -x + quilt push -a') },
    // The work each does, whatever runs beside what: on N cores no leg takes less than its CPU / N.
    ...(cpu['tiny apply --out (cold)']
      ? [{ name: 'CPU time: tiny apply --out cold / (tar -x + quilt push -a)', value: median(cpu['tiny apply --out (cold)']) / median(cpu['tar -x + quilt push -a']) }]
      : []),
  ];
  console.log('\nratios (medians of one run)');
  for (const r of ratios) console.log(`  ${r.name.padEnd(50)} ${r.value.toFixed(2)}x${r.goal ? `   (goal ${r.goal})` : ''}`);
  const recordTo = arg('--record', undefined);
  if (recordTo) {
    writeBenchRecord(recordTo, {
      kind: 'bench-queue-check',
      command: `node bench/queue-check.mjs --repeat ${REPEAT}`,
      legs,
      cpu,
      ratios,
      loadAtStart,
      ...(applyPhases ? { phases: applyPhases, phasesOf: 'the last cold `tiny queue apply --out`' } : {}),
    });
  }
  console.log(`\nload average (1 min) before -> after each leg: ${loads.join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
