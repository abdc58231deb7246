#!/usr/bin/env node
// Benchmark: the toggle matrix as N = 1, 2, 3 shards, run one after the other on this machine,
// each shard in its own fresh cache, all sharing a local redis-server as ccache's remote storage
// (flushed before each N: every N starts with a cold remote). For each N it prints
//
//   per shard   the toggles built, the build time the records hold (sum of each built record's
//               durationsMs.total), the wall time of `tiny build`, and ccache's hits
//               (local / fetched from the remote) over the compilations
//   critical    the longest shard by recorded build time: the matrix's duration with one
//               machine per shard (what N machines would take, plus the merge)
//   remote hits the share of compilations served by the remote, over all shards
//   merge       `tiny store export` of each shard + `tiny store import` of all in a fresh cache
//
// and checks that the merged store equals the N = 1 run's (keys and artifact sha256).
// The N > 1 splits come from `tiny plan --shards N` on the N = 1 run's cache: balanced by its
// recorded build times.
//
// Caveat of running the shards one after the other: a later shard finds the objects of the
// earlier ones in the remote cache; run at once, shards find only what the others finished.
//
// Usage (after `npm run build`):
//   node bench/shard.mjs                        the fake kernel (test/fixtures/fakelinux), host runtime
//   node bench/shard.mjs --tree /work/shared/kernels/linux-2.6.9.tar.xz --config webserver \
//        --only base,queue,all-off,flip:printk [--runtime podman] [--jobs N]
//                                               a real tree, in the toolchain container
//   --max N  the largest shard count (default 3)

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const TREE = arg('--tree', undefined);
const MAX = Number(arg('--max', '3'));
const JOBS = arg('--jobs', undefined);
const ONLY = arg('--only', undefined);
const CONFIG = arg('--config', TREE ? 'webserver' : 'test/fixtures/build/configs/fake-tiny.yaml');
const QUEUE = arg('--queue', TREE ? 'queue' : 'test/fixtures/build/fake-queue');
const RUNTIME = arg('--runtime', TREE ? 'podman' : 'host');
const common = ['--config', CONFIG, '--queue', QUEUE, '--runtime', RUNTIME, ...(TREE ? ['--tree', TREE] : []), ...(JOBS ? ['--jobs', JOBS] : [])];

const { openRecordStore, listRecords } = await import(`${REPO}/dist/store/index.js`);

const work = mkdtempSync(join(tmpdir(), 'tiny-bench-shard-'));
const fmt = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(0)}%` : '-');

function tiny(args, cache, extraEnv = {}) {
  const t0 = Date.now();
  const r = spawnSync('node', [join(REPO, 'bin/tiny.js'), ...args], { cwd: REPO, env: { ...process.env, TINY_CACHE: cache, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Date.now() - t0;
  if (r.status !== 0) throw new Error(`tiny ${args.join(' ')} exited ${r.status}:\n${r.stderr.toString().slice(-3000)}`);
  return { ms, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Built records of a cache (this run's builds: the cache is fresh). */
async function built(cache) {
  return (await listRecords(await openRecordStore(cache))).filter((r) => r.status === 'ok');
}

async function contentOf(cache) {
  const out = {};
  for (const r of await built(cache))
    out[r.key] = Object.entries(r.artifacts)
      .filter(([n]) => n !== 'log')
      .map(([n, a]) => `${n}:${a.sha256}`)
      .sort()
      .join(',');
  return out;
}

const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const remote = `redis://127.0.0.1:${port}`;
await new Promise((r) => setTimeout(r, 300));

