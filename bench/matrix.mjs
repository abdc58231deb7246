#!/usr/bin/env node
// Benchmark: the build matrix of a 2.6.9 web server (configs/webserver.yaml + EMBEDDED) with
// the bench queue (test/fixtures/build/bench-2.6: the compat series + 4 option patches = 11
// toggles), in one run:
//
//   tiny      `tiny build` with a cold cache (fresh TINY_CACHE: tree import, Kconfig for every
//             toggle, builds in one reused build dir with ccache, measuring, records)
//   naive     a clean build per toggle: fresh build dir, no ccache (the toggles' .config and
//             patched trees are given for free)
//   manual    the best manual loop: one tree, one build dir, each selection checked out in
//             turn (tiny's order, the fewest changes between neighbours), the toggle's .config
//             copied in, `make` incrementally, no ccache (the .configs are given for free)
//   cached    `tiny build` again: every toggle served from the store
//
// All builds run the same make in the same gcc-12-i386 container (podman), make -jN.
// Usage: node bench/matrix.mjs [--jobs N] [--naive K]  (after `npm run build`; TINY_TREE_2_6 or
// ~/.cache/tiny-trees/linux-2.6.9). --naive K: build only K toggles the naive way and scale
// (default: all). The machine is shared and noisy: only the ratios mean much.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const JOBS = Number(arg('--jobs', String(availableParallelism())));
const NAIVE = arg('--naive', undefined);
const TREE = process.env.TINY_TREE_2_6 ?? join(homedir(), '.cache/tiny-trees/linux-2.6.9');
if (!existsSync(join(TREE, 'Makefile'))) throw new Error(`no 2.6.9 tree at ${TREE}: set TINY_TREE_2_6`);

const { openRecordStore, lookup, readArtifact } = await import(`${REPO}/dist/store/index.js`);
const { openTreeStore, materialize } = await import(`${REPO}/dist/tree/index.js`);
const { runKbuild } = await import(`${REPO}/dist/kbuild/make.js`);
const { createRuntime } = await import(`${REPO}/dist/toolchain/runtime.js`);
const { buildSeries, baseCommit } = await import(`${REPO}/dist/tree/index.js`);
const { readStoredPatch } = await import(`${REPO}/dist/matrix/memo.js`);

const work = mkdtempSync(join(tmpdir(), 'tiny-bench-matrix-'));
const cache = join(work, 'cache');
const env = { ...process.env, TINY_CACHE: cache, TINY_RUNTIME: 'podman' };
const tinyArgs = ['build', '--config', 'test/fixtures/build/configs/bench-webserver.yaml', '--queue', 'test/fixtures/build/bench-2.6', '--tree', TREE, '--jobs', String(JOBS), '--json'];

