// The one rule for the paths a patch names, used by the queue loader, the in-memory applier
// (`tiny queue check`) and `tiny queue apply` alike, so that check never calls clean what apply
// refuses: every path stays inside the tree. No absolute paths, no `..`, nothing in `.git`, no
// write through a symlink (a path whose directory, or which itself, is a symlink in the tree
// as the earlier patches left it), and no symlink created pointing out of the tree (or into
// .git). git apply refuses the same paths; GNU patch follows symlinks, which is how a patch
// writes outside the tree it was given.
//
// Paths are byte strings (src/util/bytes.ts), as the parser gives them.

import { posix } from 'node:path';
import { displayText } from '../util/bytes.js';
import type { FilePatch, ParsedPatch } from './types.js';

export interface PathIssue {
  /** The offending path, as the patch names it (after -pN). */
  path: string;
  /** 1-based line of the file section's header in the patch file. */
  patchLine: number;
  message: string;
  hint: string;
}

const SYMLINK_MODE = '120000';

/** Problems with a path on its own (no tree needed): absolute, `..`, `.`, empty parts, `.git`. */
export function pathProblem(path: string): { message: string; hint: string } | undefined {
  const shown = displayText(path);
  if (path === '') return { message: 'a file section names an empty path', hint: 'check the ---/+++ lines and the strip level (-pN)' };
  if (path.startsWith('/')) {
    return {
      message: `'${shown}' is an absolute path: a patch only changes files inside the tree`,
      hint: 'make the ---/+++ paths relative to the top of the tree (a/..., b/...), or check the strip level (strip: in queue.yaml)',
    };
  }
  const parts = path.split('/');
  if (parts.includes('..')) return { message: `'${shown}' leaves the tree ('..')`, hint: 'a patch only changes files inside the tree: fix the ---/+++ paths (a/..., b/...)' };
  if (parts.some((p) => p.toLowerCase() === '.git')) {
    return { message: `'${shown}' is inside .git: a patch never writes git's own files (hooks, config)`, hint: 'remove this file section from the patch' };
  }
  if (parts.some((p) => p === '.' || p === '')) {
    return { message: `'${shown}' is not a plain relative path ('.' or an empty part)`, hint: `write it as '${parts.filter((p) => p !== '.' && p !== '').join('/')}'` };
  }
  return undefined;
}

/** The mode a file section leaves its path with, in the direction of application. */
function resultingMode(f: FilePatch, reverse: boolean): string | undefined {
  return (reverse ? f.oldMode : f.newMode) ?? f.indexMode;
}

/** The content a section gives its path (for a symlink: the target), in the direction of application. */
function resultingText(f: FilePatch, reverse: boolean): string {
  const drop = reverse ? '+' : '-';
  return f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== drop).map((l) => l.text)).join('\n');
}

/** Where a symlink at `path` pointing to `target` leads, relative to the top of the tree; undefined: outside. */
function linkDestination(path: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const dest = posix.normalize(posix.join(posix.dirname(path), target));
  if (dest === '..' || dest.startsWith('../')) return undefined;
  return dest;
}

/** Which paths of the tree are symlinks (path -> target), as the series left it so far. */
export type LinkLookup = (path: string) => string | undefined;

/** Every proper parent directory of a path: "a/b/c" -> ["a", "a/b"]. */
export function parentsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Every problem with the paths of `patch`, applied in the given direction. `links` tells which
 * paths are symlinks in the tree the patch is applied to (omit it for the rules that need no
 * tree). Sections are taken in order: a symlink made by one is seen by the next.
 */
