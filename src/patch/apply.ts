// An in-memory patch applier with GNU patch 2.7 semantics: no processes, no disk.
//
// The hunk search (locate_hunk), the fuzz rules, the "frozen line" ordering rule and the way
// output is assembled (apply_hunk / copy_till) are ported from GNU patch 2.7.6 (src/patch.c),
// so offsets and fuzz factors are the ones `patch` prints. Line numbers are 1-based throughout,
// like patch's. Lines are compared byte for byte: a CRLF line only matches a CRLF line, and a
// line only matches when both have, or both lack, a final newline ("\ No newline at end of file").

import { describePathIssue, patchPathIssues, type LinkLookup } from './paths.js';
import { applyBinaryPatch } from './binary.js';
import type { ApplyOutcome, FilePatch, Hunk, HunkResult, ParsedPatch } from './types.js';

export interface ApplyOptions {
  /** Un-apply: swap the old and new sides of every hunk and file (like `patch -R`). */
  reverse?: boolean;
  /** Maximum fuzz (like `patch -F`); default 2, like GNU patch. */
  maxFuzz?: number;
  /**
   * Like `patch -N` (--forward): GNU patch's check, made on hunk #1 of each file only — when it
   * does not match at a fuzz level (tried from 0 up) but its reverse matches at that same level,
   * the whole file is skipped as "reversed (or previously applied)" and left as it was.
   * Default false, like `patch -f`: every hunk is tried; afterwards, when the file's hunks failed,
   * their reasons say so if the whole file applies in reverse (without fuzz), or if the failed
   * hunk itself matches reversed.
   */
  skipReversed?: boolean;
  /**
   * The symlinks of the tree the patch goes to (path -> target). With it, a path through a
   * symlink is refused; without it only the rules that need no tree apply (src/patch/paths.ts).
   */
  links?: LinkLookup;
  /** The patch file as the queue names it, for "file:line:" in path errors. */
  patchFile?: string;
}

/** The phrase every "this patch looks already applied" reason contains. */
export const REVERSED_DETECTED = 'reversed (or previously applied) patch detected';
const UNREVERSED_DETECTED = 'unreversed patch detected (patch not applied?)';

export interface FileApplyResult {
  ok: boolean;
  /** The new content; null = file deleted. On failure: what GNU patch would leave (the hunks that applied). */
  content: string | null;
  hunks: HunkResult[];
  /** A whole-file problem (not found, already exists, binary, content left on deletion, ...). */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Lines

/** A file as lines (without their '\n') plus whether the last line lacks its newline. */
export interface Lines {
  lines: string[];
  noNewlineAtEnd: boolean;
}

export function splitLines(content: string): Lines {
  if (content === '') return { lines: [], noNewlineAtEnd: false };
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
    return { lines, noNewlineAtEnd: false };
  }
  return { lines, noNewlineAtEnd: true };
}

export function joinLines(lines: readonly string[], noNewlineAtEnd: boolean): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (noNewlineAtEnd ? '' : '\n');
}

// ---------------------------------------------------------------------------------------------
// Hunks, prepared the way GNU patch holds them: a pattern (old side) and a replacement (new side).

interface Prepared {
  /** 1-based index within its file. */
  index: number;
  hunk: Hunk;
  /** patch's pch_first(): the first old line, or the line to insert before for a pure insertion. */
  first: number;
  pat: string[];
  patDel: boolean[];
  patNoNl: boolean;
  repl: string[];
  replAdd: boolean[];
  replNoNl: boolean;
  prefix: number;
  suffix: number;
}

