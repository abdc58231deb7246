// The inline hunter's arithmetic (after the 2004 "inline hunter" of linux-tiny): in a build
// where every `inline` function is compiled out of line (noinline), a header's inline function
// leaves one local copy in every object that uses it. A name that is a local text symbol in
// several objects is such a copy; its cost is bytes × copies. Pure functions over nm output
// and header text: src/inline/measure.ts does the I/O.

import { symbolStem } from '../diff/rename.js';
import type { SymbolEntry } from '../measure/types.js';

/** The sized symbols of one object file (`nm --size-sort -S obj.o`). */
export interface ObjectSymbols {
  /** Relative to the build directory: `kernel/sched.o`. */
  object: string;
  symbols: readonly SymbolEntry[];
}

/** Where an inline function is defined in the tree's headers. */
export interface InlineDefinition {
  /** Relative to the tree: `include/linux/list.h`. */
  file: string;
  line: number;
}

export interface InlineCost {
  /** The function, without compiler clone suffixes (foo.constprop.0 counts as foo). */
  name: string;
  /** Objects holding a copy. */
  copies: number;
  /** All copies together (each object's clones and cold parts summed). */
  totalBytes: number;
  /** totalBytes / copies, rounded. */
  bytesPerCopy: number;
  /** Smallest and largest copy (constant propagation makes copies differ). */
  minBytes: number;
  maxBytes: number;
  /** The header that defines it, when one was found (the first candidate, see `candidates`). */
  header?: InlineDefinition;
  /** How many header definitions matched the name (several: #ifdef variants or arches). */
  candidates: number;
  /** The objects, sorted. */
  objects: string[];
}

export interface AnalyseOptions {
  /** Fewest copies to report (default 2). */
  minCopies?: number;
  /** Inline definitions found in headers, by name (indexHeaders): each cost gets its header. */
  headers?: ReadonlyMap<string, readonly InlineDefinition[]>;
}

/** nm's type of a local (static) function: `t`. */
const LOCAL_TEXT = new Set(['t']);

/** The function a clone or split part belongs to: foo.constprop.0.isra.0 -> foo, foo.cold -> foo. */
export function functionName(symbol: string): string {
  // bloat-o-meter's stems carry no numbers: drop `.N` first, then the suffix words.
  return symbolStem(symbol.replace(/\.\d+/g, '')).stem;
}

/**
 * The out-of-line copies of inline functions: names that are local text symbols in at least
 * `minCopies` objects, sorted by total bytes (then copies, then name).
 */
