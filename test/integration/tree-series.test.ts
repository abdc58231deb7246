import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeries, importBase, openTreeStore, readFiles, type SeriesPatch, type TreeStore } from '../../src/tree/index.js';
import { run } from '../../src/util/exec.js';
import { importedFakeKernel, MAIN_C, removeDir } from '../helpers/kernel-tree-fixture.js';

let work: string;
let store: TreeStore;
let base: string;

/** A one-hunk patch replacing line `at` of init/main.c, with 3 lines of context; `ctx` edits context lines. */
function mainPatch(at: number, replacement: string, ctx: Record<number, string> = {}, strip = 1): string {
  const lines = MAIN_C.trimEnd().split('\n');
  const line = (n: number) => ctx[n] ?? lines[n - 1]!;
  const pre = [at - 3, at - 2, at - 1].map((n) => ` ${line(n)}`);
  const post = [at + 1, at + 2, at + 3].map((n) => ` ${line(n)}`);
  const [a, b] = strip === 1 ? ['a/', 'b/'] : ['', ''];
  return [
    `--- ${a}init/main.c\t2004-10-18 21:54:37.000000000 +0000`,
    `+++ ${b}init/main.c\t2004-10-19 10:00:00.000000000 +0000`,
    `@@ -${at - 3},7 +${at - 3},7 @@`,
    ...pre,
    `-${lines[at - 1]}`,
    `+${replacement}`,
    ...post,
    '',
  ].join('\n');
}

const NEW_FILE = ['--- /dev/null', '+++ b/kernel/tiny.c', '@@ -0,0 +1,2 @@', '+/* tiny */', '+int tiny = 1;', ''].join('\n');

beforeAll(async () => {
  ({ work, store, base } = await importedFakeKernel());
});
afterAll(() => removeDir(work));

const series: SeriesPatch[] = [
  {
    name: 'clean.patch',
    text: mainPatch(5, 'int line5 = 500;'),
    strip: 1,
    reverse: false,
    author: 'Matt Mackall <mpm@selenic.com>',
    subject: 'tiny: change line 5',
    body: 'Because smaller is better.\n\nSigned-off-by: Matt Mackall <mpm@selenic.com>',
    date: 'Tue, 19 Oct 2004 10:00:00 -0700',
  },
  { name: 'new-file.patch', text: NEW_FILE, strip: 1, reverse: false },
  // Outer context line 12 differs from the tree: needs fuzz 1 (git apply -C2).
  { name: 'fuzz1.patch', text: mainPatch(15, 'int line15 = 1500;', { 12: 'int line12 = -1;' }), strip: 1, reverse: false },
  // Two leading context lines differ: needs fuzz 2 (-C1).
  { name: 'fuzz2.patch', text: mainPatch(25, 'int line25 = 2500;', { 22: 'x', 23: 'y' }), strip: 1, reverse: false },
  // -p0 patch.
  { name: 'p0.patch', text: mainPatch(30, 'int line30 = 3000;', {}, 0), strip: 0, reverse: false },
  // Reversed: the tree has the "new" side (line 30 is now 3000), so -R turns it back... into 30.
  { name: 'revert-p0.patch', text: mainPatch(30, 'int line30 = 3000;', {}, 1), strip: 1, reverse: true },
];

