// One results record (schema/results.schema.json) written atomically, with the commit and
// version it was made from: used by `npm run results -- --collect`, bench/*.mjs --record and
// scripts/fault-counts.mjs --record.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_SCHEMA_VERSION = 1;
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `watched`: the paths whose uncommitted changes make the commit read `<sha>+changes`. */
export function writeResultsRecord(file, { kind, commands, data, watched, load }) {
  const git = (...args) => execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim();
  const record = {
    schema_version: RESULTS_SCHEMA_VERSION,
    kind,
    commands,
    collected_at: new Date().toISOString(),
    tiny_version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version,
    commit: git('rev-parse', 'HEAD') + (git('status', '--porcelain', '--', ...watched) ? '+changes' : ''),
    ...(load ? { load: load.map((x) => Math.round(x * 100) / 100) } : {}),
    data,
  };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}
