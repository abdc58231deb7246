// `tiny queue apply --out`'s work: a series applied into a directory. A new directory is checked
// out beside the series (at the commit its work starts from) and moved to the top when the
// series is done; a series that fails takes that worktree back.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySeriesInto, materialize, worktreeState, type SeriesPatch, type TreeStore } from '../../src/tree/index.js';
import { git, gitIn } from '../../src/tree/git.js';
import { importedFakeKernel, removeDir } from '../helpers/kernel-tree-fixture.js';

let work: string;
let store: TreeStore;
let base: string;

const sched = (to: string, from = 'void schedule(void) {}'): SeriesPatch => ({
  name: 'sched.patch',
  text: ['--- a/kernel/sched.c', '+++ b/kernel/sched.c', '@@ -1 +1 @@', `-${from}`, `+${to}`, ''].join('\n'),
  strip: 1,
  reverse: false,
});
const NEW_FILE: SeriesPatch = { name: 'new-file.patch', text: ['--- /dev/null', '+++ b/kernel/tiny.c', '@@ -0,0 +1 @@', '+int tiny = 1;', ''].join('\n'), strip: 1, reverse: false };
const BROKEN: SeriesPatch = { name: 'broken.patch', text: ['--- a/kernel/sched.c', '+++ b/kernel/sched.c', '@@ -1 +1 @@', '-not in the tree', '+x', ''].join('\n'), strip: 1, reverse: false };

beforeAll(async () => {
  ({ work, store, base } = await importedFakeKernel());
});
afterAll(() => removeDir(work));

/** The worktrees the store knows, besides itself. */
async function worktrees(): Promise<string[]> {
  const out = (await git(store.gitDir, ['worktree', 'list', '--porcelain'])).stdout;
  return [...out.matchAll(/^worktree (.+)$/gm)].map((m) => m[1]!).filter((p) => p !== store.gitDir);
}

describe('applySeriesInto', () => {
  it('checks a new directory out beside the series, then moves it to the top commit: the same tree, nothing changed', async () => {
    const out = join(work, 'new', 'linux');
    const r = await applySeriesInto(store, base, [sched('void schedule(void) { /* 1 */ }'), NEW_FILE], out);
    expect(r.failure).toBeUndefined();
    expect(r.earlyCheckout).toBe(base);
    // Its timings: the checkout beside the series, then the move.
    expect(r.timings).toMatchObject({ move: expect.any(Number) });
    expect(r.timings.checkout).toBeGreaterThan(0);
    const top = r.series.commits.at(-1)!.commit;
    expect(r.out).toEqual({ path: out, reused: false });
    expect((await gitIn(out, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(top);
    expect((await gitIn(out, ['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
    expect(await readFile(join(out, 'kernel/sched.c'), 'utf8')).toContain('/* 1 */');
    expect(await readFile(join(out, 'kernel/tiny.c'), 'utf8')).toBe('int tiny = 1;\n');
    // The same as checking the top out directly.
    const direct = join(work, 'direct');
    await materialize(store, top, direct);
    expect((await gitIn(out, ['ls-files', '-s'])).stdout).toBe((await gitIn(direct, ['ls-files', '-s'])).stdout);
  });

  it('checks out once when the memo knows the series, or when the directory is a worktree already', async () => {
    const patches = [sched('void schedule(void) { /* 2 */ }')];
    const first = await applySeriesInto(store, base, patches, join(work, 'memo-1'));
    expect(first.earlyCheckout).toBe(base);
    const known = await applySeriesInto(store, base, patches, join(work, 'memo-2'));
    expect(known.earlyCheckout).toBeUndefined();
    expect(known.out?.reused).toBe(false);
    expect(known.timings).toEqual({ series: expect.any(Number), checkout: expect.any(Number) });
    // A worktree of ours at another commit is moved once, when the series is done.
    const moved = await applySeriesInto(store, base, [sched('void schedule(void) { /* 3 */ }')], join(work, 'memo-1'));
    expect(moved.earlyCheckout).toBeUndefined();
    expect(moved.out?.reused).toBe(true);
    expect(await readFile(join(work, 'memo-1', 'kernel/sched.c'), 'utf8')).toContain('/* 3 */');
  });

  it('a series that fails takes the new worktree back: the directory is left as it was found', async () => {
    const absent = join(work, 'fails', 'linux');
    const r = await applySeriesInto(store, base, [sched('void schedule(void) { /* 4 */ }'), BROKEN], absent);
    expect(r.failure?.name).toBe('broken.patch');
    expect(r.earlyCheckout).toBe(base);
    expect(r.out).toBeUndefined();
    expect(existsSync(absent)).toBe(false);
    expect(await worktrees()).not.toContain(absent);

    const empty = join(work, 'fails-empty');
    await mkdir(empty);
    const again = await applySeriesInto(store, base, [sched('void schedule(void) { /* 5 */ }'), BROKEN], empty);
    expect(again.failure?.name).toBe('broken.patch');
    expect(await readdir(empty)).toEqual([]);
    expect(await worktreeState(store, empty)).toBe('no');
    expect(await worktrees()).not.toContain(empty);
  });
});