function prepare(hunk: Hunk, index: number, reverse: boolean): Prepared {
  // A patch file with CRLF line endings: GNU patch strips the CRs from every patch line (it
  // decides from the header lines; the @@ line is the one header the parser keeps).
  const stripCr = hunk.section.endsWith('\r');
  const lines = hunk.lines;
  let lastOld = -1;
  let lastNew = -1;
  lines.forEach((l, i) => {
    if (l.kind !== '+') lastOld = i;
    if (l.kind !== '-') lastNew = i;
  });
  const oldSide: string[] = [];
  const oldDel: boolean[] = [];
  const newSide: string[] = [];
  const newAdd: boolean[] = [];
  let oldNoNl = false;
  let newNoNl = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const text = stripCr && l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text;
    if (l.kind !== '+') {
      oldSide.push(text);
      oldDel.push(l.kind === '-');
    }
    if (l.kind !== '-') {
      newSide.push(text);
      newAdd.push(l.kind === '+');
    }
    // "\ No newline at end of file" only counts on the last line of a side (as in patch's
    // another_hunk); a context line stripped on the old side is stripped on the new side too.
    if (l.noNewline) {
      if (l.kind === '-' && i === lastOld) oldNoNl = true;
      else if (l.kind === '+' && i === lastNew) newNoNl = true;
      else if (l.kind === ' ') {
        if (i === lastOld) oldNoNl = newNoNl = true;
        else if (i === lastNew) newNoNl = true;
      }
    }
  }
  let prefix = 0;
  while (prefix < lines.length && lines[prefix]!.kind === ' ') prefix++;
  let suffix = 0;
  if (prefix === lines.length)
    prefix = 0; // no change at all: match exactly, no fuzz
  else while (suffix < lines.length && lines[lines.length - 1 - suffix]!.kind === ' ') suffix++;

  const oldFirst = oldSide.length === 0 ? hunk.oldStart + 1 : hunk.oldStart;
  const newFirst = newSide.length === 0 ? hunk.newStart + 1 : hunk.newStart;
  // Reversed, the added lines are the ones to remove and the removed ones the ones to add.
  return reverse
    ? {
        index,
        hunk,
        first: newFirst,
        prefix,
        suffix,
        pat: newSide,
        patDel: newAdd,
        patNoNl: newNoNl,
        repl: oldSide,
        replAdd: oldDel,
        replNoNl: oldNoNl,
      }
    : {
        index,
        hunk,
        first: oldFirst,
        prefix,
        suffix,
        pat: oldSide,
        patDel: oldDel,
        patNoNl: oldNoNl,
        repl: newSide,
        replAdd: newAdd,
        replNoNl: newNoNl,
      };
}

// ---------------------------------------------------------------------------------------------
// The engine for one file: patch's locate_hunk / patch_match / apply_hunk / copy_till.

/** Positions tried one by one before locate() switches to an anchor bitmap. */
const ANCHOR_AFTER = 64;

/**
 * The offset of every line of `content` (and its length, last): remembered for the last few
 * contents, because a check applies many patches to the same base files (in order, alone,
 * reversed, in pairs) and splitting a large file is most of an application's cost. The arrays
 * are never modified.
 */
const STARTS_KEPT = 256;
const startsCache = new Map<string, number[]>();
function lineStarts(content: string): number[] {
  const hit = startsCache.get(content);
  if (hit) return hit;
  const starts: number[] = [];
  let pos = 0;
  while (pos < content.length) {
    starts.push(pos);
    const nl = content.indexOf('\n', pos);
    if (nl < 0) break;
    pos = nl + 1;
  }
  starts.push(content.length);
  if (content.length > 4096) {
    if (startsCache.size >= STARTS_KEPT) startsCache.delete(startsCache.keys().next().value!);
    startsCache.set(content, starts);
  }
  return starts;
}

class Engine {
  /** The input, never split: lines are (start, end) ranges, the output is built from slices. */
  readonly src: string;
  /** starts[i] = offset of line i+1; starts[n] = src.length. */
  readonly starts: number[];
  readonly n: number;
  /** The last line lacks its newline. */
  readonly noNl: boolean;
  private readonly out: string[] = [];
  /** The output so far ends without a newline (patch's !after_newline). */
  private outNoNl = false;
  /** Input lines already copied to (or dropped from) the output. */
  lastFrozen = 0;
  /** Offset of the last located hunk (patch's in_offset): where a hunk is first looked for. */
  inOffset = 0;
  /** Lines added minus lines removed by the hunks applied so far (patch's out_offset). */
  outOffset = 0;

  constructor(content: string) {
    this.src = content;
    const starts = lineStarts(content);
    this.n = starts.length - 1;
    this.noNl = content.length > 0 && content.charCodeAt(content.length - 1) !== 10;
    this.starts = starts;
  }

  /** End of line i (1-based), excluding its newline. */
  private lineEnd(i: number): number {
    return i === this.n && this.noNl ? this.src.length : this.starts[i]! - 1;
  }

  /** Line i (1-based) without its newline. */
  line(i: number): string {
    return this.src.slice(this.starts[i - 1]!, this.lineEnd(i));
  }

