// symbolDiff / bloatOMeter against the kernel's own scripts/bloat-o-meter.
//
// The reference script is taken from, in order: $TINY_BLOAT_O_METER, a copy cached in the temp
// dir by an earlier run, or linux-source-6.1/scripts/bloat-o-meter extracted from
// /usr/src/linux-source-*.tar.xz (Debian's linux-source package; ~20 s, once). Without it (or
// without python3, gcc or nm) the comparison tests are skipped and say why.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bloatOMeter, bloatSizes, pyPercent, renderSymbolDiff, symbolDiff } from '../../src/measure/bloat.js';
import { parseNm } from '../../src/measure/parse.js';
import type { SymbolEntry } from '../../src/measure/types.js';
import { run } from '../../src/util/exec.js';
import { findBloatOMeter, runBloatOMeter } from '../helpers/bloat-o-meter.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const sym = (name: string, size: number, type = 'T'): SymbolEntry => ({ name, type, size });

describe('symbolDiff semantics', () => {
  it('counts add/remove, grow/shrink and up/down, sorted by delta then name, descending', () => {
    const d = symbolDiff(
      [sym('kept', 100), sym('grows', 10), sym('shrinks', 50), sym('gone', 30), sym('same_a', 5), sym('same_b', 5)],
      [sym('kept', 100), sym('grows', 25), sym('shrinks', 20), sym('new_b', 7), sym('new_a', 7), sym('same_a', 5), sym('same_b', 5)],
    );
    expect(d).toMatchObject({ add: 2, remove: 1, grow: 1, shrink: 1, up: 15 + 14, down: 30 + 30, before: 200, after: 169 });
    expect(d.changes.map((c) => [c.name, c.old, c.new, c.delta])).toEqual([
      ['grows', 10, 25, 15],
      ['new_b', undefined, 7, 7],
      ['new_a', undefined, 7, 7],
      ['shrinks', 50, 20, -30],
      ['gone', 30, undefined, -30],
    ]);
  });

  it('filters like bloat-o-meter: types, generated names, `.NNN` suffixes summed, names with colons', () => {
    const m = bloatSizes([
      sym('count.0', 4, 'b'),
      sym('count.1', 4, 'b'),
      sym('foo.constprop.0', 10, 't'),
      sym('foo.isra.0.part.1', 3, 't'),
      sym('weak_fn', 9, 'W'),
      sym('abs', 9, 'A'),
      sym('__mod_pci__foo_device_table', 8, 'R'),
      sym('__se_sys_read', 8, 'T'),
      sym('__addressable_x', 8, 'd'),
      sym('linux_banner', 90, 'R'),
      sym('vermagic', 9, 'r'),
      sym('odd:name', 1, 'T'),
      sym('ro', 2, 'r'),
    ]);
    expect([...m]).toEqual([
      ['count', 8],
      ['foo.constprop', 10],
      ['foo.isra.part', 3],
      ['ro', 2],
    ]);
    expect([...bloatSizes([sym('a', 1, 't'), sym('b', 2, 'D'), sym('c', 3, 'r')], 'tT')]).toEqual([['a', 1]]);
  });

  it('renders bloat-o-meter’s text', () => {
    const d = symbolDiff([sym('do_fork', 1000), sym('old_helper', 20, 't'), sym('table', 400, 'D')], [sym('do_fork', 1100), sym('new_helper', 48, 't'), sym('table', 380, 'D')]);
    expect(renderSymbolDiff(d)).toBe(
      [
        'add/remove: 1/1 grow/shrink: 1/1 up/down: 148/-40 (108)',
        'Function                                     old     new   delta',
        'do_fork                                     1000    1100    +100',
        'new_helper                                     -      48     +48',
        'table                                        400     380     -20',
        'old_helper                                    20       -     -20',
        'Total: Before=1420, After=1528, chg +7.61%',
        '',
      ].join('\n'),
    );
    expect(renderSymbolDiff(symbolDiff([], []))).toBe(
      'add/remove: 0/0 grow/shrink: 0/0 up/down: 0/0 (0)\n' + 'Function                                     old     new   delta\n' + 'Total: Before=0, After=0, chg +0.00%\n',
    );
  });

  it('formats the percentage like Python’s %+.2f, exact ties to even', () => {
    expect([0.125, 0.375, 0.625, 0.875, 2.675, -0.125, -0.001, 1e-9, 0.005, 0.025, 1.005, 12.345, 100 / 3, 0].map(pyPercent)).toEqual([
      '+0.12',
      '+0.38',
      '+0.62',
      '+0.88',
      '+2.67',
      '-0.12',
      '-0.00',
      '+0.00',
      '+0.01',
      '+0.03',
      '+1.00',
      '+12.35',
      '+33.33',
      '+0.00',
    ]);
  });
});

// ---- against the real script (all processes run asynchronously in beforeAll: a blocked
// event loop starves vitest's worker RPC on a busy machine)
const missingWhy = await missingPrerequisites('python3', 'gcc', 'nm');
const missingTools = missingWhy ? [missingWhy] : [];

