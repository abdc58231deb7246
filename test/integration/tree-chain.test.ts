// buildSeries' fast path (src/tree/chain.ts: patches applied in memory, commits written by one
// git fast-import) against `git apply` on a whole-tree index: the same commits, byte for byte,
// whichever way each patch went, wherever git apply and patch(1) agree. Where they do not (a
// hunk git apply places with less context and patch(1) refuses), the series says what patch(1),
// and so quilt and `tiny queue check`, say.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeries, importBase, openTreeStore, readFiles, type SeriesPatch } from '../../src/tree/index.js';
import { gitIdentPart } from '../../src/tree/chain.js';
import { run } from '../../src/util/exec.js';
import { logoBytes, logoPatches } from '../helpers/binary-patches.js';
import { MAIN_C, removeDir, tempDir, writeFakeKernel } from '../helpers/kernel-tree-fixture.js';

let work: string;

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const LATIN1_FILE = '/* R\xe9sum\xe9 of the driver */\nint caf\xe9 = 1;\nint two = 2;\nint three = 3;\nint four = 4;\n';
/** A directory name that is not UTF-8 (Latin-1 "é"): git stores it as bytes. */
const LATIN1_DIR = 'drivers/na\xefve';

/** A one-hunk patch of init/main.c replacing line `at`, the hunk header claiming `claimed` (an offset when they differ). */
function mainPatch(at: number, replacement: string, opts: { claimed?: number; ctx?: Record<number, string>; current?: (n: number) => string } = {}): string {
  const lines = MAIN_C.trimEnd().split('\n');
  const line = (n: number) => opts.ctx?.[n] ?? opts.current?.(n) ?? lines[n - 1]!;
  const start = (opts.claimed ?? at) - 3;
  return [
    '--- a/init/main.c',
    '+++ b/init/main.c',
    `@@ -${start},7 +${start},7 @@`,
    ...[at - 3, at - 2, at - 1].map((n) => ` ${line(n)}`),
    `-${line(at)}`,
    `+${replacement}`,
    ...[at + 1, at + 2, at + 3].map((n) => ` ${line(n)}`),
    '',
  ].join('\n');
}

/** A hunk of init/main.c without trailing context: lines `first`..`first + 2`, then `added`. */
function mainAddAfter(first: number, added: string): string {
  const lines = [first, first + 1, first + 2].map((n) => ` int line${n} = ${n};`);
  return ['--- a/init/main.c', '+++ b/init/main.c', `@@ -${first},3 +${first},4 @@`, ...lines, `+${added}`, ''].join('\n');
}
/** Lines added at the end of init/main.c (40 lines). */
const APPEND_MAIN = mainAddAfter(38, 'int line41 = 41;');

/** include/linux/kernel.h moved to include/net/, unchanged (a rename without hunks). */
const MOVE_HEADER = ['diff --git a/include/linux/kernel.h b/include/net/kernel.h', 'similarity index 100%', 'rename from include/linux/kernel.h', 'rename to include/net/kernel.h', ''].join('\n');

