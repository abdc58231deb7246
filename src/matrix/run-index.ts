// After a matrix run: the latest-run index of the configuration ($TINY_CACHE/runs/<config>.json,
// and runs/<config>@<base>.json: src/store/runs.ts), which `tiny report` reads. A full run
// replaces it; a partial run (`tiny build --only`) updates its toggles and keeps the others, when
// they were made from the same queue, configuration and toolchain (runInputs).

import type { BuildConfig } from '../kbuild/buildconfig.js';
import { readRunIndex, runInputs, writeRunIndex, type RunEntry, type RunIndex } from '../store/index.js';
import { displayOrder, type Plan } from './plan.js';
import type { ToggleResult } from './run.js';

/** The index entries of a run's results: toggles with a record (not interrupted, not inapplicable). */
export function runEntries(results: readonly ToggleResult[]): RunEntry[] {
  return results
    .filter((r) => r.key && r.status !== 'interrupted' && r.status !== 'not-applicable')
    .map((r) => ({ toggle: r.toggle.name, key: r.key!, status: r.status === 'failed' ? 'failed' : 'ok' }));
}

/**
 * A partial run's entries merged into the previous index, in plan order. The previous run's
 * other toggles are kept only when it had the same inputs (a flip built against yesterday's
 * queue must not sit beside today's queue point); `dropped` says when some were let go.
 */
export function mergeRunEntries(
  previous: Pick<RunIndex, 'toggles' | 'inputs'> | undefined,
  entries: readonly RunEntry[],
  inputs: string,
  planOrder: readonly string[],
): { toggles: RunEntry[]; dropped: boolean } {
  const same = previous?.inputs === inputs;
  const dropped = !!previous && !same && previous.toggles.some((e) => !entries.some((m) => m.toggle === e.toggle));
  const merged = new Map((same ? previous.toggles : []).map((e) => [e.toggle, e]));
  for (const e of entries) merged.set(e.toggle, e);
  return { toggles: planOrder.filter((n) => merged.has(n)).map((n) => merged.get(n)!), dropped };
}

export interface RecordRunOptions {
  cacheDir: string;
  /** The configuration, the base tree and the image the run was made from (runInputs). */
  config: BuildConfig;
  plan: Plan;
  base: { tree: string; version: string };
  image: string;
  results: readonly ToggleResult[];
  /** Only some toggles were built (--only, --shard): merge instead of replacing. */
  partial: boolean;
  startedAt: string;
  finishedAt: string;
  /** What the user should know (toggles leaving the index). */
  onNote?: (line: string) => void;
}

/** Write the latest-run index after a run; nothing is written when the run recorded nothing. */
export async function recordRun(o: RecordRunOptions): Promise<RunEntry[]> {
  const entries = runEntries(o.results);
  const inputs = runInputs({ tree: o.base.tree, patches: o.plan.selected, config: o.config, image: o.image });
  let toggles = entries;
  const order = displayOrder(o.plan.toggles).map((t) => t.name);
  if (o.partial) {
    const previous = await readRunIndex(o.cacheDir, o.config.name, o.base.version);
    const merged = mergeRunEntries(previous, entries, inputs, order);
    if (merged.dropped) {
      o.onNote?.(`the last run of ${o.config.name} was made from another queue, configuration or toolchain: its other toggles leave the latest-run index (tiny report shows this run's only)`);
    }
    toggles = merged.toggles;
  }
  // A partial run keeps the plan's order, so runs merged from several machines list their toggles in it.
  if (toggles.length) {
    await writeRunIndex(o.cacheDir, { config: o.config.name, base: o.base.version, startedAt: o.startedAt, finishedAt: o.finishedAt, toggles, inputs, ...(o.partial ? { order } : {}) });
  }
  return toggles;
}