  /** Does the pattern match with its first line at `base`, ignoring pf leading and sf trailing lines? */
  match(h: Prepared, base: number, pf: number, sf: number): boolean {
    const { pat, patNoNl } = h;
    const lastP = pat.length - 1;
    const end = pat.length - sf;
    const { src, starts, n, noNl } = this;
    let iline = base + pf;
    for (let p = pf; p < end; p++, iline++) {
      const pNoNl = p === lastP && patNoNl;
      const text = pat[p]!;
      if (iline < 1 || iline > n) {
        // patch's ifetch returns an empty line here: only an empty incomplete line matches it.
        if (!(pNoNl && text === '')) return false;
        continue;
      }
      const start = starts[iline - 1]!;
      const last = iline === n && noNl;
      const len = (last ? src.length : starts[iline]! - 1) - start;
      if (len !== text.length || last !== pNoNl || !src.startsWith(text, start)) return false;
    }
    return true;
  }

  /** Where the hunk applies at this fuzz level (0 = nowhere). Pure: the caller updates inOffset. */
  locate(h: Prepared, fuzz: number, inOffset = this.inOffset): number {
    const firstGuess = h.first + inOffset;
    const patLines = h.pat.length;
    const context = Math.max(h.prefix, h.suffix);
    let prefixFuzz = fuzz + h.prefix - context;
    const suffixFuzz = fuzz + h.suffix - context;
    const inputLines = this.n;
    const maxWhere = inputLines - (patLines - suffixFuzz) + 1;
    const minWhere = this.lastFrozen + 1;
    const maxPosOffset = maxWhere - firstGuess;
    let maxNegOffset = firstGuess - minWhere;
    const maxOffset = Math.max(maxPosOffset, maxNegOffset);

    if (!patLines) return firstGuess; // a null range matches always

    // Do not try lines <= 0.
    if (firstGuess <= maxNegOffset) maxNegOffset = firstGuess - 1;

    if (prefixFuzz < 0 && h.first <= 1) {
      // Less leading than trailing context at the start of the file: can only match there.
      if (suffixFuzz < 0) {
        // ... and less trailing context too: can only match the entire file.
        if (patLines !== inputLines || h.prefix < this.lastFrozen) return 0;
      }
      const offset = 1 - firstGuess;
      return this.lastFrozen <= h.prefix && offset <= maxPosOffset && this.match(h, 1, 0, suffixFuzz) ? 1 : 0;
    } else if (prefixFuzz < 0) prefixFuzz = 0;

    if (suffixFuzz < 0) {
      // Less trailing than leading context: can only match the end of the file.
      const offset = firstGuess - (inputLines - patLines + 1);
      return offset <= maxNegOffset && this.match(h, firstGuess - offset, prefixFuzz, 0) ? firstGuess - offset : 0;
    }

    // Nearest first: +k then -k. (The odd start when the guess lies before the frozen region is
    // patch's own; kept so that results stay identical.)
    const minOffset = maxPosOffset < 0 ? firstGuess - maxWhere : maxNegOffset < 0 ? firstGuess - minWhere : 0;
    // Far from the guess, a bitmap of the lines equal to the first compared pattern line (the
    // anchor) rules out almost every position without a call to match().
    const anchored = prefixFuzz < patLines - suffixFuzz && !(prefixFuzz === patLines - 1 && h.patNoNl);
    let cand: Uint8Array | undefined;
    const n = this.n;
    const at = (pos: number): boolean => {
      if (cand) {
        const a = pos + prefixFuzz;
        if (a < 1 || a > n || !cand[a]) return false;
      }
      return this.match(h, pos, prefixFuzz, suffixFuzz);
    };
    for (let offset = minOffset, tries = 0; offset <= maxOffset; offset++) {
      if (++tries === ANCHOR_AFTER && anchored) cand = this.anchor(h.pat[prefixFuzz]!);
      if (offset <= maxPosOffset && at(firstGuess + offset)) return firstGuess + offset;
      if (offset <= maxNegOffset && at(firstGuess - offset)) return firstGuess - offset;
    }
    return 0;
  }

  private readonly anchors = new Map<string, Uint8Array>();

