import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeries, importBase, materialize, openTreeStore, treeHashOf, worktreeFor, worktreeState, type TreeStore } from '../../src/tree/index.js';
import { KCONFIG_SPARSE, readByKconfig } from '../../src/matrix/memo.js';
import { peel } from '../../src/tree/read.js';
import { git, gitIn } from '../../src/tree/git.js';
import { importedFakeKernel, removeDir } from '../helpers/kernel-tree-fixture.js';
import { expectTinyError } from '../helpers/errors.js';
import { acquireLock } from '../../src/util/lock.js';

let work: string;
let store: TreeStore;
let base: string;
let patched: string;

const PATCH = ['--- a/kernel/sched.c', '+++ b/kernel/sched.c', '@@ -1 +1 @@', '-void schedule(void) {}', '+void schedule(void) { /* tiny */ }', ''].join('\n');

beforeAll(async () => {
  ({ work, store, base } = await importedFakeKernel());
  const r = await buildSeries(store, base, [{ name: 'sched.patch', text: PATCH, strip: 1, reverse: false }]);
  patched = r.commits[0]!.commit;
});
afterAll(() => removeDir(work));

describe('materialize', () => {
  it('checks a commit out in a new worktree, reuses it, and moves it touching only changed files', async () => {
    const dir = join(work, 'out', 'tree');
    const a = await materialize(store, base, dir);
    expect(a).toEqual({ path: dir, reused: false });
    expect(await worktreeState(store, dir)).toBe('ours');
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe('void schedule(void) {}\n');
    expect((await stat(join(dir, 'scripts/mkversion'))).mode & 0o100).toBe(0o100);
    expect(await readFile(join(dir, 'Documentation/dos.txt'), 'utf8')).toBe('line one\r\nline two\r\n');

    const mainMtime = (await stat(join(dir, 'init/main.c'))).mtimeMs;
    const schedMtime = (await stat(join(dir, 'kernel/sched.c'))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await materialize(store, base, dir)).toEqual({ path: dir, reused: true });
    expect((await stat(join(dir, 'kernel/sched.c'))).mtimeMs).toBe(schedMtime);

    expect(await materialize(store, patched, dir)).toEqual({ path: dir, reused: true });
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe('void schedule(void) { /* tiny */ }\n');
    expect((await stat(join(dir, 'init/main.c'))).mtimeMs).toBe(mainMtime);

    // Importing the worktree as a directory gives back the commit's tree (its .git file skipped).
    const again = await importBase(store, { kind: 'dir', path: dir }, { version: 'from-worktree' });
    expect(again.tree).toBe(await treeHashOf(store, patched));
  });

  it('refuses to move a worktree with local changes unless forced', async () => {
    const dir = worktreeFor(store, 'dirty/one');
    expect(dir).toBe(join(store.cacheDir, 'worktrees', 'dirty_one'));
    await materialize(store, base, dir);
    await writeFile(join(dir, 'init/main.c'), 'my edit\n');
    const e = await expectTinyError(materialize(store, patched, dir));
    expect(e.message).toContain('init/main.c');
    expect(await readFile(join(dir, 'init/main.c'), 'utf8')).toBe('my edit\n');
    // Same commit but dirty is not "already there" either.
    await expectTinyError(materialize(store, base, dir));
    expect(await materialize(store, patched, dir, { force: true })).toEqual({ path: dir, reused: true });
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toContain('tiny');
    expect(await readFile(join(dir, 'init/main.c'), 'utf8')).not.toBe('my edit\n');
  });

  it("an untouched move (just checked out) is git's two-tree merge: HEAD and the changed files move, a file changed in the way stops it", async () => {
    const dir = join(work, 'untouched-move');
    await materialize(store, base, dir);
    const mainMtime = (await stat(join(dir, 'init/main.c'))).mtimeMs;
    expect(await materialize(store, patched, dir, { untouched: true })).toEqual({ path: dir, reused: true });
    expect((await gitIn(dir, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(patched);
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe('void schedule(void) { /* tiny */ }\n');
    expect((await stat(join(dir, 'init/main.c'))).mtimeMs).toBe(mainMtime);
    expect((await gitIn(dir, ['status', '--porcelain'])).stdout).toBe('');

    // Back to the base, with the file the move rewrites changed: refused, the change kept.
    await writeFile(join(dir, 'kernel/sched.c'), 'my edit\n');
    const e = await expectTinyError(materialize(store, base, dir, { untouched: true }));
    expect(e.message).toContain('kernel/sched.c');
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe('my edit\n');
    expect((await gitIn(dir, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(patched);
  });

  it('never clobbers a directory that is not ours', async () => {
    const user = join(work, 'users-kernel');
    await mkdir(user, { recursive: true });
    await writeFile(join(user, 'precious.c'), 'mine\n');
    const e = await expectTinyError(materialize(store, base, user));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(user);
    expect(await readdir(user)).toEqual(['precious.c']);

    const file = join(work, 'a-file');
    await writeFile(file, 'x');
    await expectTinyError(materialize(store, base, file));

    const empty = join(work, 'empty');
    await mkdir(empty);
    expect(await materialize(store, base, empty)).toEqual({ path: empty, reused: false });

    // A worktree of another store is not ours either.
    const other = await openTreeStore(join(work, 'cache-other'));
    await importBase(other, { kind: 'dir', path: join(work, 'linux') }, {});
    const theirs = join(work, 'theirs');
    await materialize(other, base, theirs);
    await expectTinyError(materialize(store, base, theirs));
  });

  it('checks out only what the sparse patterns match, keeps what they leave out out across moves, and makes a full worktree sparse', async () => {
    const dir = worktreeFor(store, 'sparse');
    const sparse = ['Makefile*', '/scripts/'];
    expect(await materialize(store, base, dir, { sparse })).toEqual({ path: dir, reused: false });
    expect(await filesIn(dir)).toEqual(['Makefile', 'scripts/mkversion']);
    expect((await stat(join(dir, 'scripts/mkversion'))).mode & 0o100).toBe(0o100);
    // The files left out are not local changes: the worktree is reused, and moves.
    expect(await materialize(store, base, dir, { sparse })).toEqual({ path: dir, reused: true });
    // A move writes what it changes (the patched kernel/sched.c, outside the patterns), and
    // nothing else the patterns leave out.
    expect(await materialize(store, patched, dir, { sparse, force: true })).toEqual({ path: dir, reused: true });
    expect(await filesIn(dir)).toEqual(['Makefile', 'kernel/sched.c', 'scripts/mkversion']);
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe((await gitIn(dir, ['show', 'HEAD:kernel/sched.c'])).stdout);
    expect((await gitIn(dir, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(patched);
    expect((await gitIn(dir, ['status', '--porcelain'])).stdout).toBe('');
    // A caller that does not say sparse keeps it sparse; the store's configuration is untouched.
    expect(await materialize(store, base, dir)).toEqual({ path: dir, reused: true });
    expect(await filesIn(dir)).toEqual(['Makefile', 'kernel/sched.c', 'scripts/mkversion']);
    expect(await readFile(join(dir, 'kernel/sched.c'), 'utf8')).toBe((await gitIn(dir, ['show', 'HEAD:kernel/sched.c'])).stdout);
    expect(await readFile(join(store.gitDir, 'config'), 'utf8')).not.toMatch(/sparse|worktreeConfig/i);

    // A full worktree asked to be sparse loses the files the patterns leave out.
    const full = worktreeFor(store, 'was-full');
    await materialize(store, base, full);
    expect(await filesIn(full)).toContain('init/main.c');
    expect(await materialize(store, patched, full, { sparse, force: true })).toEqual({ path: full, reused: true });
    expect(await filesIn(full)).toEqual(['Makefile', 'scripts/mkversion']);
  });

  it('makes again a worktree whose checkout was killed after it was registered', async () => {
    const dir = worktreeFor(store, 'killed-checkout');
    // What a kill during the checkout leaves: the worktree registered and locked as
    // "initializing", part of its files written.
    await git(store.gitDir, ['worktree', 'add', '--quiet', '--detach', '--no-checkout', '--lock', '--reason', 'initializing', dir, base]);
    await writeFile(join(dir, 'Makefile'), 'half written');
    expect(await materialize(store, base, dir, { sparse: ['Makefile*'] })).toEqual({ path: dir, reused: false });
    expect(await filesIn(dir)).toEqual(['Makefile']);
    expect(await readFile(join(dir, 'Makefile'), 'utf8')).toContain('VERSION = 2');
    // Unlocked once checked out: git may prune or move it like any other.
    expect(existsSync(join(store.gitDir, 'worktrees', 'killed-checkout', 'locked'))).toBe(false);
  });

  it("recovering a killed checkout prunes under the worktree list's lock: never another worktree half added", async () => {
    const killed = worktreeFor(store, 'killed-beside');
    await git(store.gitDir, ['worktree', 'add', '--quiet', '--detach', '--no-checkout', '--lock', '--reason', 'initializing', killed, base]);
    // Another materialize's `worktree add` under way (the Kconfig lane's, beside lane 0's
    // recovery): it holds the lock, its admin directory is made, its worktree not yet made.
    const release = await acquireLock(join(store.gitDir, 'tiny', 'locks', 'worktree-list.lock'));
    const other = worktreeFor(store, 'being-added');
    const admin = join(store.gitDir, 'worktrees', 'being-added');
    await mkdir(admin, { recursive: true });
    await writeFile(join(admin, 'gitdir'), `${join(other, '.git')}\n`);
    await writeFile(join(admin, 'commondir'), '../..\n');
    await writeFile(join(admin, 'HEAD'), `${base}\n`);
    const recovering = materialize(store, base, killed);
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(existsSync(admin), 'pruned while another worktree add held the lock').toBe(true);
      // The add finishes: its worktree points back, locked until its checkout is done.
      await mkdir(other, { recursive: true });
      await writeFile(join(other, '.git'), `gitdir: ${admin}\n`);
      await writeFile(join(admin, 'locked'), 'initializing');
    } finally {
      await release();
    }
    expect((await recovering).reused).toBe(false);
    expect(existsSync(admin)).toBe(true);
    expect(await readFile(join(killed, 'Makefile'), 'utf8')).toContain('VERSION = 2');
  });

  it("the Kconfig lane's patterns write exactly what the config memo says Kconfig reads", async () => {
    const tree = join(work, 'kconfig-paths');
    const paths = [
      'Kconfig',
      'Makefile',
      'mm/Kconfig',
      'arch/x86/Kconfig.debug',
      'arch/i386/Makefile',
      'arch/x86/Makefile_32.cpu',
      'drivers/net/Kbuild',
      'scripts/kconfig/conf.c',
      'scripts/Kconfig.include',
      'scripts/basic/fixdep.c',
      'arch/x86/configs/i386_defconfig',
      'kernel/configs/tiny.config',
      'arch/i386/defconfig',
      'init/main.c',
      'mm/page_alloc.c',
      'include/linux/kconfig.h',
      'Documentation/kbuild/kconfig.rst',
      'tools/scripts/Makefile.include',
      'drivers/scripts.c',
      'arch/i386/configs.c',
      'lib/defconfig.h',
    ];
    for (const p of paths) {
      await mkdir(dirname(join(tree, p)), { recursive: true });
      await writeFile(join(tree, p), `${p}\n`);
    }
    const commit = (await importBase(store, { kind: 'dir', path: tree }, { version: 'kconfig-paths' })).commit;
    const dir = worktreeFor(store, 'kconfig-lane');
    await materialize(store, commit, dir, { sparse: KCONFIG_SPARSE });
    expect(await filesIn(dir)).toEqual(paths.filter(readByKconfig).sort());
    expect(paths.filter((p) => !readByKconfig(p)).length).toBeGreaterThan(5);
    await rm(tree, { recursive: true, force: true });
  });

  it('refuses an unknown commit', async () => {
    await expect(materialize(store, 'f'.repeat(40), join(work, 'x'))).rejects.toThrow(/not a commit/);
  });
});

/** The files of a worktree (its .git file left out), sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name !== '.git' || d !== dir) out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

describe('peel', () => {
  it('asks git once per full id: the answer is remembered; a ref, a short id or an absent object is asked every time', async () => {
    const moved = await openTreeStore(join(work, 'cache-peel'));
    const id = (await importBase(moved, { kind: 'dir', path: join(work, 'linux') }, {})).commit;
    const tree = await peel(moved, id, 'tree');
    expect(await peel(moved, id, 'commit')).toBe(id);
    const absent = 'f'.repeat(40);
    expect(await peel(moved, absent, 'commit')).toBeUndefined();
    // The repository gone: what was asked before is still known; nothing else is.
    await rename(moved.gitDir, `${moved.gitDir}.away`);
    try {
      expect(await peel(moved, id, 'commit')).toBe(id);
      expect(await peel(moved, id, 'tree')).toBe(tree);
      expect(await peel(moved, id.slice(0, 12), 'commit')).toBeUndefined();
      expect(await peel(moved, 'refs/tags/base/2.6.9', 'commit')).toBeUndefined();
    } finally {
      await rename(`${moved.gitDir}.away`, moved.gitDir);
    }
    expect(await peel(moved, id.slice(0, 12), 'commit')).toBe(id);
    expect(await peel(moved, absent, 'commit')).toBeUndefined();
  });
});
