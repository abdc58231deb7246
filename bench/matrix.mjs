#!/usr/bin/env node
// Benchmark: the build matrix of a 2.6.9 web server (configs/webserver.yaml + EMBEDDED) with
// the bench queue (test/fixtures/build/bench-2.6: the compat series + 4 option patches = 11
// toggles), every leg repeated in one run:
//
//   tiny      `tiny build --timings` with a cold cache (a fresh TINY_CACHE: tree import, Kconfig
//             for every toggle, builds in one reused build dir with ccache, measuring, records)
//   tiny-nocc the same with `--no-ccache`: ccache neither read nor filled, as in the loop (like
//             for like with it)
//   loop      the best hand loop: one tree, one build dir, each distinct build's patched tree
//             checked out in turn (tiny's order), its final .config copied in, `make`
//             incrementally, no ccache — the .configs and trees are given for free (taken from
//             the tiny leg's records). Its make times summed are the floor: what any tool must
//             spend compiling
//   loop+cc   the same loop with ccache as tiny runs it (an empty ccache each repeat, the same
//             settings and probe wrapper): not a goal, it shows what filling the ccache costs
//             (tiny's first make pays it, the loop does not)
//   naive     (--naive K) a clean build per toggle: fresh build dir, no ccache; K toggles built
//             and scaled to all
//   cached    `tiny build` again on the tiny leg's cache: every toggle served from the store
//   edited    then the next run after one patch is edited (a comment added in dmi.patch's hunk of
//             arch/i386/kernel/setup.c: the toggles that apply it build again), on the tiny
//             leg's cache and, with `--no-ccache`, on the tiny-nocc leg's: what the ccache
//             filled in the cold run buys the next one, against what filling it cost
//
// All builds run the same make in the same gcc-12-i386 container (podman), make -jN. Every leg
// runs --repeat N times (default 3); min and median are printed, with the load average before
// and after each leg. The legs alternate: odd repeats run tiny, tiny-nocc, loop, loop+cc, even
// repeats the other way round (with the first repeat's trees and .configs), so a load that rises
// or falls during a run does not always favour the same leg. The machine may be shared: compare
// ratios from one run, never absolute times across runs.
//
// Usage: node bench/matrix.mjs [--repeat N] [--jobs N] [--naive K] [--record results/bench-matrix.json]
// (after `npm run build`; TINY_TREE_2_6 or ~/.cache/tiny-trees/linux-2.6.9)

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuClock, median, settle, waitForSettledDisk, writeBenchRecord } from './record.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const JOBS = Number(arg('--jobs', String(availableParallelism())));
const REPEAT = Math.max(1, Number(arg('--repeat', '3')));
const NAIVE = Number(arg('--naive', '0'));
const TREE = process.env.TINY_TREE_2_6 ?? join(homedir(), '.cache/tiny-trees/linux-2.6.9');
if (!existsSync(join(TREE, 'Makefile'))) throw new Error(`no 2.6.9 tree at ${TREE}: set TINY_TREE_2_6`);

const { openRecordStore, lookup, readArtifact } = await import(`${REPO}/dist/store/index.js`);
const { openTreeStore, materialize, buildSeries, baseCommit } = await import(`${REPO}/dist/tree/index.js`);
const { runKbuild } = await import(`${REPO}/dist/kbuild/make.js`);
const { createRuntime } = await import(`${REPO}/dist/toolchain/runtime.js`);
const { readStoredPatch } = await import(`${REPO}/dist/matrix/memo.js`);
const { ccacheContainer, PROBE_WRAPPER, PROBE_WRAPPER_DIR } = await import(`${REPO}/dist/kbuild/ccache.js`);

const work = mkdtempSync(join(tmpdir(), 'tiny-bench-matrix-'));
const tinyArgsFor = (queue) => ['build', '--config', 'test/fixtures/build/configs/bench-webserver.yaml', '--queue', queue, '--tree', TREE, '--jobs', String(JOBS), '--json', '--timings'];
const tinyArgs = tinyArgsFor('test/fixtures/build/bench-2.6');

