#!/usr/bin/env node
// The counts of the fault-injection suite (test/faults/), from a run of it: how many cases,
// how many faults were survived (a case passes when the fault was delivered and the command,
// run again, recovered with a clean run's result and a message naming cause and fix), how many
// wrong answers (failed cases), how many skipped. The README quotes this output.
//
//   node scripts/fault-counts.mjs        (after `npx tsc -p tsconfig.json`: the cases run dist/)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
process.exit(run.status ?? 1);
