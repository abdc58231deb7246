// Parse a unified diff or a git format-patch mail into plain data (see types.ts).
// Understands quilt/DEP-3 preambles (From:, Subject:, Description:), "Index:" headers, git
// extended headers (modes, renames, copies, binary) and "\ No newline at end of file".
// The input is the patch's bytes as a byte string (src/util/bytes.ts): hunk lines and paths stay
// bytes; only the header's human text (From, Subject, the message) is decoded, for display.

import type { BinaryChunk, FilePatch, Hunk, HunkLine, ParsedPatch, PatchHeader } from './types.js';
import { binaryChunkHeader } from './binary.js';
import { displayText } from '../util/bytes.js';

export class PatchParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const MAIL_START = /^From [0-9a-f]{40} /;
// [^\n] rather than . so a CRLF patch's "@@ ... @@\r" still parses as a hunk header.
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?([^\n]*)$/;

/** Remove `strip` leading path components ("a/fs/ext2/super.c" -p1 -> "fs/ext2/super.c"). */
export function stripPath(path: string, strip: number): string {
  let p = path.replace(/^"(.*)"$/, '$1');
  for (let i = 0; i < strip; i++) {
    const slash = p.indexOf('/');
    if (slash < 0) return p;
    p = p.slice(slash + 1).replace(/^\/+/, '');
  }
  return p;
}

function pathFromMarker(rest: string): string | null {
  // "--- a/foo.c\t2004-10-18 ..." or "--- a/foo.c 2004-10-18 ..." (timestamps after a tab,
  // or after whitespace when followed by a date).
  let p = rest.split('\t')[0]!.trimEnd();
  p = p.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( [+-]\d{4})?$/, '');
  if (p === '/dev/null') return null;
  return p;
}

/**
 * Does the timestamp after a "---" or "+++" name say the Epoch? `diff -N` (diff -Naur, the
 * classic way to make a kernel patch) names a file that does not exist on one side so, and
 * patch(1) and git apply then create or delete it (GNU patch: "in any time zone").
 */
export function hasEpochTimestamp(rest: string): boolean {
  const m = /(?:\t|\s)(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?: ([+-])(\d\d):?(\d\d))?\s*$/.exec(rest);
  if (!m) return false;
  if (m[7] !== undefined && !/^0+$/.test(m[7])) return false;
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  const zone = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
  return local - zone === 0;
}

function parseHeader(preamble: string[], isMail: boolean): PatchHeader {
  const header: PatchHeader = { body: '', signedOffBy: [], isMail };
  const body: string[] = [];
  let i = 0;
  let inHeaders = true;
  let lastKey = '';
  for (; i < preamble.length; i++) {
    const line = preamble[i]!;
    if (isMail && i === 0 && MAIL_START.test(line)) continue;
    if (inHeaders) {
      const m = /^([A-Za-z][A-Za-z-]*):\s?(.*)$/.exec(line);
      if (m) {
        const key = m[1]!.toLowerCase();
        const value = m[2]!.trim();
        lastKey = key;
        if (key === 'from' || key === 'author') header.author ??= value;
        else if (key === 'date') header.date ??= value;
        else if (key === 'subject') header.subject ??= value;
        else if (key === 'description') header.subject ??= value;
        else if (key === 'signed-off-by') header.signedOffBy.push(value);
        continue;
      }
      if (/^[ \t]+\S/.test(line) && lastKey) {
        // RFC 822 folding or DEP-3 multi-line field.
        if (lastKey === 'subject' && header.subject !== undefined) header.subject += ' ' + line.trim();
        else if (lastKey === 'description') body.push(line.trim());
        continue;
      }
      inHeaders = false;
      if (line.trim() === '') continue;
    }
    const sob = /^\s*Signed-off-by:\s*(.*)$/i.exec(line);
    if (sob) header.signedOffBy.push(sob[1]!.trim());
    body.push(line);
  }
  if (header.subject) header.subject = header.subject.replace(/^\[[^\]]*PATCH[^\]]*\]\s*/i, '');
  if (!header.subject) {
    const first = body.findIndex((l) => l.trim() !== '');
    if (first >= 0 && !isMail) {
      header.subject = body[first]!.trim();
      body.splice(0, first + 1);
    }
  }
  while (body.length && body[0]!.trim() === '') body.shift();
  while (body.length && body[body.length - 1]!.trim() === '') body.pop();
  header.body = displayText(body.join('\n'));
  // People's names and words: text, decoded (UTF-8 when valid, else Latin-1).
  if (header.author !== undefined) header.author = displayText(header.author);
  if (header.subject !== undefined) header.subject = displayText(header.subject);
  if (header.date !== undefined) header.date = displayText(header.date);
  header.signedOffBy = header.signedOffBy.map(displayText);
  return header;
}