const series: SeriesPatch[] = [
  { name: 'clean.patch', text: mainPatch(5, 'int line5 = 500;'), strip: 1, reverse: false, author: '"Jane Q. Doe," <jane@example.org>', date: '1098205200 -0700' },
  {
    name: 'new-script.patch',
    text: ['diff --git a/scripts/tiny-size b/scripts/tiny-size', 'new file mode 100755', '--- /dev/null', '+++ b/scripts/tiny-size', '@@ -0,0 +1,2 @@', '+#!/bin/sh', '+size vmlinux', ''].join('\n'),
    strip: 1,
    reverse: false,
  },
  {
    name: 'drop-sched.patch',
    text: ['diff --git a/kernel/sched.c b/kernel/sched.c', 'deleted file mode 100644', '--- a/kernel/sched.c', '+++ /dev/null', '@@ -1 +0,0 @@', '-void schedule(void) {}', ''].join('\n'),
    strip: 1,
    reverse: false,
  },
  {
    name: 'latin1-content.patch',
    text: latin1(
      [
        '--- a/drivers/latin1.c',
        '+++ b/drivers/latin1.c',
        '@@ -1,4 +1,4 @@',
        ' /* R\xe9sum\xe9 of the driver */',
        '-int caf\xe9 = 1;',
        '+int caf\xe9 = 0; /* \xa7 2 */',
        ' int two = 2;',
        ' int three = 3;',
        '',
      ].join('\n'),
    ),
    strip: 1,
    reverse: false,
  },
  // Claims line 18 for what is at line 20: an offset of 2, which both tools take.
  { name: 'offset.patch', text: mainPatch(20, 'int line20 = 2000;', { claimed: 18 }), strip: 1, reverse: false },
  // Outer context line 12 differs: fuzz 1, in memory (git apply finds it with -C2).
  { name: 'fuzz.patch', text: mainPatch(15, 'int line15 = 1500;', { ctx: { 12: 'int line12 = -1;' } }), strip: 1, reverse: false },
  // No trailing context, starting at line 1 of a 2-line file: anchored at the end (and, for
  // git, at the start) it fits either way.
  {
    name: 'append.patch',
    text: ['--- a/init/version.c', '+++ b/init/version.c', '@@ -1,2 +1,3 @@', ' #include <linux/version.h>', ' const char *v = "fake";', '+const char *w = "tiny";', ''].join('\n'),
    strip: 1,
    reverse: false,
  },
  // No trailing context further down: both anchor it at the end of the file, so in memory.
  {
    name: 'append-main.patch',
    text: APPEND_MAIN,
    strip: 1,
    reverse: false,
  },
  // On the file the fuzzy patch changed, as it left it.
  { name: 'after.patch', text: mainPatch(16, 'int line16 = 1600;', { current: (n) => (n === 15 ? 'int line15 = 1500;' : `int line${n} = ${n};`) }), strip: 1, reverse: false },
  // A path that is not UTF-8: git apply decides.
  {
    name: 'latin1-path.patch',
    text: latin1([`--- a/${LATIN1_DIR}/x.c`, `+++ b/${LATIN1_DIR}/x.c`, '@@ -1,3 +1,3 @@', ' int a;', '-int b;', '+int b = 2;', ' int c;', ''].join('\n')),
    strip: 1,
    reverse: false,
  },
  // A header moved to another directory (as Debian's 6.1 series moves net/mana's), and a
  // copy of a file (as append.patch left it) with one line changed: in memory, the destination
  // with the source's mode.
  {
    name: 'move-header.patch',
    text: MOVE_HEADER,
    strip: 1,
    reverse: false,
  },
  {
    name: 'copy-version.patch',
    text: [
      'diff --git a/init/version.c b/init/version2.c',
      'similarity index 60%',
      'copy from init/version.c',
      'copy to init/version2.c',
      '--- a/init/version.c',
      '+++ b/init/version2.c',
      '@@ -1,3 +1,3 @@',
      ' #include <linux/version.h>',
      '-const char *v = "fake";',
      '+const char *v2 = "fake";',
      ' const char *w = "tiny";',
      '',
    ].join('\n'),
    strip: 1,
    reverse: false,
  },
  // The copy renamed and made executable, a line of it changed: in memory, the new mode.
  {
    name: 'rename-exec.patch',
    text: [
      'diff --git a/init/version2.c b/init/version3.c',
      'old mode 100644',
      'new mode 100755',
      'similarity index 70%',
      'rename from init/version2.c',
      'rename to init/version3.c',
      '--- a/init/version2.c',
      '+++ b/init/version3.c',
      '@@ -1,3 +1,3 @@',
      ' #include <linux/version.h>',
      '-const char *v2 = "fake";',
      '+const char *v3 = "fake";',
      ' const char *w = "tiny";',
      '',
    ].join('\n'),
    strip: 1,
    reverse: false,
  },
  // A file made executable while a line of it changes, and a script made not executable
  // (no hunks): in memory, the modes as GNU patch sets them.
  {
    name: 'exec-version.patch',
    text: [
      'diff --git a/init/version.c b/init/version.c',
      'old mode 100644',
      'new mode 100755',
      '--- a/init/version.c',
      '+++ b/init/version.c',
      '@@ -1,3 +1,3 @@',
      ' #include <linux/version.h>',
      ' const char *v = "fake";',
      '-const char *w = "tiny";',
      '+const char *w = "tinier";',
      '',
    ].join('\n'),
    strip: 1,
    reverse: false,
  },
  {
    name: 'noexec-script.patch',
    text: ['diff --git a/scripts/tiny-size b/scripts/tiny-size', 'old mode 100755', 'new mode 100644', ''].join('\n'),
    strip: 1,
    reverse: false,
  },
  // The first patch reversed: line 5 back to 5.
  { name: 'revert-clean.patch', text: mainPatch(5, 'int line5 = 500;'), strip: 1, reverse: true },
  // The append at the end reversed: its context still at the end of the file, so in memory.
  {
    name: 'revert-append-main.patch',
    text: APPEND_MAIN,
    strip: 1,
    reverse: true,
  },
  // The move reversed: the header back where it was.
  { name: 'move-header-back.patch', text: MOVE_HEADER, strip: 1, reverse: true },
];