// Functions whose sizes change, statics that get .N suffixes, GCC clones, data, bss, rodata,
// weak symbols, symbols added and removed.
const OLD_C = `
static int counter(void) { static int n; return ++n; }
int big_table[100];
int small_data = 3;
const char banner[] = "version one";
__attribute__((weak)) int weak_fn(int x) { return x + 1; }
static __attribute__((noinline)) int scale(int x, int k) { return x * k + counter(); }
int grows(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * counter(); return s; }
int shrinks(int x) { int s = 0; for (int i = 0; i < x; i++) s += (i ^ x) * scale(i, 3) + (s >> 2) * counter(); return s + x * 7; }
int removed_fn(int x) { return x * 3 + scale(x, 5) - counter(); }
int main(int argc, char **argv) { (void)argv; return grows(argc) + shrinks(argc) + removed_fn(argc) + big_table[argc] + small_data + banner[argc] + weak_fn(argc); }
`;
const NEW_C = `
static int counter(void) { static int n; static int m; return ++n + m++; }
int big_table[120];
int small_data = 3;
int more_data[4] = {1, 2, 3, 4};
const char banner[] = "version two, longer";
__attribute__((weak)) int weak_fn(int x) { return x * x + 1; }
static __attribute__((noinline)) int scale(int x, int k) { return x * k + counter(); }
int grows(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * counter() + (s ^ i) * scale(i, 2) - (x % (i + 1)); return s; }
int shrinks(int x) { return x * 7; }
int added_fn(int x) { return x * 5 - counter() + scale(x, 9); }
int main(int argc, char **argv) { (void)argv; return grows(argc) + shrinks(argc) + added_fn(argc) + big_table[argc] + small_data + banner[argc] + more_data[argc & 3] + weak_fn(argc); }
`;

const PAIRS: Array<[string, string]> = [
  ['old.o', 'new.o'],
  ['old', 'new'],
  ['new', 'old'],
  ['old.o', 'old-O1.o'],
  ['new-O1.o', 'new.o'],
  ['old', 'old'],
];
const MODES = ['default', 'c', 'd', 't'] as const;
const PERCENTS = [0.125, -0.375, 2.675, 1 / 3, -2 / 3, 99.995, 0.005, 12.5, -12.5, 7.8125, 1e-7, 123456.785];
for (let i = 1; i < 300; i++) PERCENTS.push(((i * 7919) % 1000) / 8 - 60, (i * 100) / 7 - 50);

describe.skipIf(missingTools.length > 0)(`bloatOMeter against scripts/bloat-o-meter${missingTools.length ? ` (skipped: ${missingTools.join(', ')} missing)` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-bloat-'));
  let script: { path?: string; why?: string } = {};
  const tables = new Map<string, SymbolEntry[]>();
  const want = new Map<string, string>();
  let pyPercents: string[] = [];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    script = await findBloatOMeter();
    writeFileSync(join(dir, 'old.c'), OLD_C);
    writeFileSync(join(dir, 'new.c'), NEW_C);
    for (const v of ['old', 'new'])
      for (const [out, flags] of [
        [`${v}.o`, ['-c']],
        [v, []],
        [`${v}-O1.o`, ['-c', '-O1']],
      ] as const) {
        await run('gcc', ['-O2', ...flags, '-o', out, `${v}.c`], { cwd: dir });
        tables.set(out, parseNm((await run('nm', ['--size-sort', '-S', out], { cwd: dir })).stdout));
      }
    if (!script.path) return;
    // One Python process runs the unmodified script once per comparison (runpy, fresh globals).
    const jobs = PAIRS.flatMap(([a, b]) => MODES.map((mode) => [...(mode === 'default' ? [] : [`-${mode}`]), a, b]));
    const outs = await runBloatOMeter(script.path, jobs, dir);
    jobs.forEach((args, i) => {
      want.set(args.join(' '), outs[i]!);
    });
    const py = await run('python3', ['-c', 'import sys\nfor l in sys.stdin: print("%+.2f" % float(l))'], {
      input: PERCENTS.map((x) => x.toPrecision(17)).join('\n') + '\n',
    });
    pyPercents = py.stdout.trim().split('\n');
  }, 300_000);

  for (const [a, b] of PAIRS)
    for (const mode of MODES)
      it(`${a} -> ${b}${mode === 'default' ? '' : ` (-${mode})`}`, (ctx) => {
        if (!script.path) ctx.skip(script.why);
        expect(bloatOMeter(tables.get(a)!, tables.get(b)!, mode)).toBe(want.get([...(mode === 'default' ? [] : [`-${mode}`]), a, b].join(' ')));
      });

  it('the samples exercise what they claim to', () => {
    const nu = tables.get('new')!;
    expect(nu.some((s) => /\.\d+$/.test(s.name))).toBe(true); // static locals: n.0
    expect(nu.some((s) => s.type === 'W')).toBe(true); // weak: dropped by bloat-o-meter
    const d = symbolDiff(tables.get('old')!, nu);
    expect(d.add).toBeGreaterThan(0);
    expect(d.remove).toBeGreaterThan(0);
    expect(d.grow).toBeGreaterThan(0);
    expect(d.shrink).toBeGreaterThan(0);
  });

  it('Python and this module format the same percentages', () => {
    expect(PERCENTS.map(pyPercent)).toEqual(pyPercents);
  });
});
