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

export async function loadBaseRecords(
  store: RecordStore,
  config: string,
  bases: readonly BaseWanted[],
  bootOf: (record: BuildRecord) => Promise<BootSummary | undefined>,
): Promise<BaseRecords[]> {
  // Newest first (listRecords' order): the first record seen of a toggle is its latest.
  const records = await listRecords(store, { config });
  const out: BaseRecords[] = [];
  for (const b of bases) {
    const seen = new Map<string, BuildRecord>();
    for (const r of records) {
      if (r.baseVersion !== b.version) continue;
      if (b.tree && r.inputs.baseTree.toLowerCase() !== b.tree.toLowerCase()) continue;
      if (b.current && r.patches.some((p) => b.current!.get(p.name) !== p.sha256)) continue;
      if (!seen.has(r.toggle.name)) seen.set(r.toggle.name, r);
    }
    const toggles: BaseRecords['toggles'] = [];
    for (const [toggle, record] of seen) {
      const boot = record.status === 'ok' ? await bootOf(record) : undefined;
      toggles.push({ toggle, record, ...(boot ? { boot } : {}) });
    }
    out.push({ version: b.version, ...(b.tree ? { tree: b.tree } : {}), toggles, patches: b.patches });
  }
  return out;
}
