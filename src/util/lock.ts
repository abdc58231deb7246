// Advisory lock files for work that two tiny processes must not do at the same time on the
// same thing (one directory's index file, one worktree, one toolchain image, one cache's
// builds): created with O_EXCL and holding the holder's pid, so that a lock left behind by a
// killed process (its pid is dead) is taken over by the next taker.

import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface LockOptions {
  /** Give up waiting after this long (default 15 min; Infinity waits as long as it takes). */
  timeoutMs?: number;
  /** Called once, when the lock is first found held by a live process. */
  onWait?: (holderPid: number) => void;
  /** A lock file without a valid pid is stale and removed (default: it is being written: wait). */
  staleWithoutPid?: boolean;
}

/** Whether process `pid` exists (EPERM: it does, but belongs to someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid written in the lock file, or undefined (no file, not written yet, not a pid). */
export async function lockHolder(lockPath: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
  return pid > 0 ? pid : undefined;
}

/** Take the lock at `lockPath`, waiting while a live process holds it; returns the release. */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  await mkdir(dirname(lockPath), { recursive: true });
  const start = Date.now();
  let wait = 20;
  let warned = false;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await rm(lockPath, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = await lockHolder(lockPath);
    if (pid !== undefined ? !alive(pid) : opts.staleWithoutPid) {
      await rm(lockPath, { force: true }); // left behind by a killed process
      continue;
    }
    if (pid !== undefined && !warned) {
      warned = true;
      opts.onWait?.(pid);
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for lock ${lockPath} (held by pid ${pid ?? '?'})`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 500);
  }
}

/** Run `fn` holding the lock at `lockPath`; the lock is released however `fn` ends. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquireLock(lockPath, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
