#!/usr/bin/env node
// `npm run demo`, the main job: the linux-tiny web server kernel on Linux 2.6.9, built, measured
// and booted, as a user runs it.
//
//   tiny build  --config webserver-tiny --only base,queue,all-off,flip:printk,flip:kernel-xz
//   tiny report --config webserver-tiny
//   tiny boot   --config webserver-tiny --limit kernel --machine-mem 16M --mem 2M
//
// The 2.6.9 tree comes from the queue's own sources (queue/queue.yaml: kernel.org, the tarball
// next to the project, ~/.cache/tiny-trees/linux-2.6.9), or from TINY_TREE_2_6 when set. With
// neither, it says what to download and where, and builds Linux 6.1's tinyconfig from Debian's
// source instead (scripts/setup.sh fetches it). Everything lands in the user's tiny cache
// (TINY_CACHE, else ~/.cache/tiny): the second run takes seconds.

import { existsSync } from 'node:fs';
import { $ } from 'zx';

const ROOT = new URL('..', import.meta.url).pathname;
$.cwd = ROOT;
$.verbose = false;

// In a checkout, compile first: nothing compiles at install (the package's prepack builds dist/
// for the published package), so `npm ci && npm run demo` starts from the TypeScript.
if (existsSync(new URL('../tsconfig.json', import.meta.url))) await $({ stdio: 'inherit' })`npm run --silent build`;
const TOGGLES = 'base,queue,all-off,flip:printk,flip:kernel-xz';
const t0 = Date.now();

/** Run tiny with its progress and output on the terminal; the exit code. */
async function tiny(...args) {
  console.log(`\n$ tiny ${args.join(' ')}`);
  const r = await $({ stdio: 'inherit', nothrow: true })`node bin/tiny.js ${args}`;
  return r.exitCode ?? 1;
}

/** Run tiny for its JSON (stdout captured; its progress, on stderr, stays on the terminal). */
async function tinyJson(...args) {
  const r = await $({ stdio: ['ignore', 'pipe', 'inherit'], nothrow: true })`node bin/tiny.js ${args}`;
  return { code: r.exitCode ?? 1, json: r.exitCode === 0 ? JSON.parse(r.stdout) : undefined };
}

const tree = process.env.TINY_TREE_2_6 ? ['--tree', process.env.TINY_TREE_2_6] : [];
// Is a 2.6.9 tree reachable? `queue check` resolves the base the same way `build` does, in seconds.
const probe = await $({ stdio: ['ignore', 'pipe', 'pipe'], nothrow: true })`node bin/tiny.js queue check ${tree} --format json`;
if (probe.exitCode === 2 && /no source of base/.test(probe.stderr)) {
  console.log(probe.stderr.trim());
  console.log("\nNo Linux 2.6.9 tree: building Linux 6.1 tinyconfig from Debian's source instead.");
  let code = await tiny('build', '--config', 'tinyconfig-6.1');
  if (code === 0) code = await tiny('report', '--config', 'tinyconfig-6.1');
  process.exit(code);
}

console.log(`\n$ tiny build --config webserver-tiny --only ${TOGGLES}`);
const build = await tinyJson('build', '--config', 'webserver-tiny', ...tree, '--only', TOGGLES, '--json');
if (build.code !== 0) process.exit(build.code);
const code = await tiny('report', '--config', 'webserver-tiny');
if (code !== 0) process.exit(code);
console.log(`\n$ tiny boot --config webserver-tiny --limit kernel --machine-mem 16M --mem 2M`);
const boot = await tinyJson('boot', '--config', 'webserver-tiny', ...tree, '--limit', 'kernel', '--machine-mem', '16M', '--mem', '2M', '--json');
if (boot.code !== 0) process.exit(boot.code);

// The lines a reader wants: how big, how much memory left, against 2004.
const byName = Object.fromEntries((build.json?.toggles ?? []).map((t) => [t.toggle, t]));
const kib = (n) => (typeof n === 'number' ? `${n.toLocaleString('en-US')} bytes (${Math.round(n / 1024)}K)` : '?');
const b = boot.json.boot;
console.log(`
webserver-tiny on Linux 2.6.9 (queue point; every linux-tiny option off):
  bzImage ${kib(byName.queue?.artifacts?.bzImage?.bytes)}; the stock 2.6.9 base with this configuration: ${kib(byName.base?.artifacts?.bzImage?.bytes)}
  boots with mem=2M: MemTotal ${b.mem_total_kib} kB, MemFree ${b.mem_free_kib} kB at init
  (2004's linux-tiny web server: 363K)
demo took ${Math.round((Date.now() - t0) / 1000)} s`);