/**
 * Hunks without trailing context away from the end of the file: patch(1) anchors them at the
 * end at every fuzz level and refuses them; git apply -C2 drops the anchor and places them.
 */
const UNANCHORED: SeriesPatch[] = [
  { name: 'append-not-at-end.patch', text: mainAddAfter(25, 'int line27b = 27;'), strip: 1, reverse: false },
  { name: 'insert-at-top.patch', text: mainAddAfter(1, 'int line3b = 3;'), strip: 1, reverse: false },
];

/** A binary file (every byte value, NULs among them) and the same with a few bytes changed. */
const LOGO = logoBytes(3000, 7919);
const LOGO_EDITED = Buffer.concat([LOGO.subarray(0, 1000), Buffer.from([0, 0xff, 0x80, 0]), LOGO.subarray(1010)]);

let tree: string;
/** The logo's change as `git diff` writes it without --binary: "Binary files ... differ". */
let editWithoutData: string;
beforeAll(async () => {
  work = await tempDir();
  // Binary patches: in memory too, by git apply's rules (GNU patch has none).
  const bin = await logoPatches(join(work, 'binary-repo'), LOGO, LOGO_EDITED);
  editWithoutData = bin.editWithoutData!.toString('latin1');
  expect(bin.edit!.toString('latin1')).toMatch(/^delta \d+$/m);
  series.push(
    { name: 'logo-create.patch', text: bin.create, strip: 1, reverse: false },
    { name: 'logo-edit.patch', text: bin.edit!, strip: 1, reverse: false },
    { name: 'logo-edit-back.patch', text: bin.edit!, strip: 1, reverse: true },
  );
  tree = join(work, 'linux');
  await writeFakeKernel(tree);
  await mkdir(join(tree, 'drivers'), { recursive: true });
  await writeFile(join(tree, 'drivers/latin1.c'), latin1(LATIN1_FILE));
  await mkdir(Buffer.from(join(tree, LATIN1_DIR), 'latin1'), { recursive: true });
  await writeFile(Buffer.from(join(tree, LATIN1_DIR, 'x.c'), 'latin1'), 'int a;\nint b;\nint c;\n');
});
afterAll(() => removeDir(work));

async function baseIn(cache: string) {
  const store = await openTreeStore(join(work, cache));
  return { store, base: (await importBase(store, { kind: 'dir', path: tree }, {})).commit };
}

