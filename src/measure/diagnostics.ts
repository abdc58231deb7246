// Count warnings and errors in a kernel build log (gcc, gas, ld, modpost, make) and pick the
// first error with the lines that explain it: what a failed toggle shows the user.
//
// Recognised lines (ANSI colours and CRs are stripped first):
//   gcc/cpp   file:line[:col]: warning|error|fatal error|internal compiler error: msg
//             cc1: error: msg, gcc: fatal error: msg (no location)
//   gas       file:line: Warning|Error: msg (after "file: Assembler messages:")
//   ld        [prefix-]ld[.bfd]: warning: msg / ld: msg (an error), and
//             file:(.section+0x12): undefined reference to `sym' / multiple definition of
//             (both the 2.6-era "obj(.text+0x1): undefined reference" form)
//   modpost   WARNING: ... (section mismatches too) / ERROR: ...
//   Kconfig   warning: msg, .config:12:warning: msg
//   make      make[N]: *** [Makefile:190: target] Error 1 -- counted in makeErrors; the other
//             `***` messages (No rule to make target ...) are errors of their own.
// Not counted: notes, "In function" headers, "collect2: error: ld returned 1 exit status"
// (ld's own messages are), "compilation terminated.", make's "Waiting for unfinished jobs".

import type { DiagnosticCounts, FirstError } from './types.js';

type Kind = FirstError['kind'];
interface Hit {
  severity: 'warning' | 'error';
  kind: Kind;
  file: string;
  line?: number;
  column?: number;
  message: string;
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

const LOCATED = /^(.+?):(\d+):(?:(\d+):)? ?(warning|error|fatal error|internal compiler error|Warning|Error|Fatal error): (.*)$/;
const TOOL = /^(\S*?(?:gcc|cc|cc1|cc1plus|cpp|clang|as)(?:-\d+(?:\.\d+)*)?): (warning|error|fatal error): (.*)$/;
const LD = /^(\S*?(?:^|[/-])ld(?:\.bfd|\.gold|\.lld)?): (.*)$/;
const LD_REF = /^(.*?)(?::?\(([^)]*)\))?: ((?:undefined reference to|multiple definition of) .*)$/;
const LD_FATAL =
  /^error: |cannot find |cannot open |final link failed|undefined reference|multiple definition|relocation truncated|overlaps section|overlaps previous|region `?\S+'? overflowed|is not within region|undefined symbol|cannot represent|no memory region|can't |could not |failed to |file format not recognized|not enough room|unresolvable|dangerous relocation|error adding symbols/;
const MODPOST = /^(WARNING|ERROR): (.*)$/;
const KCONFIG = /^warning: (.*)$/;
const MAKE = /^\S*make(?:\[\d+\])?: \*\*\* (.*)$/;
const MAKE_ERROR = /^(?:\[(?:(.+?):(\d+): )?(.*?)\] )?Error (\d+)( \(ignored\))?$/;

/** kbuild's quiet-mode lines: "  CC      init/main.o". */
const KBUILD = /^ {2}[A-Z][A-Z0-9_-]*\s+\S/;
const SNIPPET = / \| /;
const HEADER = /: (?:In (?:function|member function|static member function|constructor|destructor|instantiation of)|At top level|At global scope|Assembler messages|in function)\b.*:$/i;
const INCLUDED = /^(?:In file included from |\s+from )/;

function classify(line: string): Hit | 'makeError' | undefined {
  if (/^\s*\d* \| /.test(line)) return undefined; // gcc's source excerpt: quoted code, not a message
  let m = LOCATED.exec(line);
  if (m) {
    const sev = m[4]!.toLowerCase();
    const assembler = m[4] === 'Warning' || m[4] === 'Error' || m[4] === 'Fatal error';
    return {
      severity: sev === 'warning' ? 'warning' : 'error',
      kind: assembler ? 'assembler' : 'compiler',
      file: m[1]!,
      line: Number(m[2]),
      ...(m[3] ? { column: Number(m[3]) } : {}),
      message: m[5]!,
    };
  }
  m = TOOL.exec(line);
  if (m) {
    if (/^\S*collect2/.test(m[1]!)) return undefined;
    return { severity: m[2] === 'warning' ? 'warning' : 'error', kind: 'compiler', file: m[1]!, message: m[3]! };
  }
  if (/^collect2: error: ld returned \d+ exit status/.test(line)) return undefined;
  m = LD_REF.exec(line);
  if (m && !LD.test(line)) return { severity: 'error', kind: 'linker', file: m[1]!, message: m[3]! };
  m = LD.exec(line);
  if (m) {
    const msg = m[2]!;
    if (HEADER.test(line)) return undefined; // "ld: init/main.o: in function `start_kernel':"
    const ref = LD_REF.exec(msg);
    if (ref) return { severity: 'error', kind: 'linker', file: ref[1]!, message: ref[3]! };
    const w = /^warning: (.*)$/.exec(msg);
    if (w) return { severity: 'warning', kind: 'linker', file: m[1]!, message: w[1]! };
    // ld also prints notes ("NOTE: This behaviour is deprecated ...") and other information
    // with no marker; errors say error: or are one of its fatal messages.
    if (LD_FATAL.test(msg)) return { severity: 'error', kind: 'linker', file: m[1]!, message: msg.replace(/^error: /, '') };
    return undefined;
  }
  m = MODPOST.exec(line);
  if (m) return { severity: m[1] === 'WARNING' ? 'warning' : 'error', kind: 'modpost', file: 'modpost', message: m[2]!.replace(/^modpost: /, '') };
  m = KCONFIG.exec(line);
  if (m) return { severity: 'warning', kind: 'compiler', file: 'kconfig', message: m[1]! };
  m = MAKE.exec(line);
  if (m) {
    const rest = m[1]!;
    if (/^Waiting for unfinished jobs/.test(rest) || /^Deleting (?:intermediate )?file/.test(rest)) return undefined;
    const e = MAKE_ERROR.exec(rest);
    if (e) return e[5] ? undefined : 'makeError';
    const loc = /^(.+?):(\d+): (.*)$/.exec(rest); // "Makefile:12: *** missing separator." is printed differently; keep both
    return { severity: 'error', kind: 'make', file: loc ? loc[1]! : 'make', ...(loc ? { line: Number(loc[2]) } : {}), message: loc ? loc[3]! : rest };
  }
  const mk = /^(\S+):(\d+): \*\*\* (.*)$/.exec(line); // Makefile:12: *** missing separator.  Stop.
  if (mk) return { severity: 'error', kind: 'make', file: mk[1]!, line: Number(mk[2]), message: mk[3]! };
  return undefined;
}

