// A benchmark's figures as a results record (schema/results.schema.json), which `npm run
// results` renders into the README's speed section: bench/*.mjs --record results/bench-*.json.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { writeResultsRecord } from '../scripts/results/record.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * `legs`: name -> seconds of each repeat; `ratios`: [{ name, value, goal? }]; `phases`
 * (optional): where one run's time went, [{ name, s }], rendered beside the legs.
 */
export function writeBenchRecord(file, { kind, command, legs, ratios, loadAtStart, phases }) {
  writeResultsRecord(file, {
    kind,
    commands: [command],
    watched: ['src', 'bench'],
    load: loadAtStart,
    data: {
      legs: Object.entries(legs)
        .filter(([, xs]) => xs.length)
        .map(([name, xs]) => ({ name, runs_s: xs.map((x) => Math.round(x * 1000) / 1000), min_s: Math.min(...xs), median_s: median(xs) })),
      ratios: ratios.map((r) => ({ name: r.name, value: Math.round(r.value * 1000) / 1000, goal: r.goal ?? null })),
      load_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
      ...(phases ? { phases: phases.map((x) => ({ name: x.name, s: Math.round(x.s * 100) / 100 })) } : {}),
    },
  });
  console.log(`wrote ${file}`);
}

/** Before each leg: nothing left to write back from the legs before (their trees and caches). */
export const settle = () => spawnSync('sync');

/**
 * Before the first leg: dirty pages written back and, where the benchmark may (root), the
 * caches dropped, then `inputs` read once so no leg reads them from disk. On ext4, creating
 * files is slow for minutes after many were deleted (the inode allocator passes over recently
 * freed inodes, reading their blocks from the cache); a benchmark started after a big `rm -rf`
 * would charge that to whichever legs come first. Returns what was done, for the transcript.
 */
export function settleDiskAtStart(inputs = []) {
  settle();
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    for (const f of inputs) readFileSync(f);
    return 'disk settled: written back, caches dropped, inputs read once';
  } catch {
    return 'disk written back (not root: caches not dropped; a big rm -rf just before skews the first legs)';
  }
}
