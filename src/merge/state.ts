// An in-memory tree: base file contents plus changes made by applying patches. Only the files
// the queue touches are ever loaded, which is what makes checking a 165-patch series fast.

import type { ApplyOutcome, HunkResult, ParsedPatch } from '../patch/types.js';
import { applyPatch } from '../patch/apply.js';
import { parentsOf, TreeLinks } from '../patch/paths.js';

export class FileState {
  private readonly changed = new Map<string, string | null>();
  private readonly links: TreeLinks;

  /** `base`: file contents (byte strings); `baseLinks`: the tree's symlinks (path -> target). */
  constructor(
    private readonly base: ReadonlyMap<string, string | undefined>,
    baseLinks: ReadonlyMap<string, string> | TreeLinks = new Map(),
  ) {
    this.links = baseLinks instanceof TreeLinks ? baseLinks : new TreeLinks(baseLinks);
  }

  read = (path: string): string | undefined => {
    if (this.changed.has(path)) return this.changed.get(path) ?? undefined;
    return this.base.get(path);
  };

  clone(): FileState {
    const c = new FileState(this.base, this.links.clone());
    for (const [k, v] of this.changed) c.changed.set(k, v);
    return c;
  }

  /**
   * Apply a patch; on success the state changes, on failure it stays as it was. `patchFile`
   * names the patch file in path errors ("patches/x.patch:3: ...").
   */
  apply(patch: ParsedPatch, reverse: boolean, patchFile?: string): ApplyOutcome {
    return this.applyWithHunks(patch, reverse, patchFile).outcome;
  }

  /** `apply`, also giving where each hunk landed. */
  applyWithHunks(patch: ParsedPatch, reverse: boolean, patchFile?: string): { outcome: ApplyOutcome; hunks: HunkResult[] } {
    const r = applyPatch(this.read, patch, { reverse, links: this.links.target, ...(patchFile ? { patchFile } : {}) });
    if (r.outcome.kind !== 'fails') {
      for (const [k, v] of r.changes) this.changed.set(k, v);
      this.links.record(patch, reverse);
    }
    return { outcome: r.outcome, hunks: r.hunks };
  }
}

/** Every path a patch names and every directory above them: where a symlink would matter. */
export function pathsAndParentsOf(patch: ParsedPatch): string[] {
  const out = new Set<string>();
  for (const p of pathsOf(patch)) {
    out.add(p);
    for (const d of parentsOf(p)) out.add(d);
  }
  return [...out];
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
