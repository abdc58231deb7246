// A benchmark's figures as a results record (schema/results.schema.json), which `npm run
// results` renders into the README's speed section: bench/*.mjs --record results/bench-*.json.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { writeResultsRecord } from '../scripts/results/record.mjs';

/** The median of the repeats (0 of none). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0;
};

/**
 * `legs`: name -> seconds of each repeat; `cpu` (optional): name -> busy CPU seconds of each
 * repeat (cpuClock); `ratios`: [{ name, value, goal? }]; `phases` (optional): where one run's
 * time went, [{ name, s }], rendered beside the legs; `phasesOf`: which run that is (default: the
 * last cold run).
 */
export function writeBenchRecord(file, { kind, command, legs, cpu = {}, ratios, loadAtStart, phases, phasesOf }) {
  writeResultsRecord(file, {
    kind,
    commands: [command],
    watched: ['src', 'bench'],
    load: loadAtStart,
    data: {
      legs: Object.entries(legs)
        .filter(([, xs]) => xs.length)
        .map(([name, xs]) => ({
          name,
          runs_s: xs.map((x) => Math.round(x * 1000) / 1000),
          min_s: Math.min(...xs),
          median_s: median(xs),
          ...(cpu[name]?.length ? { cpu_median_s: Math.round(median(cpu[name]) * 100) / 100 } : {}),
        })),
      ...(Object.keys(cpu).length ? { cores: availableParallelism() } : {}),
      ratios: ratios.map((r) => ({ name: r.name, value: Math.round(r.value * 1000) / 1000, goal: r.goal ?? null })),
      load_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
      ...(phases ? { phases: phases.map((x) => ({ name: x.name, s: Math.round(x.s * 100) / 100 })) } : {}),
      ...(phasesOf ? { phases_of: phasesOf } : {}),
    },
  });
  console.log(`wrote ${file}`);
}

/**
 * The machine's busy CPU time so far, in seconds (/proc/stat: user, nice, system, irq and
 * softirq of every core), or undefined where there is no /proc/stat. A leg's share is the
 * difference around it: all the work it caused, in every process and container (a container's
 * make is no child of the command that started it, so the command's own rusage misses it). It
 * counts whatever else ran meanwhile too: read it on a quiet machine. On N cores a leg cannot
 * take less wall time than its CPU time / N, whatever it overlaps.
 */
export function cpuClock() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = cpu;
    return (user + nice + system + irq + softirq) / 100; // USER_HZ: 100 on Linux, whatever the kernel's HZ
  } catch {
    return undefined;
  }
}

/** Before each leg: nothing left to write back from the legs before (their trees and caches). */
export const settle = () => spawnSync('sync');

/**
 * Before the first leg: wait until creating files is as cheap as it is on a settled disk. On
 * ext4 without a journal (this machine's), for minutes after many files were deleted the inode
 * allocator passes over the recently freed ones: after a benchmark's own clean-up of ~20 GB of
 * trees, a checkout of 2.6.9 took 3–4.8 s instead of 0.4–0.6 s. The probe creates `files` empty
 * files in a new directory under `dir` (left there, for the benchmark's clean-up: deleting them
 * would add to what it waits for) every `everyS` seconds, until they take less than `settledS`
 * or `maxS` has passed. Returns what it saw, for the transcript.
 */
export function waitForSettledDisk(dir, { files = 5000, settledS = 0.3, everyS = 15, maxS = 600 } = {}) {
  const probe = () => {
    const d = join(dir, `disk-probe-${Date.now()}`);
    mkdirSync(d, { recursive: true });
    const t0 = performance.now();
    for (let i = 0; i < files; i++) closeSync(openSync(join(d, String(i)), 'w'));
    return (performance.now() - t0) / 1000;
  };
  const start = Date.now();
  const first = probe();
  let last = first;
  while (last >= settledS && (Date.now() - start) / 1000 < maxS) {
    spawnSync('sleep', [String(everyS)]);
    last = probe();
  }
  const waited = Math.round((Date.now() - start) / 1000);
  const what = `${files} new files took ${first.toFixed(2)} s`;
  if (last < settledS) return waited < everyS ? `disk probe: ${what} (settled)` : `disk probe: ${what}, ${last.toFixed(2)} s after waiting ${waited} s (settled)`;
  return `disk probe: ${what}, still ${last.toFixed(2)} s after ${waited} s: the first legs may be slow (a big rm -rf just before?)`;
}

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
