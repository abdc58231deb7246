// A benchmark's figures as a results record (schema/results.schema.json), which `npm run
// results` renders into the README's speed section: bench/*.mjs --record results/bench-*.json.
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
