#!/usr/bin/env node
// The counts of the fault-injection suite (test/faults/), from a run of it: how many cases,
// how many faults were survived (a case passes when the fault was delivered and the command,
// run again, recovered with a clean run's result and a message naming cause and fix), how many
// wrong answers (failed cases), how many skipped.
//
//   node scripts/fault-counts.mjs                  (after `npm run build`: the cases run dist/)
//   node scripts/fault-counts.mjs --record results/faults.json
//                                                  also keep the counts as a results record, which
//                                                  `npm run results` renders (docs/testing.md)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeResultsRecord } from './results/record.mjs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tiny-fault-counts-'));
const out = join(dir, 'vitest.json');
const t0 = Date.now();
const run = spawnSync('npx', ['vitest', 'run', 'test/faults', '--reporter=json', `--outputFile=${out}`], { stdio: ['ignore', 'ignore', 'inherit'] });
let report;
try {
  report = JSON.parse(readFileSync(out, 'utf8'));
} catch {
  console.error(`fault-counts: vitest wrote no report (exit ${run.status})`);
  process.exit(2);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const cases = report.testResults.flatMap((f) => f.assertionResults);
const count = (status) => cases.filter((c) => c.status === status).length;
const files = report.testResults.length;
const minutes = ((Date.now() - t0) / 60_000).toFixed(1);
console.log(
  `fault-injection suite (test/faults, ${files} files): ${cases.length} cases, ${count('passed')} faults survived, ` +
    `wrong answers: ${count('failed')}, skipped: ${count('skipped') + count('pending') + count('todo')}; ${minutes} min`,
);
for (const c of cases.filter((x) => x.status === 'failed')) console.log(`  wrong: ${c.fullName}`);
const recordAt = process.argv.indexOf('--record');
if (recordAt >= 0) {
  writeResultsRecord(process.argv[recordAt + 1], {
    kind: 'faults',
    commands: ['node scripts/fault-counts.mjs'],
    watched: ['src', 'test/faults'],
    load: loadavg(),
    data: { files, cases: cases.length, survived: count('passed'), wrong: count('failed'), skipped: count('skipped') + count('pending') + count('todo'), minutes: Number(minutes) },
  });
}
process.exit(run.status ?? 1);