  /** anchor(t)[i] = 1 when line i (1-based) is t (newlines aside). Found with indexOf, cached. */
  private anchor(t: string): Uint8Array {
    let bits = this.anchors.get(t);
    if (bits) return bits;
    bits = new Uint8Array(this.n + 1);
    const { src, starts, n } = this;
    if (t === '') {
      for (let i = 1; i <= n; i++) if (this.lineEnd(i) === starts[i - 1]) bits[i] = 1;
    } else {
      let line = 1; // the line holding `pos`, found by walking forward (hits come in order)
      for (let pos = src.indexOf(t); pos >= 0; pos = src.indexOf(t, pos + 1)) {
        if (pos > 0 && src.charCodeAt(pos - 1) !== 10) continue;
        const end = pos + t.length;
        if (end < src.length && src.charCodeAt(end) !== 10) continue;
        let lo = line;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid - 1]! <= pos) lo = mid;
          else hi = mid - 1;
        }
        line = lo;
        bits[line] = 1;
      }
    }
    this.anchors.set(t, bits);
    return bits;
  }

  /** Copy input lines up to `target`; false when the output already went past it. */
  private copyTill(target: number): boolean {
    if (this.lastFrozen > target) return false; // "misordered hunks! output would be garbled"
    const to = Math.min(target, this.n);
    if (this.lastFrozen < to) {
      if (this.outNoNl) this.out.push('\n');
      this.out.push(this.src.slice(this.starts[this.lastFrozen]!, this.starts[to]!));
      this.outNoNl = to === this.n && this.noNl;
    }
    // Lines past the end (a pure insertion expected beyond it) copy nothing, like patch's ifetch.
    this.lastFrozen = Math.max(this.lastFrozen, target);
    return true;
  }

  /**
   * Write replacement line j. `fixNl`: first end an output left without a newline (patch does
   * this in copy_till and for trailing added lines, but not for added lines inside a hunk,
   * which are then glued to an incomplete last line matched with fuzz; kept, for identical output).
   */
  private writeRepl(h: Prepared, j: number, fixNl: boolean): void {
    if (fixNl && this.outNoNl) this.out.push('\n');
    this.outNoNl = j === h.repl.length - 1 && h.replNoNl;
    this.out.push(this.outNoNl ? h.repl[j]! : h.repl[j]! + '\n');
  }

  /** Apply at `where`; false (with nothing written) when hunks are misordered. */
  apply(h: Prepared, where: number): boolean {
    const w = where - 1;
    const { pat, patDel, repl, replAdd } = h;
    let old = 0;
    let nw = 0;
    while (old < pat.length) {
      if (patDel[old]) {
        if (!this.copyTill(w + old)) return false;
        this.lastFrozen++;
        old++;
      } else if (nw >= repl.length) {
        break;
      } else if (replAdd[nw]) {
        if (!this.copyTill(w + old)) return false;
        this.writeRepl(h, nw++, false);
      } else {
        old++;
        nw++;
      }
    }
    if (nw < repl.length && replAdd[nw]) {
      if (!this.copyTill(w + old)) return false;
      do this.writeRepl(h, nw++, true);
      while (nw < repl.length && replAdd[nw]);
    }
    this.outOffset += repl.length - pat.length;
    return true;
  }

  finish(): string {
    if (this.lastFrozen < this.n) this.copyTill(this.n);
    return this.out.join('');
  }
}

// ---------------------------------------------------------------------------------------------
// One file's hunks

interface HunksResult {
  content: string;
  hunks: HunkResult[];
  failed: number;
  /** skipReversed only: hunk #1 matched in reverse, the file was left alone. */
  skipped: boolean;
  /** Failed hunks (by index): the line patch reports, why, and the line-endings hint. */
  failures: Map<number, { at: number; why: string; eol: boolean }>;
}

function failReason(name: string, hunk: number, f: { at: number; why: string; eol: boolean }): string {
  return `${name}: hunk #${hunk} FAILED at ${f.at}: ${f.why}${f.eol ? ' (different line endings)' : ''}`;
}

