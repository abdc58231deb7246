// End to end on the real, unmodified Linux 2.6.9 tree named by $TINY_TREE_2_6 (a directory):
// import it into two separate caches (same tree, same commit), check a tarball of it imports
// to the same tree, apply a small real patch to init/main.c, and materialize the result.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource } from '../../src/source/index.js';
import { buildSeries, importBase, materialize, openTreeStore, readFiles, treeHashOf } from '../../src/tree/index.js';
import { run } from '../../src/util/exec.js';
import { removeDir, tempDir } from '../helpers/kernel-tree-fixture.js';
import { snapshot } from '../helpers/trees.js';

const TREE = process.env.TINY_TREE_2_6;
if (!TREE) {
  console.log('tree-2.6 e2e: skipped; set TINY_TREE_2_6 to an unmodified linux-2.6.9 source directory to run it');
}

// A real linux-tiny style change: print the command line at KERN_NOTICE. The hunk header says
// line 498 while the code is at 504 in 2.6.9: git apply finds it with an offset, no fuzz.
const PRINTK_PATCH = `Subject: [PATCH] init: command line at KERN_NOTICE

Make the boot command line visible with quiet.

Signed-off-by: Tiny Tester <tester@example.org>
---
--- linux-2.6.9/init/main.c.orig	2004-10-18 23:53:44.000000000 +0200
+++ linux-2.6.9/init/main.c	2004-10-19 10:00:00.000000000 +0200
@@ -498,7 +498,7 @@ asmlinkage void __init start_kernel(void
 	sched_init();
 	build_all_zonelists();
 	page_alloc_init();
-	printk("Kernel command line: %s\\n", saved_command_line);
+	printk(KERN_NOTICE "Kernel command line: %s\\n", saved_command_line);
 	parse_early_param();
 	parse_args("Booting kernel", command_line, __start___param,
 		   __stop___param - __start___param,
`;

describe.skipIf(!TREE)('Linux 2.6.9 tree store (TINY_TREE_2_6)', () => {
  let work: string;
  let before: string[];
  beforeAll(async () => {
    work = await tempDir('tiny-e2e-2.6-');
    before = await snapshot(TREE!);
  });
  afterAll(async () => {
    // Never modified: same files, modes, sizes and mtimes as before the tests.
    expect(await snapshot(TREE!)).toEqual(before);
    await removeDir(work);
  });

  let base: { version: string; commit: string; tree: string };

  it('imports to the same tree and commit in two separate caches', async () => {
    const s1 = await openTreeStore(join(work, 'cache1'));
    const s2 = await openTreeStore(join(work, 'cache2'));
    const src = await resolveSource({ kind: 'dir', path: TREE! }, { cacheDir: s1.cacheDir });
    let t0 = performance.now();
    const a = await importBase(s1, src, {});
    const first = performance.now() - t0;
    t0 = performance.now();
    const again = await importBase(s1, src, {});
    const second = performance.now() - t0;
    const b = await importBase(s2, src, {});
    console.log(`tree-2.6 e2e: dir import ${(first / 1000).toFixed(1)} s, re-import ${(second / 1000).toFixed(2)} s, tree ${a.tree}`);
    expect(a.version).toBe('2.6.9');
    expect(again).toEqual(a);
    expect(b).toEqual(a);
    expect(await treeHashOf(s2, 'refs/tags/base/2.6.9')).toBe(a.tree);
    base = a;
  }, 600_000);

  it('imports a tarball of the tree to the same tree', async () => {
    const tarball = join(work, 'linux-2.6.9.tar');
    await run('tar', ['-c', '-f', tarball, '-C', join(TREE!, '..'), '--transform', 's,^[^/]*,linux-2.6.9,', TREE!.split('/').filter(Boolean).at(-1)!]);
    const store = await openTreeStore(join(work, 'cache3'));
    const r = await importBase(store, await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir: store.cacheDir }), {});
    expect(r).toEqual(base);
  }, 600_000);

  it('applies a real patch, memoizes it, and materializes a worktree', async () => {
    const store = await openTreeStore(join(work, 'cache1'));
    const patch = { name: 'printk-notice.patch', text: PRINTK_PATCH, strip: 1, reverse: false, subject: 'init: command line at KERN_NOTICE' };
    let t0 = performance.now();
    const r = await buildSeries(store, base.commit, [patch]);
    const applyMs = performance.now() - t0;
    expect(r.failure).toBeUndefined();
    expect(r.commits).toHaveLength(1);
    expect(r.commits[0]!.fuzz).toBe(0);
    t0 = performance.now();
    const again = await buildSeries(store, base.commit, [patch]);
    const memoMs = performance.now() - t0;
    expect(again.commits[0]).toMatchObject({ commit: r.commits[0]!.commit, cached: true });
    const main = (await readFiles(store, r.commits[0]!.commit, ['init/main.c'])).get('init/main.c')!;
    expect(main).toContain('printk(KERN_NOTICE "Kernel command line: %s\\n", saved_command_line);');

    const dir = join(work, 'out', 'linux-2.6.9-tiny');
    t0 = performance.now();
    expect(await materialize(store, r.commits[0]!.commit, dir)).toEqual({ path: dir, reused: false });
    const checkoutMs = performance.now() - t0;
    expect(await readFile(join(dir, 'init/main.c'), 'utf8')).toBe(main);
    t0 = performance.now();
    expect(await materialize(store, base.commit, dir)).toEqual({ path: dir, reused: true });
    const moveMs = performance.now() - t0;
    expect(await readFile(join(dir, 'init/main.c'), 'utf8')).toBe(await readFile(join(TREE!, 'init/main.c'), 'utf8'));
    console.log(`tree-2.6 e2e: apply ${applyMs.toFixed(0)} ms, memoized ${memoMs.toFixed(0)} ms, worktree add ${checkoutMs.toFixed(0)} ms, move ${moveMs.toFixed(0)} ms`);
  }, 600_000);
});