try {
  console.log(`bench/shard: ${TREE ? `${TREE} ${CONFIG}` : 'fake kernel fake-tiny'}${ONLY ? ` --only ${ONLY}` : ''}, runtime ${RUNTIME}, ${availableParallelism()} cores; ${new Date().toISOString()}`);
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; ccache remote ${remote}\n`,
  );
  let reference;
  let referenceCache;
  const summary = [];
  for (let n = 1; n <= MAX; n++) {
    spawnSync('redis-cli', ['-p', String(port), 'flushall'], { stdio: 'ignore' });
    let plan = [];
    if (n > 1) {
      const file = join(work, `plan-${n}.json`);
      tiny(['plan', ...common, ...(ONLY ? ['--only', ONLY] : []), '--shards', String(n), '--format', 'json', '--out', file], referenceCache);
      plan = ['--plan', file];
    }
    const shards = [];
    for (let i = 1; i <= n; i++) {
      const cache = join(work, `n${n}-s${i}`);
      const r = tiny(['build', ...common, ...(ONLY && n === 1 ? ['--only', ONLY] : []), ...(n > 1 ? [...plan, '--shard', `${i}/${n}`] : []), '--ccache-remote', remote], cache);
      const records = await built(cache);
      const stats = records.reduce(
        (a, x) => ({ calls: a.calls + (x.ccache?.stats.calls ?? 0), local: a.local + (x.ccache?.stats.local_hits ?? 0), remote: a.remote + (x.ccache?.stats.remote_hits ?? 0) }),
        { calls: 0, local: 0, remote: 0 },
      );
      const recorded = records.reduce((a, x) => a + (x.durationsMs.total ?? 0), 0);
      const toggles = (/shard \d+\/\d+[^:]*: (.*)$/m.exec(r.stderr)?.[1] ?? 'every toggle').trim();
      shards.push({ i, cache, ms: r.ms, recorded, records: records.length, stats, toggles });
    }
    // Merge: export each shard, import all into a fresh cache.
    const t0 = Date.now();
    const tars = shards.map((s) => {
      const out = join(work, `n${n}-s${s.i}.tar`);
      tiny(['store', 'export', '--out', out], s.cache);
      return out;
    });
    const merged = join(work, `n${n}-merged`);
    tiny(['store', 'import', ...tars], merged);
    const mergeMs = Date.now() - t0;
    const content = await contentOf(merged);
    if (n === 1) {
      reference = content;
      referenceCache = shards[0].cache;
    }
    const same = JSON.stringify(Object.entries(content).sort()) === JSON.stringify(Object.entries(reference).sort());

    console.log(`N = ${n}`);
    for (const s of shards) {
      console.log(
        `  shard ${s.i}/${n}: ${String(s.records).padStart(2)} records, recorded ${fmt(s.recorded).padStart(7)}, wall ${fmt(s.ms).padStart(7)}, ccache ${s.stats.local + s.stats.remote}/${s.stats.calls} hits (${s.stats.remote} remote)  [${s.toggles}]`,
      );
    }
    const critical = Math.max(...shards.map((s) => s.recorded));
    const calls = shards.reduce((a, s) => a + s.stats.calls, 0);
    const remoteHits = shards.reduce((a, s) => a + s.stats.remote, 0);
    console.log(
      `  critical path (longest shard, recorded): ${fmt(critical)}; remote hits ${remoteHits}/${calls} (${pct(remoteHits, calls)}); merge ${fmt(mergeMs)}; merged store ${same ? 'equals' : 'DIFFERS FROM'} the N = 1 run's\n`,
    );
    summary.push({ n, critical, mergeMs, remoteHits, calls, same });
    if (!same) process.exitCode = 1;
  }
  const one = summary[0].critical;
  console.log('N  critical path  speed-up  remote hits  merge');
  for (const s of summary)
    console.log(`${s.n}  ${fmt(s.critical).padStart(13)}  ${(one / s.critical).toFixed(2).padStart(7)}x  ${pct(s.remoteHits, s.calls).padStart(11)}  ${fmt(s.mergeMs).padStart(5)}`);
} finally {
  redis.kill('SIGTERM');
  if (!process.env.TINY_KEEP) rmSync(work, { recursive: true, force: true });
}
