#!/usr/bin/env node
// bench/bisect: tiny bisect over a 64-commit range of the FAKE kernel (test/fixtures/fakelinux;
// a real 64-commit 6.1 range is a ~1 h run on 2 cores), host runtime. Prints the number of
// steps, the time per step, and the ratio against a clean build per step (the same commits
// built with a fresh build directory each, no ccache reuse of the bisect's lane).
//
//   npm run build && node bench/bisect.mjs [--count 64]

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeHistory } from '../test/fixtures/bisect/history.mjs';
import { readLatest, readState, statePath } from '../dist/bisect/state.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIX = join(ROOT, 'test/fixtures/bisect');
const count = Number(process.argv[process.argv.indexOf('--count') + 1] || 64) || 64;

function tiny(args, env) {
  return new Promise((res) => {
    const c = spawn(process.execPath, [join(ROOT, 'bin/tiny.js'), ...args], { cwd: FIX, env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    c.on('close', (code) => res({ code, out }));
  });
}

const dir = await mkdtemp(join(tmpdir(), 'tiny-bench-bisect-'));
try {
  const repo = join(dir, 'repo');
  const h = await makeHistory(repo, { count, regressionAt: Math.round(count * 0.7) });
  const cache = join(dir, 'cache');
  const t0 = Date.now();
  const r = await tiny(['bisect', '--config', 'fake-bisect', '--repo', repo, '--good', `HEAD~${count}`, '--bad', 'master', '--threshold', '+4K', '--runtime', 'host', '--jobs', '2'], {
    TINY_CACHE: cache,
    CCACHE_DISABLE: '1',
  });
  const total = Date.now() - t0;
  if (r.code !== 0 || !r.out.includes(h.regression)) {
    console.error(r.out);
    throw new Error('bisect did not name the regression');
  }
  const state = await readState(statePath(cache, await readLatest(cache)));
  const steps = state.steps.filter((s) => s.point !== state.params.good && s.point !== state.params.bad);
  const stepMs = steps.map((s) => s.durationMs);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

  // Clean builds of the same commits: a fresh cache (fresh build directory, nothing cached) per commit.
  const clean = [];
  for (const s of steps.slice(0, 4)) {
    const c = join(dir, `clean-${clean.length}`);
    // good = bad = the step's commit: tiny measures it once in a fresh cache (a clean build) and stops.
    await tiny(['bisect', '--config', 'fake-bisect', '--repo', repo, '--good', `${s.point}`, '--bad', `${s.point}`, '--threshold', '+4K', '--runtime', 'host', '--jobs', '2'], {
      TINY_CACHE: c,
      CCACHE_DISABLE: '1',
    });
    const cs = await readState(statePath(c, await readLatest(c)));
    clean.push(cs.goodMs);
    await rm(c, { recursive: true, force: true });
  }
  console.log(`range: ${count} commits (fake kernel), regression at ${h.regression.slice(0, 12)}; found`);
  console.log(
    `bisect: ${steps.length} steps (${steps.filter((s) => s.status === 'skip').length} skipped) + good and bad points, ${(total / 1000).toFixed(1)} s in all (with the symbol diff and the revert confirm)`,
  );
  console.log(
    `time per step (incremental, one build dir): mean ${(mean(stepMs) / 1000).toFixed(2)} s, min ${(Math.min(...stepMs) / 1000).toFixed(2)} s, max ${(Math.max(...stepMs) / 1000).toFixed(2)} s (build+measure, from the state file)`,
  );
  console.log(`clean build of the same commits (fresh cache and build dir, build+measure): mean ${(mean(clean) / 1000).toFixed(2)} s`);
  console.log(`ratio step / clean: ${(mean(stepMs) / mean(clean)).toFixed(2)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