export function inlineCosts(objects: readonly ObjectSymbols[], opts: AnalyseOptions = {}): InlineCost[] {
  const minCopies = opts.minCopies ?? 2;
  // name -> object -> bytes (clones and cold parts of one function in one object add up)
  const byName = new Map<string, Map<string, number>>();
  for (const o of objects) {
    for (const s of o.symbols) {
      if (!LOCAL_TEXT.has(s.type) || s.size === 0) continue;
      const name = functionName(s.name);
      if (!name || name.startsWith('.')) continue;
      let per = byName.get(name);
      if (!per) {
        per = new Map();
        byName.set(name, per);
      }
      per.set(o.object, (per.get(o.object) ?? 0) + s.size);
    }
  }
  const out: InlineCost[] = [];
  for (const [name, per] of byName) {
    if (per.size < minCopies) continue;
    const defs = opts.headers?.get(name);
    const sizes = [...per.values()];
    const total = sizes.reduce((a, b) => a + b, 0);
    out.push({
      name,
      copies: per.size,
      totalBytes: total,
      bytesPerCopy: Math.round(total / per.size),
      minBytes: Math.min(...sizes),
      maxBytes: Math.max(...sizes),
      ...(defs?.length ? { header: defs[0]! } : {}),
      candidates: defs?.length ?? 0,
      objects: [...per.keys()].sort(),
    });
  }
  return out.sort((a, b) => b.totalBytes - a.totalBytes || b.copies - a.copies || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// A function definition that carries an inline keyword before its name on the same logical
// declaration: `static inline int foo(`, `static __inline__ void *bar (`, `extern inline`,
// `static inline __attribute_const__ unsigned long baz(`. The declaration may span lines
// (return type on the line before); we look at the text from the keyword to the `(`.
const INLINE_DEF = /\b(?:__inline__|__inline|inline)\b(?:[\s\w*]|__attribute(?:__)?\s*\(\([^)]*\)\))*?\b([A-Za-z_]\w*)\s*\(/g;

/** Strip comments, keeping newlines so line numbers stay right. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
}

/**
 * The inline function definitions in one header: name -> line. Macros that define inlines
 * (`#define DEFINE_FOO(x) static inline ...`) and declarations without a body are skipped.
 */
export function inlineDefinitions(text: string): Array<{ name: string; line: number }> {
  const src = stripComments(text);
  const out: Array<{ name: string; line: number }> = [];
  const lineStarts: number[] = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  INLINE_DEF.lastIndex = 0;
  for (let m = INLINE_DEF.exec(src); m; m = INLINE_DEF.exec(src)) {
    const name = m[1]!;
    if (name === 'inline' || name === '__inline__' || name === '__attribute__' || name === 'typeof') continue;
    const line = lineOf(m.index);
    // Inside a #define (a backslash-continued macro body): not a definition of `name`.
    const ls = lineStarts[line - 1]!;
    const lineText = src.slice(ls, src.indexOf('\n', ls) < 0 ? src.length : src.indexOf('\n', ls));
    const prevLine = line >= 2 ? src.slice(lineStarts[line - 2]!, ls) : '';
    if (/^\s*#\s*define\b/.test(lineText) || /\\\s*\n?$/.test(prevLine)) continue;
    // A definition has its body after the parameter list: `) {` (maybe after attributes).
    const rest = src.slice(m.index + m[0].length);
    const close = matchParen(rest);
    if (close < 0) continue;
    const after = rest.slice(close + 1);
    if (!/^\s*(?:__attribute(?:__)?\s*\(\([^)]*\)\)\s*)*\{/.test(after)) continue;
    out.push({ name, line });
  }
  return out;
}

/** Index of the `)` closing the parameter list that starts right before `text` (-1: none). */
function matchParen(text: string): number {
  let depth = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    } else if (c === ';' || c === '{') return -1;
  }
  return -1;
}

/**
 * Index the inline definitions of many headers: name -> definitions, in the order the headers
 * are given (callers list the arch's own headers first, so `header` is the likeliest one).
 */
export function indexHeaders(headers: ReadonlyArray<{ file: string; text: string }>): Map<string, InlineDefinition[]> {
  const index = new Map<string, InlineDefinition[]>();
  for (const h of headers) {
    for (const d of inlineDefinitions(h.text)) {
      let list = index.get(d.name);
      if (!list) {
        list = [];
        index.set(d.name, list);
      }
      list.push({ file: h.file, line: d.line });
    }
  }
  return index;
}

export interface InlineSummary {
  objects: number;
  /** Header inlines with copies: how many, their copies and bytes. */
  functions: number;
  copies: number;
  totalBytes: number;
  /**
   * Names with copies in several objects but no inline definition in a header: static
   * functions that happen to share a name in several .c files (`init`, `dummy`), or inlines
   * a macro defines (BUFFER_FNS). Left out of the ranking.
   */
  unattributed: { functions: number; totalBytes: number };
}

/** Split costs into header inlines (ranked) and the rest (counted only); see InlineSummary. */
export function summarise(objects: number, costs: readonly InlineCost[]): { summary: InlineSummary; ranked: InlineCost[] } {
  const ranked = costs.filter((c) => c.header);
  const rest = costs.filter((c) => !c.header);
  return {
    ranked,
    summary: {
      objects,
      functions: ranked.length,
      copies: ranked.reduce((a, c) => a + c.copies, 0),
      totalBytes: ranked.reduce((a, c) => a + c.totalBytes, 0),
      unattributed: { functions: rest.length, totalBytes: rest.reduce((a, c) => a + c.totalBytes, 0) },
    },
  };
}
