// The mergeability of a queue on every base it claims (base + bases:), as `tiny queue check`
// computes it, for the patch x base matrix printed after a rebase.

import { checkBase } from '../merge/check.js';
import { pathsOf } from '../merge/state.js';
import type { BaseCheck } from '../merge/types.js';
import { resolveBases } from '../pipeline/bases.js';
import type { Queue } from '../queue/types.js';
import { readFiles, type TreeStore } from '../tree/index.js';

export async function checkAllBases(q: Queue, store: TreeStore, cacheDir: string): Promise<BaseCheck[]> {
  const versions = [q.base, ...q.otherBases].map((b) => b.version);
  const bases = await resolveBases(q, store, cacheDir, { versions });
  const paths = new Set<string>();
  for (const p of q.series) for (const path of pathsOf(p.parsed)) paths.add(path);
  const out: BaseCheck[] = [];
  for (const base of bases) {
    const files = await readFiles(store, base.commit, [...paths]);
    out.push(checkBase({ version: base.version, tree: base.tree, series: q.series, baseFiles: files, pairs: false }));
  }
  return out;
}
