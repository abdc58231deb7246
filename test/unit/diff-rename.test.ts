// Rename-aware symbol diffs: stems and suffixes, how removed and added names pair up, that the
// totals stay bloat-o-meter's, the text and Markdown renderings, and real GCC 12 clones
// (.isra, .constprop, .part, .cold and their combinations; .lto_priv with -flto) compiled here.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSymbols, matchRenames, renameAwareDiff, renderDiffMarkdown, renderDiffText, symbolStem } from '../../src/diff/index.js';
import { symbolDiff } from '../../src/measure/bloat.js';
import { parseNm } from '../../src/measure/parse.js';
import type { SymbolEntry } from '../../src/measure/types.js';
import { run } from '../../src/util/exec.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const t = (name: string, size: number, type = 't'): SymbolEntry => ({ name, type, size });

describe('stems', () => {
  it('strips trailing compiler suffix words, in any combination', () => {
    expect(['foo', 'foo.isra', 'foo.constprop.isra', 'foo.part.cold', 'foo.lto_priv', 'foo.localalias', 'bar.baz', 'foo.cold.part', 'cold'].map(symbolStem)).toEqual([
      { stem: 'foo', suffixes: [] },
      { stem: 'foo', suffixes: ['isra'] },
      { stem: 'foo', suffixes: ['constprop', 'isra'] },
      { stem: 'foo', suffixes: ['part', 'cold'] },
      { stem: 'foo', suffixes: ['lto_priv'] },
      { stem: 'foo', suffixes: ['localalias'] },
      { stem: 'bar.baz', suffixes: [] },
      { stem: 'foo', suffixes: ['cold', 'part'] },
      { stem: 'cold', suffixes: [] },
    ]);
  });
});

describe('pairing removed and added names', () => {
  const m = (r: Array<[string, number]>, a: Array<[string, number]>) => matchRenames(new Map(r), new Map(a));

  it('pairs one removed and one added name of a stem', () => {
    expect(m([['foo', 100]], [['foo.constprop', 90]])).toEqual([['foo', 'foo.constprop']]);
    expect(m([['foo.isra', 100]], [['foo.part', 90]])).toEqual([['foo.isra', 'foo.part']]);
  });

  it('keeps hot and cold parts apart, and prefers shared suffixes, then close sizes', () => {
    expect(
      m(
        [
          ['foo.constprop.isra', 256],
          ['foo.constprop.isra.cold', 13],
        ],
        [
          ['foo.cold', 12],
          ['foo', 267],
        ],
      ),
    ).toEqual([
      ['foo.constprop.isra', 'foo'],
      ['foo.constprop.isra.cold', 'foo.cold'],
    ]);
    expect(
      m(
        [
          ['bar.isra', 50],
          ['bar.constprop', 400],
        ],
        [
          ['bar.constprop.isra', 60],
          ['bar', 390],
        ],
      ),
    ).toEqual([
      ['bar.constprop', 'bar'], // both old names share one word with bar.constprop.isra:
      ['bar.isra', 'bar.constprop.isra'], // the closer sizes win it, the rest pair up
    ]);
    expect(
      m(
        [
          ['qux.isra', 50],
          ['qux.part', 60],
        ],
        [['qux.constprop.part', 50]],
      ),
    ).toEqual([['qux.part', 'qux.constprop.part']]); // a shared word beats a closer size
    expect(
      m(
        [
          ['baz.part', 50],
          ['baz.isra', 400],
        ],
        [['baz.constprop', 390]],
      ),
    ).toEqual([['baz.isra', 'baz.constprop']]); // nothing shared: the closest size
  });

  it('leaves unrelated names and lone cold parts alone', () => {
    expect(m([['foo', 10]], [['food', 10]])).toEqual([]);
    expect(m([['foo', 10]], [['foo.cold', 10]])).toEqual([]);
    expect(m([], [['foo.isra', 1]])).toEqual([]);
  });
});

