// Regenerate one patch file from two trees of the store (before and after the patch), the way
// `quilt refresh` does: the header stays, the diff is rewritten in a stable form (a/ b/ paths,
// files in path order, -U3, Myers, no renames, no index lines, no timestamps). A patch whose
// text still gives exactly that change, applied exactly where it says (no offset, no fuzz), is
// left byte for byte as it is: refresh must not churn files nobody changed.

import { rm } from 'node:fs/promises';
import { git } from '../tree/git.js';
import { scratchPath, type TreeStore } from '../tree/store.js';
import { argOf, bytesOf } from '../util/bytes.js';
import { TinyError } from '../util/diagnostics.js';
import { parsePatch, patchTextForGit } from '../patch/parse.js';
import { composePatch, diffCounts, splitPatch, stableDiffText } from './patchfile.js';

export interface PatchToRegenerate {
  name: string;
  /** Display path of the patch file (for messages). */
  file: string;
  /** The patch file's bytes as a byte string (src/util/bytes.ts). */
  text: string;
  strip: number;
  reverse: boolean;
}

export interface Regenerated {
  name: string;
  file: string;
  /** The patch file's new bytes, a byte string: write it with bytesOf. */
  text: string;
  changed: boolean;
  /**
   * Why the text changed: 'content' the change itself; 'position' the same change at other
   * lines (offsets); 'context' the old text no longer applies exactly (fuzz, or a new base).
   */
  why?: 'content' | 'position' | 'context';
  counts: { files: number; hunks: number; added: number; removed: number };
}

/** The tree of each rev, in one git call. */
export async function treesOf(store: TreeStore, revs: string[]): Promise<string[]> {
  return (await git(store.gitDir, ['rev-parse', ...revs.map((r) => `${r}^{tree}`)])).stdout.trim().split('\n');
}

/** Paths a patch touches (after -pN), for a sparse index. */
function patchPaths(p: Pick<PatchToRegenerate, 'text' | 'strip'>): string[] {
  try {
    const files = parsePatch(p.text, p.strip).files;
    return [...new Set(files.flatMap((f) => [f.oldPath, f.newPath]).filter((x): x is string => !!x))];
  } catch {
    return [];
  }
}

/** A new scratch index holding only `paths` of `tree` (git apply --cached needs no other entry). */
async function sparseIndex(store: TreeStore, index: string, tree: string, paths: string[]): Promise<void> {
  const env = { GIT_INDEX_FILE: index };
  // Paths are byte strings: bytes in and out of git (the arguments as UTF-8, exact for UTF-8 names).
  const ls = paths.length ? (await git(store.gitDir, ['--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-tree', tree, '--', ...paths.map(argOf)], { byteString: true })).stdout : '';
  // An index file that does not exist reads as empty; update-index creates it.
  if (ls) await git(store.gitDir, ['update-index', '-z', '--index-info'], { env, input: bytesOf(ls) });
  else await git(store.gitDir, ['read-tree', '--empty'], { env });
}

/**
 * Does `text`, applied on `before` exactly as written (git apply: no fuzz), give `after`? And did
 * some hunk land at another line than the patch says? Compared on the files the patch or the
 * change touches only, so it costs the same on a 17,000-file tree as on a fake one.
 * undefined when the patch does not apply.
 */
export async function applyExactly(store: TreeStore, before: string, p: Pick<PatchToRegenerate, 'text' | 'strip' | 'reverse'>, after?: string): Promise<{ same: boolean; moved: boolean } | undefined> {
  const changed = after ? (await git(store.gitDir, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', before, after], { byteString: true })).stdout.split('\0').filter(Boolean) : [];
  const paths = [...new Set([...patchPaths(p), ...changed])];
  const index = await scratchPath(store, 'refresh.index');
  const wantIndex = `${index}.want`;
  const env = { GIT_INDEX_FILE: index };
  try {
    await sparseIndex(store, index, before, paths);
    const args = ['apply', '--cached', '-v', '--whitespace=nowarn', '--allow-empty', `-p${p.strip}`, ...(p.reverse ? ['-R'] : [])];
    const r = await git(store.gitDir, args, { env, input: bytesOf(patchTextForGit(p.text)), allowFail: true });
    if (r.code !== 0) return undefined;
    const moved = /^Hunk #\d+ succeeded at \d+ \(offset -?\d+ lines?\)/m.test(r.stderr);
    if (!after) return { same: false, moved };
    const got = (await git(store.gitDir, ['write-tree'], { env })).stdout.trim();
    await sparseIndex(store, wantIndex, after, paths);
    const want = (await git(store.gitDir, ['write-tree'], { env: { GIT_INDEX_FILE: wantIndex } })).stdout.trim();
    return { same: got === want, moved };
  } finally {
    await rm(index, { force: true });
    await rm(wantIndex, { force: true });
  }
}

/** The stable diff from tree `a` to tree `b`, and its diffstat. */
export async function stableDiff(store: TreeStore, a: string, b: string, strip: number): Promise<{ diff: string; stat: string }> {
  const prefix = strip === 0 ? ['--no-prefix'] : ['--src-prefix=a/', '--dst-prefix=b/'];
  const common = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--ignore-submodules', '--diff-algorithm=myers'];
  // The diff is content: kept as bytes (a byte string), as the patch it goes into.
  // --binary: a binary file's change as data git apply can apply (with the full ids it needs),
  // not "Binary files ... differ"; text files' diffs are the same either way.
  const diff = await git(store.gitDir, ['diff', ...common, '--binary', '-U3', ...prefix, a, b, '--'], { byteString: true });
  const stat = await git(store.gitDir, ['diff', ...common, '--stat=72', '--summary', a, b, '--'], { byteString: true });
  return { diff: stableDiffText(diff.stdout), stat: stat.stdout };
}

/** The patch file for the change `before` -> `after` (trees or commits of the store). */
export async function regeneratePatch(store: TreeStore, p: PatchToRegenerate, before: string, after: string): Promise<Regenerated> {
  if (p.strip !== 0 && p.strip !== 1) {
    throw new TinyError(
      `${p.file}: cannot refresh a patch applied with -p${p.strip}`,
      2,
      [],
      'refresh writes a/ b/ paths (-p1) or bare paths (-p0): convert the patch to -p1 and set strip: 1 in queue.yaml',
    );
  }
  const [beforeTree, afterTree] = (await treesOf(store, [before, after])) as [string, string];
  const applied = await applyExactly(store, beforeTree, p, afterTree);
  const counts = () => diffCounts(splitPatch(p.text).diff);
  if (applied?.same && !applied.moved) {
    return { name: p.name, file: p.file, text: p.text, changed: false, counts: counts() };
  }
  // A reversed patch (series "-R") describes the change backwards.
  const [from, to] = p.reverse ? [afterTree, beforeTree] : [beforeTree, afterTree];
  const { diff, stat } = await stableDiff(store, from, to, p.strip);
  const text = composePatch(splitPatch(p.text), diff, stat);
  if (text === p.text) return { name: p.name, file: p.file, text, changed: false, counts: diffCounts(diff) };
  // Applied, but to another result: the change itself differs. Applied where it says and to the
  // same result cannot reach here. Otherwise only where or with which context it applies changed.
  const why = !applied ? 'context' : !applied.same ? 'content' : 'position';
  return { name: p.name, file: p.file, text, changed: true, why, counts: diffCounts(diff) };
}