function newFile(patchLine: number): FilePatch {
  return {
    oldPath: null,
    newPath: null,
    isNew: false,
    isDelete: false,
    isRename: false,
    isCopy: false,
    binary: false,
    hunks: [],
    patchLine,
  };
}

/**
 * Is this a patch file written with CRLF line endings (a hunk header ends in CR: a mail client
 * or an editor on Windows)? GNU patch then reads every line without its CR, and so does tiny:
 * parsePatch here, and `git apply` through patchTextForGit, so that check and apply agree.
 */
export function isCrlfPatch(text: string): boolean {
  return /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@[^\n]*\r$/m.test(text);
}

/** The patch text as GNU patch reads it, for `git apply` (which does not strip CRs itself). */
export function patchTextForGit(text: string): string {
  return isCrlfPatch(text) ? text.replace(/\r(?=\n|$)/g, '') : text;
}

/**
 * Parse `text`. `strip` is the -pN level applied to paths. Returns no files when the text
 * holds no diff at all (the caller decides whether that is an error).
 */
export function parsePatch(text: string, strip = 1): ParsedPatch {
  const lines = patchTextForGit(text).split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const isMail = lines.length > 0 && MAIL_START.test(lines[0]!);

  // The preamble ends at the first line that starts a diff.
  const startsDiff = (i: number): boolean => {
    const l = lines[i]!;
    if (l.startsWith('diff --git ') || l.startsWith('Index: ') || l.startsWith('diff -')) return true;
    return l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
  };
  let first = 0;
  while (first < lines.length && !startsDiff(first)) first++;
  let preambleEnd = first;
  // A format-patch mail separates the message from the diffstat with "---".
  const sep = lines.slice(0, first).indexOf('---');
  if (sep >= 0) preambleEnd = sep;
  const header = parseHeader(lines.slice(0, preambleEnd), isMail);
  for (let k = preambleEnd; k < first; k++) {
    const sob = /^\s*Signed-off-by:\s*(.*)$/i.exec(lines[k]!);
    const who = sob ? displayText(sob[1]!.trim()) : undefined;
    if (who !== undefined && !header.signedOffBy.includes(who)) header.signedOffBy.push(who);
  }

  const files: FilePatch[] = [];
  const epochSides = new Map<FilePatch, { old: boolean; new: boolean }>();
  // The object ids of each file's index line (a binary patch is applied only when they are full).
  const indexIds = new Map<FilePatch, [string, string]>();
  let cur: FilePatch | null = null;
  let gitHeader = false;
  let i = first;
  const push = (f: FilePatch | null) => {
    if (f && (f.oldPath !== null || f.newPath !== null)) files.push(f);
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('diff --git ')) {
      push(cur);
      cur = newFile(i + 1);
      gitHeader = true;
      const m = /^diff --git (\S+) (\S+)$/.exec(line);
      if (m) {
        cur.oldPath = stripPath(m[1]!, strip);
        cur.newPath = stripPath(m[2]!, strip);
      }
      i++;
      continue;
    }
    if (line.startsWith('Index: ') || (line.startsWith('diff -') && !line.startsWith('diff --git'))) {
      push(cur);
      cur = null;
      gitHeader = false;
      i++;
      continue;
    }
    if (line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      const underGitHeader = gitHeader && !cur?.hunks.length;
      if (!underGitHeader) {
        push(cur);
        cur = newFile(i + 1);
      }
      gitHeader = false;
      const f = cur!;
      const oldP = pathFromMarker(line.slice(4));
      const newP = pathFromMarker(lines[i + 1]!.slice(4));
      // A git header says "new file" or "deleted file" itself; a traditional one may say it
      // with a timestamp (decided once the hunks are read).
      if (!underGitHeader) epochSides.set(f, { old: hasEpochTimestamp(line.slice(4)), new: hasEpochTimestamp(lines[i + 1]!.slice(4)) });
      f.oldPath = oldP === null ? null : stripPath(oldP, strip);
      f.newPath = newP === null ? null : stripPath(newP, strip);
      if (oldP === null) f.isNew = true;
      if (newP === null) f.isDelete = true;
      i += 2;
      continue;
    }
    if (cur && gitHeader) {
      const ext = /^(old mode|new mode|new file mode|deleted file mode|rename from|rename to|copy from|copy to|similarity index|dissimilarity index|index) ?(.*)$/.exec(line);
      if (ext) {
        const [, key, value] = ext;
        const gitPath = () => stripPath(value!, Math.max(strip - 1, 0));
        if (key === 'index') {
          const ids = /^([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d{6}))?$/.exec(value!.trimEnd());
          if (ids?.[3]) cur.indexMode = ids[3];
          if (ids) indexIds.set(cur, [ids[1]!, ids[2]!]);
        } else if (key === 'old mode') cur.oldMode = value;
        else if (key === 'new mode') cur.newMode = value;
        else if (key === 'new file mode') {
          cur.isNew = true;
          cur.newMode = value;
          cur.oldPath = null;
        } else if (key === 'deleted file mode') {
          cur.isDelete = true;
          cur.oldMode = value;
          cur.newPath = null;
        } else if (key === 'rename from') {
          cur.isRename = true;
          cur.oldPath = gitPath();
        } else if (key === 'rename to') cur.newPath = gitPath();
        else if (key === 'copy from') {
          cur.isCopy = true;
          cur.oldPath = gitPath();
        } else if (key === 'copy to') cur.newPath = gitPath();
        i++;
        continue;
      }
      if (/^Binary files .* differ$/.test(line)) {
        cur.binary = true;
        i++;
        continue;
      }
      if (line === 'GIT binary patch') {
        cur.binary = true;
        i++;
        // The forward chunk, then (usually) the reverse one: each a header line, then base85
        // lines up to an empty line.
        const chunks: BinaryChunk[] = [];
        while (chunks.length < 2 && i < lines.length) {
          const head = binaryChunkHeader(lines[i]!);
          if (!head) break;
          const chunk: BinaryChunk = { ...head, data: [], patchLine: i + 1 };
          i++;
          while (i < lines.length && lines[i] !== '') chunk.data.push(lines[i++]!);
          if (i < lines.length) i++; // the empty line that ends it
          chunks.push(chunk);
        }
        const ids = indexIds.get(cur);
        if (!chunks.length || !ids) throw new PatchParseError(`the GIT binary patch at line ${cur.patchLine} has no ${ids ? 'literal or delta data' : 'index line'}`, cur.patchLine);
        cur.binaryPatch = { oldOid: ids[0], newOid: ids[1], forward: chunks[0]!, ...(chunks[1] ? { reverse: chunks[1] } : {}) };
        continue;
      }
    }
    const hm = HUNK_HEADER.exec(line);
    if (hm && cur) {
      const hunk: Hunk = {
        oldStart: Number(hm[1]),
        oldLines: hm[2] === undefined ? 1 : Number(hm[2]),
        newStart: Number(hm[3]),
        newLines: hm[4] === undefined ? 1 : Number(hm[4]),
        section: hm[5] ?? '',
        lines: [],
        patchLine: i + 1,
      };
      i++;
      let oldLeft = hunk.oldLines;
      let newLeft = hunk.newLines;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0 || lines[i]!.startsWith('\\'))) {
        const l = lines[i]!;
        if (l.startsWith('\\')) {
          const last = hunk.lines[hunk.lines.length - 1];
          if (last) last.noNewline = true;
          i++;
          continue;
        }
        // An empty line inside a hunk is a context line whose trailing space was eaten; a line
        // starting with a tab is context whose leading space was (GNU patch reads both so).
        if (l === '' || l.startsWith('\t')) {
          oldLeft--;
          newLeft--;
          hunk.lines.push({ kind: ' ', text: l === '' ? '' : l });
          i++;
          continue;
        }
        const kind = l[0] as HunkLine['kind'];
        if (kind !== ' ' && kind !== '-' && kind !== '+') {
          throw new PatchParseError(`hunk at line ${hunk.patchLine} ends early: expected ${oldLeft} more old and ${newLeft} more new lines`, i + 1);
        }
        if (kind !== '+') oldLeft--;
        if (kind !== '-') newLeft--;
        hunk.lines.push({ kind, text: l.slice(1) });
        i++;
      }
      if (oldLeft > 0 || newLeft > 0) {
        throw new PatchParseError(`hunk at line ${hunk.patchLine} is truncated at the end of the patch`, i);
      }
      cur.hunks.push(hunk);
      continue;
    }
    refuseOtherFormats(lines, i);
    i++;
  }
  push(cur);
  // diff -N's Epoch: the file does not exist on that side, when every hunk agrees (all of the
  // old side empty: created; all of the new side empty: deleted), as patch(1) reads it.
  for (const f of files) {
    const epoch = epochSides.get(f);
    if (!epoch || !f.hunks.length) continue;
    if (epoch.old && !f.isDelete && f.hunks.every((h) => h.oldStart === 0 && h.oldLines === 0)) {
      f.isNew = true;
      f.oldPath = null;
    } else if (epoch.new && !f.isNew && f.hunks.every((h) => h.newStart === 0 && h.newLines === 0)) {
      f.isDelete = true;
      f.newPath = null;
    }
  }
  // Nothing unified at all: say so if it is a diff in another format (from its first line on).
  if (!files.length) for (let k = 0; k < first; k++) refuseOtherFormats(lines, k);
  return { header, files };
}

