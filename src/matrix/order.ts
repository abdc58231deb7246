// Doing less than a hand loop: once every toggle's final .config (and so its record key) is
// known, toggles with the same key are one build (the second is served from the first's record),
// and the builds of a lane run in the order that changes least between neighbours — Kbuild then
// rebuilds the fewest objects (fixdep tracks each CONFIG_ symbol per object). Pure functions of
// plain values.
//
// The distance between two builds estimates what the second rebuilds after the first:
//   - a symbol that changes the global compiler flags (CC_OPTIMIZE_FOR_SIZE: -Os for -O2, the
//     CPU choice's -march, REGPARM ...) rebuilds everything: GLOBAL_WEIGHT;
//   - a patch more or less rebuilds that patch's files: PATCH_WEIGHT, as much as a symbol (an
//     option patch's files are the objects that use its symbol);
//   - any other symbol rebuilds the objects that use it: 1 (absent is n, as for Kconfig).
// The order starts at the first build (the queue point: its .config gave the options' defaults)
// and always goes to the nearest build not yet taken (ties: the plan's order), so a flip sits
// next to its without: twin (the option off, then its patch out: the same files) and the
// global-flag changers come together, at the end.
//
// The lanes' build directories are kept across runs, so a run begins where the last one left
// them: after a run whose order ended at a global-flag flip, that lane's objects are compiled with
// other flags than the queue point's. startAtLanes puts such a lane's nearest build first and
// nearestLane gives a build the free lane nearest to it: the lane left at the flip builds the flip
// again (only what changed since), not the queue point (everything).

import { sameValue } from '../kbuild/kconfig.js';

/** Symbols that change every object's compiler flags (2.6 and later arch/x86 and top Makefiles). */
export const GLOBAL_SYMBOLS: ReadonlySet<string> = new Set([
  'CC_OPTIMIZE_FOR_SIZE',
  'CC_OPTIMIZE_FOR_PERFORMANCE',
  'DEBUG_INFO',
  'FRAME_POINTER',
  'REGPARM',
  'MODVERSIONS',
  'FUNCTION_TRACER',
  'STACKPROTECTOR',
  'CC_STACKPROTECTOR',
  'M386',
  'M486',
  'M586',
  'M586TSC',
  'M586MMX',
  'M686',
  'MPENTIUMII',
  'MPENTIUMIII',
  'MPENTIUM4',
  'MK6',
  'MK7',
  'MK8',
  'MCRUSOE',
  'MWINCHIPC6',
  'MCYRIXIII',
  'MVIAC3_2',
  'X86_GENERIC',
]);

export const GLOBAL_WEIGHT = 1000;
export const PATCH_WEIGHT = 1;

export interface BuildItem {
  /** The toggle's name. */
  name: string;
  /** Its record key: equal keys are the same build. */
  key: string;
  /** The patches applied (names or hashes). */
  patches: readonly string[];
  /** Its final .config, parsed (symbol -> value). */
  config: ReadonlyMap<string, string>;
}

/** Each later item whose key an earlier one has -> that earlier item's name. */
export function sameBuilds(items: readonly Pick<BuildItem, 'name' | 'key'>[]): Map<string, string> {
  const first = new Map<string, string>();
  const same = new Map<string, string>();
  for (const it of items) {
    const owner = first.get(it.key);
    if (owner === undefined) first.set(it.key, it.name);
    else same.set(it.name, owner);
  }
  return same;
}

/** How much the build `b` rebuilds after `a` (see the top of the file). */
export function buildDistance(a: Pick<BuildItem, 'patches' | 'config'>, b: Pick<BuildItem, 'patches' | 'config'>, global: ReadonlySet<string> = GLOBAL_SYMBOLS): number {
  let d = 0;
  const pa = new Set(a.patches);
  const pb = new Set(b.patches);
  for (const p of pa) if (!pb.has(p)) d += PATCH_WEIGHT;
  for (const p of pb) if (!pa.has(p)) d += PATCH_WEIGHT;
  const symbols = new Set([...a.config.keys(), ...b.config.keys()]);
  for (const s of symbols) {
    const va = a.config.get(s) ?? 'n';
    const vb = b.config.get(s) ?? 'n';
    if (!sameValue(va, vb)) d += global.has(s) ? GLOBAL_WEIGHT : 1;
  }
  return d;
}

