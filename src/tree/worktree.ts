// Worktrees: a commit of the store checked out in a directory (`git worktree add --detach`).
// Moving an existing worktree of ours to another commit only rewrites the files that differ,
// so Kbuild's incremental rebuild sees exactly the change. A directory that is not ours and not
// empty is never touched.
//
// A checkout killed half-way (kill -9, a closed terminal, the OOM killer) leaves git's
// index.lock (or HEAD.lock) in the worktree's admin directory (trees.git/worktrees/<name>/) and
// half the files. Everything here runs under tiny's own lock of the worktree's path, so no live
// git of ours can own that state: the next materialize recovers it and says so. A new worktree
// is registered (`git worktree add --no-checkout`), locked as "initializing" while its files
// are checked out, then unlocked: one killed before that (its admin directory still says
// "initializing") is removed and made again — it holds only files of that checkout; a move to
// another commit that did not finish (tiny's marker tiny-checkout in the admin directory) is
// finished with a forced checkout — the move only started on a worktree without local changes.
//
// A sparse worktree (MaterializeOptions.sparse) holds the paths its patterns match, and the
// files later moves added or changed: the patterns live in its admin directory
// (info/sparse-checkout), and the git commands that apply them (its first checkout, a change of
// patterns) turn sparse checkout on for that command (-c core.sparseCheckout=true), so the
// store's configuration is never changed; moves keep the index's skip-worktree bits. Checking
// out the 2.6.9 tree writes 16,448 files (about 8 s of system time on a loaded machine); what
// Kconfig reads is 1,279 of them, an i386 build lane 9,239 (no other arch but its Kconfig files).

import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { ExecError } from '../util/exec.js';
import { faultPoint } from '../util/fault.js';
import { exists } from '../util/fs.js';
import { notice } from '../util/notice.js';
import { looksLikeNoSpace, noSpaceAt } from '../util/nospace.js';
import { git, gitIn } from './git.js';
import { peel } from './read.js';
import { withLock } from '../util/lock.js';
import type { TreeStore } from './store.js';

export interface MaterializeOptions {
  /** Discard changes to tracked files in an existing worktree of ours instead of refusing. */
  force?: boolean;
  /** How the user asks for `force` (in the hint when local changes stop a move), e.g. "--force". */
  forceHint?: string;
  /**
   * Write only the paths these patterns match (gitignore syntax, git's non-cone sparse
   * checkout); the other files of the commit are left out. An existing full worktree is made
   * sparse (its other files removed), and a sparse one keeps its patterns across moves.
   */
  sparse?: readonly string[];
  /**
   * The caller checked the worktree out itself a moment ago and nothing else has used it: the
   * move looks for no local changes (a status reads every file) and is git's two-tree merge
   * (`checkout` without --force), which touches only the paths the two commits differ in and
   * still refuses to overwrite a changed file. A forced checkout would compare every file just
   * written with its index entry by content: written in the index's second, each is "racily
   * clean" (6.1: 0.9 s for a move that changes a few hundred files). Nor is it `read-tree -m -u`,
   * which skips checkout's refresh of the index (0.16 s) but then hashes every racily clean
   * entry, one after another, as it writes the index (6.1: 1.6 s).
   */
  untouched?: boolean;
}

/** git's global options that make one command honour a worktree's info/sparse-checkout. */
const SPARSE_ON = ['-c', 'core.sparseCheckout=true', '-c', 'core.sparseCheckoutCone=false'];

/** The patterns file of a worktree, and its content for `patterns`. */
function sparseFile(admin: string): string {
  return join(admin, 'info', 'sparse-checkout');
}
function sparseText(patterns: readonly string[]): string {
  return patterns.join('\n') + '\n';
}

/** tiny's marker in a worktree's admin directory while it moves the worktree to another commit. */
const MOVING = 'tiny-checkout';

/** <cacheDir>/worktrees/<key>: where tiny keeps its own worktrees. */
export function worktreeFor(store: TreeStore, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_');
  if (!safe) throw new Error('worktreeFor: empty key');
  return join(store.cacheDir, 'worktrees', safe);
}

/** Is `dir` a worktree of this store? 'stale': it was, but the store forgot it. */
export async function worktreeState(store: TreeStore, dir: string): Promise<'ours' | 'stale' | 'no'> {
  let text: string;
  try {
    text = await readFile(join(dir, '.git'), 'utf8');
  } catch {
    return 'no';
  }
  const m = /^gitdir: (.+)$/m.exec(text);
  if (!m) return 'no';
  const admin = resolve(dir, m[1]!.trim());
  const storeWt = join(await realpath(store.gitDir).catch(() => store.gitDir), 'worktrees');
  const adminParent = await realpath(dirname(admin)).catch(() => dirname(admin));
  if (adminParent !== storeWt && dirname(admin) !== join(store.gitDir, 'worktrees')) return 'no';
  try {
    const back = (await readFile(join(admin, 'gitdir'), 'utf8')).trim();
    return (await realpath(dirname(back))) === (await realpath(dir)) ? 'ours' : 'stale';
  } catch {
    return 'stale';
  }
}

