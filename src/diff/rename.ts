// Rename-aware symbol diffs: bloat-o-meter's comparison, but a symbol that only changed its
// compiler suffix (foo -> foo.constprop.0, foo.isra.0 -> foo.part.0, foo.cold -> foo.isra.0.cold
// ...) is reported as one rename with its size delta instead of a remove plus an add.
//
// bloat-o-meter already strips every `.NUMBER` (foo.isra.0 -> foo.isra), so the names here are
// its names. A name's stem is what is left once its trailing compiler-suffix words are removed
// (foo.isra.part -> foo). Within one stem, the removed names (only in old) and the added names
// (only in new) are paired greedily, best pair first:
//   - `.cold` parts pair only with `.cold` parts (the hot and cold halves stay apart);
//   - more suffix words in common first (foo.isra.cold <-> foo.constprop.isra.cold before
//     foo.cold <-> ...), then fewer words that differ, then the closer sizes, then by name.
// Whatever is left unpaired stays an add or a remove. The totals (Before/After) and the net
// change are those of bloat-o-meter: only the attribution of the bytes changes. Renamed
// symbols count as common ones: grow/shrink when their size changed; up/down their delta.

import { BLOAT_TYPES, bloatSizes, type SymbolChange, type SymbolDiff } from '../measure/bloat.js';
import type { SymbolEntry } from '../measure/types.js';

/** Suffix words GCC and LLVM append to clones and split parts (after bloat-o-meter strips numbers). */
export const COMPILER_SUFFIXES: readonly string[] = ['isra', 'constprop', 'part', 'cold', 'lto_priv', 'localalias', 'llvm'];

export interface RenameChange extends SymbolChange {
  /** The old name when this change is a rename (`name` is then the new name). */
  renamedFrom?: string;
}

export interface RenameAwareDiff extends SymbolDiff {
  /** Pairs of an old and a new name matched across compiler suffixes. */
  rename: number;
  changes: RenameChange[];
}

/** A bloat-o-meter name split into its stem and its trailing compiler-suffix words. */
export function symbolStem(name: string): { stem: string; suffixes: string[] } {
  const parts = name.split('.');
  const suffixes: string[] = [];
  while (parts.length > 1 && COMPILER_SUFFIXES.includes(parts[parts.length - 1]!)) suffixes.unshift(parts.pop()!);
  return { stem: parts.join('.'), suffixes };
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** How a change is named in bloat-o-meter's table: `old -> new` for a rename. */
export function changeLabel(c: RenameChange): string {
  return c.renamedFrom !== undefined ? `${c.renamedFrom} -> ${c.name}` : c.name;
}

interface Candidate {
  from: string;
  to: string;
  shared: number;
  differ: number;
  sizeGap: number;
}

/** Pair removed and added names of the same stem (see the top of this file); sorted by old name. */
export function matchRenames(removed: ReadonlyMap<string, number>, added: ReadonlyMap<string, number>): Array<[string, string]> {
  const byStem = new Map<string, { r: string[]; a: string[] }>();
  const group = (stem: string) => {
    let g = byStem.get(stem);
    if (!g) {
      g = { r: [], a: [] };
      byStem.set(stem, g);
    }
    return g;
  };
  for (const name of removed.keys()) group(symbolStem(name).stem).r.push(name);
  for (const name of added.keys()) group(symbolStem(name).stem).a.push(name);
  const pairs: Array<[string, string]> = [];
  for (const [, g] of [...byStem].sort((x, y) => cmpStr(x[0], y[0]))) {
    if (!g.r.length || !g.a.length) continue;
    const cands: Candidate[] = [];
    for (const from of g.r) {
      const fs = symbolStem(from).suffixes;
      for (const to of g.a) {
        const ts = symbolStem(to).suffixes;
        if (fs.includes('cold') !== ts.includes('cold')) continue;
        const shared = fs.filter((s) => ts.includes(s)).length;
        const differ = fs.length + ts.length - 2 * shared;
        cands.push({ from, to, shared, differ, sizeGap: Math.abs(removed.get(from)! - added.get(to)!) });
      }
    }
    cands.sort((x, y) => y.shared - x.shared || x.differ - y.differ || x.sizeGap - y.sizeGap || cmpStr(x.from, y.from) || cmpStr(x.to, y.to));
    const usedFrom = new Set<string>();
    const usedTo = new Set<string>();
    for (const c of cands) {
      if (usedFrom.has(c.from) || usedTo.has(c.to)) continue;
      usedFrom.add(c.from);
      usedTo.add(c.to);
      pairs.push([c.from, c.to]);
    }
  }
  return pairs.sort((x, y) => cmpStr(x[0], y[0]));
}

/**
 * symbolDiff() with renames: same filtering, totals and ordering (delta, then the printed name,
 * descending); renamed symbols are listed even when their size did not change.
 */
export function renameAwareDiff(oldSyms: readonly SymbolEntry[], newSyms: readonly SymbolEntry[], types: string = BLOAT_TYPES.all): RenameAwareDiff {
  const old = bloatSizes(oldSyms, types);
  const nu = bloatSizes(newSyms, types);
  const removed = new Map([...old].filter(([n]) => !nu.has(n)));
  const added = new Map([...nu].filter(([n]) => !old.has(n)));
  const pairs = matchRenames(removed, added);
  const renamedFrom = new Map(pairs.map(([f, t]) => [t, f]));
  const renamedTo = new Set(pairs.map(([f]) => f));

  let before = 0,
    after = 0;
  for (const s of old.values()) before += s;
  for (const s of nu.values()) after += s;
  const all: RenameChange[] = [];
  for (const [name, size] of old) {
    const n = nu.get(name);
    if (n !== undefined) all.push({ name, old: size, new: n, delta: n - size });
    else if (!renamedTo.has(name)) all.push({ name, old: size, delta: -size });
  }
  for (const [name, size] of nu) {
    if (old.has(name)) continue;
    const from = renamedFrom.get(name);
    if (from !== undefined) all.push({ name, renamedFrom: from, old: old.get(from)!, new: size, delta: size - old.get(from)! });
    else all.push({ name, new: size, delta: size });
  }
  let add = 0,
    remove = 0,
    grow = 0,
    shrink = 0,
    up = 0,
    down = 0;
  for (const c of all) {
    if (c.old === undefined) add += 1;
    else if (c.new === undefined) remove += 1;
    else if (c.delta > 0) grow += 1;
    else if (c.delta < 0) shrink += 1;
    if (c.delta > 0) up += c.delta;
    else down -= c.delta;
  }
  const changes = all.filter((c) => c.delta !== 0 || c.renamedFrom !== undefined);
  changes.sort((a, b) => b.delta - a.delta || cmpStr(changeLabel(b), changeLabel(a)));
  return { add, remove, grow, shrink, up, down, rename: pairs.length, changes, before, after };
}
