// One build at a time per cache dir: two `tiny build` on one cache share worktrees, build
// dirs and ccache, so the second waits for the first (or, asked not to wait, fails at once
// saying who holds the lock). The lock is src/tree/lock.ts's O_EXCL pid file, which a
// killed holder does not keep (its pid is dead, the next taker removes it).

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { withLock } from '../tree/lock.js';

export interface BuildLockOptions {
  /** Wait for the holder to finish (default), or fail at once with a TinyError. */
  wait?: boolean;
  /** Give up waiting after this long (default 24 h: a full kernel matrix can take hours). */
  timeoutMs?: number;
  /** Called once if the lock is held by another process when we start waiting. */
  onWait?: (holderPid: number | undefined) => void;
}

export function buildLockPath(cacheDir: string): string {
  return join(resolve(cacheDir), 'locks', 'build.lock');
}

async function holder(path: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` holding the build lock of `cacheDir`. */
export async function withBuildLock<T>(cacheDir: string, fn: () => Promise<T>, opts: BuildLockOptions = {}): Promise<T> {
  const path = buildLockPath(cacheDir);
  const wait = opts.wait ?? true;
  const before = await holder(path);
  if (before !== undefined && before !== process.pid && alive(before)) opts.onWait?.(before);
  let entered = false;
  try {
    return await withLock(
      path,
      () => {
        entered = true;
        return fn();
      },
      wait ? (opts.timeoutMs ?? 24 * 60 * 60_000) : 0,
    );
  } catch (e) {
    if (entered) throw e;
    const pid = await holder(path);
    const who = pid ? `process ${pid}` : 'another process';
    if (!wait)
      throw new TinyError(`another tiny build (${who}) is using the cache ${resolve(cacheDir)}`, 1, [], 'wait for it to finish, or let this build wait its turn instead of failing');
    throw new TinyError(
      `gave up waiting for the build lock of ${resolve(cacheDir)} held by ${who}: ${(e as Error).message}`,
      1,
      [],
      `if no tiny build is running, remove ${path}`,
    );
  }
}