describe('renameAwareDiff', () => {
  const OLD = [t('kept', 100), t('foo.constprop.0', 80), t('foo.constprop.0.cold', 8), t('gone', 30), t('bar.isra.0', 40), t('n.0', 4, 'b'), t('n.1', 4, 'b')];
  const NEW = [t('kept', 110), t('foo', 90), t('foo.cold', 8), t('added', 5), t('bar.isra.1', 40), t('n.0', 4, 'b'), t('n.3', 8, 'b')];

  it('reports renames instead of an add and a remove; totals and the net change are bloat-o-meter’s', () => {
    const plain = symbolDiff(OLD, NEW);
    const d = renameAwareDiff(OLD, NEW);
    expect(d).toMatchObject({ add: 1, remove: 1, grow: 3, shrink: 0, rename: 2, before: plain.before, after: plain.after });
    expect(d.up - d.down).toBe(plain.up - plain.down);
    expect(plain).toMatchObject({ add: 3, remove: 3 });
    expect(d.changes).toEqual([
      { name: 'kept', old: 100, new: 110, delta: 10 },
      { name: 'foo', renamedFrom: 'foo.constprop', old: 80, new: 90, delta: 10 },
      { name: 'added', new: 5, delta: 5 },
      { name: 'n', old: 8, new: 12, delta: 4 },
      { name: 'foo.cold', renamedFrom: 'foo.constprop.cold', old: 8, new: 8, delta: 0 }, // listed: a rename is a change
      { name: 'gone', old: 30, delta: -30 },
    ]);
  });

  it('is symbolDiff when nothing was renamed', () => {
    const a = [t('x', 1), t('y.isra.0', 2)];
    const b = [t('x', 3), t('z', 4)];
    const { rename, ...rest } = renameAwareDiff(a, b);
    expect(rename).toBe(0);
    expect(rest).toEqual(symbolDiff(a, b));
  });

  it('renders bloat-o-meter’s text with a rename line and `old -> new` rows', () => {
    expect(renderDiffText(diffSymbols(OLD, NEW, { renameAware: true }), true)).toBe(
      [
        'add/remove: 1/1 grow/shrink: 3/0 up/down: 29/-30 (-1)',
        'rename: 2',
        'Function                                     old     new   delta',
        'kept                                         100     110     +10',
        'foo.constprop -> foo                          80      90     +10',
        'added                                          -       5      +5',
        'n                                              8      12      +4',
        'foo.constprop.cold -> foo.cold                 8       8      +0',
        'gone                                          30       -     -30',
        'Total: Before=266, After=265, chg -0.38%',
        '',
      ].join('\n'),
    );
    expect(renderDiffText(diffSymbols(OLD, NEW))).toBe(
      [
        'add/remove: 3/3 grow/shrink: 2/0 up/down: 117/-118 (-1)',
        'Function                                     old     new   delta',
        'foo                                            -      90     +90',
        'kept                                         100     110     +10',
        'foo.cold                                       -       8      +8',
        'added                                          -       5      +5',
        'n                                              8      12      +4',
        'foo.constprop.cold                             8       -      -8',
        'gone                                          30       -     -30',
        'foo.constprop                                 80       -     -80',
        'Total: Before=266, After=265, chg -0.38%',
        '',
      ].join('\n'),
    );
  });

  it('renders Markdown', () => {
    expect(renderDiffMarkdown(diffSymbols([t('a', 1)], [t('a.isra.0', 3)], { renameAware: true }), 'Symbol sizes: old -> new', true)).toBe(
      [
        '### Symbol sizes: old -> new',
        '',
        '`add/remove: 0/0 grow/shrink: 1/0 up/down: 2/0 (2)` — 1 renamed',
        '',
        '| Function | old | new | delta |',
        '|---|---:|---:|---:|',
        '| `a -> a.isra` | 1 | 3 | +2 |',
        '',
        'Total: Before=1, After=3, chg +200.00%',
        '',
      ].join('\n'),
    );
  });
});

// ---- real GCC clones -----------------------------------------------------------------------

