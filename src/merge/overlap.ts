// Which hunks of a series overlap, in the coordinates of the tree each patch applies to.
//
// A hunk's line numbers are those of the tree before its own patch, which every earlier patch of
// the series has shifted: comparing two patches' @@ numbers as written finds overlaps that are
// not there (a later patch's entry pushed down by an earlier one's insertion) and misses ones
// that are. So every line of a file carries the hunks (of the patches applied in order) that
// covered it, as context or as a line they added, and each hunk is carried through the later
// patches line by line: a hunk overlaps an earlier one when one of the lines it reads (its
// context and the lines it removes) carries that earlier hunk.

import type { HunkResult, ParsedPatch } from '../patch/types.js';

/** One hunk of the series: the patch's index in the series, and the hunk's ordinal in the patch. */
type Mark = number;
const HUNKS_PER_PATCH = 1_000_000;
const markOf = (patch: number, hunk: number): Mark => patch * HUNKS_PER_PATCH + hunk;
const patchOf = (mark: Mark): number => Math.floor(mark / HUNKS_PER_PATCH);

/** The hunks of a line no hunk has covered: shared, never changed (a covered line gets a new set). */
const NONE: ReadonlySet<Mark> = new Set<Mark>();

/** The number of lines splitLines gives for `text`, without splitting it. */
function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

export class HunkOverlaps {
  /** Per path: for each line of the file as it is now, the hunks that covered it. */
  private readonly lines = new Map<string, Array<ReadonlySet<Mark>>>();
  /** "i,j" -> the pairs (hunk of j, hunk of i) that share a line, i < j. */
  private readonly counts = new Map<string, number>();

  /**
   * Record patch `index` of the series, which applied with these hunk results. `before` reads a
   * file as it was before the patch (for the number of lines of a file no hunk has covered yet).
   */
  record(index: number, patch: ParsedPatch, reverse: boolean, results: readonly HunkResult[], before: (path: string) => string | undefined): void {
    let ordinal = 0;
    let next = 0;
    for (const file of patch.files) {
      const inPath = reverse ? (file.newPath ?? file.oldPath) : (file.oldPath ?? file.newPath);
      const outPath = reverse ? file.oldPath : file.newPath;
      if (inPath === null) continue;
      const fileResults = results.slice(next, next + file.hunks.length);
      next += file.hunks.length;
      let old = this.lines.get(inPath);
      if (!old) {
        const text = before(inPath);
        // One shared empty set for every line no hunk has covered: a big file is an array, not
        // thousands of sets (a 165-patch check spent a quarter of its time collecting them).
        old = text === undefined ? [] : new Array<ReadonlySet<Mark>>(lineCount(text)).fill(NONE);
      }
      const now: Array<ReadonlySet<Mark>> = [];
      let pos = 0; // next line of `old` to copy (0-based)
      file.hunks.forEach((hunk, k) => {
        const mark = markOf(index, ordinal++);
        const r = fileResults[k];
        if (!r?.applied || r.appliedLine === undefined) return;
        const start = Math.max(pos, r.appliedLine - 1);
        for (; pos < start && pos < old.length; pos++) now.push(old[pos]!);
        const touched = new Set<Mark>();
        for (const line of hunk.lines) {
          const reads = reverse ? line.kind !== '-' : line.kind !== '+';
          const writes = reverse ? line.kind !== '+' : line.kind !== '-';
          if (reads) {
            const carried = old[pos] ?? NONE;
            for (const m of carried) touched.add(m);
            if (writes) now.push(new Set([...carried, mark])); // context: kept, now covered by this hunk too
            pos++;
          } else if (writes) {
            now.push(new Set([mark]));
          }
        }
        for (const m of touched) {
          const earlier = patchOf(m);
          if (earlier === index) continue;
          const key = `${earlier},${index}`;
          this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        }
      });
      for (; pos < old.length; pos++) now.push(old[pos]!);
      if (outPath === null) this.lines.delete(inPath);
      else {
        if (outPath !== inPath && file.isRename) this.lines.delete(inPath);
        this.lines.set(outPath, now);
      }
    }
  }

  /** How many hunk pairs of patches `i` and `j` (series indexes, i < j) share a line. */
  between(i: number, j: number): number {
    return this.counts.get(`${i},${j}`) ?? 0;
  }
}