const load = () => loadavg()[0].toFixed(1);
const fmt = (s) => (s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);
const min = (xs) => Math.min(...xs);

/**
 * Where the last cold tiny run's time went, summed over its toggles (--timings), and the median
 * overhead of an incremental toggle beyond its make.
 */
function phasesOf(toggles, wall, inToggles, overheads, afterKconfig, lanes) {
  const sum = (field) => toggles.reduce((a, t) => a + (t.timings?.[field] ?? 0), 0) / 1000;
  // In more than one lane the toggles run side by side: their phases add up to more than the wall.
  const summed = lanes > 1 ? `, summed over ${lanes} lanes` : '';
  return [
    { name: 'the whole run (wall)', s: wall },
    { name: `make, all toggles${summed}`, s: sum('make_ms') },
    { name: 'Kconfig, all toggles (after the first, under its build)', s: sum('kconfig_ms') },
    { name: 'patch series, all toggles', s: sum('series_ms') },
    { name: 'worktree moves, all toggles', s: sum('tree_ms') },
    { name: 'measuring, all toggles', s: sum('measure_ms') },
    { name: 'records, all toggles', s: sum('record_ms') },
    // With a head start the toggles' times overlap and can add up to more than the run.
    ...(wall > inToggles ? [{ name: 'outside the toggles (tree import, setup)', s: wall - inToggles }] : []),
    { name: 'an incremental toggle beyond its make (median)', s: median(overheads) },
    { name: 'the same, Kconfig and series left out (median)', s: median(afterKconfig) },
  ];
}