function runHunks(content: string, file: FilePatch, name: string, reverse: boolean, maxFuzz: number, skipReversed: boolean): HunksResult {
  const e = new Engine(content);
  const prepared = file.hunks.map((h, i) => prepare(h, i + 1, reverse));
  const results: HunkResult[] = [];
  const failures: HunksResult['failures'] = new Map();
  let failed = 0;
  for (let k = 0; k < prepared.length; k++) {
    const h = prepared[k]!;
    const myMaxFuzz = Math.min(maxFuzz, Math.max(h.prefix, h.suffix));
    let fuzz = 0;
    let where = 0;
    for (;;) {
      where = e.locate(h, fuzz);
      if (!where && k === 0 && skipReversed) {
        // patch's "dwim for reversed patch": try the swapped hunk at the same fuzz level.
        const swapped = prepare(h.hunk, 1, !reverse);
        if (e.locate(swapped, fuzz)) {
          const why = reverse ? UNREVERSED_DETECTED : REVERSED_DETECTED;
          const skippedResults = prepared.map((p) => ({
            file: name,
            hunk: p.index,
            expectedLine: p.first,
            offset: 0,
            fuzz: 0,
            applied: false,
            patchLine: p.hunk.patchLine,
            reason: p.index === 1 ? `${name}: hunk #1: ${why} (the reversed hunk matches at line ${e.locate(swapped, fuzz)}); skipping the file` : `${name}: hunk #${p.index} ignored: ${why}`,
            fileError: why,
          }));
          return { content, hunks: skippedResults, failed: prepared.length, skipped: true, failures: new Map() };
        }
      }
      if (where || ++fuzz > myMaxFuzz) break;
    }
    const base: HunkResult = {
      file: name,
      hunk: h.index,
      expectedLine: h.first,
      offset: 0,
      fuzz: 0,
      applied: false,
      patchLine: h.hunk.patchLine,
    };
    if (where) {
      e.inOffset = where - h.first;
      if (e.apply(h, where)) {
        results.push({ ...base, appliedLine: where, offset: e.inOffset, fuzz, applied: true });
        continue;
      }
    }
    // Not found; or found, but before what the previous hunk already wrote ("misordered hunks":
    // then appliedLine says where it matched, and patch reports that place).
    failed++;
    const at = (where || h.first) + e.outOffset;
    const f = {
      at,
      why: where ? `misordered hunks (it matches at line ${where}, before the end of the previous hunk)` : 'context not found',
      eol: differentLineEndings(h, e, at),
    };
    failures.set(h.index, f);
    results.push({ ...base, ...(where ? { appliedLine: where } : {}), reason: failReason(name, h.index, f) });
  }
  return { content: e.finish(), hunks: results, failed, skipped: false, failures };
}

/** patch's check_line_endings: the hunk's first line and the input line near the failure disagree on CRLF. */
function differentLineEndings(h: Prepared, e: Engine, where: number): boolean {
  // patch looks at the first pattern line (for a pure insertion: a header line, never CRLF) and
  // counts a line as CRLF only when it ends with "\r\n".
  const patchCrlf = h.pat.length > 0 && h.pat[0]!.endsWith('\r') && !(h.pat.length === 1 && h.patNoNl);
  if (h.pat.length > 0 && h.pat[0] === '' && h.pat.length === 1 && h.patNoNl) return false;
  if (e.n === 0) return false;
  const at = Math.min(where, e.n);
  if (at < 1) return false;
  const inputCrlf = e.line(at).endsWith('\r') && !(at === e.n && e.noNl);
  return patchCrlf !== inputCrlf;
}

/** After a forward failure: does the patch (or each failed hunk) apply in reverse? Rewrites reasons. */
function annotateReversed(original: string, file: FilePatch, name: string, reverse: boolean, r: HunksResult): void {
  const back = runHunks(original, file, name, !reverse, 0, false);
  const why = reverse ? UNREVERSED_DETECTED : REVERSED_DETECTED;
  if (back.failed === 0) {
    for (const h of r.hunks) {
      const f = r.failures.get(h.hunk);
      if (!h.applied && f) h.reason = failReason(name, h.hunk, { ...f, why });
    }
    return;
  }
  const e = new Engine(original);
  for (const h of r.hunks) {
    if (h.applied) continue;
    const swapped = prepare(file.hunks[h.hunk - 1]!, h.hunk, !reverse);
    const at = e.locate(swapped, 0, 0);
    if (at) h.reason += ` (but the reversed hunk matches at line ${at}: already applied?)`;
  }
}