export function patchPathIssues(patch: ParsedPatch, links?: LinkLookup, reverse = false): PathIssue[] {
  const out: PathIssue[] = [];
  const made = new Map<string, string | null>(); // symlinks this patch makes (target) or removes (null)
  const linkAt = (p: string): string | undefined => (made.has(p) ? (made.get(p) ?? undefined) : links?.(p));
  for (const f of patch.files) {
    const paths = [...new Set([f.oldPath, f.newPath].filter((p): p is string => p !== null))];
    let bad = false;
    for (const path of paths) {
      const problem = pathProblem(path);
      if (problem) {
        out.push({ path, patchLine: f.patchLine, ...problem });
        bad = true;
      }
    }
    if (bad) continue;
    const mode = resultingMode(f, reverse);
    const creates = reverse ? f.isDelete : f.isNew;
    const deletes = reverse ? f.isNew : f.isDelete;
    const dst = reverse ? (f.isNew ? null : f.oldPath) : f.isDelete ? null : f.newPath;
    if (links || made.size) {
      for (const path of paths) {
        const through = parentsOf(path).find((d) => linkAt(d) !== undefined);
        if (through !== undefined) {
          out.push({
            path,
            patchLine: f.patchLine,
            message: `'${displayText(path)}' goes through the symlink '${displayText(through)}' (-> ${displayText(linkAt(through)!)}): a patch never writes through a symlink`,
            hint: `patch the file where it really is, or replace the symlink in the tree`,
          });
          bad = true;
          continue;
        }
        // The path itself a symlink: only a git patch that knows it is one (mode 120000) may
        // change or delete it; a text patch would write to whatever it points at.
        const target = linkAt(path);
        if (target !== undefined && !creates && mode !== SYMLINK_MODE && !(deletes && (reverse ? f.newMode : f.oldMode) === SYMLINK_MODE)) {
          out.push({
            path,
            patchLine: f.patchLine,
            message: `'${displayText(path)}' is a symlink in the tree (-> ${displayText(target)}): a patch never writes through a symlink`,
            hint: 'patch the file it points at, under its own path',
          });
          bad = true;
        }
      }
    }
    if (bad) continue;
    if (dst !== null && mode === SYMLINK_MODE) {
      const target = resultingText(f, reverse);
      const dest = linkDestination(dst, target);
      if (dest === undefined || dest.split('/').some((p) => p.toLowerCase() === '.git')) {
        out.push({
          path: dst,
          patchLine: f.patchLine,
          message: `'${displayText(dst)}' would be a symlink to '${displayText(target)}', ${dest === undefined ? 'outside the tree' : 'inside .git'}`,
          hint: 'a symlink a patch creates must point at a path inside the tree (a relative target that stays below the top directory)',
        });
        continue;
      }
      made.set(dst, target);
    } else if (dst !== null) made.set(dst, null);
    const src = reverse ? (f.isDelete ? null : f.newPath) : f.isNew ? null : f.oldPath;
    if (src !== null && src !== dst && (deletes || f.isRename)) made.set(src, null);
  }
  return out;
}

/**
 * The symlinks of a tree as a series of patches changes them: the base tree's, plus those the
 * patches applied so far created, minus those they removed or replaced with files.
 */
export class TreeLinks {
  private readonly changed = new Map<string, string | null>();

  constructor(private readonly base: ReadonlyMap<string, string> = new Map()) {}

  readonly target: LinkLookup = (path) => (this.changed.has(path) ? (this.changed.get(path) ?? undefined) : this.base.get(path));

  clone(): TreeLinks {
    const c = new TreeLinks(this.base);
    for (const [k, v] of this.changed) c.changed.set(k, v);
    return c;
  }

  /** The problems with `patch`'s paths on this tree (none: it may be applied). */
  issues(patch: ParsedPatch, reverse = false): PathIssue[] {
    return patchPathIssues(patch, this.target, reverse);
  }

  /** Record what an applied patch did to the tree's symlinks. */
  record(patch: ParsedPatch, reverse = false): void {
    for (const f of patch.files) {
      const dst = reverse ? (f.isNew ? null : f.oldPath) : f.isDelete ? null : f.newPath;
      const src = reverse ? (f.isDelete ? null : f.newPath) : f.isNew ? null : f.oldPath;
      const deletes = reverse ? f.isNew : f.isDelete;
      if (src !== null && src !== dst && (deletes || f.isRename)) this.changed.set(src, null);
      if (dst === null) continue;
      this.changed.set(dst, resultingMode(f, reverse) === SYMLINK_MODE ? resultingText(f, reverse) : null);
    }
  }
}

/** "patches/x.patch:12: message" and the hint: how a path issue is told, in check and apply alike. */
export function describePathIssue(patchFile: string, issue: PathIssue): string {
  return `${patchFile}:${issue.patchLine}: ${issue.message}`;
}