describe('buildSeries', () => {
  it('applies each patch as one commit, with fuzz when needed, and metadata from the fields', async () => {
    const r = await buildSeries(store, base, series);
    expect(r.failure).toBeUndefined();
    expect(r.commits.map((c) => [c.name, c.fuzz, c.cached])).toEqual([
      ['clean.patch', 0, false],
      ['new-file.patch', 0, false],
      ['fuzz1.patch', 1, false],
      ['fuzz2.patch', 2, false],
      ['p0.patch', 0, false],
      ['revert-p0.patch', 0, false],
    ]);
    const top = r.commits.at(-1)!.commit;
    const files = await readFiles(store, top, ['init/main.c', 'kernel/tiny.c']);
    const main = files.get('init/main.c')!;
    expect(main).toContain('int line5 = 500;\n');
    expect(main).toContain('int line15 = 1500;\n');
    expect(main).toContain('int line25 = 2500;\n');
    expect(main).toContain('int line30 = 30;\n');
    expect(files.get('kernel/tiny.c')).toBe('/* tiny */\nint tiny = 1;\n');
    const first = (await run('git', ['--git-dir', store.gitDir, 'cat-file', 'commit', r.commits[0]!.commit])).stdout;
    expect(first).toContain(`parent ${base}\n`);
    expect(first).toContain('author Matt Mackall <mpm@selenic.com> 1098205200 -0700\n');
    expect(first).toContain('\n\ntiny: change line 5\n\nBecause smaller is better.\n\nSigned-off-by: Matt Mackall <mpm@selenic.com>\n');
    const second = (await run('git', ['--git-dir', store.gitDir, 'cat-file', 'commit', r.commits[1]!.commit])).stdout;
    expect(second).toContain('author tiny <tiny@localhost> 0 +0000\n');
    expect(second.endsWith('\n\nnew-file.patch\n')).toBe(true);
  });

  it('re-applies instantly from the memo, with the same commits; another store gives the same ids', async () => {
    const a = await buildSeries(store, base, series);
    const t0 = performance.now();
    const b = await buildSeries(store, base, series);
    const ms = performance.now() - t0;
    expect(b.commits.every((c) => c.cached)).toBe(true);
    expect(b.commits.map((c) => c.commit)).toEqual(a.commits.map((c) => c.commit));
    expect(b.commits.map((c) => c.fuzz)).toEqual([0, 0, 1, 2, 0, 0]);
    expect(ms).toBeLessThan(2000);
    const other = await openTreeStore(join(work, 'cache2'));
    const base2 = (await importBase(other, { kind: 'dir', path: join(work, 'linux') }, {})).commit;
    expect(base2).toBe(base);
    const c = await buildSeries(other, base2, series);
    expect(c.commits.map((x) => x.commit)).toEqual(a.commits.map((x) => x.commit));
    // A different selection gives different commits from the point where it differs.
    const d = await buildSeries(store, base, [series[0]!, series[2]!]);
    expect(d.commits[0]!.commit).toBe(a.commits[0]!.commit);
    expect(d.commits[1]!.commit).not.toBe(a.commits[2]!.commit);
  });

  it("reports the failing patch with its hunk's file:line, as patch(1) says it, and stops there", async () => {
    const broken: SeriesPatch = {
      name: 'broken.patch',
      text: mainPatch(20, 'int line20 = 0;', { 17: 'a', 18: 'b', 19: 'c', 21: 'd', 22: 'e', 23: 'f' }),
      strip: 1,
      reverse: false,
    };
    const missing: SeriesPatch = {
      name: 'missing-file.patch',
      text: ['--- a/fs/nope.c', '+++ b/fs/nope.c', '@@ -1,1 +1,1 @@', '-a', '+b', ''].join('\n'),
      strip: 1,
      reverse: false,
    };
    const r = await buildSeries(store, base, [series[0]!, broken, series[1]!]);
    expect(r.commits.map((c) => c.name)).toEqual(['clean.patch']);
    expect(r.failure?.name).toBe('broken.patch');
    expect(r.failure?.hunks).toEqual(['init/main.c:17']);
    expect(r.failure?.stderr).toBe('init/main.c: hunk #1 FAILED at 17: context not found');
    // Remembered: the same answer again without applying anything.
    const again = await buildSeries(store, base, [series[0]!, broken, series[1]!]);
    expect(again.failure).toEqual(r.failure);

    const goOn = await buildSeries(store, base, [series[0]!, broken, missing, series[1]!], { stopOnFailure: false });
    expect(goOn.commits.map((c) => c.name)).toEqual(['clean.patch', 'new-file.patch']);
    expect(goOn.failures.map((f) => f.name)).toEqual(['broken.patch', 'missing-file.patch']);
    expect(goOn.failures[1]!.hunks).toEqual(['fs/nope.c: file not found']);
    expect(goOn.failure?.name).toBe('broken.patch');
  });

  it('says once where its real work starts (onMiss), and not at all when the memo knows every patch', async () => {
    const other = await openTreeStore(join(work, 'cache-miss'));
    const base3 = (await importBase(other, { kind: 'dir', path: join(work, 'linux') }, {})).commit;
    const misses: string[] = [];
    const onMiss = (from: string) => misses.push(from);
    const first = await buildSeries(other, base3, series.slice(0, 2), { onMiss });
    expect(misses).toEqual([base3]);
    misses.length = 0;
    await buildSeries(other, base3, series.slice(0, 2), { onMiss });
    expect(misses).toEqual([]);
    // Two patches known, the third not: the work starts from the second's commit.
    await buildSeries(other, base3, series.slice(0, 3), { onMiss });
    expect(misses).toEqual([first.commits[1]!.commit]);
  });

  it('accepts a base given as a tag', async () => {
    const r = await buildSeries(store, 'refs/tags/base/2.6.9', [series[0]!]);
    expect(r.commits[0]!.cached).toBe(true);
  });
});
