// .config files as data: parse one into symbol -> value, render a fragment, set a fragment's
// symbols in a .config, and compare what was requested with what Kconfig kept. Pure functions:
// no I/O, so every rule here is unit-tested on strings.
//
// Symbols are named without the CONFIG_ prefix everywhere (as in configs/*.yaml). Values are
// kept in .config form: 'y', 'm', 'n' (for `# CONFIG_X is not set`), a number as written
// ('5', '0x1000') or a string with its quotes and escapes ('"tiny"').

/** A value as written in a configs/*.yaml fragment. */
export type FragmentValue = string | number;

/** Symbol (without CONFIG_) -> requested value. */
export type Fragment = Readonly<Record<string, FragmentValue>>;

/** Kconfig symbol types, as far as a value can tell. */
export type SymbolType = 'bool' | 'tristate' | 'int' | 'hex' | 'string';

export const SYMBOL_RE = /^[A-Za-z0-9_]+$/;

const SET_RE = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET_RE = /^# CONFIG_([A-Za-z0-9_]+) is not set\s*$/;

/**
 * Parse a .config: `CONFIG_X=value` lines and `# CONFIG_X is not set` (value 'n'). Other
 * comments and blank lines are ignored. When a symbol appears twice the last line wins, as in
 * Kconfig itself.
 */
export function parseDotConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const set = SET_RE.exec(line);
    if (set) {
      out.set(set[1]!, set[2]!.trim());
      continue;
    }
    const unset = UNSET_RE.exec(line);
    if (unset) out.set(unset[1]!, 'n');
  }
  return out;
}

/** The value of `sym` in a parsed .config; a symbol that is absent is 'n' (Kconfig's view). */
export function symbolValue(config: ReadonlyMap<string, string>, sym: string): string {
  return config.get(sym) ?? 'n';
}

/** Quote a string for a .config (Kconfig escapes " and \ with a backslash). */
export function quoteString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The text of a quoted .config string, unescaped; undefined when `v` is not quoted. */
export function unquoteString(v: string): string | undefined {
  if (v.length < 2 || !v.startsWith('"') || !v.endsWith('"')) return undefined;
  return v.slice(1, -1).replace(/\\(.)/g, '$1');
}

const TRISTATE = new Set(['y', 'm', 'n']);
const INT_RE = /^-?\d+$/;
const HEX_RE = /^0[xX][0-9a-fA-F]+$/;

/**
 * A fragment value in .config form. y/m/n are tristate values; integers and 0x... hex numbers
 * are written as they are; anything else is a string and gets quoted. When the tree says the
 * symbol is a string (`type`), the value is always quoted, so a string symbol can be set to "y".
 */
export function fragmentValue(v: FragmentValue, type?: SymbolType): string {
  if (typeof v === 'number') return type === 'string' ? quoteString(String(v)) : String(v);
  if (type === 'string') return unquoteString(v) !== undefined ? v : quoteString(v);
  if (TRISTATE.has(v) || INT_RE.test(v) || HEX_RE.test(v)) return v;
  if (unquoteString(v) !== undefined) return v; // already quoted
  return quoteString(v);
}

/** One .config line for a symbol and a value in .config form. */
export function configLine(sym: string, value: string): string {
  return value === 'n' ? `# CONFIG_${sym} is not set` : `CONFIG_${sym}=${value}`;
}

/** A fragment as .config lines, in the fragment's order (the form merge_config.sh reads). */
export function renderFragment(fragment: Fragment, types?: ReadonlyMap<string, SymbolType>): string {
  return Object.entries(fragment)
    .map(([sym, v]) => `${configLine(sym, fragmentValue(v, types?.get(sym)))}\n`)
    .join('');
}

/** Whether two values in .config form mean the same (0x10 = 0x0010, "a" = "a"). */
export function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  if (HEX_RE.test(a) && HEX_RE.test(b)) return BigInt(a) === BigInt(b);
  if (INT_RE.test(a) && INT_RE.test(b)) return BigInt(a) === BigInt(b);
  return false;
}