/**
 * A section in another diff format than unified, which patch(1) would apply and this parser
 * would pass over: refused, naming the line, rather than leaving the file out of the patch.
 */
function refuseOtherFormats(lines: readonly string[], i: number): void {
  const line = lines[i]!;
  const next = lines[i + 1] ?? '';
  const convert = 'tiny reads unified diffs (diff -u, git diff): convert it with `filterdiff --format=unified` (Debian package patchutils) or make it again with diff -u';
  if (/^\*{15}$/.test(line) && /^\*\*\* \d+(,\d+)? \*\*\*\*$/.test(next)) {
    throw new PatchParseError(`line ${i + 1} starts a hunk of a context diff (diff -c); ${convert}`, i + 1);
  }
  if (/^\d+(,\d+)?[acd]\d+(,\d+)?$/.test(line) && /^[<>] /.test(next)) {
    throw new PatchParseError(`line ${i + 1} starts a hunk of a normal diff (diff without -u); ${convert}`, i + 1);
  }
}

/** Lines added and removed, files and hunks touched: the raw invasiveness of a patch. */
export function patchStats(patch: ParsedPatch): { files: number; hunks: number; added: number; removed: number } {
  let hunks = 0;
  let added = 0;
  let removed = 0;
  for (const f of patch.files) {
    hunks += f.hunks.length;
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind === '+') added++;
        else if (l.kind === '-') removed++;
      }
  }
  return { files: patch.files.length, hunks, added, removed };
}

/** The path a file patch is about (the new path, or the old one for a deletion). */
export function filePath(f: FilePatch): string {
  return (f.newPath ?? f.oldPath)!;
}