const fmt = (s) => (s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);
function tiny(args) {
  const t0 = Date.now();
  const r = spawnSync('node', [join(REPO, 'bin/tiny.js'), ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const s = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`tiny ${args.join(' ')} exited ${r.status}:\n${r.stderr.toString().slice(-3000)}`);
  return { s, json: JSON.parse(r.stdout.toString()) };
}

try {
  console.log(`bench/matrix: Linux 2.6.9 bench-webserver, ${JOBS} make jobs, ${availableParallelism()} cores; ${new Date().toISOString()}`);
  console.log(`load average at start: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);

  // 1. tiny build, cold cache.
  const cold = tiny(tinyArgs);
  const toggles = cold.json.toggles;
  console.log(`tiny build (cold cache, ${toggles.length} toggles): ${fmt(cold.s)}`);
  for (const t of toggles) console.log(`  ${t.toggle.padEnd(26)} ${t.status.padEnd(7)} ${fmt(t.duration_ms / 1000).padStart(7)}  dec ${t.dec}`);
  const failed = toggles.filter((t) => t.status === 'failed');
  if (failed.length) throw new Error(`toggles failed: ${failed.map((t) => `${t.toggle}: ${t.error}`).join('; ')}`);

  // Inputs of every toggle, from the records: the patched tree and the final .config.
  const records = await openRecordStore(cache);
  const store = await openTreeStore(cache);
  const execOrder = toggles.slice().sort((a, b) => a.run_order - b.run_order).map((t) => t.toggle);
  const inputs = [];
  const seen = new Set();
  for (const name of execOrder) {
    const t = toggles.find((x) => x.toggle === name);
    if (seen.has(t.key)) continue; // all-off may be the same build as a flip or the queue point
    seen.add(t.key);
    const rec = await lookup(records, t.key);
    const base = await baseCommit(store, rec.inputs.baseTree, rec.baseVersion ?? '2.6.9');
    const patches = [];
    for (const [i, sha] of rec.inputs.patches.entries()) patches.push({ name: rec.patches[i].name, text: await readStoredPatch(cache, sha), strip: rec.patches[i].strip ?? 1, reverse: !!rec.patches[i].reverse });
    const series = await buildSeries(store, base, patches);
    const commit = series.commits.at(-1)?.commit ?? base;
    inputs.push({ name, commit, config: await readArtifact(records, rec, 'config'), rec });
  }
  const first = inputs[0].rec;
  const runtime = createRuntime('podman');
  const image = first.inputs.toolchain.image;
  const vars = { ...first.inputs.makeVariables };
  delete vars.CC; // no ccache
  const benv = { ...first.inputs.env };
  for (const k of Object.keys(benv)) if (k.startsWith('CCACHE_')) delete benv[k];
  const make = async (src, build, logFile) => {
    const t0 = Date.now();
    const r = await runKbuild({ runtime, image, src, build, env: benv, logFile }, { vars, targets: ['bzImage'], jobs: JOBS });
    if (r.code !== 0) throw new Error(`make failed (${logFile})`);
    return (Date.now() - t0) / 1000;
  };

  // 2. naive: a clean build per toggle.
  const naiveSet = NAIVE ? inputs.slice(0, Number(NAIVE)) : inputs;
  const naive = [];
  for (const x of naiveSet) {
    const src = join(work, 'naive-src');
    await materialize(store, x.commit, src, { force: true });
    const build = join(work, `naive-build-${naive.length}`);
    mkdirSync(build, { recursive: true });
    writeFileSync(join(build, '.config'), x.config);
    const s = await make(src, build, join(work, `naive-${naive.length}.log`));
    naive.push({ name: x.name, s });
    rmSync(build, { recursive: true, force: true });
    console.log(`naive clean build ${x.name.padEnd(26)} ${fmt(s)}`);
  }
  const naiveTotal = (naive.reduce((a, b) => a + b.s, 0) / naive.length) * inputs.length;

  // 3. manual loop: one tree, one build dir, incremental make.
  const manual = [];
  const msrc = join(work, 'manual-src');
  const mbuild = join(work, 'manual-build');
  mkdirSync(mbuild, { recursive: true });
  for (const x of inputs) {
    const t0 = Date.now();
    await materialize(store, x.commit, msrc, { force: true });
    writeFileSync(join(mbuild, '.config'), x.config);
    const s = (Date.now() - t0) / 1000 + (await make(msrc, mbuild, join(work, `manual-${manual.length}.log`)));
    manual.push({ name: x.name, s });
    console.log(`manual incremental ${x.name.padEnd(26)} ${fmt(s)}`);
  }
  const manualTotal = manual.reduce((a, b) => a + b.s, 0);

  // 4. fully cached re-run.
  const again = tiny(tinyArgs);
  const allCached = again.json.toggles.every((t) => t.status === 'cached');

  const tinyBuilt = toggles.filter((t) => t.status === 'built').sort((a, b) => a.run_order - b.run_order);
  console.log('\nsummary');
  console.log(`  distinct builds                                 ${inputs.length} (of ${toggles.length} toggles)`);
  console.log(`  tiny build, cold cache (everything included)    ${fmt(cold.s)}`);
  console.log(`    first toggle (full build) ${fmt(tinyBuilt[0].duration_ms / 1000)}, others median ${fmt(median(tinyBuilt.slice(1).map((t) => t.duration_ms / 1000)))}`);
  console.log(`  naive: clean build per toggle${NAIVE ? ` (${naive.length} built, scaled)` : ''}        ${fmt(naiveTotal)}   ${(naiveTotal / cold.s).toFixed(1)}x tiny`);
  console.log(`  manual loop (incremental, .configs given)       ${fmt(manualTotal)}   ${(manualTotal / cold.s).toFixed(2)}x tiny`);
  console.log(`  tiny build again, ${allCached ? 'all cached' : 'NOT all cached'}                  ${again.s.toFixed(2)}s`);
} finally {
  if (!process.env.TINY_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

function median(xs) {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
