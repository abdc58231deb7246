#!/usr/bin/env node
// npm run results: the results pages from the records in results/.
//
//   node scripts/results.mjs             write docs/results.md and the README's generated blocks
//   node scripts/results.mjs --check     exit 1 when either differs from what the records give
//   node scripts/results.mjs --collect [--only FILE,...]
//                                        run the builds, boots and reports (through the cache:
//                                        seconds when built) and refresh results/*.json first
//   node scripts/results.mjs --collect --no-build
//                                        the same from what the cache holds, without building
//
// No figure in the README or docs/results.md is typed by hand: each comes from a record here,
// and test/unit/results-pages.test.ts fails when a page and its records disagree.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { reduceReport, reduceBoot, reduceBases } from './results/reduce.mjs';
import { writeResultsRecord } from './results/record.mjs';
import { renderResultsPage, renderReadmeBlocks, spliceBlocks } from './results/render.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'results');
const tiny = ['node', join(root, 'bin/tiny.js')];

// What is collected, and how: each record keeps the exact commands that made it.
export const COLLECT = [
  {
    file: 'report-webserver.json',
    kind: 'report',
    steps: [['build', '--config', 'webserver', '--only', 'base,queue,all-off,flip:*']],
    output: ['report', '--config', 'webserver', '--format', 'json'],
  },
  {
    file: 'report-webserver-tiny.json',
    kind: 'report',
    steps: [
      // Exit 1 when a built toggle does not boot: the page lists it as not booted (reduceReport
      // refuses a toggle that did not build).
      { argv: ['build', '--config', 'webserver-tiny', '--only', 'base,queue,all-off,flip:*,config:*'], allowExit: [0, 1] },
      // The allocation census of the queue point at mem=2M (its kmalloc-accounting variant).
      ['boot', '--config', 'webserver-tiny', '--kmalloc', '--limit', 'kernel', '--machine-mem', '16M', '--mem', '2M'],
    ],
    // The flagship's run, whatever base was built last (report-bases builds the others).
    output: ['report', '--config', 'webserver-tiny', '--base', '2.6.9', '--format', 'json'],
  },
  {
    // The same configuration on every base the queue claims (each base with its own budget);
    // reduceBases refuses a failed toggle.
    file: 'report-bases-webserver-tiny.json',
    kind: 'report-bases',
    // Needs the later trees (~/.cache/tiny-trees): the pages say so when it is missing.
    optional: true,
    after: ['boot-webserver-tiny.json'],
    steps: [
      ...['2.6.11', '2.6.12-rc2'].map((v) => ['build', '--config', 'webserver-tiny', '--base', v, '--only', 'base,queue,all-off']),
      ...['2.6.9', '2.6.11', '2.6.12-rc2'].map((v) => ['boot', '--config', 'webserver-tiny', '--base', v, '--limit', 'kernel', '--machine-mem', '16M', '--mem', '2M', '--http']),
    ],
    output: ['report', '--bases', '--config', 'webserver-tiny', '--format', 'json'],
  },
  {
    file: 'boot-webserver.json',
    kind: 'boot',
    steps: [],
    output: ['boot', '--config', 'webserver', '--toggle', 'base', '--limit', 'kernel', '--machine-mem', '16M', '--mem', '8M', '--find-min-mem', '--http', '--format', 'json'],
  },
  {
    file: 'boot-webserver-tiny.json',
    kind: 'boot',
    steps: [],
    output: ['boot', '--config', 'webserver-tiny', '--limit', 'kernel', '--machine-mem', '16M', '--mem', '2M', '--find-min-mem', '--http', '--format', 'json'],
  },
];

const stepOf = (step) => (Array.isArray(step) ? { argv: step, allowExit: [0] } : step);

async function writeAtomically(path, text) {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function collect(only, build) {
  $.verbose = false;
  const ordered = [...COLLECT.filter((i) => !i.after), ...COLLECT.filter((i) => i.after)];
  for (const item of ordered) {
    if (only && !only.includes(item.file)) continue;
    for (const step of build ? item.steps.map(stepOf) : []) {
      process.stderr.write(`results: tiny ${step.argv.join(' ')}\n`);
      // Build progress goes to the terminal; a failed build stops the collection (exit 1).
      const r = await $({ stdio: ['ignore', 'inherit', 'inherit'], nothrow: true })`${tiny} ${step.argv}`;
      if (!step.allowExit.includes(r.exitCode)) throw Object.assign(new Error(`tiny ${step.argv.join(' ')} exited ${r.exitCode}`), { exitCode: 1 });
    }
    process.stderr.write(`results: tiny ${item.output.join(' ')}\n`);
    const out = await $({ stdio: ['ignore', 'pipe', 'inherit'] })`${tiny} ${item.output}`;
    const document = JSON.parse(out.stdout);
    const data = { report: reduceReport, boot: reduceBoot, 'report-bases': reduceBases }[item.kind](document);
    writeResultsRecord(join(resultsDir, item.file), {
      kind: item.kind,
      commands: [...item.steps.map((st) => stepOf(st).argv), item.output].map((argv) => `tiny ${argv.join(' ')}`),
      data,
      watched: ['queue', 'configs', 'toolchains', 'arches', 'src'],
    });
    process.stderr.write(`results: wrote results/${item.file}\n`);
  }
}

async function loadRecords() {
  const records = {};
  for (const item of COLLECT) {
    const path = join(resultsDir, item.file);
    if (item.optional && !existsSync(path)) continue;
    if (!existsSync(path)) throw new Error(`results/${item.file} is missing: run \`npm run results -- --collect --only ${item.file}\``);
    records[item.file] = JSON.parse(await readFile(path, 'utf8'));
  }
  for (const extra of ['bench-matrix.json', 'bench-queue-check.json', 'faults.json']) {
    const path = join(resultsDir, extra);
    if (existsSync(path)) records[extra] = JSON.parse(await readFile(path, 'utf8'));
  }
  return records;
}

async function main(argv) {
  const check = argv.includes('--check');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : null;
  if (argv.includes('--collect')) await collect(only, !argv.includes('--no-build'));
  const records = await loadRecords();
  const page = renderResultsPage(records);
  const readmePath = join(root, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const newReadme = spliceBlocks(readme, renderReadmeBlocks(records), 'README.md');
  const pagePath = join(root, 'docs/results.md');
  const oldPage = existsSync(pagePath) ? await readFile(pagePath, 'utf8') : '';
  if (check) {
    const stale = [];
    if (oldPage !== page) stale.push('docs/results.md');
    if (newReadme !== readme) stale.push('README.md');
    if (stale.length) {
      process.stderr.write(`results: ${stale.join(' and ')} differ from the records in results/: run \`npm run results\` (never edit a figure by hand)\n`);
      process.exit(1);
    }
    process.stdout.write('results: README.md and docs/results.md agree with results/\n');
    return;
  }
  if (oldPage !== page) await writeAtomically(pagePath, page);
  if (newReadme !== readme) await writeAtomically(readmePath, newReadme);
  process.stdout.write(`results: docs/results.md and README.md written from ${Object.keys(records).length} records\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`results: ${e.stderr ?? e.message}\n`);
  process.exit(e.exitCode ?? 1);
});
