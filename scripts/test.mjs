#!/usr/bin/env node
// `npm test`: compile, lint, then the tests in two phases, and a summary a reader can trust.
//
//   compile  npm run build: tsc, then the validators generated from the shipped schemas;
//   types    the tests type-checked against the sources (tsconfig.test.json): vitest runs them
//            without checking, so a test could otherwise drift from the types it exercises;
//   lint     biome ci (npm run lint): the linter's findings and files the formatter would change;
//   phase 1  unit, integration, fault injection, and the end-to-end tests that build no kernel
//            (vitest's worker pool, two files at a time);
//   phase 2  the end-to-end tests that build and boot kernels, one file at a time, in an order
//            that lets later files reuse earlier builds through one shared cache
//            (TINY_E2E_CACHE): the 2.6.9 flagship gate first, then diff-vmlinux on its
//            vmlinux files, the other 2.6.9 builds, then Linux 6.1 (build, boot, bisect ...).
//
// After the compile, every step runs even when an earlier one failed (a failure must not hide
// the tests' results), and the run exits 1 when any step failed. At the end: each phase's tests
// (passed, failed, skipped, with the skipped end-to-end tests named), its time, and the
// flagship's figures from this run. TINY_QUICK=1 leaves out the Linux 6.1 files (minutes
// instead of half an hour).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';

const ROOT = new URL('..', import.meta.url).pathname;
$.cwd = ROOT;
$.verbose = false;

/** Phase 2, in this order (test/phase2.json; vitest.config.ts sorts by the same list). */
const KERNEL_FILES = JSON.parse(await readFile(join(ROOT, 'test/phase2.json'), 'utf8')).files;

const quick = Boolean(process.env.TINY_QUICK);
const phase2Files = KERNEL_FILES.filter((f) => !(quick && f.endsWith('-6.1.test.ts')));
const keepCache = Boolean(process.env.TINY_E2E_CACHE || process.env.TINY_KEEP);
const e2eCache = process.env.TINY_E2E_CACHE || (await mkdtemp(join(tmpdir(), 'tiny-e2e-cache-')));
const env = { ...process.env, TINY_E2E_CACHE: e2eCache };
const reports = await mkdtemp(join(tmpdir(), 'tiny-test-report-'));

/** Run one step with its output streamed; returns its exit code and duration. */
async function step(argv) {
  const t0 = Date.now();
  const p = $({ env, stdio: 'inherit', nothrow: true })`${argv}`;
  const r = await p;
  return { code: r.exitCode ?? 1, seconds: (Date.now() - t0) / 1000 };
}

/** vitest's JSON report -> counts, the failed tests, and the skipped tests of end-to-end files by name. */
async function summarize(file) {
  if (!existsSync(file)) return undefined;
  const j = JSON.parse(await readFile(file, 'utf8'));
  const skippedE2e = [];
  const brokenFiles = [];
  const failedTests = [];
  for (const f of j.testResults ?? []) {
    const rel = f.name.slice(ROOT.length);
    // A file that fails before its tests run (an import, a top-level await) has no results.
    if (f.status === 'failed' && !(f.assertionResults ?? []).length) brokenFiles.push(rel);
    for (const t of f.assertionResults ?? []) {
      if (t.status !== 'failed') continue;
      // The first line of the failure (an assertion, a timeout) says what to look for.
      const why = (t.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 240);
      failedTests.push(`${rel}: ${t.fullName ?? t.title}${why ? `\n           ${why}` : ''}`);
    }
    for (const t of f.assertionResults ?? []) if ((t.status === 'skipped' || t.status === 'pending') && rel.startsWith('test/e2e/')) skippedE2e.push(`${rel}: ${t.title}`);
  }
  return { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + (j.numTodoTests ?? 0), skippedE2e, brokenFiles, failedTests };
}

/**
 * biome ci: its JSON report gives the counts for the summary; when it fails, the run again with
 * the human reporter shows the findings (biome takes a second or two).
 */