/**
 * The builds in the order to run them: distinct keys only (the first item of each key), starting
 * at the first item, then always the nearest one not taken (ties: the given order).
 */
export function buildOrder(items: readonly BuildItem[], global: ReadonlySet<string> = GLOBAL_SYMBOLS): string[] {
  const same = sameBuilds(items);
  const left = items.filter((it) => !same.has(it.name));
  if (!left.length) return [];
  const order = [left.shift()!];
  while (left.length) {
    const last = order.at(-1)!;
    const next = nearestIndex(left, (it) => buildDistance(last, it, global));
    order.push(left.splice(next, 1)[0]!);
  }
  return order.map((it) => it.name);
}

/** The index of the candidate at the least distance (the first of equals; 0 when none is finite). */
function nearestIndex<T>(candidates: readonly T[], distance: (c: T) => number): number {
  let best = 0;
  let bestD = Infinity;
  for (const [i, c] of candidates.entries()) {
    const d = distance(c);
    if (d < bestD) {
      best = i;
      bestD = d;
    }
  }
  return best;
}

/** The sum of the distances along an order (what the order costs, to compare orders). */
export function orderCost(items: readonly BuildItem[], order: readonly string[], global: ReadonlySet<string> = GLOBAL_SYMBOLS): number {
  const byName = new Map(items.map((it) => [it.name, it]));
  let cost = 0;
  for (let i = 1; i < order.length; i++) cost += buildDistance(byName.get(order[i - 1]!)!, byName.get(order[i]!)!, global);
  return cost;
}

/** What a lane's build directory was last built for: its objects, as far as make knows. */
export type LaneState = Pick<BuildItem, 'patches' | 'config'>;

/** Does building `b` after `a` change every object's compiler flags (a global-flag symbol differs)? */
export function otherGlobalFlags(a: LaneState, b: LaneState, global: ReadonlySet<string> = GLOBAL_SYMBOLS): boolean {
  return buildDistance(a, b, global) >= GLOBAL_WEIGHT;
}

/**
 * The order with the nearest build of each lane left at other global flags than the order's first
 * build moved to the front, in lane order (ties: the given order); the rest keep their order.
 * Any other lane (unknown, or within a few objects of the first build) picks nothing, so most
 * runs keep the same order from run to run. Builds by name, as buildOrder returns them.
 */
export function startAtLanes(order: readonly string[], items: readonly BuildItem[], lanes: readonly (LaneState | undefined)[], global: ReadonlySet<string> = GLOBAL_SYMBOLS): string[] {
  const byName = new Map(items.map((it) => [it.name, it]));
  const left = [...order];
  const first: string[] = [];
  const start = order.length ? byName.get(order[0]!) : undefined;
  for (const state of lanes) {
    if (!state || !start || !left.length || !otherGlobalFlags(state, start, global)) continue;
    const nearest = nearestIndex(left, (name) => buildDistance(state, byName.get(name)!, global));
    first.push(left.splice(nearest, 1)[0]!);
  }
  return [...first, ...left];
}

/**
 * Of the free lanes, the index (into `lanes`) of the one whose state is nearest to the build (a
 * lane of unknown state is farthest); ties go to the earliest, so callers list lanes by preference.
 */
export function nearestLane(build: LaneState, lanes: readonly (LaneState | undefined)[], global: ReadonlySet<string> = GLOBAL_SYMBOLS): number {
  return nearestIndex(lanes, (state) => (state ? buildDistance(state, build, global) : Infinity));
}
