// The matrix plan is a pure function of the queue, the configuration's guard selection and
// the base: which toggles, with which patches and overrides, in which order.

import { describe, expect, it } from 'vitest';
import { parseGuard } from '../../src/queue/guards.js';
import type { QueuePatch } from '../../src/queue/types.js';
import { dependents, displayOrder, flipValue, onlyToggles, planMatrix, resolveFragment } from '../../src/matrix/plan.js';
import { TinyError } from '../../src/util/diagnostics.js';

function patch(name: string, o: { option?: string; guards?: string[]; depends?: string[]; bases?: string[] } = {}): QueuePatch {
  return {
    name,
    file: `patches/${name}.patch`,
    path: `/q/patches/${name}.patch`,
    ...(o.option ? { option: o.option } : {}),
    guards: (o.guards ?? []).map((g) => parseGuard(g)!),
    depends: o.depends ?? [],
    bases: o.bases ?? [],
    strip: 1,
    reverse: false,
    text: name,
    sha256: name.padEnd(64, '0'),
    parsed: { header: {}, files: [] } as unknown as QueuePatch['parsed'],
    line: 1,
  };
}

const names = (ps: readonly QueuePatch[]) => ps.map((p) => p.name);

describe('planMatrix', () => {
  const series = [
    patch('compat-a', { guards: ['+compat'] }),
    patch('compat-b', { guards: ['+compat'] }),
    patch('printk', { option: 'PRINTK' }),
    patch('bug', { option: 'BUG', depends: ['printk'] }),
    patch('uninline'),
    patch('xen-only', { guards: ['+xen'] }),
    patch('newer', { bases: ['2.6.10'] }),
  ];
  const plan = planMatrix({ queue: { series }, version: '2.6.9', select: ['compat'], baseSelect: ['compat'], fragment: { NET: 'y', PRINTK: 'y' } });

  it('splits the selection into base patches and queue patches', () => {
    expect(names(plan.selected)).toEqual(['compat-a', 'compat-b', 'printk', 'bug', 'uninline']);
    expect(names(plan.basePatches)).toEqual(['compat-a', 'compat-b']);
    expect(names(plan.queuePatches)).toEqual(['printk', 'bug', 'uninline']);
    expect(plan.notes).toEqual(['1 patch is not meant for 2.6.9 and left out', '1 patch is not selected by the guards (symbols: compat)']);
  });

  it('orders toggles sharing a selection together: queue, flips, all-off, withouts, base', () => {
    expect(plan.toggles.map((t) => t.name)).toEqual(['queue', 'flip:printk', 'flip:bug', 'all-off', 'without:printk', 'without:bug', 'without:uninline', 'base']);
    const sel = plan.toggles.map((t) => t.selection);
    expect(new Set(sel.slice(0, 4)).size).toBe(1); // queue, flips and all-off share one tree
    expect(displayOrder(plan.toggles).map((t) => t.name)).toEqual(['base', 'queue', 'all-off', 'flip:printk', 'flip:bug', 'without:printk', 'without:bug', 'without:uninline']);
  });

  it('gives each toggle its patches and overrides', () => {
    const t = Object.fromEntries(plan.toggles.map((x) => [x.name, x]));
    expect(names(t.queue!.patches)).toEqual(['compat-a', 'compat-b', 'printk', 'bug', 'uninline']);
    expect(t.queue!.flip).toEqual([]);
    expect(t['flip:bug']!.flip).toEqual(['BUG']);
    expect(t['all-off']!.set).toEqual({ PRINTK: 'n', BUG: 'n' });
    // without a patch: the patches depending on it go too, and its option leaves the fragment
    expect(names(t['without:printk']!.patches)).toEqual(['compat-a', 'compat-b', 'uninline']);
    expect(t['without:printk']!.description).toContain('and what depends on it (bug)');
    expect(t['without:printk']!.drop).toEqual(['PRINTK']);
    expect(names(t['without:bug']!.patches)).toEqual(['compat-a', 'compat-b', 'printk', 'uninline']);
    expect(names(t.base!.patches)).toEqual(['compat-a', 'compat-b']);
    expect(t.base!.drop).toEqual(['PRINTK']);
  });

  it('resolves flips against the defaults of the queue point', () => {
    const t = Object.fromEntries(plan.toggles.map((x) => [x.name, x]));
    const defaults = new Map([
      ['PRINTK', 'y'],
      ['BUG', 'n'],
    ]);
    expect(resolveFragment(t['flip:printk']!, { NET: 'y', PRINTK: 'y' }, defaults)).toEqual({ NET: 'y', PRINTK: 'n' });
    expect(resolveFragment(t['flip:bug']!, { NET: 'y' }, defaults)).toEqual({ NET: 'y', BUG: 'y' });
    expect(resolveFragment(t['all-off']!, { NET: 'y', PRINTK: 'y' })).toEqual({ NET: 'y', PRINTK: 'n', BUG: 'n' });
    expect(resolveFragment(t.base!, { NET: 'y', PRINTK: 'y' })).toEqual({ NET: 'y' });
    expect(() => resolveFragment(t['flip:bug']!, {})).toThrow(/not known/);
    expect(() => resolveFragment(t['flip:bug']!, {}, new Map([['BUG', '14']]))).toThrow(TinyError);
  });

  it("flips the configuration's own symbols (kconfig.flips) one at a time against the queue point", () => {
    const p = planMatrix({ queue: { series }, version: '2.6.9', select: ['compat'], baseSelect: ['compat'], fragment: { NET: 'y', KALLSYMS: 'n' }, configFlips: ['KALLSYMS', 'NET', 'PRINTK'] });
    expect(p.toggles.map((t) => t.name)).toEqual(['queue', 'flip:printk', 'flip:bug', 'config:KALLSYMS', 'config:NET', 'all-off', 'without:printk', 'without:bug', 'without:uninline', 'base']);
    // PRINTK is a queue option: flip:printk measures it already.
    expect(p.notes).toContain('kconfig.flips: PRINTK is the option of a queue patch: its flip:<patch> toggle measures it');
    const k = p.toggles.find((t) => t.name === 'config:KALLSYMS')!;
    expect(k).toMatchObject({ kind: 'flip', flip: ['KALLSYMS'], drop: [] });
    expect(k.patch).toBeUndefined();
    expect(names(k.patches)).toEqual(names(plan.selected));
    // The fragment's KALLSYMS: n is what the flip turns around.
    expect(
      resolveFragment(
        k,
        { NET: 'y', KALLSYMS: 'n' },
        new Map([
          ['KALLSYMS', 'n'],
          ['NET', 'y'],
        ]),
      ),
    ).toEqual({ NET: 'y', KALLSYMS: 'y' });
    // Without a queue point there is nothing to flip against.
    expect(planMatrix({ queue: { series: [] }, version: '2.6.9', select: [], configFlips: ['KALLSYMS'] }).notes).toContain(
      'kconfig.flips are flipped against the queue point: without queue patches there is none, so they are not built',
    );
  });

  it('flips bool and tristate values', () => {
    expect(flipValue('y')).toBe('n');
    expect(flipValue('m')).toBe('n');
    expect(flipValue('n')).toBe('y');
    expect(flipValue(undefined)).toBe('y');
    expect(flipValue('0x10')).toBeUndefined();
  });

  it('takes base symbols from the toolchain too, and needs a ' + ' guard for a base patch', () => {
    const p = planMatrix({
      queue: { series: [patch('fix', { guards: ['+compat-gcc12'] }), patch('unless', { guards: ['-foo'] }), patch('opt', { option: 'X', guards: ['+compat-gcc12'] })] },
      version: '6.1',
      select: [],
      toolchainSymbols: ['compat-gcc12'],
    });
    expect(names(p.basePatches)).toEqual(['fix']);
    expect(names(p.queuePatches)).toEqual(['unless', 'opt']); // an option patch is never base
  });

  it('with no queue patch the only toggle is base', () => {
    const p = planMatrix({ queue: { series: [patch('compat-a', { guards: ['+compat'] })] }, version: '2.6.9', select: [], baseSelect: ['compat'] });
    expect(p.toggles.map((t) => t.name)).toEqual(['base']);
    expect(p.notes).toContain('every selected patch belongs to the base: the only toggle is base');
    const empty = planMatrix({ queue: { series: [] }, version: '6.1', select: [] });
    expect(empty.toggles.map((t) => t.name)).toEqual(['base']);
    expect(empty.toggles[0]!.description).toBe('the bare base, no queue patch');
  });

  it('refuses a selection that leaves out a dependency', () => {
    expect(() => planMatrix({ queue: { series: [patch('a', { guards: ['+x'] }), patch('b', { depends: ['a'] })] }, version: '1', select: [] })).toThrow(/b depends on a/);
  });

  it('--only keeps named toggles and lists the known ones for a typo', () => {
    expect(onlyToggles(plan, ['base', 'flip:bug']).map((t) => t.name)).toEqual(['flip:bug', 'base']);
    expect(onlyToggles(plan, undefined)).toBe(plan.toggles);
    try {
      onlyToggles(plan, ['flip:nope']);
      expect.unreachable();
    } catch (e) {
      expect((e as TinyError).message).toBe('--only: unknown toggle flip:nope');
      expect((e as TinyError).hint).toContain('toggles of this configuration: base, queue, all-off, flip:printk');
    }
  });

  it("an option whose patch is not meant for the base is left to that base's Kconfig, and the plan says so", () => {
    const q = {
      series: [
        patch('uid16', { option: 'UID16', bases: ['2.6.9'] }),
        patch('printk', { option: 'PRINTK' }),
        patch('bug', { option: 'BUG', bases: ['2.6.9'] }),
        patch('bug', { option: 'BUG', bases: ['2.6.11'] }),
      ],
    };
    const later = planMatrix({ queue: q, version: '2.6.11', select: [], fragment: { UID16: 'n', PRINTK: 'n', BUG: 'n' } });
    // BUG has a variant for 2.6.11: the configuration's value must hold there.
    expect(later.leftToBase).toEqual({ UID16: 'its patch uid16 is not meant for 2.6.11' });
    expect(later.notes).toContain('UID16: options of patches not meant for 2.6.11; where 2.6.11 defines it, its Kconfig decides');
    expect(planMatrix({ queue: q, version: '2.6.9', select: [], fragment: { UID16: 'n' } }).leftToBase).toEqual({});
  });

  it('--only leaves out what a !term matches, wherever it stands', () => {
    const flips = plan.toggles.filter((t) => t.name.startsWith('flip:')).map((t) => t.name);
    const kept = onlyToggles(plan, ['!flip:bug', 'base', 'flip:*']).map((t) => t.name);
    expect(kept).toContain('base');
    expect(kept).not.toContain('flip:bug');
    expect(kept.filter((n) => n.startsWith('flip:'))).toEqual(flips.filter((n) => n !== 'flip:bug'));
    // Only exclusions: everything else.
    expect(onlyToggles(plan, ['!flip:*']).some((t) => t.name.startsWith('flip:'))).toBe(false);
    expect(() => onlyToggles(plan, ['!flip:nope'])).toThrow('--only: unknown toggle !flip:nope');
  });

  it('--only matches * against toggle names: flip:* is every flip, without:* every patch left out', () => {
    const flips = plan.toggles.filter((t) => t.name.startsWith('flip:')).map((t) => t.name);
    expect(flips.length).toBeGreaterThan(1);
    expect(
      onlyToggles(plan, ['flip:*'])
        .map((t) => t.name)
        .sort(),
    ).toEqual([...flips].sort());
    expect(
      onlyToggles(plan, ['queue', 'flip:p*'])
        .map((t) => t.name)
        .sort(),
    ).toEqual(['flip:printk', 'queue']);
    expect(() => onlyToggles(plan, ['config:*'])).toThrow('--only: unknown toggle config:*');
  });

  it('dependents are transitive', () => {
    const pool = [patch('a'), patch('b', { depends: ['a'] }), patch('c', { depends: ['b'] }), patch('d')];
    expect([...dependents(pool, 'a')].sort()).toEqual(['a', 'b', 'c']);
    expect([...dependents(pool, 'd')]).toEqual(['d']);
  });
});
