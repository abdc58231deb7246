// A patch file as three parts, so that refresh can replace the diff and keep everything a human
// wrote: the header (From/Date/Subject, description, trailers), an optional format-patch
// diffstat block (regenerated, since it describes the diff), the diff, and an optional
// format-patch signature ("-- " and a git version) after it. Pure text in, text out.

export interface PatchParts {
  /** Everything before the diff (and before the diffstat block, when there is one). */
  header: string;
  /** True when the header ended with a format-patch "---" line and a diffstat. */
  hasDiffstat: boolean;
  /** The diff itself ("diff --git ..." or "--- a/..." onwards). */
  diff: string;
  /** A format-patch signature after the diff ("-- \n2.39.5\n\n"), kept as it was. */
  trailer: string;
}

function startsDiff(lines: string[], i: number): boolean {
  const l = lines[i]!;
  if (l.startsWith('diff --git ') || l.startsWith('Index: ') || l.startsWith('diff -')) return true;
  return l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
}

const STAT_LINE = /^ .+ \| +(\d+ ?[+-]*|Bin .*)$/;
const STAT_SUMMARY = /^ \d+ files? changed(, \d+ insertions?\(\+\))?(, \d+ deletions?\(-\))?$/;
const STAT_MODE = /^ (create|delete) mode \d+ |^ mode change \d+ => \d+ |^ rename .* \(\d+%\)$/;

export function splitPatch(text: string): PatchParts {
  // Keep line ends exactly: split on '\n' and join with '\n'.
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && !startsDiff(lines, first)) first++;
  let headerLines = lines.slice(0, first);
  let hasDiffstat = false;
  // A format-patch mail: "---", then " file | n +-" lines, " N files changed...", optional
  // " create mode ..." lines, then a blank line just before the diff.
  const sep = headerLines.lastIndexOf('---');
  if (sep >= 0) {
    const block = headerLines.slice(sep + 1);
    while (block.length && block[block.length - 1] === '') block.pop();
    const summary = block.findIndex((l) => STAT_SUMMARY.test(l));
    if (summary >= 0 && block.slice(0, summary).every((l) => STAT_LINE.test(l)) && block.slice(summary + 1).every((l) => STAT_MODE.test(l))) {
      hasDiffstat = true;
      headerLines = headerLines.slice(0, sep);
    }
  }
  let end = lines.length;
  // "-- " followed by a version line and blank lines, at the very end: the mail signature.
  const sig = lines.lastIndexOf('-- ');
  if (sig > first && lines.slice(sig + 2).every((l) => l === '') && sig + 1 < lines.length && lines[sig + 1] !== '') end = sig;
  const header = headerLines.length ? headerLines.join('\n') + '\n' : '';
  return {
    header: first === 0 ? '' : header,
    hasDiffstat,
    diff: lines.slice(first, end).join('\n') + (end < lines.length ? '\n' : ''),
    trailer: lines.slice(end).join('\n'),
  };
}

/** The patch file for `parts` with a new diff (and diffstat, when the old file had one). */
export function composePatch(parts: PatchParts, diff: string, diffstat: string): string {
  let out = parts.header;
  if (parts.hasDiffstat) out += `---\n${diffstat}${diffstat.endsWith('\n') ? '' : '\n'}\n`;
  out += diff;
  if (parts.trailer) out += (out.endsWith('\n') ? '' : '\n') + parts.trailer;
  return out;
}

/**
 * Normalize `git diff` output into the queue's stable form: no "index" lines (they name blobs
 * of one particular store and change with every unrelated edit) but a binary patch's (its ids
 * are what it applies to), nothing else altered (context lines keep their exact bytes, trailing
 * whitespace included).
 */
export function stableDiffText(gitDiff: string): string {
  const out: string[] = [];
  let inHeader = false;
  // The index line of the file being read, dropped unless a binary patch follows: git apply
  // needs its full object ids to apply one (src/patch/binary.ts).
  let index: { line: string; at: number } | undefined;
  for (const line of gitDiff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      inHeader = true;
      index = undefined;
    } else if (line.startsWith('@@ ')) inHeader = false;
    if (inHeader && /^index [0-9a-f]+\.\.[0-9a-f]+( \d+)?$/.test(line)) {
      index = { line, at: out.length };
      continue;
    }
    if (inHeader && line === 'GIT binary patch' && index) {
      out.splice(index.at, 0, index.line);
      index = undefined;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** +added -removed and hunk count of a diff (for "what changed" lines). */
export function diffCounts(diff: string): { files: number; hunks: number; added: number; removed: number } {
  let files = 0;
  let hunks = 0;
  let added = 0;
  let removed = 0;
  let inHunk = false;
  for (const l of diff.split('\n')) {
    if (l.startsWith('diff --git ')) {
      files++;
      inHunk = false;
    } else if (l.startsWith('@@ ')) {
      hunks++;
      inHunk = true;
    } else if (inHunk && l.startsWith('+')) added++;
    else if (inHunk && l.startsWith('-')) removed++;
  }
  return { files, hunks, added, removed };
}