function ignoredAll(file: FilePatch, name: string, why: string, reverse: boolean): HunkResult[] {
  return file.hunks.map((hunk, i) => {
    const p = prepare(hunk, i + 1, reverse);
    return {
      file: name,
      hunk: i + 1,
      expectedLine: p.first,
      offset: 0,
      fuzz: 0,
      applied: false,
      patchLine: hunk.patchLine,
      reason: `${name}: hunk #${i + 1} ignored: ${why}`,
      fileError: why,
    };
  });
}

/** The path a file patch writes (or deletes), in the direction of application. */
function targetName(file: FilePatch, reverse: boolean): string {
  return (reverse ? (file.oldPath ?? file.newPath) : (file.newPath ?? file.oldPath)) ?? '(unnamed)';
}

/** A plain diff whose only hunk is "@@ -0,0 +1,N @@": a creation whose /dev/null or epoch timestamp was lost. */
function looksLikeCreation(file: FilePatch, reverse: boolean): boolean {
  if (file.hunks.length !== 1) return false;
  const h = file.hunks[0]!;
  return reverse ? h.newStart === 0 && h.newLines === 0 : h.oldStart === 0 && h.oldLines === 0;
}

/** Apply one file's hunks to its current content (undefined = file absent). */
export function applyFilePatch(content: string | undefined, file: FilePatch, opts: ApplyOptions = {}): FileApplyResult {
  const reverse = opts.reverse ?? false;
  const maxFuzz = opts.maxFuzz ?? 2;
  const skipReversed = opts.skipReversed ?? false;
  const name = targetName(file, reverse);
  const creates = reverse ? file.isDelete : file.isNew;
  const deletes = reverse ? file.isNew : file.isDelete;
  const unchanged = content === undefined ? null : content;
  const fail = (why: string, hunks = ignoredAll(file, name, why, reverse)): FileApplyResult => ({
    ok: false,
    content: unchanged,
    hunks,
    error: `${name}: ${why}`,
  });

  if (file.binary) {
    const r = applyBinaryPatch(content, file, reverse, name);
    if ('error' in r) return fail(r.error);
    return { ok: true, content: r.content, hunks: [] };
  }

  if (creates || (content === undefined && looksLikeCreation(file, reverse))) {
    const fresh = runHunks('', file, name, reverse, maxFuzz, false);
    if (content !== undefined && content !== '') {
      if (fresh.failed === 0 && fresh.content === content) {
        return fail(`${reverse ? UNREVERSED_DETECTED : REVERSED_DETECTED}: the file already exists with the patch's content`);
      }
      return fail('file already exists');
    }
    if (fresh.failed) return { ok: false, content: unchanged, hunks: fresh.hunks, error: `${name}: cannot create the file` };
    return { ok: true, content: fresh.content, hunks: fresh.hunks };
  }

  if (content === undefined) {
    return fail(deletes ? 'file to delete not found (already deleted?)' : 'file not found');
  }

  const r = runHunks(content, file, name, reverse, maxFuzz, skipReversed);
  if (r.skipped) return { ok: false, content: unchanged, hunks: r.hunks, error: `${name}: ${reverse ? UNREVERSED_DETECTED : REVERSED_DETECTED}` };
  if (r.failed) {
    annotateReversed(content, file, name, reverse, r);
    return { ok: false, content: r.content, hunks: r.hunks, error: `${name}: ${r.failed} out of ${r.hunks.length} hunk${r.hunks.length === 1 ? '' : 's'} FAILED` };
  }
  if (deletes) {
    if (r.content !== '') {
      return { ok: false, content: r.content, hunks: r.hunks, error: `${name}: not deleting the file: its content differs from the patch` };
    }
    return { ok: true, content: null, hunks: r.hunks };
  }
  return { ok: true, content: r.content, hunks: r.hunks };
}

// ---------------------------------------------------------------------------------------------
// A whole patch

function fileError(file: FilePatch, name: string, reason: string): HunkResult {
  return { file: name, hunk: 0, expectedLine: 0, offset: 0, fuzz: 0, applied: false, patchLine: file.patchLine, reason };
}

/** patch's best_name: fewest path components, then shortest basename, then shortest name. */
function bestName(names: string[]): string {
  const key = (p: string) => [p.split('/').length, p.slice(p.lastIndexOf('/') + 1).length, p.length] as const;
  return names.reduce((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < 3; i++) if (ka[i]! !== kb[i]!) return ka[i]! < kb[i]! ? a : b;
    return a;
  });
}