export interface SetOptions {
  /** Symbol types known from the tree (strings are then always quoted). */
  types?: ReadonlyMap<string, SymbolType>;
  /** Further symbols to write as `# CONFIG_X is not set` (e.g. the other members of a choice). */
  unset?: Iterable<string>;
}

/**
 * Set the fragment's symbols in a .config text: each existing line for the symbol (set or
 * not-set) is replaced in place; symbols not mentioned yet are appended at the end. Lines for
 * other symbols and comments are kept as they are.
 */
export function applyFragment(configText: string, fragment: Fragment, opts: SetOptions = {}): string {
  const want = new Map<string, string>();
  for (const sym of opts.unset ?? []) want.set(sym, 'n');
  for (const [sym, v] of Object.entries(fragment)) want.set(sym, fragmentValue(v, opts.types?.get(sym)));

  const done = new Set<string>();
  const lines = configText.split('\n');
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    const m = SET_RE.exec(line) ?? UNSET_RE.exec(line);
    const sym = m?.[1];
    if (sym === undefined || !want.has(sym)) {
      out.push(line);
      continue;
    }
    if (done.has(sym)) continue; // a repeated line: keep one
    done.add(sym);
    out.push(configLine(sym, want.get(sym)!));
  }
  for (const [sym, v] of want) if (!done.has(sym)) out.push(configLine(sym, v));
  return `${out.join('\n')}\n`;
}

/** A requested symbol whose value did not survive Kconfig. */
export interface DroppedSymbol {
  symbol: string;
  /** Requested value, .config form. */
  requested: string;
  /** Value in the final .config ('n' when absent or not set). */
  actual: string;
  /** True when the symbol has no line at all in the final .config (invisible or unknown). */
  absent: boolean;
}

/** Every fragment symbol whose value in `actual` differs from the requested one. */
export function droppedSymbols(fragment: Fragment, actual: ReadonlyMap<string, string>, types?: ReadonlyMap<string, SymbolType>): DroppedSymbol[] {
  const out: DroppedSymbol[] = [];
  for (const [symbol, v] of Object.entries(fragment)) {
    const requested = fragmentValue(v, types?.get(symbol));
    const got = actual.get(symbol);
    if (sameValue(requested, got ?? 'n')) continue;
    out.push({ symbol, requested, actual: got ?? 'n', absent: got === undefined });
  }
  return out;
}

export interface ConfigDiff {
  added: [string, string][];
  removed: [string, string][];
  changed: [string, string, string][];
}

/** What changed between two parsed .configs (symbols set to n count as values). */
export function diffConfigs(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): ConfigDiff {
  const diff: ConfigDiff = { added: [], removed: [], changed: [] };
  for (const [sym, v] of after) {
    const old = before.get(sym);
    if (old === undefined) diff.added.push([sym, v]);
    else if (!sameValue(old, v)) diff.changed.push([sym, old, v]);
  }
  for (const [sym, v] of before) if (!after.has(sym)) diff.removed.push([sym, v]);
  const bySym = (a: [string, ...string[]], b: [string, ...string[]]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  diff.added.sort(bySym);
  diff.removed.sort(bySym);
  diff.changed.sort(bySym);
  return diff;
}

/** True when two .configs set the same symbols to the same values (comments ignored). */
export function sameConfig(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [sym, v] of a) {
    const w = b.get(sym);
    if (w === undefined || !sameValue(v, w)) return false;
  }
  return true;
}

const TIMESTAMP_RE = /^# (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d( [A-Z]{2,5})? \d{4}\s*$/;

/**
 * A .config without the date line old Kconfig writes in its header (2.6 has no
 * KCONFIG_NOTIMESTAMP), so the same configuration always has the same bytes and hash.
 */
export function normalizeDotConfig(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let header = true;
  for (const line of lines) {
    if (header && !line.startsWith('#')) header = false;
    if (header && TIMESTAMP_RE.test(line)) continue;
    out.push(line);
  }
  return out.join('\n');
}