async function lint() {
  const t0 = Date.now();
  const r = await $({ env, nothrow: true })`npx biome ci --reporter=json .`;
  // The report is wrapped in terminal colour resets: take the object between the outer braces.
  const json = r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1);
  let summary;
  try {
    summary = JSON.parse(json).summary;
  } catch {
    summary = undefined;
  }
  if (r.exitCode !== 0) await $({ env, stdio: 'inherit', nothrow: true })`npx biome ci --max-diagnostics=40 .`;
  const counts = summary ? `: ${summary.errors} errors, ${summary.warnings} warnings` : '';
  return { code: r.exitCode ?? 1, seconds: (Date.now() - t0) / 1000, counts };
}

const vitest = (name, args) => ['npx', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, `${name}.json`)}`, ...args];

const phases = [];
const compile = await step(['npm', 'run', '--silent', 'build']);
phases.push({ name: "compile (npm run build: tsc, the schemas' validators, the bundle)", ...compile });
if (compile.code !== 0) {
  console.error('\nnpm test: npm run build failed (the TypeScript, the validators generated from the schemas, or the bundle); the tests need dist/, so neither test phase ran.');
} else {
  phases.push({ name: 'type-check the tests (tsc -p tsconfig.test.json)', ...(await step(['npx', 'tsc', '-p', 'tsconfig.test.json'])) });
  phases.push({ name: 'lint and format (biome ci)', ...(await lint()) });
  const exclude = KERNEL_FILES.flatMap((f) => ['--exclude', f]);
  phases.push({ name: 'phase 1: unit, integration, faults, e2e without kernel builds', report: 'phase1', ...(await step(vitest('phase1', exclude))) });
  phases.push({ name: `phase 2: kernel builds and boots${quick ? ' (2.6.9 only: TINY_QUICK)' : ''}`, report: 'phase2', ...(await step(vitest('phase2', ['--no-file-parallelism', ...phase2Files]))) });
}

// The summary.
const lines = ['', '== npm test summary =='];
let failed = false;
for (const p of phases) {
  const s = p.report ? await summarize(join(reports, `${p.report}.json`)) : undefined;
  const verdict = p.code === 0 ? 'ok' : 'FAILED';
  failed ||= p.code !== 0;
  const counts = s ? `: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.brokenFiles.length ? `, ${s.brokenFiles.length} files failed to load` : ''}` : (p.counts ?? '');
  lines.push(`${verdict.padEnd(6)} ${p.name}${counts} (${formatSeconds(p.seconds)})`);
  for (const f of s?.brokenFiles ?? []) lines.push(`         failed to load: ${f}`);
  // The summary is what a CI log's tail shows: name each failure, or the log must be scrolled.
  for (const t of s?.failedTests ?? []) lines.push(`         failed: ${t}`);
  for (const t of s?.skippedE2e ?? []) lines.push(`         skipped: ${t}`);
}
const total = phases.reduce((a, p) => a + p.seconds, 0);
lines.push(`total ${formatSeconds(total)}`);
const figuresFile = join(e2eCache, 'figures', 'flagship.json');
if (existsSync(figuresFile)) {
  const f = JSON.parse(await readFile(figuresFile, 'utf8'));
  lines.push(
    `flagship (this run): ${f.config} bzImage ${fmt(f.bzimage_bytes)} bytes (budget ${fmt(f.budget_bzimage_bytes)}), dec ${fmt(f.dec)}; ` +
      `mem=2M: MemFree ${fmt(f.mem_2m?.mem_free_kib)} kB, ${fmt(f.http_2m?.mem_free_kib)} kB while serving HTTP (round trips ${f.http_2m?.round_trips_ms?.join('/') ?? '?'} ms); ` +
      `smallest mem=${fmt(f.min_mem_kib)}K${f.min_mem_serves_http ? ' that serves HTTP' : ''}`,
  );
} else if (phases.length > 1) {
  lines.push('flagship: no figures (the flagship gate did not run)');
}
console.log(lines.join('\n'));

await rm(reports, { recursive: true, force: true });
if (!keepCache) await rm(e2eCache, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;

function formatSeconds(s) {
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}
function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '?';
}