/**
 * Apply a whole patch against file contents provided by `read` (path -> content, undefined if
 * absent). Nothing is mutated; `changes` maps each touched path to its new content (null =
 * deleted). Later sections of the same patch see the changes of earlier ones. On failure `changes`
 * holds what GNU patch would have written (the hunks that applied, no rejects).
 */
export function applyPatch(
  read: (path: string) => string | undefined,
  patch: ParsedPatch,
  opts: ApplyOptions = {},
): { outcome: ApplyOutcome; changes: Map<string, string | null>; hunks: HunkResult[] } {
  const reverse = opts.reverse ?? false;
  const changes = new Map<string, string | null>();
  const cur = (p: string): string | undefined => (changes.has(p) ? (changes.get(p) ?? undefined) : read(p));
  const hunks: HunkResult[] = [];
  const fileErrors: HunkResult[] = [];

  // Paths outside the tree, into .git or through a symlink: refused before anything is read,
  // by the same rule `tiny queue apply` and the queue loader use.
  const issues = patchPathIssues(patch, opts.links, reverse);
  if (issues.length) {
    for (const issue of issues) {
      const file = patch.files.find((f) => f.patchLine === issue.patchLine)!;
      fileErrors.push(fileError(file, issue.path, describePathIssue(opts.patchFile ?? 'the patch', issue)));
    }
    return { outcome: summarize([], fileErrors), changes, hunks };
  }

  for (const file of patch.files) {
    // Source (read) and destination (written) paths in the direction of application.
    const srcPath = reverse ? (file.isDelete ? null : file.newPath) : file.isNew ? null : file.oldPath;
    const dstPath = reverse ? (file.isNew ? null : file.oldPath) : file.isDelete ? null : file.newPath;
    const moves = (file.isRename || file.isCopy) && srcPath !== null && dstPath !== null && srcPath !== dstPath;
    const name = targetName(file, reverse);
    let inPath: string;
    if (moves) inPath = srcPath!;
    else {
      const names = [...new Set([srcPath, dstPath].filter((p): p is string => p !== null))];
      const existing = names.filter((p) => cur(p) !== undefined);
      inPath = existing.length ? bestName(existing) : (dstPath ?? srcPath ?? name);
    }
    const outPath = moves ? dstPath! : inPath;

    let r: FileApplyResult;
    if (moves && cur(outPath) !== undefined) {
      const verb = file.isRename ? 'rename' : 'copy';
      const why =
        cur(inPath) === undefined
          ? `${verb} source ${inPath} not found and ${outPath} already exists: ${reverse ? UNREVERSED_DETECTED : REVERSED_DETECTED}?`
          : `${verb} destination ${outPath} already exists`;
      r = { ok: false, content: null, hunks: ignoredAll(file, name, why, reverse), error: `${name}: ${why}` };
    } else {
      r = applyFilePatch(cur(inPath), file, opts);
    }

    hunks.push(...r.hunks);
    if (!r.ok) {
      if (!r.hunks.some((h) => !h.applied)) fileErrors.push(fileError(file, name, r.error ?? `${name}: failed`));
      // What patch leaves behind: the hunks that applied (nothing for a whole-file refusal).
      if (r.hunks.some((h) => h.applied) && r.content !== null) changes.set(outPath, r.content);
      continue;
    }
    if (r.content === null) {
      changes.set(inPath, null);
      continue;
    }
    changes.set(outPath, r.content);
    if (moves && file.isRename) changes.set(inPath, null);
  }
  return { outcome: summarize(hunks, fileErrors), changes, hunks };
}

/** Summarize hunk results into clean | offset (max |offset|) | fuzz (max fuzz) | fails (failed hunks). */
export function summarize(hunks: HunkResult[], fileErrors: HunkResult[]): ApplyOutcome {
  const failed = [...hunks.filter((h) => !h.applied), ...fileErrors];
  if (failed.length) return { kind: 'fails', failed };
  let fuzz = 0;
  let lines = 0;
  for (const h of hunks) {
    fuzz = Math.max(fuzz, h.fuzz);
    // Keep the sign of the largest offset, as patch(1) prints it ("offset -25 lines").
    if (Math.abs(h.offset) > Math.abs(lines)) lines = h.offset;
  }
  if (fuzz) return { kind: 'fuzz', fuzz };
  if (lines) return { kind: 'offset', lines };
  return { kind: 'clean' };
}