describe('buildSeries: the fast path', () => {
  it('gives the commits git apply gives, taking in memory what it can and git apply the rest', async () => {
    const fast = await baseIn('cache-fast');
    const ref = await baseIn('cache-ref');
    const a = await buildSeries(fast.store, fast.base, series);
    const b = await buildSeries(ref.store, ref.base, series, { gitApplyOnly: true });
    expect(a.failure).toBeUndefined();
    expect(b.failure).toBeUndefined();
    expect(a.commits.map((c) => [c.name, c.appliedBy, c.fuzz])).toEqual([
      ['clean.patch', 'memory', 0],
      ['new-script.patch', 'memory', 0],
      ['drop-sched.patch', 'memory', 0],
      ['latin1-content.patch', 'memory', 0],
      ['offset.patch', 'memory', 0],
      ['fuzz.patch', 'memory', 1],
      ['append.patch', 'memory', 0],
      ['append-main.patch', 'memory', 0],
      ['after.patch', 'memory', 0],
      ['latin1-path.patch', 'git-apply', 0],
      ['move-header.patch', 'memory', 0],
      ['copy-version.patch', 'memory', 0],
      ['rename-exec.patch', 'memory', 0],
      ['exec-version.patch', 'memory', 0],
      ['noexec-script.patch', 'memory', 0],
      ['revert-clean.patch', 'memory', 0],
      ['revert-append-main.patch', 'memory', 0],
      ['move-header-back.patch', 'memory', 0],
      ['logo-create.patch', 'memory', 0],
      ['logo-edit.patch', 'memory', 0],
      ['logo-edit-back.patch', 'memory', 0],
    ]);
    expect(b.commits.every((c) => c.appliedBy === 'git-apply')).toBe(true);
    expect(a.commits.map((c) => c.commit)).toEqual(b.commits.map((c) => c.commit));

    const top = a.commits.at(-1)!.commit;
    const ls = (await run('git', ['--git-dir', fast.store.gitDir, 'ls-tree', '-r', top, '--', 'scripts', 'kernel', 'init', 'include'])).stdout;
    expect(ls).toMatch(/^100644 blob [0-9a-f]+\tinclude\/linux\/kernel\.h$/m);
    expect(ls).not.toContain('include/net/');
    expect(ls).toMatch(/^100644 blob [0-9a-f]+\tscripts\/tiny-size$/m);
    expect(ls).toMatch(/^100755 blob [0-9a-f]+\tinit\/version\.c$/m);
    expect(ls).not.toContain('kernel/sched.c');
    // Symlinks the series does not touch stay symlinks.
    expect(ls).toMatch(/^120000 blob [0-9a-f]+\tinit\/kernel\.h$/m);
    const moved = await readFiles(fast.store, a.commits.find((c) => c.name === 'move-header.patch')!.commit, ['include/net/kernel.h', 'include/linux/kernel.h']);
    expect(moved.get('include/net/kernel.h')).toBe('#define KERN_INFO "<6>"\n');
    expect(moved.get('include/linux/kernel.h')).toBeUndefined();
    const logo = async (name: string) => (await readFiles(fast.store, a.commits.find((c) => c.name === name)!.commit, ['drivers/video/logo.bin'])).get('drivers/video/logo.bin');
    expect(await logo('logo-edit.patch')).toBe(LOGO_EDITED.toString('latin1'));
    expect(await logo('logo-edit-back.patch')).toBe(LOGO.toString('latin1'));
    const files = await readFiles(fast.store, top, ['drivers/latin1.c', 'init/main.c', 'init/version3.c']);
    expect(files.get('init/version3.c')).toBe('#include <linux/version.h>\nconst char *v3 = "fake";\nconst char *w = "tiny";\n');
    expect(ls).toMatch(/^100755 blob [0-9a-f]+\tinit\/version3\.c$/m);
    expect(ls).not.toContain('init/version2.c');
    expect(files.get('drivers/latin1.c')).toBe(LATIN1_FILE.replace('int caf\xe9 = 1;', 'int caf\xe9 = 0; /* \xa7 2 */'));
    expect(files.get('init/main.c')).toContain('int line5 = 5;\nint line6');
    expect(files.get('init/main.c')).toContain('int line16 = 1600;\n');
    expect(files.get('init/main.c')!.endsWith('int line39 = 39;\nint line40 = 40;\n')).toBe(true);

    // The author as git cleans it: the same bytes either way.
    const first = (await run('git', ['--git-dir', fast.store.gitDir, 'cat-file', 'commit', a.commits[0]!.commit])).stdout;
    expect(first).toContain('author Jane Q. Doe <jane@example.org> 1098205200 -0700\n');

    // Memoized: the second run applies nothing.
    const again = await buildSeries(fast.store, fast.base, series);
    expect(again.commits.every((c) => c.cached)).toBe(true);
    expect(again.commits.map((c) => c.commit)).toEqual(a.commits.map((c) => c.commit));
  });

  it('refuses a binary diff without its data, even where git apply would take the result from the store', async () => {
    const { store, base } = await baseIn('cache-binary');
    expect(editWithoutData).toMatch(/^Binary files a\/drivers\/video\/logo\.bin and b\/drivers\/video\/logo\.bin differ$/m);
    const logo = series.filter((p) => p.name.startsWith('logo-'));
    // The store now has the edited logo's blob: git apply would apply the diff without data.
    expect((await buildSeries(store, base, logo)).failure).toBeUndefined();
    const r = await buildSeries(store, base, [logo[0]!, { name: 'logo-no-data.patch', text: latin1(editWithoutData), strip: 1, reverse: false }]);
    expect(r.commits.map((c) => c.name)).toEqual(['logo-create.patch']);
    expect(r.failure?.name).toBe('logo-no-data.patch');
    expect(r.failure?.hunks.join('\n')).toMatch(/binary diff without its data/);
  });

  it('reports a patch that applies nowhere as git apply does, after committing the fast patches before it', async () => {
    const { store, base } = await baseIn('cache-fail');
    const broken: SeriesPatch = { name: 'broken.patch', text: mainPatch(30, 'x', { ctx: { 27: 'a', 28: 'b', 29: 'c', 31: 'd', 32: 'e', 33: 'f' } }), strip: 1, reverse: false };
    const r = await buildSeries(store, base, [series[0]!, series[1]!, broken, series[4]!], { stopOnFailure: false });
    expect(r.commits.map((c) => [c.name, c.appliedBy])).toEqual([
      ['clean.patch', 'memory'],
      ['new-script.patch', 'memory'],
      ['offset.patch', 'memory'],
    ]);
    expect(r.failures.map((f) => [f.name, f.hunks])).toEqual([['broken.patch', ['init/main.c:27']]]);
    const ref = await buildSeries((await baseIn('cache-fail-ref')).store, base, [series[0]!, series[1]!, broken, series[4]!], { stopOnFailure: false, gitApplyOnly: true });
    expect(r.commits.map((c) => c.commit)).toEqual(ref.commits.map((c) => c.commit));
  });

  it('refuses, as patch(1) and quilt do, hunks that git apply places only with less context', async () => {
    const { store, base } = await baseIn('cache-unanchored');
    const r = await buildSeries(store, base, [series[0]!, ...UNANCHORED], { stopOnFailure: false });
    expect(r.commits.map((c) => c.name)).toEqual(['clean.patch']);
    expect(r.failures.map((f) => [f.name, f.hunks, f.stderr])).toEqual([
      ['append-not-at-end.patch', ['init/main.c:25'], 'init/main.c: hunk #1 FAILED at 25: context not found'],
      ['insert-at-top.patch', ['init/main.c:1'], 'init/main.c: hunk #1 FAILED at 1: context not found'],
    ]);
    // git apply alone would have placed both (with -C2, its fuzz 1).
    const git = await buildSeries((await baseIn('cache-unanchored-ref')).store, base, UNANCHORED, { stopOnFailure: false, gitApplyOnly: true });
    expect(git.commits.map((c) => [c.name, c.fuzz])).toEqual([
      ['append-not-at-end.patch', 1],
      ['insert-at-top.patch', 1],
    ]);
    // And GNU patch refuses both, on the same file, at its default fuzz (as quilt runs it).
    for (const p of UNANCHORED) {
      const dry = await run('patch', ['-p1', '--dry-run', '-f', '-d', tree], { input: Buffer.from(p.text as string), allowFail: true });
      expect(dry.code, `${p.name}: ${dry.stdout}`).toBe(1);
      expect(dry.stdout).toMatch(/Hunk #1 FAILED/);
    }
  });

  it("cleans an identity as git's ident.c does", () => {
    expect(gitIdentPart(' "Doe, Jr.", ')).toBe('Doe, Jr.');
    expect(gitIdentPart("'x'")).toBe('x');
    expect(gitIdentPart('a<b>c')).toBe('abc');
  });
});
