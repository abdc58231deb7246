// Reading the records of one configuration on several bases for `tiny report --bases`: for each
// base, the newest record of each toggle built on the tree the queue pins for it with the
// queue's current patches (a record of an older version of a patch is left out). The run index
// (runs/<config>.json) holds only a configuration's latest run, whatever its base, so the
// records are found in the store by configuration, base version and base tree.

import { listRecords, type RecordStore } from '../store/index.js';
import type { BuildRecord } from '../store/types.js';
import type { BaseRecords, BootSummary } from './bases.js';

export interface BaseWanted {
  version: string;
  /** The tree the queue pins (records of another tree of the same version are not used). */
  tree?: string;
  /** The queue's patches meant for this base, in series order. */
  patches: string[];
  /**
   * sha256 of every patch of the queue meant for this base, by name: a record that applied
   * another version of one of them was built for an older queue and is not used.
   */
  current?: ReadonlyMap<string, string>;
}

export async function loadBaseRecords(store: RecordStore, config: string, bases: readonly BaseWanted[], bootOf: (record: BuildRecord) => Promise<BootSummary | undefined>): Promise<BaseRecords[]> {
  const picked = pickBaseRecords(await listRecords(store, { config }), bases);
  for (const b of picked) {
    for (const t of b.toggles) {
      const boot = t.record.status === 'ok' ? await bootOf(t.record) : undefined;
      if (boot) t.boot = boot;
    }
  }
  return picked;
}

/**
 * For each base, the newest record of each toggle among `records` (newest first, as
 * listRecords gives them): on the base's pinned tree, with the queue's current patches.
 */
export function pickBaseRecords(records: readonly BuildRecord[], bases: readonly BaseWanted[]): BaseRecords[] {
  return bases.map((b) => {
    const seen = new Map<string, BuildRecord>();
    for (const r of records) {
      if (r.baseVersion !== b.version) continue;
      if (b.tree && r.inputs.baseTree.toLowerCase() !== b.tree.toLowerCase()) continue;
      if (b.current && r.patches.some((p) => b.current!.get(p.name) !== p.sha256)) continue;
      if (!seen.has(r.toggle.name)) seen.set(r.toggle.name, r);
    }
    return { version: b.version, ...(b.tree ? { tree: b.tree } : {}), toggles: [...seen].map(([toggle, record]) => ({ toggle, record })), patches: b.patches };
  });
}