/** The admin directory (trees.git/worktrees/<name>) a worktree's .git file points at. */
async function adminDirOf(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, '.git'), 'utf8').catch(() => undefined);
  const m = text === undefined ? null : /^gitdir: (.+)$/m.exec(text);
  return m ? resolve(dir, m[1]!.trim()) : undefined;
}

/** The lock every `worktree add` and `worktree prune` of the store is run under. */
function worktreeListLock(store: TreeStore): string {
  return join(store.gitDir, 'tiny', 'locks', 'worktree-list.lock');
}

/** tiny's lock of a worktree's path: every materialize, move and discard of it runs under it. */
function pathLock(store: TreeStore, path: string): string {
  return join(store.gitDir, 'tiny', 'locks', `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.lock`);
}

/**
 * Take back a worktree this run made at `dir` and that nobody has used: its registration and
 * files go. `keepDir`: the directory was there (empty) before, so it stays, empty.
 */
export async function discardNewWorktree(store: TreeStore, dir: string, keepDir: boolean): Promise<void> {
  const path = resolve(dir);
  await withLock(pathLock(store, path), async () => {
    if ((await worktreeState(store, path)) !== 'ours') return;
    await removeWorktree(store, path);
    if (keepDir) await mkdir(path, { recursive: true });
  });
}

/**
 * `git worktree remove --force`, under the lock of the store's worktree list: git reads every
 * worktree's admin directory, and fails on one that a `worktree add` is making meanwhile.
 */
export async function removeWorktree(store: TreeStore, path: string): Promise<void> {
  await withLock(worktreeListLock(store), () => git(store.gitDir, ['worktree', 'remove', '--force', path], { allowFail: true }));
}

/**
 * Finish the admin directories of `worktree add`s killed half-way. git writes a new worktree's
 * admin files one by one (locked, gitdir, commondir, HEAD); one left without its commondir
 * makes every git command that lists the worktrees fail, `worktree add` among them, for any
 * path. tiny's adds all run under the worktree list's lock, which the caller holds, so one seen
 * now is no add under way. Its commondir is written: it is then a worktree still "initializing",
 * which the next materialize of its path makes again (recoverWorktree).
 */
async function completeKilledAdds(store: TreeStore): Promise<void> {
  const root = join(store.gitDir, 'worktrees');
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const admin = join(root, name);
    if ((await readFile(join(admin, 'commondir'), 'utf8').catch(() => '')).trim()) continue;
    // tiny adds with --lock "initializing", written first: anything else is not tiny's.
    if ((await readFile(join(admin, 'locked'), 'utf8').catch(() => '')).trim() !== 'initializing') continue;
    await writeFile(join(admin, 'commondir'), '../..\n');
    notice(`repaired ${admin}, left by a \`git worktree add\` killed half-way: its worktree is made again when next used`);
  }
}

/** Admin directories of the store whose worktree is `path` (one left by a killed `worktree add` may have no .git file to point back). */
async function adminDirsFor(store: TreeStore, path: string): Promise<string[]> {
  const root = join(store.gitDir, 'worktrees');
  const real = await realpath(path).catch(() => path);
  const out: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const gitdir = (await readFile(join(root, name, 'gitdir'), 'utf8').catch(() => '')).trim();
    if (gitdir && (dirname(gitdir) === path || dirname(gitdir) === real)) out.push(join(root, name));
  }
  return out;
}

/** A worktree whose first checkout did not finish: its registration goes, and every file in it (all from that checkout). */
async function discardUnfinished(path: string, admin: string): Promise<void> {
  await rm(admin, { recursive: true, force: true });
  for (const e of await readdir(path).catch(() => [] as string[])) await rm(join(path, e), { recursive: true, force: true });
}

/**
 * Recover the worktree at `path` after a killed checkout (we hold tiny's lock of `path`).
 * Returns 'remake' when it must be checked out again from scratch (its `git worktree add` did
 * not finish: it was emptied), 'finish' when a move must be finished by a forced checkout, or
 * undefined when there was nothing to recover.
 */
