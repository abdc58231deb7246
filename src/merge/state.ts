// An in-memory tree: base file contents plus changes made by applying patches. Only the files
// the queue touches are ever loaded, which is what makes checking a 165-patch series fast.

import type { ApplyOutcome, ParsedPatch } from '../patch/types.js';
import { applyPatch } from '../patch/apply.js';

export class FileState {
  private readonly changed = new Map<string, string | null>();

  constructor(private readonly base: ReadonlyMap<string, string | undefined>) {}

  read = (path: string): string | undefined => {
    if (this.changed.has(path)) return this.changed.get(path) ?? undefined;
    return this.base.get(path);
  };

  clone(): FileState {
    const c = new FileState(this.base);
    for (const [k, v] of this.changed) c.changed.set(k, v);
    return c;
  }

  /** Apply a patch; on success the state changes, on failure it stays as it was. */
  apply(patch: ParsedPatch, reverse: boolean): ApplyOutcome {
    const r = applyPatch(this.read, patch, { reverse });
    if (r.outcome.kind !== 'fails') for (const [k, v] of r.changes) this.changed.set(k, v);
    return r.outcome;
  }
}

/** Every path a patch may read: old and new paths of each file section. */
export function pathsOf(patch: ParsedPatch): string[] {
  const out: string[] = [];
  for (const f of patch.files) {
    if (f.oldPath) out.push(f.oldPath);
    if (f.newPath && f.newPath !== f.oldPath) out.push(f.newPath);
  }
  return out;
}
