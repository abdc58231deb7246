// Guards: which patches a configuration uses. The semantics are exactly those of quilt's
// guards(1) (the perl filter shipped with quilt), so a series file and a queue.yaml select
// the same patches for the same symbols:
//
//   +sym   include if sym is defined        +!sym  include if sym is not defined
//   -sym   exclude if sym is defined        -!sym  exclude if sym is not defined
//
// A patch without guards gets the default (selected). With guards, the starting state is
// "selected" iff the first guard is a '-' guard (so "-foo" alone means "unless foo" and
// "+foo" alone means "only with foo"); then every guard that matches, left to right, sets
// the state to its sign: the last matching guard wins. guards(1) also accepts a bare "+" or
// "-" (an empty symbol, which always matches): "-" excludes a patch unconditionally.

import type { Guard } from './types.js';

/** Symbol characters: Kconfig symbols and the usual quilt guard words (x86_64, xen, rt...). */
const GUARD = /^([+-])(?:(!?)([A-Za-z0-9_][A-Za-z0-9_.-]*))?$/;

/** The four forms, for hints. */
export const GUARD_FORMS = "'+sym' (include if sym is set), '-sym' (exclude if set), '+!sym' (include if not set), '-!sym' (exclude if not set)";

/** Parse "+sym", "-sym", "+!sym", "-!sym" (or a bare "+"/"-"); null when `text` is not a guard. */
export function parseGuard(text: string): Guard | null {
  const m = GUARD.exec(text);
  if (!m) return null;
  return { include: m[1] === '+', negate: m[2] === '!', symbol: m[3] ?? '' };
}

export function formatGuard(g: Guard): string {
  return `${g.include ? '+' : '-'}${g.negate ? '!' : ''}${g.symbol}`;
}

/** Does this guard's condition hold? (guards(1): an empty symbol always matches.) */
function matches(g: Guard, symbols: ReadonlySet<string>): boolean {
  if (g.negate) return !symbols.has(g.symbol);
  return g.symbol === '' || symbols.has(g.symbol);
}

/** Is a patch with these guards selected when `symbols` are defined? */
export function isSelected(guards: readonly Guard[], symbols: ReadonlySet<string>, defaultSelected = true): boolean {
  const first = guards[0];
  if (!first) return defaultSelected;
  let selected = !first.include;
  for (const g of guards) if (matches(g, symbols)) selected = g.include;
  return selected;
}

/** The entries of `series` selected for `symbols`, in series order. */
export function selectPatches<T extends { guards: readonly Guard[] }>(series: readonly T[], symbols: ReadonlySet<string>): T[] {
  return series.filter((p) => isSelected(p.guards, symbols));
}
