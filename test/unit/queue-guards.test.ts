// Guards: the semantics of quilt's guards(1), checked case by case and against the real
// /usr/bin/guards on every guard list of up to three guards.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatGuard, isSelected, parseGuard, selectPatches } from '../../src/queue/guards.js';
import { parseSeries } from '../../src/queue/quilt.js';
import type { Guard } from '../../src/queue/types.js';
import { run } from '../../src/util/exec.js';

const guards = (...texts: string[]): Guard[] => texts.map((t) => parseGuard(t)!);
const sel = (gs: string[], symbols: string[], def?: boolean): boolean => isSelected(guards(...gs), new Set(symbols), def);

describe('parseGuard / formatGuard', () => {
  it('reads the four forms, and the bare +/- of guards(1)', () => {
    expect(parseGuard('+xen')).toEqual({ include: true, negate: false, symbol: 'xen' });
    expect(parseGuard('-xen')).toEqual({ include: false, negate: false, symbol: 'xen' });
    expect(parseGuard('+!x86_64')).toEqual({ include: true, negate: true, symbol: 'x86_64' });
    expect(parseGuard('-!CONFIG_PRINTK')).toEqual({ include: false, negate: true, symbol: 'CONFIG_PRINTK' });
    expect(parseGuard('-')).toEqual({ include: false, negate: false, symbol: '' });
    expect(parseGuard('+')).toEqual({ include: true, negate: false, symbol: '' });
  });

  it('rejects what is not a guard', () => {
    for (const bad of ['xen', '!xen', '+!', '-!', '++xen', '+x en', '', '=arm', '+-x', '+!!x']) expect(parseGuard(bad)).toBeNull();
  });

  it('formats back to the same text', () => {
    for (const t of ['+a', '-a', '+!a', '-!a', '-', '+', '+rt.2']) expect(formatGuard(parseGuard(t)!)).toBe(t);
  });
});

describe('isSelected follows guards(1)', () => {
  it('no guards: the default', () => {
    expect(sel([], [])).toBe(true);
    expect(sel([], ['a'], false)).toBe(false);
  });

  it('a single guard', () => {
    // +a: only with a.   -a: unless a.   +!a: unless a.   -!a: only with a.
    expect([sel(['+a'], []), sel(['+a'], ['a'])]).toEqual([false, true]);
    expect([sel(['-a'], []), sel(['-a'], ['a'])]).toEqual([true, false]);
    expect([sel(['+!a'], []), sel(['+!a'], ['a'])]).toEqual([true, false]);
    expect([sel(['-!a'], []), sel(['-!a'], ['a'])]).toEqual([false, true]);
  });

  it('the first guard sets the starting state; the last matching guard wins', () => {
    // +a -b: excluded unless a; then b excludes again.
    expect(sel(['+a', '-b'], [])).toBe(false);
    expect(sel(['+a', '-b'], ['a'])).toBe(true);
    expect(sel(['+a', '-b'], ['a', 'b'])).toBe(false);
    expect(sel(['+a', '-b'], ['b'])).toBe(false);
    // -a +b: included unless a, but b brings it back.
    expect(sel(['-a', '+b'], [])).toBe(true);
    expect(sel(['-a', '+b'], ['a'])).toBe(false);
    expect(sel(['-a', '+b'], ['a', 'b'])).toBe(true);
    // +!a -!b: the SUSE "+!rt -!xen" idiom.
    expect(sel(['+!a', '-!b'], [])).toBe(false);
    expect(sel(['+!a', '-!b'], ['b'])).toBe(true);
  });

  it('the default is not consulted once there are guards', () => {
    expect(sel(['-a'], [], false)).toBe(true);
  });

  it('a bare "-" always excludes, a bare "+" always includes', () => {
    expect(sel(['-'], ['a'])).toBe(false);
    expect(sel(['+'], [])).toBe(true);
    expect(sel(['-', '+a'], [])).toBe(false);
    expect(sel(['-', '+a'], ['a'])).toBe(true);
  });
});

describe('selectPatches', () => {
  it('keeps series order', () => {
    const series = [
      { name: 'p1', guards: guards('+xen') },
      { name: 'p2', guards: [] },
      { name: 'p3', guards: guards('-xen') },
      { name: 'p4', guards: guards('+!x86', '+xen') },
    ];
    expect(selectPatches(series, new Set(['xen'])).map((p) => p.name)).toEqual(['p1', 'p2', 'p4']);
    expect(selectPatches(series, new Set(['x86'])).map((p) => p.name)).toEqual(['p2', 'p3']);
    expect(selectPatches(series, new Set()).map((p) => p.name)).toEqual(['p2', 'p3', 'p4']);
  });
});

/** Every guard list of up to `max` guards over `forms`: one series line each. */
function allGuardLists(forms: string[], max: number): string[][] {
  let level: string[][] = [[]];
  const all: string[][] = [[]];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((l) => forms.map((f) => [...l, f]));
    all.push(...level);
  }
  return all;
}

function subsets<T>(items: T[]): T[][] {
  const out: T[][] = [[]];
  for (const x of items) for (const s of out.slice()) out.push([...s, x]);
  return out;
}

const GUARDS = '/usr/bin/guards';
const haveGuards = existsSync(GUARDS);

describe('differential: the real guards(1)', () => {
  if (!haveGuards) {
    it.skip(`skipped: ${GUARDS} not found (install the quilt package to compare with the real guards(1))`, () => {});
    return;
  }
  const forms = ['a', 'b', 'c'].flatMap((s) => [`+${s}`, `-${s}`, `+!${s}`, `-!${s}`]).concat(['+', '-']);
  const lists = allGuardLists(forms, 3); // 1 + 14 + 14^2 + 14^3 = 2955 lines
  const seriesText = lists.map((gs, i) => [...gs, `p${i}.patch`].join(' ')).join('\n') + '\n';

  for (const [defaultSelected, args] of [
    [true, []],
    [false, ['--default=0']],
  ] as const) {
    it(`selects the same patches for every symbol set (--default=${defaultSelected ? 1 : 0})`, async () => {
      const { entries, diagnostics } = parseSeries(seriesText, 'series');
      expect(diagnostics).toEqual([]);
      expect(entries).toHaveLength(lists.length);
      const symbolSets = subsets(['a', 'b', 'c', 'd']); // d appears in no guard
      const real = await Promise.all(symbolSets.map((symbols) => run(GUARDS, [...args, ...symbols], { input: seriesText })));
      symbolSets.forEach((symbols, i) => {
        const ours = entries.filter((e) => isSelected(e.guards, new Set(symbols), defaultSelected)).map((e) => e.patch);
        expect(ours, `symbols: ${symbols.join(' ') || '(none)'}`).toEqual(real[i]!.stdout.split('\n').filter(Boolean));
      });
    });
  }
});
