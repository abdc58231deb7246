// The mergeability of a queue on every base it claims (base + bases:), as `tiny queue check`
// computes it, for the patch x base matrix printed after a rebase.

import type { BaseCheck } from '../merge/types.js';
import { resolveBases } from '../pipeline/bases.js';
import { checkSeriesOnBase } from '../pipeline/check.js';
import type { Queue } from '../queue/types.js';
import type { TreeStore } from '../tree/index.js';

export async function checkAllBases(q: Queue, store: TreeStore, cacheDir: string): Promise<BaseCheck[]> {
  const versions = [q.base, ...q.otherBases].map((b) => b.version);
  const bases = await resolveBases(q, store, cacheDir, { versions });
  const out: BaseCheck[] = [];
  for (const base of bases) out.push((await checkSeriesOnBase(store, base, q.series, { pairs: false })).check);
  return out;
}
