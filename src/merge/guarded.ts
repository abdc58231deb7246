// Is every change of a patch guarded by the option it introduces? A linux-tiny patch must cost
// nothing with its option at the default, so each changed line of code should sit under
// #ifdef CONFIG_X / IS_ENABLED(CONFIG_X) / obj-$(CONFIG_X). Lines that are not are reported:
// they are where a "no-op" build can differ from the bare base.

import type { FilePatch, ParsedPatch } from '../patch/types.js';
import { filePath } from '../patch/parse.js';
import { displayText } from '../util/bytes.js';

export interface UnguardedLine {
  file: string;
  line: number;
  text: string;
}

const KCONFIG = /(^|\/)Kconfig[^/]*$/;
const MAKEFILE = /(^|\/)(Makefile[^/]*|Kbuild[^/]*|[^/]*\.mk)$/;
const SOURCE = /\.(c|h|S|s|lds|cpp)$/;
const DOC = /^Documentation\/|(^|\/)(README|MAINTAINERS|CREDITS)/;

/** Does the patch add `config OPTION` (or menuconfig) to a Kconfig file? */
export function declaresOption(patch: ParsedPatch, option: string): boolean {
  const re = new RegExp(`^\\s*(menu)?config\\s+${option}\\s*$`);
  return patch.files.some((f) => KCONFIG.test(filePath(f)) && f.hunks.some((h) => h.lines.some((l) => l.kind === '+' && re.test(l.text))));
}

/**
 * Is `option` declared (`config OPTION`) by the base in a Kconfig file the patch edits? Then the
 * option is upstream's and the patch adjusts it (a port to a base that took the option over).
 */
export function editsUpstreamOption(patch: ParsedPatch, option: string, read: (path: string) => string | undefined): boolean {
  const re = new RegExp(`^\\s*(menu)?config\\s+${option}\\s*$`, 'm');
  return patch.files.some((f) => f.oldPath !== null && KCONFIG.test(f.oldPath) && re.test(read(f.oldPath) ?? ''));
}

function isTrivial(text: string): boolean {
  const t = text.trim();
  return t === '' || t.startsWith('/*') || t.startsWith('*') || t.startsWith('//') || t === '*/' || t === '#';
}

/**
 * For each line of a C file (0-based), whether it lies inside a preprocessor conditional whose
 * condition mentions `sym` (including the directive lines themselves).
 */
export function cppGuardMap(lines: readonly string[], sym: string): boolean[] {
  const stack: boolean[] = []; // per open #if: does this conditional (any branch) mention sym?
  const out: boolean[] = new Array(lines.length).fill(false);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(lines[i]!);
    if (m) {
      const [, directive, rest] = m;
      if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') {
        stack.push(rest!.includes(sym));
        out[i] = stack.some(Boolean);
      } else if (directive === 'elif') {
        if (stack.length) stack[stack.length - 1] = stack[stack.length - 1]! || rest!.includes(sym);
        out[i] = stack.some(Boolean);
      } else if (directive === 'else') {
        out[i] = stack.some(Boolean);
      } else {
        out[i] = stack.some(Boolean);
        stack.pop();
      }
      continue;
    }
    out[i] = stack.some(Boolean);
  }
  return out;
}

/** Makefile lines guarded by ifdef/ifeq blocks mentioning sym, or mentioning it themselves. */
export function makeGuardMap(lines: readonly string[], sym: string): boolean[] {
  const stack: boolean[] = [];
  const out: boolean[] = new Array(lines.length).fill(false);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^\s*(ifdef|ifndef|ifeq|ifneq|else|endif)\b(.*)$/.exec(line);
    if (m) {
      if (m[1] === 'endif') {
        out[i] = stack.some(Boolean);
        stack.pop();
      } else if (m[1] === 'else') out[i] = stack.some(Boolean);
      else {
        stack.push(m[2]!.includes(sym));
        out[i] = stack.some(Boolean);
      }
      continue;
    }
    out[i] = stack.some(Boolean) || line.includes(sym);
  }
  return out;
}

function guardMapFor(path: string, content: string, sym: string): boolean[] | null {
  const lines = content.split('\n');
  if (SOURCE.test(path)) return cppGuardMap(lines, sym);
  if (MAKEFILE.test(path)) return makeGuardMap(lines, sym);
  return null;
}

/**
 * Lines the patch changes outside any guard of `option`. `before`/`after` read the file
 * contents just before and after this patch was applied (in series order).
 */
