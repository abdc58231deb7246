// Help for the part of a rebase a maintainer spends the time on:
// - beside each conflict, the patch's intent (its own hunk) and the new base's text there;
// - when the new base already declares a Kconfig option the patch adds ("upstream has
//   CONFIG_X"), say so: the patch is then dropped for the new base or converted to what
//   upstream lacks;
// - a record in the patch header of the bases it was ported to and how (Ported-to: trailer).
// Pure text in, text out; rebase.ts does the git.

import type { Hunk, ParsedPatch } from '../patch/types.js';
import { displayText } from '../util/bytes.js';

/** One conflict block of a file left with diff3 markers. */
export interface ConflictBlock {
  /** 1-based line of the <<<<<<< marker in the conflicted file. */
  line: number;
  /** The new base's side (between <<<<<<< and |||||||). */
  ours: string[];
  /** The old base's side (between ||||||| and =======). */
  base: string[];
  /** The patch's side (between ======= and >>>>>>>). */
  theirs: string[];
}

/** The diff3 conflict blocks of a file's text (a byte string; lines stay bytes). */
export function conflictBlocks(text: string): ConflictBlock[] {
  const lines = text.split('\n');
  const out: ConflictBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('<<<<<<< ') && lines[i] !== '<<<<<<<') continue;
    const block: ConflictBlock = { line: i + 1, ours: [], base: [], theirs: [] };
    let side: 'ours' | 'base' | 'theirs' = 'ours';
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.startsWith('||||||| ') || l === '|||||||') side = 'base';
      else if (l === '=======') side = 'theirs';
      else if (l.startsWith('>>>>>>> ') || l === '>>>>>>>') break;
      else block[side].push(l);
    }
    out.push(block);
    i = j;
  }
  return out;
}

/** The hunks of `file` in the patch whose old text overlaps the conflict's old-base side. */
export function hunksFor(patch: ParsedPatch, file: string, block: ConflictBlock): Hunk[] {
  const fp = patch.files.find((f) => f.newPath === file || f.oldPath === file);
  if (!fp) return [];
  const wanted = new Set(block.base.filter((l) => l.trim() !== ''));
  const matching = fp.hunks.filter((h) => h.lines.some((l) => l.kind !== '+' && wanted.has(l.text)));
  if (matching.length) return matching;
  // The old base had nothing there (the patch only adds): the hunks that add the patch's lines.
  const added = new Set(block.theirs.filter((l) => l.trim() !== ''));
  return fp.hunks.filter((h) => h.lines.some((l) => l.kind === '+' && added.has(l.text)));
}

export interface ConflictHelp {
  file: string;
  line: number;
  /** The patch's hunk(s) as they are in the patch file (@@ header and lines), as text. */
  intent: string[];
  /** The new base's text in the conflict, as text. */
  newBase: string[];
}

/** For each conflict block of each file: the patch's hunk beside the new base's text. */
export function conflictHelp(patch: ParsedPatch, files: Array<{ file: string; text: string }>): ConflictHelp[] {
  const out: ConflictHelp[] = [];
  for (const { file, text } of files) {
    for (const block of conflictBlocks(text)) {
      const intent = hunksFor(patch, file, block).flatMap((h) => [
        `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${displayText(h.section)}`,
        ...h.lines.map((l) => `${l.kind}${displayText(l.text)}`),
      ]);
      out.push({ file, line: block.line, intent, newBase: block.ours.map(displayText) });
    }
  }
  return out;
}

/** Kconfig symbols the patch declares (`+config X`, `+menuconfig X` in a Kconfig file). */
export function declaredOptions(patch: ParsedPatch): string[] {
  const out: string[] = [];
  for (const f of patch.files) {
    const path = f.newPath ?? '';
    if (!/(^|\/)Kconfig[^/]*$/.test(path)) continue;
    for (const h of f.hunks) {
      for (const l of h.lines) {
        const m = l.kind === '+' ? /^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(l.text) : null;
        if (m && !out.includes(m[1]!)) out.push(m[1]!);
      }
    }
  }
  return out;
}

/** Where a base declares a Kconfig symbol: `git grep -n` lines "<rev>:<path>:<line>:<text>". */
export function parseDeclarations(grepOut: string, symbols: readonly string[]): Array<{ symbol: string; file: string; line: number }> {
  const out: Array<{ symbol: string; file: string; line: number }> = [];
  for (const l of grepOut.split('\n')) {
    const m = /^[^:]+:([^:]+):(\d+):\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(l);
    if (m && symbols.includes(m[3]!) && !out.some((d) => d.symbol === m[3])) out.push({ symbol: m[3]!, file: m[1]!, line: Number(m[2]) });
  }
  return out;
}

/** The advice when the new base already declares options the patch adds. */
export function upstreamAdvice(patch: string, onto: string, from: string, decls: ReadonlyArray<{ symbol: string; file: string; line: number }>, worktree: string): string[] {
  if (!decls.length) return [];
  const what = decls.map((d) => `CONFIG_${d.symbol} (${d.file}:${d.line})`).join(', ');
  return [
    `upstream: ${onto} already declares ${what}, which ${patch} adds.`,
    `  If ${onto} does what the patch does: resolve to no change (git -C ${worktree} checkout HEAD -- .,`,
    `  then --continue): the patch stays for ${from} only ("upstream" in the table).`,
    `  If it does part of it: keep only the rest and leave out the patch's own Kconfig entry (convert).`,
  ];
}

/**
 * The patch text with a `Ported-to: <version> (<how>)` trailer: after the header's last trailer
 * line (Signed-off-by: ...), replacing one for the same version. A patch without a header is
 * returned as it is (there is nowhere to record it).
 */
export function withPortRecord(header: string, version: string, how: string): string {
  if (!header.trim()) return header;
  const lines = header.split('\n');
  const entry = `Ported-to: ${version} (${how})`;
  const same = lines.findIndex((l) => l.startsWith(`Ported-to: ${version} (`));
  if (same >= 0) {
    lines[same] = entry;
    return lines.join('\n');
  }
  let last = -1;
  for (let i = 0; i < lines.length; i++) if (/^[A-Z][A-Za-z-]*: \S/.test(lines[i]!) && i > 0 && !/^(From|Date|Subject): /.test(lines[i]!)) last = i;
  if (last < 0) {
    // No trailers: a paragraph of its own at the end of the message.
    let end = lines.length;
    while (end > 0 && lines[end - 1] === '') end--;
    lines.splice(end, 0, '', entry);
    return lines.join('\n');
  }
  lines.splice(last + 1, 0, entry);
  return lines.join('\n');
}

/** How a rebased patch got onto the new base, in the words of the Ported-to: trailer. */
export function portHow(status: string | undefined, detail: string | undefined): string | undefined {
  if (status === 'clean') return 'clean';
  if (status === 'merged') return detail === 'offset' ? 'offset' : 'merged';
  if (status === 'conflict') return 'hand';
  return undefined;
}
