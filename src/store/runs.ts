// The per-config "latest run" index, <cacheDir>/runs/<config>.json: which record each toggle
// of the last `tiny build --config <config>` produced, so reports find the latest results
// without scanning the store. Each run also writes runs/<config>@<base>.json, the latest run on
// that base: a run on another base replaces the first and leaves the second alone (`tiny report
// --base`, a release of that base). Written atomically (temp file + rename).
//
// On disk (schema/run-index.schema.json): version 3 adds the base; version 2 (snake_case keys,
// schema_version: 2) and version 1 (no schema_version, startedAt/finishedAt) are still read.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { writeFileAtomic } from '../util/fs.js';
import { KEY_RE, inspectRecord, type RecordStore } from './records.js';
import type { BuildRecord } from './types.js';

export interface RunEntry {
  toggle: string;
  key: string;
  status: BuildRecord['status'];
}

export interface RunIndex {
  config: string;
  /** The base version the run built on (absent in indexes written before it was kept). */
  base?: string;
  /** ISO 8601. */
  startedAt: string;
  finishedAt?: string;
  /** In plan order. */
  toggles: RunEntry[];
  /** runInputs() of the run: a partial run keeps the previous run's other toggles only when equal. */
  inputs?: string;
  /**
   * Every toggle of the run's plan in report order, when the run built only some of them
   * (`--only`, `--shard`): runs merged from several machines list their toggles in it.
   */
  order?: string[];
}

/**
 * What every toggle of a run is made from, except its own .config: the base tree, the
 * selected patches, the configuration and the toolchain image. A `tiny build --only` run
 * merges its toggles into the latest-run index only when the previous run had the same
 * inputs: a flip built against yesterday's queue must not sit beside today's queue point.
 */
export function runInputs(parts: { tree: string; patches: ReadonlyArray<{ name: string; sha256: string }>; config: unknown; image: string }): string {
  const value = { tree: parts.tree, patches: parts.patches.map((p) => [p.name, p.sha256]), config: parts.config, image: parts.image };
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** The version of runs/<config>.json this tiny writes. */
export const RUN_INDEX_SCHEMA_VERSION = 3;

/** A run index as read from disk, either version; undefined when it is neither. */
export function runIndexFromJson(v: unknown): RunIndex | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.config !== 'string' || !Array.isArray(o.toggles)) return undefined;
  const toggles = o.toggles as RunEntry[];
  const inputs = {
    ...(typeof o.inputs === 'string' ? { inputs: o.inputs } : {}),
    ...(Array.isArray(o.order) && o.order.every((n) => typeof n === 'string') ? { order: o.order as string[] } : {}),
  };
  if ((o.schema_version === RUN_INDEX_SCHEMA_VERSION || o.schema_version === 2) && typeof o.started_at === 'string') {
    return {
      config: o.config,
      ...(typeof o.base === 'string' ? { base: o.base } : {}),
      startedAt: o.started_at,
      ...(typeof o.finished_at === 'string' ? { finishedAt: o.finished_at } : {}),
      toggles,
      ...inputs,
    };
  }
  if (o.schema_version === undefined && typeof o.startedAt === 'string') {
    return { config: o.config, startedAt: o.startedAt, ...(typeof o.finishedAt === 'string' ? { finishedAt: o.finishedAt } : {}), toggles, ...inputs };
  }
  return undefined;
}

const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const BASE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** runs/<config>.json, or with `base` runs/<config>@<base>.json (a configuration name has no "@"). */
export function runIndexPath(cacheDir: string, config: string, base?: string): string {
  if (!CONFIG_NAME.test(config)) throw new TinyError(`not a configuration name: ${JSON.stringify(config)}`, 2);
  if (base !== undefined && !BASE_VERSION.test(base)) throw new TinyError(`not a base version: ${JSON.stringify(base)}`, 2);
  return join(resolve(cacheDir), 'runs', base === undefined ? `${config}.json` : `${config}@${base}.json`);
}

export async function writeRunIndex(cacheDir: string, index: RunIndex): Promise<void> {
  const seen = new Set<string>();
  for (const t of index.toggles) {
    if (!KEY_RE.test(t.key)) throw new TinyError(`run index: toggle ${t.toggle} has no valid record key`, 2);
    if (seen.has(t.toggle)) throw new TinyError(`run index: toggle ${t.toggle} listed twice`, 2);
    seen.add(t.toggle);
  }
  const clean = {
    schema_version: RUN_INDEX_SCHEMA_VERSION,
    config: index.config,
    ...(index.base ? { base: index.base } : {}),
    started_at: index.startedAt,
    ...(index.finishedAt ? { finished_at: index.finishedAt } : {}),
    toggles: index.toggles.map((t) => ({ toggle: t.toggle, key: t.key, status: t.status })),
    ...(index.inputs ? { inputs: index.inputs } : {}),
    ...(index.order ? { order: [...index.order] } : {}),
  };
  const text = JSON.stringify(clean, null, 2) + '\n';
  // The base's own index first: a kill between the two leaves the latest one a run behind.
  if (index.base) await writeFileAtomic(runIndexPath(cacheDir, index.config, index.base), text);
  await writeFileAtomic(runIndexPath(cacheDir, index.config), text);
}

/**
 * The index of the last run of `config` (on `base`, when given: runs/<config>@<base>.json, which
 * every run writes before the latest one), or undefined (never run, or unreadable). An index
 * written before runs kept their base stands for no base.
 */
export async function readRunIndex(cacheDir: string, config: string, base?: string): Promise<RunIndex | undefined> {
  const read = async (path: string) => {
    try {
      const v = runIndexFromJson(JSON.parse(await readFile(path, 'utf8')));
      return v?.config === config ? v : undefined;
    } catch {
      return undefined;
    }
  };
  if (base === undefined) return read(runIndexPath(cacheDir, config));
  const own = await read(runIndexPath(cacheDir, config, base));
  return own?.base === base ? own : undefined;
}

/** The last run of `config` (on `base`, when given) with its records (record undefined when it has left the store). */
export async function latestRun(
  store: RecordStore,
  config: string,
  base?: string,
): Promise<{ index: RunIndex; results: Array<RunEntry & { record?: BuildRecord; corrupt?: { path: string; why: string } }> } | undefined> {
  const index = await readRunIndex(store.cacheDir, config, base);
  if (!index) return undefined;
  const results: Array<RunEntry & { record?: BuildRecord; corrupt?: { path: string; why: string } }> = [];
  for (const t of index.toggles) {
    const r = KEY_RE.test(t.key) ? await inspectRecord(store, t.key) : ({ state: 'absent' } as const);
    if (r.state === 'ok') results.push({ ...t, record: r.record });
    else if (r.state === 'corrupt') results.push({ ...t, corrupt: { path: r.path, why: r.why } });
    else results.push({ ...t });
  }
  return { index, results };
}
