// A benchmark's figures as a results record (schema/results.schema.json), which `npm run
// results` renders into the README's speed section: bench/*.mjs --record results/bench-*.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `legs`: name -> seconds of each repeat; `ratios`: [{ name, value, goal? }]. */
export function writeBenchRecord(file, { repo, kind, command, legs, ratios, loadAtStart }) {
  const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  const record = {
    schema_version: 1,
    kind,
    commands: [command],
    collected_at: new Date().toISOString(),
    tiny_version: JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version,
    commit: git('rev-parse', 'HEAD') + (git('status', '--porcelain', '--', 'src', 'bench') ? '+changes' : ''),
    load: loadAtStart.map((x) => Math.round(x * 100) / 100),
    data: {
      legs: Object.entries(legs)
        .filter(([, xs]) => xs.length)
        .map(([name, xs]) => ({ name, runs_s: xs.map((x) => Math.round(x * 1000) / 1000), min_s: Math.min(...xs), median_s: median(xs) })),
      ratios: ratios.map((r) => ({ name: r.name, value: Math.round(r.value * 1000) / 1000, goal: r.goal ?? null })),
      load_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
    },
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
}