export function unguardedChanges(patch: ParsedPatch, option: string, before: (path: string) => string | undefined, after: (path: string) => string | undefined): UnguardedLine[] {
  const sym = `CONFIG_${option}`;
  const out: UnguardedLine[] = [];
  for (const f of patch.files) {
    const path = filePath(f);
    if (KCONFIG.test(path) || DOC.test(path)) continue;
    if (!SOURCE.test(path) && !MAKEFILE.test(path)) continue;
    // A file the patch creates costs nothing until something includes or links it, and that
    // #include or Makefile line is a change of an existing file, checked here itself.
    if (f.isNew) continue;
    out.push(...unguardedInFile(f, path, sym, before, after));
  }
  return out;
}

function unguardedInFile(f: FilePatch, path: string, sym: string, before: (path: string) => string | undefined, after: (path: string) => string | undefined): UnguardedLine[] {
  const out: UnguardedLine[] = [];
  const newContent = f.newPath ? after(f.newPath) : undefined;
  const oldContent = f.oldPath ? before(f.oldPath) : undefined;
  const newMap = newContent === undefined ? null : guardMapFor(path, newContent, sym);
  const oldMap = oldContent === undefined ? null : guardMapFor(path, oldContent, sym);
  const newLines = newContent?.split('\n') ?? [];
  const oldLines = oldContent?.split('\n') ?? [];
  for (const h of f.hunks) {
    // Locate the hunk in the files as they are now (it may have applied with an offset).
    const newAt = locate(
      newLines,
      h.lines.filter((l) => l.kind !== '-').map((l) => l.text),
      h.newStart - 1,
    );
    const oldAt = locate(
      oldLines,
      h.lines.filter((l) => l.kind !== '+').map((l) => l.text),
      h.oldStart - 1,
    );
    const added = new Set(h.lines.filter((l) => l.kind === '+').map((l) => l.text.trim()));
    // `if (IS_ENABLED(CONFIG_X)) {` or `if (CONFIG_X)` opens a guarded C block within the hunk.
    let cDepth = 0;
    let oldN = oldAt;
    let newN = newAt;
    for (const l of h.lines) {
      const text = l.text;
      if (l.kind === '+') {
        const opensGuard = text.includes(sym) && /\bif\s*\(/.test(text);
        const guarded = text.includes(sym) || cDepth > 0 || (newMap?.[newN] ?? false) || isTrivial(text);
        if (opensGuard) cDepth += Math.max(1, braceDelta(text));
        else if (cDepth > 0) cDepth = Math.max(0, cDepth + braceDelta(text));
        if (!guarded) out.push({ file: path, line: newN + 1, text: displayText(text) });
        newN++;
      } else if (l.kind === '-') {
        const guarded = (oldMap?.[oldN] ?? false) || isTrivial(text) || text.includes(sym);
        // A line that moves into a guarded block is removed and re-added: not a change of code.
        // Nor is a Makefile line whose condition becomes the option (obj-$(CONFIG_PCI) += x.o or
        // obj-y += x.o to obj-$(CONFIG_X) += x.o, where X defaults to y when PCI is on).
        const reguarded = MAKEFILE.test(path) && added.has(reguardedMakeLine(text.trim(), sym));
        if (!guarded && !reguarded && !added.has(text.trim())) out.push({ file: path, line: oldN + 1, text: `-${displayText(text)}` });
        oldN++;
      } else {
        oldN++;
        newN++;
      }
    }
  }
  return out;
}

/** A kbuild line with its condition made `sym`: `obj-$(CONFIG_PCI)` or `obj-y` to `obj-$(CONFIG_X)`. */
function reguardedMakeLine(text: string, sym: string): string {
  return text.replace(/\$\(CONFIG_\w+\)/g, `$(${sym})`).replace(/^([\w.-]+)-y(\s*[:+]?=)/, `$1-$(${sym})$2`);
}

function braceDelta(text: string): number {
  let d = 0;
  for (const ch of text) {
    if (ch === '{') d++;
    else if (ch === '}') d--;
  }
  return d;
}

/** Where `needle` lines sit in `hay`, searching outward from `hint`; falls back to hint. */
function locate(hay: readonly string[], needle: readonly string[], hint: number): number {
  if (needle.length === 0 || hay.length === 0) return Math.max(0, hint);
  const matchesAt = (p: number) => {
    for (let k = 0; k < needle.length; k++) if (hay[p + k] !== needle[k]) return false;
    return true;
  };
  for (let d = 0; d < hay.length; d++) {
    if (hint + d >= 0 && hint + d + needle.length <= hay.length && matchesAt(hint + d)) return hint + d;
    if (d > 0 && hint - d >= 0 && matchesAt(hint - d)) return hint - d;
    if (hint + d >= hay.length && hint - d < 0) break;
  }
  return Math.max(0, hint);
}
