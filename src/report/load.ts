// Reading a run for the report: the latest run index of a configuration, its records, their
// symbol tables and .config files. The only I/O of src/report/.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { latestRun, readArtifact, readSymbols, type RecordStore } from '../store/index.js';
import { TinyError } from '../util/diagnostics.js';
import { closest } from '../util/suggest.js';
import type { ReportInput, ToggleInput } from './size-report.js';

/** Configurations with a recorded run, sorted. */
export async function recordedConfigs(store: RecordStore): Promise<string[]> {
  const files = await readdir(join(store.cacheDir, 'runs')).catch(() => [] as string[]);
  // runs/<config>@<base>.json are the same configurations' runs per base.
  return files
    .filter((f) => f.endsWith('.json') && !f.startsWith('.') && !f.includes('@'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Which configuration to report: the one asked for, else the only one with a run. */
export async function pickConfig(store: RecordStore, asked: string | undefined): Promise<string> {
  const configs = await recordedConfigs(store);
  if (asked !== undefined) {
    if (configs.includes(asked)) return asked;
    const guess = closest(asked, configs);
    throw new TinyError(
      `no \`tiny build --config ${asked}\` run recorded in ${store.cacheDir}`,
      2,
      [],
      guess ? `did you mean --config ${guess}?` : configs.length ? `recorded runs: ${configs.join(', ')}` : `run \`tiny build --config ${asked}\` first`,
    );
  }
  if (configs.length === 1) return configs[0]!;
  if (!configs.length) throw new TinyError(`no \`tiny build\` run recorded in ${store.cacheDir}`, 2, [], 'run `tiny build --config NAME` first');
  throw new TinyError(`several configurations have runs: ${configs.join(', ')}`, 2, [], 'choose one with --config NAME');
}

/** The latest run of `config` (on `base`, when given) with everything the report needs from each record. */
export async function loadRun(store: RecordStore, config: string, base?: string): Promise<ReportInput> {
  const run = await latestRun(store, config, base);
  if (!run && base !== undefined) {
    throw new TinyError(
      `no run of ${config} on base ${base} is recorded in ${store.cacheDir}`,
      2,
      [],
      `run \`tiny build --config ${config} --base ${base}\` (toggles built before are served from the store)`,
    );
  }
  if (!run) throw new TinyError(`the run index of ${config} in ${store.cacheDir} is missing or unreadable`, 2, [], `run \`tiny build --config ${config}\` again`);
  const toggles: ToggleInput[] = [];
  for (const r of run.results) {
    const t: ToggleInput = { toggle: r.toggle, key: r.key, status: r.status, ...(r.corrupt ? { corrupt: r.corrupt } : {}) };
    if (r.record) {
      t.record = r.record;
      if (r.record.status === 'ok') {
        const symbols = await readSymbols(store, r.record);
        if (symbols) t.symbols = symbols;
      }
      const config = await readArtifact(store, r.record, 'config');
      if (config) t.dotConfig = config.toString('utf8');
    }
    toggles.push(t);
  }
  return {
    config,
    run: { startedAt: run.index.startedAt, ...(run.index.finishedAt ? { finishedAt: run.index.finishedAt } : {}) },
    toggles,
  };
}