function tiny(args, cache) {
  settle();
  const c0 = cpuClock();
  const t0 = Date.now();
  const r = spawnSync('node', [join(REPO, 'bin/tiny.js'), ...args], {
    cwd: REPO,
    env: { ...process.env, TINY_CACHE: cache, TINY_RUNTIME: 'podman' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
  const s = (Date.now() - t0) / 1000;
  const cpu = c0 === undefined ? undefined : cpuClock() - c0;
  if (r.status !== 0) throw new Error(`tiny ${args.join(' ')} exited ${r.status}:\n${r.stderr.toString().slice(-3000)}`);
  return { s, cpu, json: JSON.parse(r.stdout.toString()) };
}

/** Each distinct build of a tiny run, in its run order: patched commit and final .config. */
async function buildsOf(cache, toggles) {
  const records = await openRecordStore(cache);
  const store = await openTreeStore(cache);
  const out = [];
  const seen = new Set();
  for (const t of [...toggles].sort((a, b) => a.run_order - b.run_order)) {
    if (t.status !== 'built' && t.status !== 'cached') continue;
    if (seen.has(t.key)) continue; // the same .config as an earlier toggle: one build
    seen.add(t.key);
    const rec = await lookup(records, t.key);
    const base = await baseCommit(store, rec.inputs.baseTree, rec.baseVersion ?? '2.6.9');
    const patches = [];
    for (const [i, sha] of rec.inputs.patches.entries())
      patches.push({ name: rec.patches[i].name, text: await readStoredPatch(cache, sha), strip: rec.patches[i].strip ?? 1, reverse: !!rec.patches[i].reverse });
    const series = await buildSeries(store, base, patches);
    out.push({ name: t.toggle, commit: series.commits.at(-1)?.commit ?? base, config: await readArtifact(records, rec, 'config'), rec });
  }
  return { store, builds: out };
}

const legs = { tiny: [], tinynocc: [], loop: [], floor: [], loopcc: [], cached: [], edited: [], editednocc: [], naive: [] };
/** Busy CPU seconds of the legs' repeats (cpuClock): the work each did, beside its wall time. */
const cpu = { tiny: [], tinynocc: [], loop: [], loopcc: [], edited: [], editednocc: [] };
const cpuNote = (c) => (c === undefined ? '' : `, CPU ${fmt(c)}`);
const loadAtStart = loadavg();
const loads = [];
let lastTiny;
let lastLoop;
let lastTinyCompiled = new Map();
let lastTinyWall = 0;
let distinct = 0;

/**
 * A copy of the bench queue with one patch edited as a maintainer edits one: a comment added
 * in dmi.patch's hunk of arch/i386/kernel/setup.c. Every toggle that applies dmi.patch gets a
 * new key and builds again; the others stay cached. The compat series is reached through the
 * queue's own relative paths (a link to the repository's queue/).
 */
function editedQueue(dir) {
  const root = join(dir, 'edited');
  const queue = join(root, 'test/fixtures/build/bench-2.6');
  cpSync(join(REPO, 'test/fixtures/build/bench-2.6'), queue, { recursive: true });
  symlinkSync(join(REPO, 'queue'), join(root, 'queue'));
  const patch = join(queue, 'patches/dmi.patch');
  const text = readFileSync(patch, 'latin1');
  const edited = text.replace(/^\+#ifdef CONFIG_DMI$/m, '+#ifdef CONFIG_DMI /* the scan */');
  if (edited === text) throw new Error(`${patch}: no line "+#ifdef CONFIG_DMI" to edit: the bench's edit no longer fits the patch`);
  writeFileSync(patch, edited, 'latin1');
  return queue;
}

/** Objects a make compiled (its `  CC ` lines): what Kbuild found out of date. */
const compiledIn = (log) =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('  CC ')).length
    : undefined;

/**
 * make in the container as the loop runs it: tiny's make variables and environment, no ccache;
 * or (ccacheDir) with ccache as tiny runs it, in that directory.
 */
function loopMake({ builds }, ccacheDir) {
  const first = builds[0].rec;
  const runtime = createRuntime('podman');
  const vars = { ...first.inputs.makeVariables };
  let benv = first.inputs.env;
  if (ccacheDir) {
    benv = { ...benv, ...ccacheContainer({ ccache: true, image: first.inputs.toolchain.image, hermetic: true, cacheDir: '' }).env };
  } else {
    delete vars.CC; // no ccache
    benv = Object.fromEntries(Object.entries(benv).filter(([k]) => !k.startsWith('CCACHE_')));
  }
  return async (src, build, logFile) => {
    if (ccacheDir) {
      mkdirSync(join(build, PROBE_WRAPPER_DIR), { recursive: true });
      writeFileSync(join(build, PROBE_WRAPPER_DIR, 'ccache'), PROBE_WRAPPER, { mode: 0o755 });
    }
    const t0 = Date.now();
    const r = await runKbuild(
      { runtime, image: first.inputs.toolchain.image, src, build, env: benv, logFile, ...(ccacheDir ? { ccache: ccacheDir } : {}) },
      { vars, targets: ['bzImage'], jobs: JOBS },
    );
    if (r.code !== 0) throw new Error(`make failed (${logFile})`);
    return (Date.now() - t0) / 1000;
  };
}

try {
  console.log(`bench/matrix: Linux 2.6.9 bench-webserver, ${JOBS} make jobs, ${availableParallelism()} cores, ${REPEAT} repeats; ${new Date().toISOString()}`);
  console.log(waitForSettledDisk(work));
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n`,
  );

  // The hand loop, handed tiny's trees and .configs (from the first repeat's records), in tiny's order.
  let given;
  const handLoop = async (rep, dir, withCcache = false) => {
    const { store, builds } = given;
    const ccacheDir = withCcache ? join(dir, 'loop-ccache') : undefined;
    if (ccacheDir) mkdirSync(ccacheDir, { recursive: true });
    const make = loopMake(given, ccacheDir);
    settle();
    const l0 = load();
    const c0 = cpuClock();
    const msrc = join(dir, withCcache ? 'loopcc-src' : 'loop-src');
    const mbuild = join(dir, withCcache ? 'loopcc-build' : 'loop-build');
    mkdirSync(mbuild, { recursive: true });
    const loop = [];
    for (const [i, x] of builds.entries()) {
      const t0 = Date.now();
      await materialize(store, x.commit, msrc, { force: true });
      writeFileSync(join(mbuild, '.config'), x.config);
      const log = join(dir, `${withCcache ? 'loopcc' : 'loop'}-${i}.log`);
      const makeS = await make(msrc, mbuild, log);
      loop.push({ name: x.name, s: (Date.now() - t0) / 1000, make: makeS, compiled: compiledIn(log) });
    }
    const loopS = loop.reduce((a, b) => a + b.s, 0);
    const loopCpu = c0 === undefined ? undefined : cpuClock() - c0;
    if (loopCpu !== undefined) cpu[withCcache ? 'loopcc' : 'loop'].push(loopCpu);
    if (withCcache) {
      legs.loopcc.push(loopS);
      loads.push(['loop+cc', rep, l0, load()]);
      console.log(`[${rep}/${REPEAT}] hand loop with ccache (empty at first): ${fmt(loopS)}${cpuNote(loopCpu)}, its first make ${fmt(loop[0].make)}  (load ${l0} -> ${load()})`);
      return;
    }
    const floorS = loop.reduce((a, b) => a + b.make, 0);
    legs.loop.push(loopS);
    legs.floor.push(floorS);
    loads.push(['loop', rep, l0, load()]);
    lastLoop = loop;
    console.log(`[${rep}/${REPEAT}] hand loop (${builds.length} builds): ${fmt(loopS)}${cpuNote(loopCpu)}, its make alone (the floor) ${fmt(floorS)}  (load ${l0} -> ${load()})`);
  };

  /**
   * A `tiny build` of one leg: timed, its CPU counted, failures fatal. `describe` checks the run
   * further and says more of it on the leg's line.
   */
  const tinyLeg = (rep, leg, label, args, cache, describe = () => '') => {
    const l0 = load();
    const run = tiny(args, cache);
    const failed = run.json.toggles.filter((t) => t.status === 'failed');
    if (failed.length) throw new Error(`${label}: toggles failed: ${failed.map((t) => `${t.toggle}: ${t.error}`).join('; ')}`);
    const more = describe(run);
    legs[leg].push(run.s);
    if (run.cpu !== undefined) cpu[leg].push(run.cpu);
    loads.push([leg, rep, l0, load()]);
    console.log(`[${rep}/${REPEAT}] ${label}: ${fmt(run.s)}${cpuNote(run.cpu)}${more}  (load ${l0} -> ${load()})`);
    return run;
  };
  // tiny --no-ccache: the same work as the tiny leg but for ccache (like the loop).
  const tinyNoCcache = (rep, dir) => tinyLeg(rep, 'tinynocc', 'tiny build --no-ccache, cold cache', [...tinyArgs, '--no-ccache'], join(dir, 'cache-nocc'));

  /** The next run after one patch edited, on a cold leg's cache, in that leg's ccache mode. */
  const editedArgs = tinyArgsFor(editedQueue(work));
  const someRebuilt = (label) => (run) => {
    const by = (status) => run.json.toggles.filter((t) => t.status === status).length;
    if (!by('built') || !by('cached')) throw new Error(`${label}: ${by('built')} toggles built, ${by('cached')} cached: the edit should rebuild some and leave the rest cached`);
    return `, ${by('built')} toggles built again, ${by('cached')} cached`;
  };
  const editedRun = (rep, leg, label, cache, extra) => tinyLeg(rep, leg, label, [...editedArgs, ...extra], cache, someRebuilt(label));
  const editedRuns = (rep, dir) => {
    const withCcache = () => editedRun(rep, 'edited', 'tiny build after one patch edited', join(dir, 'cache'), []);
    const without = () => editedRun(rep, 'editednocc', 'tiny build --no-ccache after one patch edited', join(dir, 'cache-nocc'), ['--no-ccache']);
    if (rep % 2) {
      withCcache();
      without();
    } else {
      without();
      withCcache();
    }
  };

  for (let rep = 1; rep <= REPEAT; rep++) {
    const dir = join(work, `r${rep}`);
    const cache = join(dir, 'cache');
    mkdirSync(dir, { recursive: true });
    const loopFirst = rep % 2 === 0;
    if (loopFirst) {
      await handLoop(rep, dir, true);
      await handLoop(rep, dir);
      tinyNoCcache(rep, dir);
    }

    const cold = tinyLeg(rep, 'tiny', 'tiny build, cold cache', tinyArgs, cache);
    const toggles = cold.json.toggles;
    lastTiny = cold.json;
    const logs = join(cache, 'logs', 'bench-webserver');
    lastTinyCompiled = new Map(toggles.map((t) => [t.toggle, compiledIn(join(logs, `${t.toggle.replace(/[^A-Za-z0-9._+-]/g, '_')}.log`))]));
    lastTinyWall = cold.s;
    writeFileSync(join(dir, 'tiny-cold.json'), JSON.stringify(cold.json, null, 2));

    given ??= await buildsOf(cache, toggles);
    distinct = given.builds.length;
    if (!loopFirst) {
      tinyNoCcache(rep, dir);
      await handLoop(rep, dir);
      await handLoop(rep, dir, true);
    }

    // Cached re-run.
    let l0 = load();
    const again = tiny(tinyArgs, cache);
    if (!again.json.toggles.every((t) => t.status === 'cached')) throw new Error('the second tiny build did not serve every toggle from the store');
    legs.cached.push(again.s);
    loads.push(['cached', rep, l0, load()]);
    console.log(`[${rep}/${REPEAT}] tiny build again, all cached: ${again.s.toFixed(2)}s`);
    editedRuns(rep, dir);

    // Naive: K clean builds, scaled (first repeat only: a clean build is the same every time).
    if (NAIVE > 0 && rep === 1) {
      const { store, builds } = given;
      const make = loopMake(given);
      l0 = load();
      const naive = [];
      for (const x of builds.slice(0, NAIVE)) {
        const src = join(dir, 'naive-src');
        await materialize(store, x.commit, src, { force: true });
        const build = join(dir, `naive-build-${naive.length}`);
        mkdirSync(build, { recursive: true });
        writeFileSync(join(build, '.config'), x.config);
        naive.push(await make(src, build, join(dir, `naive-${naive.length}.log`)));
        rmSync(build, { recursive: true, force: true });
      }
      legs.naive.push((naive.reduce((a, b) => a + b, 0) / naive.length) * builds.length);
      loads.push(['naive', rep, l0, load()]);
      console.log(`[${rep}/${REPEAT}] naive: ${naive.length} clean builds, scaled to ${builds.length}: ${fmt(legs.naive.at(-1))}`);
    }
    // Nothing is removed until the end: ext4 makes new files slowly for minutes after many were
    // deleted (bench/queue-check.mjs says more), and the next repeat's checkouts would pay.
  }

  // Where tiny's time went (the last cold run), and the hand loop's per-build times beside it.
  // cc: objects compiled (make's CC lines): equal counts mean tiny's make did the loop's work.
  console.log(
    `\nper toggle, last repeat (seconds; tiny's overhead = total - make; the loop's = checkout + cp + container start; tiny ran ${lastTiny.lanes} lane${lastTiny.lanes === 1 ? '' : 's'} of make -j${lastTiny.jobs})`,
  );
  const cols = ['series', 'kconfig', 'ctrs/start', 'tree', 'make', 'cc', 'measure', 'record', 'overhead', 'total'];
  console.log(`  ${'toggle'.padEnd(26)} ${cols.map((c) => c.padStart(c === 'ctrs/start' ? 10 : c === 'cc' ? 4 : 7)).join(' ')}   ${'loop make'.padStart(9)} ${'cc'.padStart(4)} ${'loop'.padStart(7)}`);
  const byRun = [...lastTiny.toggles].sort((a, b) => a.run_order - b.run_order);
  const overheads = [];
  const afterKconfig = [];
  let inToggles = 0;
  for (const t of byRun) {
    const tm = t.timings;
    const l = lastLoop.find((x) => x.name === t.toggle);
    if (!tm) continue;
    inToggles += tm.total_ms / 1000;
    const over = (tm.total_ms - tm.make_ms) / 1000;
    if (t.run_order > 0 && t.status === 'built') {
      overheads.push(over);
      // What the toggle adds once its .config is made (Kconfig and the series ran ahead, under
      // the first build with a head start): the worktree moves, container starts, measure, record.
      afterKconfig.push((tm.total_ms - tm.make_ms - tm.kconfig_ms - tm.series_ms) / 1000);
    }
    const s = (ms) => (ms / 1000).toFixed(2).padStart(7);
    const cc = (n) => String(n ?? '-').padStart(4);
    const status = t.same_config_as ? `= ${t.same_config_as}` : t.status;
    console.log(
      `  ${t.toggle.padEnd(26)} ${s(tm.series_ms)} ${s(tm.kconfig_ms)} ${`${tm.containers}/${(tm.container_start_ms / 1000).toFixed(2)}`.padStart(10)} ${s(tm.tree_ms)} ${s(tm.make_ms)} ${cc(t.status === 'built' ? lastTinyCompiled.get(t.toggle) : undefined)} ${s(tm.measure_ms)} ${s(tm.record_ms)} ${over.toFixed(2).padStart(8)} ${s(tm.total_ms)}   ${l ? l.make.toFixed(2).padStart(9) : '        -'} ${cc(l?.compiled)} ${l ? l.s.toFixed(2).padStart(7) : '      -'}  ${status}`,
    );
  }
  const outside = lastTinyWall - inToggles;
  console.log(
    outside >= 0
      ? `  outside the toggles (tree import, setup, index): ${outside.toFixed(2)}s of ${lastTinyWall.toFixed(2)}s`
      : `  the toggles' times add up to ${(-outside).toFixed(2)}s more than the run's ${lastTinyWall.toFixed(2)}s: Kconfig ran under the first build (a head start), and counts in each toggle's total`,
  );

  const row = (label, xs, cs = []) =>
    console.log(`  ${label.padEnd(48)} min ${fmt(min(xs)).padStart(7)}  median ${fmt(median(xs)).padStart(7)}${cs.length ? `  CPU (median) ${fmt(median(cs)).padStart(7)}` : ''}`);
  console.log(`\nsummary (${REPEAT} repeats; ${distinct} distinct builds of ${lastTiny.toggles.length} toggles)`);
  row('tiny build, cold cache (everything included)', legs.tiny, cpu.tiny);
  row('tiny build --no-ccache, cold cache', legs.tinynocc, cpu.tinynocc);
  row('hand loop (incremental make, .configs given)', legs.loop, cpu.loop);
  row("floor: the hand loop's make times summed", legs.floor);
  row('hand loop with ccache (empty at first; not a goal)', legs.loopcc, cpu.loopcc);
  if (legs.naive.length) row('naive: a clean build per toggle (scaled)', legs.naive);
  row('tiny build after one patch edited', legs.edited, cpu.edited);
  row('tiny build --no-ccache after one patch edited', legs.editednocc, cpu.editednocc);
  console.log(`  ${'tiny build again, all cached'.padEnd(48)} min ${min(legs.cached).toFixed(2).padStart(6)}s  median ${median(legs.cached).toFixed(2).padStart(6)}s`);
  console.log(`  incremental toggles' overhead in tiny (last repeat): median ${median(overheads).toFixed(2)}s, max ${Math.max(...overheads).toFixed(2)}s`);
  console.log(`  the same without Kconfig and series (run ahead):    median ${median(afterKconfig).toFixed(2)}s, max ${Math.max(...afterKconfig).toFixed(2)}s`);
  const ccacheCost = median(legs.tiny) - median(legs.tinynocc);
  const ccacheSaves = median(legs.editednocc) - median(legs.edited);
  console.log(
    ccacheSaves > 0
      ? `  the ccache cost the cold run ${fmt(ccacheCost)} and saved the next run ${fmt(ccacheSaves)}`
      : `  the ccache cost the cold run ${fmt(ccacheCost)} and saved the next run nothing (${fmt(-ccacheSaves)} the other way)`,
  );
  const ratios = [
    { name: 'hand loop / tiny cold (>= 1: tiny faster than the loop)', value: median(legs.loop) / median(legs.tiny), goal: '>= 1.0' },
    { name: "tiny cold / floor (the loop's make times summed)", value: median(legs.tiny) / median(legs.floor), goal: '<= 1.15' },
    { name: 'hand loop with ccache / tiny cold (both fill an empty ccache)', value: median(legs.loopcc) / median(legs.tiny) },
    { name: 'hand loop / tiny cold --no-ccache (neither fills a ccache)', value: median(legs.loop) / median(legs.tinynocc) },
    { name: 'tiny cold --no-ccache / floor', value: median(legs.tinynocc) / median(legs.floor) },
    { name: 'after one patch edited: tiny --no-ccache / tiny (> 1: the filled ccache pays on the next run)', value: median(legs.editednocc) / median(legs.edited) },
    // How many such edits the ccache needs to earn back what filling it cost the cold run.
    ...(ccacheSaves > 0 ? [{ name: "the ccache's cost in the cold run / what it saves on the next run", value: ccacheCost / ccacheSaves }] : []),
    ...(legs.naive.length ? [{ name: 'naive (a clean build per toggle) / tiny cold', value: median(legs.naive) / median(legs.tiny) }] : []),
    // The work each does: on N cores no leg takes less wall time than its CPU time / N.
    ...(cpu.tiny.length && cpu.loop.length ? [{ name: 'CPU time: tiny cold / hand loop', value: median(cpu.tiny) / median(cpu.loop) }] : []),
    ...(cpu.tiny.length && cpu.loopcc.length ? [{ name: 'CPU time: tiny cold / hand loop with ccache', value: median(cpu.tiny) / median(cpu.loopcc) }] : []),
    ...(cpu.tinynocc.length && cpu.loop.length ? [{ name: 'CPU time: tiny cold --no-ccache / hand loop', value: median(cpu.tinynocc) / median(cpu.loop) }] : []),
  ];
  console.log('\nratios (medians; each repeat ran its legs back to back)');
  for (const r of ratios) console.log(`  ${r.name.padEnd(56)} ${r.value.toFixed(2)}x${r.goal ? `   (goal ${r.goal})` : ''}`);
  const recordTo = process.argv.includes('--record') ? process.argv[process.argv.indexOf('--record') + 1] : undefined;
  if (recordTo) {
    // The record's name of each leg; its wall times and (where measured) CPU times go under it.
    const names = {
      tiny: 'tiny build, cold cache',
      tinynocc: 'tiny build --no-ccache, cold cache',
      loop: 'hand loop (incremental make, .configs given)',
      floor: "floor: the loop's make times summed",
      loopcc: 'hand loop with ccache (empty at first; not a goal)',
      naive: 'naive: a clean build per toggle (scaled)',
      cached: 'tiny build again, all cached',
      edited: 'tiny build after one patch edited',
      editednocc: 'tiny build --no-ccache after one patch edited',
    };
    const byName = (of) => Object.fromEntries(Object.entries(of).map(([leg, xs]) => [names[leg], xs]));
    writeBenchRecord(recordTo, {
      kind: 'bench-matrix',
      cpu: byName(cpu),
      command: `node bench/matrix.mjs ${process.argv
        .slice(2)
        .filter((a, i, all) => a !== '--record' && all[i - 1] !== '--record')
        .join(' ')}`.trim(),
      legs: byName(legs),
      ratios,
      loadAtStart,
      phases: phasesOf(byRun, lastTinyWall, inToggles, overheads, afterKconfig, lastTiny.lanes),
    });
  }
  console.log(`  per repeat, loop / tiny:       ${legs.loop.map((l, i) => (l / legs.tiny[i]).toFixed(2)).join(', ')}`);
  console.log(`  per repeat, loop / tiny-nocc:  ${legs.loop.map((l, i) => (l / legs.tinynocc[i]).toFixed(2)).join(', ')}`);
  console.log(`\nload average (1 min) before -> after each leg: ${loads.map(([leg, rep, a, b]) => `${leg}#${rep} ${a}->${b}`).join(', ')}`);
} finally {
  if (!process.env.TINY_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
