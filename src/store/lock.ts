// One build at a time per cache dir: two `tiny build` on one cache share worktrees, build
// dirs and ccache, so the second waits for the first (or, asked not to wait, fails at once
// saying who holds the lock). The lock is src/util/lock.ts's O_EXCL pid file, which a
// killed holder does not keep (its pid is dead, the next taker removes it).

import { join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { lockHolder, withLock } from '../util/lock.js';

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

/** Run `fn` holding the build lock of `cacheDir`. */
export async function withBuildLock<T>(cacheDir: string, fn: () => Promise<T>, opts: BuildLockOptions = {}): Promise<T> {
  const path = buildLockPath(cacheDir);
  const wait = opts.wait ?? true;
  let entered = false;
  try {
    return await withLock(
      path,
      () => {
        entered = true;
        return fn();
      },
      {
        timeoutMs: wait ? (opts.timeoutMs ?? 24 * 60 * 60_000) : 0,
        onWait: (holder) => {
          if (holder !== process.pid) opts.onWait?.(holder);
        },
      },
    );
  } catch (e) {
    if (entered) throw e;
    const pid = await lockHolder(path);
    const who = pid ? `process ${pid}` : 'another process';
    if (!wait) throw new TinyError(`another tiny build (${who}) is using the cache ${resolve(cacheDir)}`, 1, [], 'wait for it to finish, or let this build wait its turn instead of failing');
    throw new TinyError(`gave up waiting for the build lock of ${resolve(cacheDir)} held by ${who}: ${(e as Error).message}`, 1, [], `if no tiny build is running, remove ${path}`);
  }
}
