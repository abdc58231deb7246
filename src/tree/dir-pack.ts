// The first import of a directory without git: each file read once (hash-dir.ts's walk, git's
// rules for a work tree), hashed and packed by tiny's pack writer, the trees hashed in memory,
// and the index `git add` would have left written from the stat data of the same read, so the
// next import of the directory is git's stat-only `git add -A` (import.ts). Figures:
// docs/speed.md.

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IndexEntry } from './git-index.js';
import { treeOidOf } from './hash.js';
import { workTreeFiles } from './hash-dir.js';
import { PackWriter } from './pack-writer.js';
import type { TreeStore } from './store.js';

/** Bytes read between two turns of the event loop, in which the packs' writes go on. */
const TURN_BYTES = 4 << 20;

export interface PackedDirectory {
  tree: string;
  /** The index entries of each part (partOf's keys). */
  parts: Map<string, IndexEntry[]>;
}

/** Pack `dir` into the store; `partOf` names the index each path goes into. Throws UnusualDirectory. */
export async function packDirectory(store: TreeStore, dir: string, partOf: (rel: string) => string): Promise<PackedDirectory> {
  const packs = await PackWriter.forRepository(store.gitDir);
  const files = new Map<string, { oid: Buffer; mode: IndexEntry['mode'] }>();
  const parts = new Map<string, IndexEntry[]>();
  let sinceTurn = 0;
  try {
    for (const f of workTreeFiles(dir, { stat: true })) {
      const blob = packs.begin('blob', f.content.length);
      blob.write(f.content);
      const oid = blob.end();
      files.set(f.rel, { oid, mode: f.mode });
      const part = partOf(f.rel);
      const entry = { path: f.rel, oid, mode: f.mode, stat: f.stat! };
      const list = parts.get(part);
      if (list) list.push(entry);
      else parts.set(part, [entry]);
      sinceTurn += f.content.length;
      if (packs.backlog()) await packs.drained();
      else if (sinceTurn > TURN_BYTES) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
    const tree = treeOidOf(files, (oid, body) => packs.add('tree', oid, body));
    await packs.finish();
    return { tree, parts };
  } catch (e) {
    await packs.finish().catch(() => {});
    throw e;
  }
}
