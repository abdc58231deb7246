// Worktrees: a commit of the store checked out in a directory (`git worktree add --detach`).
// Moving an existing worktree of ours to another commit only rewrites the files that differ,
// so Kbuild's incremental rebuild sees exactly the change. A directory that is not ours and not
// empty is never touched.

import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { ExecError } from '../util/exec.js';
import { git, gitIn } from './git.js';
import { withLock } from '../util/lock.js';
import type { TreeStore } from './store.js';

export interface MaterializeOptions {
  /** Discard changes to tracked files in an existing worktree of ours instead of refusing. */
  force?: boolean;
}

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

export async function materialize(
  store: TreeStore,
  commit: string,
  dir: string,
  opts: MaterializeOptions = {},
): Promise<{ path: string; reused: boolean }> {
  const path = resolve(dir);
  const rev = await git(store.gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${commit}^{commit}`], { allowFail: true });
  if (rev.code !== 0) throw new TinyError(`${commit} is not a commit of the tree store ${store.gitDir}`, 2);
  const id = rev.stdout.trim();
  const lock = join(store.gitDir, 'tiny', 'locks', `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.lock`);
  return withLock(lock, async () => {
    const st = await lstat(path).catch(() => undefined);
    if (st && !st.isDirectory()) {
      throw new TinyError(`refusing to materialize a tree at ${path}: it exists and is not a directory`, 2, [], 'choose another output directory');
    }
    if (st) {
      const state = await worktreeState(store, path);
      if (state === 'ours') return { path, reused: await moveTo(path, id, opts) };
      if (state === 'stale') {
        throw new TinyError(
          `${path} was a tiny worktree but the tree store no longer knows it`,
          2,
          [],
          `remove ${path} (after saving anything you changed in it) and run again`,
        );
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
    await git(store.gitDir, ['worktree', 'prune']);
    try {
      await git(store.gitDir, ['worktree', 'add', '--quiet', '--detach', path, id]);
    } catch (e) {
      throw new TinyError(`cannot check out ${id} at ${path}: ${e instanceof ExecError ? e.result.stderr.trim() : (e as Error).message}`, 2);
    }
    return { path, reused: false };
  });
}

/** Move our worktree at `path` to `id`. Returns true (it was reused). */
async function moveTo(path: string, id: string, opts: MaterializeOptions): Promise<boolean> {
  const head = (await gitIn(path, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFail: true })).stdout.trim();
  // `status` also refreshes the index, so the next look is stat-fast.
  const status = await gitIn(path, ['status', '--porcelain', '-z', '--untracked-files=no', '--ignore-submodules']);
  const changed = status.stdout.split('\0').filter(Boolean).map((l) => l.slice(3));
  if (head === id && !changed.length) return true;
  if (changed.length && !opts.force) {
    const list = changed.slice(0, 10).join(', ') + (changed.length > 10 ? `, ... (${changed.length} files)` : '');
    throw new TinyError(
      `worktree ${path} has local changes (${list}); not moving it to ${id.slice(0, 12)}`,
      2,
      [],
      'commit or save your changes elsewhere, or discard them (materialize with force)',
    );
  }
  const r = await gitIn(path, ['checkout', '--quiet', '--detach', ...(opts.force ? ['--force'] : []), id], { allowFail: true });
  if (r.code !== 0) {
    throw new TinyError(`cannot move worktree ${path} to ${id.slice(0, 12)}: ${r.stderr.trim()}`, 2, [], 'untracked files in the way? move them out of the worktree');
  }
  return true;
}