async function recoverWorktree(store: TreeStore, path: string, admin: string): Promise<'remake' | 'finish' | undefined> {
  const locked = (await readFile(join(admin, 'locked'), 'utf8').catch(() => '')).trim();
  // git's lock files of this worktree: index.lock while it writes the index, HEAD.lock while a
  // checkout moves HEAD (after the index: a kill in between leaves HEAD.lock alone).
  const gitLocks = (await readdir(admin, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isFile() && e.name.endsWith('.lock'))
    .map((e) => join(admin, e.name))
    .sort();
  const left = gitLocks.length ? `; git's ${gitLocks.join(', ')} ${gitLocks.length > 1 ? 'were' : 'was'} left` : '';
  if (locked === 'initializing') {
    // The worktree add was killed: everything in `path` came from that checkout.
    await discardUnfinished(path, admin);
    // Under the worktree list's lock: a prune beside another materialize's `worktree add` would
    // take its admin directory, not yet pointed back to, for stale, and remove it half made.
    await withLock(worktreeListLock(store), () => git(store.gitDir, ['worktree', 'prune']));
    notice(`recovered ${path}: its checkout was killed half-way (the worktree was still being made${left}): checking it out again`);
    return 'remake';
  }
  const moving = await exists(join(admin, MOVING));
  for (const l of gitLocks) await rm(l, { force: true });
  if (moving) {
    notice(`recovered ${path}: its checkout was killed half-way (a move to another commit${left}): finishing it`);
    return 'finish';
  }
  if (gitLocks.length) notice(`removed ${gitLocks.join(', ')}, left by a git killed in ${path}`);
  return undefined;
}

export async function materialize(store: TreeStore, commit: string, dir: string, opts: MaterializeOptions = {}): Promise<{ path: string; reused: boolean }> {
  const path = resolve(dir);
  const id = await peel(store, commit, 'commit');
  if (id === undefined) throw new TinyError(`${commit} is not a commit of the tree store ${store.gitDir}`, 2);
  return withLock(pathLock(store, path), async () => {
    const st = await lstat(path).catch(() => undefined);
    if (st && !st.isDirectory()) {
      throw new TinyError(`refusing to materialize a tree at ${path}: it exists and is not a directory`, 2, [], 'choose another output directory');
    }
    let state = st ? await worktreeState(store, path) : 'no';
    if (state === 'ours') {
      const admin = (await adminDirOf(path))!;
      const recovery = await recoverWorktree(store, path, admin);
      if (recovery === 'finish') return { path, reused: await moveTo(path, id, { ...opts, force: true, untouched: false }) };
      if (recovery === 'remake') state = 'no';
      else return { path, reused: await moveTo(path, id, opts) };
    }
    if (st) {
      if (state === 'stale') {
        throw new TinyError(`${path} was a tiny worktree but the tree store no longer knows it`, 2, [], `remove ${path} (after saving anything you changed in it) and run again`);
      }
      if ((await readdir(path)).length) {
        throw new TinyError(
          `refusing to materialize a tree at ${path}: the directory is not empty and is not a tiny worktree`,
          2,
          [],
          'choose a new or empty output directory; tiny never overwrites files it did not create',
        );
      }
    } else {
      await mkdir(dirname(path), { recursive: true });
    }
    // An admin directory left for this path by a killed `worktree add` (git does not prune
    // one that is still "initializing"): ours to remove, under our lock of the path.
    for (const admin of await adminDirsFor(store, path)) {
      if ((await readFile(join(admin, 'locked'), 'utf8').catch(() => '')).trim() === 'initializing') await rm(admin, { recursive: true, force: true });
    }
    // Registered first (no checkout: quick) under the store's lock of its worktree list, so a
    // `worktree prune` never meets another materialize's admin directory half made; locked as
    // "initializing" until its files are all there, so a kill meanwhile leaves a worktree to
    // make again (above), never a half checkout taken for local changes.
    await withLock(worktreeListLock(store), async () => {
      await completeKilledAdds(store);
      await git(store.gitDir, ['worktree', 'prune']);
      try {
        await git(store.gitDir, ['worktree', 'add', '--quiet', '--detach', '--no-checkout', '--lock', '--reason', 'initializing', path, id]);
      } catch (e) {
        if (await looksLikeNoSpace(e, path)) throw noSpaceAt(path, e);
        throw new TinyError(`cannot check out ${id} at ${path}: ${e instanceof ExecError ? e.result.stderr.trim() : (e as Error).message}`, 2);
      }
    });
    const admin = (await adminDirOf(path))!;
    try {
      if (opts.sparse) {
        await mkdir(join(admin, 'info'), { recursive: true });
        await writeFile(sparseFile(admin), sparseText(opts.sparse));
      }
      await moveTo(path, id, { ...opts, force: true }, true);
    } catch (e) {
      // A checkout that failed (a full disk, say): nothing half-checked-out is left, and the
      // next run starts clean. A directory the user made is emptied, not removed.
      await discardUnfinished(path, admin);
      if (!st) await rm(path, { recursive: true, force: true });
      throw e;
    }
    // What `git worktree unlock` does, without it: git reads every worktree's admin directory
    // first, and fails on one that another materialize's `worktree add` is making meanwhile (its
    // commondir not yet written).
    faultPoint('worktree-made');
    await rm(join(admin, 'locked'), { force: true });
    return { path, reused: false };
  });
}

/**
 * Move our worktree at `path` to `id`. Returns true (it was reused). `fresh`: just registered
 * without a checkout, so its empty index is not a local change.
 */
async function moveTo(path: string, id: string, opts: MaterializeOptions, fresh = false): Promise<boolean> {
  const admin = await adminDirOf(path);
  const sparse = admin ? await sparseOf(path, admin, opts) : 'no';
  // The patterns are matched by a worktree's first checkout and when they change; a move keeps
  // the index's skip-worktree bits without matching them again: git leaves out the files it left
  // out, and writes the files the move adds or changes, even outside the patterns (a few a move,
  // at most those the patches touch). Matching them on every move costs more than the move
  // (2.6.9, 16,448 files: 0.23-0.29 s against 0.04 s).
  const sparseOn = sparse !== 'no' && (fresh || sparse === 'applied') ? SPARSE_ON : [];
  const head = await headOf(path, admin);
  // `status` also refreshes the index, so the next look is stat-fast. A forced move to another
  // commit needs no look: the checkout rewrites whatever differs (a lane moves every toggle).
  const skipStatus = fresh || opts.untouched === true || (opts.force === true && head !== id);
  const status = skipStatus ? { stdout: '' } : await gitIn(path, [...sparseOn, 'status', '--porcelain', '-z', '--untracked-files=no', '--ignore-submodules']);
  const changed = status.stdout
    .split('\0')
    .filter(Boolean)
    .map((l) => l.slice(3));
  if (head === id && !changed.length && !fresh) return true;
  if (changed.length && !opts.force) {
    const list = changed.slice(0, 10).join(', ') + (changed.length > 10 ? `, ... (${changed.length} files)` : '');
    throw new TinyError(
      `worktree ${path} has local changes (${list}); not moving it to ${id.slice(0, 12)}`,
      2,
      [],
      `commit or save your changes elsewhere${opts.forceHint ? `, or discard them: ${opts.forceHint}` : ''}`,
    );
  }
  // While git rewrites the files, a marker says the move is ours: a kill leaves it, and the next
  // materialize finishes the move instead of taking the half-moved files for local changes.
  if (admin) await writeFile(join(admin, MOVING), `${id}\n`);
  const forced = fresh || (opts.force === true && opts.untouched !== true);
  const r = await gitIn(path, [...sparseOn, 'checkout', '--quiet', '--detach', ...(forced ? ['--force'] : []), id], { allowFail: true });
  if (admin) await rm(join(admin, MOVING), { force: true });
  if (r.code !== 0 && (await looksLikeNoSpace(r.stderr, path))) throw noSpaceAt(path, new Error(r.stderr.trim()));
  if (r.code !== 0) {
    throw new TinyError(`cannot move worktree ${path} to ${id.slice(0, 12)}: ${r.stderr.trim()}`, 2, [], 'untracked files in the way? move them out of the worktree');
  }
  return true;
}

/**
 * The commit a worktree's HEAD names. tiny's worktrees are detached, so their admin directory's
 * HEAD file holds it: read, not asked of git (a spawn for every move of a lane).
 */
async function headOf(path: string, admin: string | undefined): Promise<string> {
  const detached = admin ? (await readFile(join(admin, 'HEAD'), 'utf8').catch(() => '')).trim() : '';
  if (/^[0-9a-f]{40}$/.test(detached)) return detached;
  return (await gitIn(path, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFail: true })).stdout.trim();
}

/**
 * Is the worktree sparse (info/sparse-checkout in its admin directory)? With `opts.sparse`, make
 * it so first: new or changed patterns are written and applied to the files there now (a full
 * worktree loses the files they leave out; read-tree keeps local changes of the files kept):
 * 'applied'. 'kept': sparse already, with these patterns (or none asked).
 */
async function sparseOf(path: string, admin: string, opts: MaterializeOptions): Promise<'no' | 'kept' | 'applied'> {
  const file = sparseFile(admin);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (!opts.sparse) return current === undefined ? 'no' : 'kept';
  const want = sparseText(opts.sparse);
  if (current === want) return 'kept';
  await mkdir(join(admin, 'info'), { recursive: true });
  await writeFile(file, want);
  if ((await gitIn(path, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFail: true })).code === 0) {
    const r = await gitIn(path, [...SPARSE_ON, 'read-tree', '-mu', 'HEAD'], { allowFail: true });
    if (r.code !== 0) throw new TinyError(`cannot make worktree ${path} sparse: ${r.stderr.trim()}`, 2);
  }
  return 'applied';
}
