// Symbol size differences with the semantics of the kernel's scripts/bloat-o-meter (Matt
// Mackall, 2004; the Python version shipped since 2.6.x), and its exact text format.
//
// What bloat-o-meter does, and what is mirrored here:
//   - it reads `nm --size-sort <file>`: only sized symbols; lines containing ':' are skipped;
//   - it keeps the types of the chosen section set: tTdDbBrR by default (weak W/V, absolute A
//     ... are dropped), tT with -t, dDbBrR with -d, and -c prints three sections;
//   - it drops generated symbols: names starting __mod_, __se_sys, __se_compat_sys,
//     __addressable_, and linux_banner and vermagic;
//   - it strips every `.NUMBER` from names (statics and GCC clones: n.0 -> n,
//     foo.constprop.0 -> foo.constprop) and adds up the sizes of names that then collide;
//   - add/remove count symbols only in new/old, grow/shrink the common ones that changed;
//     up/down the bytes gained/lost; the lines are sorted by (delta, name) descending and
//     unchanged symbols are not printed; percent is (after - before) * 100 / before.

import type { SymbolEntry } from './types.js';

/** Which symbol types count: bloat-o-meter's default and its -t / -d / -c sections. */
export const BLOAT_TYPES = {
  all: 'tTdDbBrR',
  function: 'tT',
  data: 'dDbBrR', // -d
  dataOnly: 'dDbB', // -c's "Data"
  roData: 'rR', // -c's "RO Data"
} as const;

export interface SymbolChange {
  name: string;
  /** Bytes before; undefined when the symbol was added. */
  old?: number;
  /** Bytes after; undefined when the symbol was removed. */
  new?: number;
  delta: number;
}

export interface SymbolDiff {
  add: number;
  remove: number;
  grow: number;
  shrink: number;
  /** Bytes gained (added symbols + growth). */
  up: number;
  /** Bytes lost (removed symbols + shrinkage), positive. */
  down: number;
  /** Changed symbols, delta descending (name descending on ties), unchanged ones left out. */
  changes: SymbolChange[];
  before: number;
  after: number;
}

const NUMBER = /\.[0-9]+/g;
const GENERATED_PREFIXES = ['__mod_', '__se_sys', '__se_compat_sys', '__addressable_'];

/** bloat-o-meter's getsizes(): filtered, `.NNN`-stripped name -> summed size. */
export function bloatSizes(symbols: readonly SymbolEntry[], types: string = BLOAT_TYPES.all): Map<string, number> {
  const sym = new Map<string, number>();
  for (const s of symbols) {
    if (s.name.includes(':') || s.type.length !== 1 || !types.includes(s.type)) continue;
    if (GENERATED_PREFIXES.some((p) => s.name.startsWith(p))) continue;
    if (s.name === 'linux_banner' || s.name === 'vermagic') continue;
    const name = s.name.replace(NUMBER, '');
    sym.set(name, (sym.get(name) ?? 0) + s.size);
  }
  return sym;
}

// Python compares str by code point; JS < by UTF-16 unit. Same for the BMP, which symbol names are in.
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Compare two symbol tables (parsed `nm --size-sort [-S]` of the old and the new file). */
export function symbolDiff(oldSyms: readonly SymbolEntry[], newSyms: readonly SymbolEntry[], types: string = BLOAT_TYPES.all): SymbolDiff {
  const old = bloatSizes(oldSyms, types);
  const nu = bloatSizes(newSyms, types);
  let grow = 0,
    shrink = 0,
    add = 0,
    remove = 0,
    up = 0,
    down = 0,
    before = 0,
    after = 0;
  const all: SymbolChange[] = [];
  for (const [name, size] of old) {
    before += size;
    const n = nu.get(name);
    if (n === undefined) {
      remove += 1;
      down += size;
      all.push({ name, old: size, delta: -size });
    } else {
      const d = n - size;
      if (d > 0) {
        grow += 1;
        up += d;
      }
      if (d < 0) {
        shrink += 1;
        down -= d;
      }
      all.push({ name, old: size, new: n, delta: d });
    }
  }
  for (const [name, size] of nu) {
    after += size;
    if (!old.has(name)) {
      add += 1;
      up += size;
      all.push({ name, new: size, delta: size });
    }
  }
  all.sort((a, b) => b.delta - a.delta || cmpStr(b.name, a.name));
  return { add, remove, grow, shrink, up, down, changes: all.filter((c) => c.delta !== 0), before, after };
}

/** Python's "%+.2f": like toFixed(2) but exact ties round half to even (0.125 -> 0.12). */
export function pyPercent(x: number): string {
  const ax = Math.abs(x);
  let s: string;
  // A double is exactly halfway between two hundredths only when x*8 is an odd integer.
  const eighths = ax * 8;
  if (Number.isInteger(eighths) && eighths % 2 === 1 && eighths < 2 ** 50) {
    const h = ax * 100; // exact: a multiple of 12.5
    let n = Math.floor(h);
    if (n % 2 === 1) n += 1;
    s = (n / 100).toFixed(2);
  } else s = ax.toFixed(2);
  const neg = x < 0 || Object.is(x, -0);
  return (neg ? '-' : '+') + s;
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const signed = (n: number) => (n >= 0 ? '+' : '-') + String(Math.abs(n));

/** bloat-o-meter's print_result(): the summary line, the header, one line per change, the total. */
export function renderSymbolDiff(diff: SymbolDiff, label = 'Function'): string {
  const lines: string[] = [];
  lines.push(`add/remove: ${diff.add}/${diff.remove} grow/shrink: ${diff.grow}/${diff.shrink} up/down: ${diff.up}/${-diff.down || 0} (${diff.up - diff.down})`);
  lines.push(`${label.padEnd(40)} ${pad('old', 7)} ${pad('new', 7)} ${pad('delta', 7)}`);
  for (const c of diff.changes) lines.push(`${c.name.padEnd(40)} ${pad(c.old ?? '-', 7)} ${pad(c.new ?? '-', 7)} ${pad(signed(c.delta), 7)}`);
  const percent = diff.before ? ((diff.after - diff.before) * 100.0) / diff.before : 0;
  lines.push(`Total: Before=${diff.before}, After=${diff.after}, chg ${pyPercent(percent)}%`);
  return lines.join('\n') + '\n';
}

export type BloatMode = 'default' | 'c' | 'd' | 't';

/** The whole output of `bloat-o-meter [-c|-d|-t] old new`, from the two symbol tables. */
export function bloatOMeter(oldSyms: readonly SymbolEntry[], newSyms: readonly SymbolEntry[], mode: BloatMode = 'default'): string {
  const section = (label: string, types: string) => renderSymbolDiff(symbolDiff(oldSyms, newSyms, types), label);
  switch (mode) {
    case 'c':
      return section('Function', BLOAT_TYPES.function) + section('Data', BLOAT_TYPES.dataOnly) + section('RO Data', BLOAT_TYPES.roData);
    case 'd':
      return section('Data', BLOAT_TYPES.data);
    case 't':
      return section('Function', BLOAT_TYPES.function);
    default:
      return section('Function', BLOAT_TYPES.all);
  }
}