// OLD: scale() is only ever called with k=3 (scale.constprop.0); field_sum() reads two fields of
// its struct (field_sum.constprop.0.isra.0, with a .cold part); slowpath() has an early return
// (partial inlining: slowpath.part.0). NEW: a different k, field_sum's address taken, no early
// return: the plain names come back.
const CLONES_C = `
#include <stdlib.h>
struct ctx { int a, b, c, d; long pad[8]; };
extern int sink(int);
__attribute__((cold, noinline)) void report_error(const char *m) { (void)m; abort(); }
#ifdef NEW
#define K2 4
#else
#define K2 3
#endif
static __attribute__((noinline)) int scale(int x, int k) { int s = 0; for (int i = 0; i < x; i++) s += i * k + (s >> 3) + (s % (k + 1)); return s; }
static int field_sum(struct ctx *c, int mode) {
  int a = c->a, b = c->b;
  int s = 0;
  for (int i = 0; i < a; i++) s += (i ^ b) + s / 3 + sink(i * mode);
  if (__builtin_expect(s == 12345, 0)) report_error("field_sum");
  for (int i = 0; i < b; i++) s += (i * a) + s / 5 + sink(s);
  for (int i = 0; i < a; i++) s -= sink(i + s) + (s >> 2);
  return s;
}
#ifdef NEW
int (*field_sum_hook)(struct ctx *, int) = field_sum;
#endif
static int slowpath(int *t, int n, int key) {
#ifndef NEW
  if (__builtin_expect(n <= 0, 1)) return -1;
#endif
  for (int i = 0; i < n; i++) { if (t[i] == key) return i; if (t[i] > key * 3) { t[i] ^= sink(key); } }
  for (int i = 0; i < n; i++) t[i] += key * i + t[(i * 7) % n] + sink(i);
  for (int i = 0; i < n; i++) t[i] -= t[(i * 3) % n] / (key + 1) + sink(t[i]);
  for (int i = 0; i < n; i++) t[i] ^= sink(t[i] + key);
  return n;
}
static int counter(void) { static int n; return ++n; }
int table[64];
int api1(struct ctx *c, int *t) { return field_sum(c, 1) + slowpath(t, c->c, 5) + scale(c->a, 3) + counter(); }
int api2(struct ctx *c, int *t) { return field_sum(c, 1) * 2 + slowpath(t, c->d, 9) + scale(c->b, K2); }
int api3(struct ctx *c, int *t, int n) { return field_sum(c, 1) + slowpath(t, n, 11) + slowpath(t, n - 1, 12); }
#ifndef NEW
int removed_fn(int x) { return x * 3 + scale(x, 3) - counter(); }
#else
int added_fn(int x) { return x * 5 + scale(x, 9) - counter(); }
#endif
int sink(int x) { return table[x & 63] += x; }
int main(int argc, char **argv) { struct ctx c = { argc, argc + 1, argc, argc }; (void)argv; return api1(&c, table) + api2(&c, table) + api3(&c, table, argc); }
`;
// Two files with a static helper() each: with -flto they become helper.lto_priv.N.
const LTO_1 = `extern int table[64];
static __attribute__((noinline)) int helper(int x) { int s = 0; for (int i = 0; i < x; i++) s += table[i & 63] * i; return s; }
int f1(int x) { return helper(x) + helper(x + 1); }
`;
const LTO_2 = `extern int table[64];
static __attribute__((noinline)) int helper(int x) { int s = 1; for (int i = 0; i < x; i++) s ^= table[(i * 3) & 63] + i; return s; }
int f2(int x) { return helper(x) * helper(x + 2); }
int table[64];
int f1(int);
int main(int argc, char **argv) { (void)argv; return f1(argc) + f2(argc); }
`;

const gccWhy = await missingPrerequisites('gcc', 'nm');

describe.skipIf(gccWhy !== undefined)(`GCC clones${gccWhy ? ` (skipped: ${gccWhy})` : ''}`, () => {
  let dir: string;
  const nm = async (f: string) => parseNm((await run('nm', ['--size-sort', '-S', f], { cwd: dir })).stdout);
  const syms: Record<string, SymbolEntry[]> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-clones-'));
    await writeFile(join(dir, 'clones.c'), CLONES_C);
    await writeFile(join(dir, 'l1.c'), LTO_1);
    await writeFile(join(dir, 'l2.c'), LTO_2);
    await run('gcc', ['-O2', '-o', 'old', 'clones.c'], { cwd: dir });
    await run('gcc', ['-O2', '-DNEW', '-o', 'new', 'clones.c'], { cwd: dir });
    await run('gcc', ['-O2', '-o', 'nolto', 'l1.c', 'l2.c'], { cwd: dir });
    await run('gcc', ['-O2', '-flto', '-o', 'lto', 'l1.c', 'l2.c'], { cwd: dir });
    for (const f of ['old', 'new', 'nolto', 'lto']) syms[f] = await nm(f);
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gcc -O2 makes the clones this test is about', () => {
    const names = syms.old!.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['scale.constprop.0', 'slowpath.part.0', 'field_sum.constprop.0.isra.0', 'field_sum.constprop.0.isra.0.cold']));
    expect(syms.new!.map((s) => s.name)).toEqual(expect.arrayContaining(['scale', 'slowpath', 'field_sum', 'field_sum.cold']));
    expect(syms.lto!.some((s) => /^helper\.lto_priv\.\d+$/.test(s.name))).toBe(true);
  });

  it('matches each clone with its new name, totals unchanged', () => {
    const d = renameAwareDiff(syms.old!, syms.new!);
    const plain = symbolDiff(syms.old!, syms.new!);
    expect(
      d.changes
        .filter((c) => c.renamedFrom)
        .map((c) => `${c.renamedFrom} -> ${c.name}`)
        .sort(),
    ).toEqual(['field_sum.constprop.isra -> field_sum', 'field_sum.constprop.isra.cold -> field_sum.cold', 'scale.constprop -> scale', 'slowpath.part -> slowpath']);
    expect(d.changes.find((c) => c.name === 'added_fn')!.old).toBeUndefined();
    expect(d.changes.find((c) => c.name === 'removed_fn')!.new).toBeUndefined();
    expect([d.before, d.after, d.up - d.down, d.add + d.rename, d.remove + d.rename]).toEqual([plain.before, plain.after, plain.up - plain.down, plain.add, plain.remove]);
  });

  it('matches across .lto_priv', () => {
    const d = renameAwareDiff(syms.nolto!, syms.lto!);
    expect(d.changes.filter((c) => c.renamedFrom).map((c) => `${c.renamedFrom} -> ${c.name}`)).toEqual(['helper -> helper.lto_priv']);
  });
});