const isBoundary = (l: string) => !l.trim() || (KBUILD.test(l) && !SNIPPET.test(l)) || MAKE.test(l);
const isContinuation = (l: string) => /^\s/.test(l) || / note: /.test(l) || INCLUDED.test(l) || HEADER.test(l) || /first defined here$/.test(l);

/** The lines that belong to the diagnostic at `i`: include chain + header before, excerpt + notes after. */
function contextOf(lines: readonly string[], i: number, kind: Kind): string[] {
  if (kind === 'make') {
    const before: string[] = [];
    for (let j = i - 1; j >= 0 && before.length < 3; j--) {
      if (!lines[j]!.trim()) break;
      before.unshift(lines[j]!);
    }
    return [...before, lines[i]!];
  }
  const before: string[] = [];
  // The nearest header ("file: In function 'f':") above, within the same compile step.
  for (let j = i - 1; j >= 0 && j >= i - 25; j--) {
    const l = lines[j]!;
    if (isBoundary(l)) break;
    if (HEADER.test(l)) {
      let k = j;
      while (k - 1 >= 0 && j - k < 12 && INCLUDED.test(lines[k - 1]!)) k--;
      before.push(...lines.slice(k, j + 1));
      break;
    }
    // An include chain right above the diagnostic itself (no function header).
    if (j === i - 1 && INCLUDED.test(l)) {
      let k = j;
      while (k - 1 >= 0 && j - k < 12 && INCLUDED.test(lines[k - 1]!)) k--;
      before.push(...lines.slice(k, j + 1));
      break;
    }
  }
  const after: string[] = [];
  for (let j = i + 1; j < lines.length && after.length < 8; j++) {
    const l = lines[j]!;
    if (isBoundary(l) || !isContinuation(l)) break;
    const c = classify(l);
    if (c !== undefined && c !== 'makeError' && !/ note: /.test(l)) break;
    after.push(l);
  }
  // Drop a trailing include chain or header that introduces the next diagnostic, not a note.
  while (after.length && (INCLUDED.test(after[after.length - 1]!) || HEADER.test(after[after.length - 1]!))) after.pop();
  return [...before, lines[i]!, ...after];
}

/** Count warnings and errors in a build log; see the header of this file for what counts. */
export function countDiagnostics(buildLog: string): DiagnosticCounts {
  const lines = buildLog.replace(ANSI, '').replace(/\r/g, '').split('\n');
  let warnings = 0;
  let errors = 0;
  let makeErrors = 0;
  let first: { i: number; hit: Hit } | undefined;
  let firstMake: number | undefined;
  lines.forEach((line, i) => {
    const c = classify(line);
    if (c === undefined) return;
    if (c === 'makeError') {
      makeErrors += 1;
      firstMake ??= i;
      return;
    }
    if (c.kind === 'linker' && !c.file) {
      // "(.text+0xd0): multiple definition of `f'" names its object on the line before:
      // "ld: init/mounts.o: in function `f':"
      const prev = i > 0 ? /^\S*: (\S+?): in function /i.exec(lines[i - 1]!) : null;
      c.file = prev ? prev[1]! : 'ld';
    }
    if (c.severity === 'warning') warnings += 1;
    else {
      errors += 1;
      first ??= { i, hit: c };
    }
  });
  let firstError: FirstError | undefined;
  if (first) {
    const { severity: _severity, ...hit } = first.hit;
    firstError = { ...hit, logLine: first.i + 1, context: contextOf(lines, first.i, hit.kind) };
  } else if (firstMake !== undefined) {
    // make failed with nothing recognisable before it (a script exited 1): one error, and the
    // lines printed just before make's message are the best explanation there is.
    errors = 1;
    const rest = MAKE.exec(lines[firstMake]!)![1]!;
    const e = MAKE_ERROR.exec(rest);
    firstError = {
      file: e?.[1] ?? 'make',
      ...(e?.[2] ? { line: Number(e[2]) } : {}),
      message: rest,
      kind: 'make',
      logLine: firstMake + 1,
      context: contextOf(lines, firstMake, 'make'),
    };
  }
  return { warnings, errors, makeErrors, ...(firstError ? { firstError } : {}) };
}
