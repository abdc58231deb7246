// Doing less than a hand loop, on plain data: the same builds found by record key, and the
// order that changes least between neighbours (a flip beside its without: twin, the symbols
// that change every object's compiler flags together at the end).

import { describe, expect, it } from 'vitest';
import { buildDistance, buildOrder, GLOBAL_WEIGHT, nearestLane, orderCost, PATCH_WEIGHT, sameBuilds, startAtLanes, type BuildItem } from '../../src/matrix/order.js';

const QUEUE = ['compat', 'elf-core', 'dmi'];
/** A .config; a symbol given as undefined is absent (its patch is left out). */
const cfg = (over: Record<string, string | undefined> = {}) =>
  new Map(Object.entries({ NET: 'y', ELF_CORE: 'y', DMI: 'y', CC_OPTIMIZE_FOR_SIZE: 'n', ...over }).filter((e): e is [string, string] => e[1] !== undefined));
const item = (name: string, key: string, patches: string[], over: Record<string, string | undefined> = {}): BuildItem => ({ name, key, patches, config: cfg(over) });

// The shape of a linux-tiny matrix (each option keeps a feature, default y): the queue point,
// two flips, all-off, two withouts (the patch out, its symbol gone), the base, a configuration
// flip of CC_OPTIMIZE_FOR_SIZE. all-off is given flip:dmi's .config and key: it stands for a
// configuration where the two come out equal (ELF_CORE hidden, say).
const items: BuildItem[] = [
  item('queue', 'k-queue', QUEUE),
  item('flip:elf-core', 'k-flip-elf', QUEUE, { ELF_CORE: 'n' }),
  item('flip:dmi', 'k-flip-dmi', QUEUE, { DMI: 'n' }),
  item('all-off', 'k-flip-dmi', QUEUE, { DMI: 'n' }),
  item('config:CC_OPTIMIZE_FOR_SIZE', 'k-os', QUEUE, { CC_OPTIMIZE_FOR_SIZE: 'y' }),
  item('without:elf-core', 'k-wo-elf', ['compat', 'dmi'], { ELF_CORE: undefined }),
  item('without:dmi', 'k-wo-dmi', ['compat', 'elf-core'], { DMI: undefined }),
  item('base', 'k-base', ['compat'], { ELF_CORE: undefined, DMI: undefined }),
];

describe('the same build twice', () => {
  it("a toggle with an earlier toggle's key is that toggle's build", () => {
    expect([...sameBuilds(items)]).toEqual([['all-off', 'flip:dmi']]);
  });

  it('only the first of each key is built', () => {
    const order = buildOrder(items);
    expect(order).toHaveLength(7);
    expect(order).not.toContain('all-off');
  });
});

describe('the distance between two builds', () => {
  it('counts each changed symbol once, a patch more or less as one, a global-flags symbol a thousand times', () => {
    expect(buildDistance(items[0]!, items[1]!)).toBe(1);
    expect(buildDistance(items[0]!, items[5]!)).toBe(PATCH_WEIGHT + 1);
    // A flip and its without: twin: the option's files, once.
    expect(buildDistance(items[1]!, items[5]!)).toBe(PATCH_WEIGHT);
    expect(buildDistance(items[0]!, items[4]!)).toBe(GLOBAL_WEIGHT);
  });

  it('a symbol absent from one .config is n there; 0x10 and 0x0010 are the same value', () => {
    const a = {
      patches: [],
      config: new Map([
        ['A', 'n'],
        ['H', '0x10'],
      ]),
    };
    const b = { patches: [], config: new Map([['H', '0x0010']]) };
    expect(buildDistance(a, b)).toBe(0);
  });
});

describe("the order of a lane's builds", () => {
  it('starts at the queue point, puts each flip beside its without: twin, and the global-flags change last', () => {
    // queue -1 symbol-> flip:elf-core -1 patch-> without:elf-core -dmi, DMI-> base -elf-core,
    // ELF_CORE-> without:dmi -1 patch-> flip:dmi, then the -Os rebuild of everything.
    expect(buildOrder(items)).toEqual(['queue', 'flip:elf-core', 'without:elf-core', 'base', 'without:dmi', 'flip:dmi', 'config:CC_OPTIMIZE_FOR_SIZE']);
  });

  it("costs less than the plan's order", () => {
    const distinct = items.filter((i) => i.name !== 'all-off');
    const plan = distinct.map((i) => i.name);
    expect(orderCost(distinct, buildOrder(items))).toBeLessThan(orderCost(distinct, plan));
    expect(orderCost(distinct, plan)).toBeGreaterThanOrEqual(2 * GLOBAL_WEIGHT);
    expect(orderCost(distinct, buildOrder(items))).toBeLessThan(GLOBAL_WEIGHT + 100);
  });

  it('keeps the given order between equally distant builds, and nothing is lost', () => {
    const same = [item('a', '1', ['p']), item('b', '2', ['p'], { X: 'y' }), item('c', '3', ['p'], { Y: 'y' })];
    expect(buildOrder(same)).toEqual(['a', 'b', 'c']);
    expect(buildOrder([])).toEqual([]);
  });
});

describe('a run that begins where the last one left the lanes', () => {
  const order = buildOrder(items);
  // The last run ended with lane 0 at the -Os rebuild and lane 1 at flip:dmi; since then one patch
  // (dmi) was edited, so every build that has it is new, and the lanes hold its old text.
  const edited = (it: BuildItem): BuildItem => ({ ...it, patches: it.patches.map((p) => (p === 'dmi' ? 'dmi-edited' : p)) });
  const now = items.map(edited);
  const lane0 = { patches: QUEUE, config: cfg({ CC_OPTIMIZE_FOR_SIZE: 'y' }) };
  const lane1 = { patches: QUEUE, config: cfg({ DMI: 'n' }) };

  it('the lane left at the -Os rebuild builds it again first, not the queue point', () => {
    expect(startAtLanes(order, now, [lane0, lane1])).toEqual(['config:CC_OPTIMIZE_FOR_SIZE', ...order.filter((n) => n !== 'config:CC_OPTIMIZE_FOR_SIZE')]);
    expect(startAtLanes(order, now, [lane1, lane0])).toEqual(['config:CC_OPTIMIZE_FOR_SIZE', ...order.filter((n) => n !== 'config:CC_OPTIMIZE_FOR_SIZE')]);
  });

  it("lanes of unknown state, or with the first build's flags, leave the order as it is, run after run", () => {
    expect(startAtLanes(order, now, [undefined, lane1])).toEqual(order);
    expect(startAtLanes(order, now, [undefined, undefined])).toEqual(order);
    expect(startAtLanes([], now, [lane0])).toEqual([]);
  });

  it('a build goes to the free lane nearest to it; an unknown lane only when no other is free', () => {
    const byName = new Map(now.map((it) => [it.name, it]));
    expect(nearestLane(byName.get('queue')!, [lane0, lane1])).toBe(1);
    expect(nearestLane(byName.get('config:CC_OPTIMIZE_FOR_SIZE')!, [lane1, lane0])).toBe(1);
    expect(nearestLane(byName.get('queue')!, [undefined, lane0])).toBe(1);
    expect(nearestLane(byName.get('queue')!, [undefined, undefined])).toBe(0);
    // Equally near: the first listed (the caller lists its preferred lane first).
    expect(nearestLane(byName.get('queue')!, [lane1, lane1])).toBe(0);
  });
});
