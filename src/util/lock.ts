// Advisory lock files for work that two tiny processes must not do at the same time on the
// same thing (one directory's index file, one worktree, one toolchain image, one cache's
// builds). A lock file holds its owner's pid and the process's start time, and appears with
// that content in one step (written to a temp file, then hard-linked into place: link(2) fails
// when the lock exists), so a lock file is never seen empty or half-written — not even when
// the disk is full, where the temp file fails and nothing is left behind.
//
// A lock without a live owner is taken over at once, with a notice: an empty or unparsable
// file (left by another tool, or an older tiny that wrote the pid after creating the file), a
// pid that is gone, or a pid reused by another process (its start time differs).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { notice } from './notice.js';
import { withPath } from './nospace.js';

export interface LockOptions {
  /** Give up waiting after this long (default 15 min; Infinity waits as long as it takes). */
  timeoutMs?: number;
  /** Called once, when the lock is first found held by a live process. */
  onWait?: (holderPid: number) => void;
  /** Called when a lock without a live owner is taken over (default: a notice on stderr). */
  onTakeOver?: (lockPath: string, why: string) => void;
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

/** When process `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), where the system says. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface LockOwner {
  pid: number;
  /** processStart() of the owner when it took the lock. */
  start?: string;
}

/** "<pid> [<start>]\n" -> the owner; undefined for anything else (empty, garbage). */
export function parseLockOwner(text: string): LockOwner | undefined {
  const m = /^(\d+)(?: (\d+))?\n?$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!(pid > 0)) return undefined;
  return m[2] ? { pid, start: m[2] } : { pid };
}

/** Why `text` names no live owner, or undefined when its owner is alive. */
export function staleReason(text: string): string | undefined {
  if (text === '') return 'it was empty (a run stopped while taking it, e.g. on a full disk)';
  const owner = parseLockOwner(text);
  if (!owner) return `it holds no pid (${JSON.stringify(text.slice(0, 40))})`;
  if (!alive(owner.pid)) return `its owner, process ${owner.pid}, is gone (killed?)`;
  if (owner.start !== undefined) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.start) return `its owner, process ${owner.pid}, is gone (the pid now belongs to another process)`;
  }
  return undefined;
}

/** The pid written in the lock file, or undefined (no file, or not a pid). */
export async function lockHolder(lockPath: string): Promise<number | undefined> {
  const held = await readLock(lockPath);
  return held ? parseLockOwner(held.text)?.pid : undefined;
}

async function readLock(lockPath: string): Promise<{ text: string; ino: number } | undefined> {
  let fh;
  try {
    fh = await open(lockPath, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = await fh.stat();
    return { text: (await fh.readFile()).toString('utf8'), ino: st.ino };
  } finally {
    await fh.close();
  }
}

/** Create `lockPath` holding `content`, in one step; false when it exists. */
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    await link(tmp, lockPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw withPath(e, lockPath, content.length);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Remove the stale lock file we read (inode `ino`), and only that one: another taker may have
 * removed it and taken the lock meanwhile. The file is renamed aside first; if what was moved is
 * not the stale file, it is put back.
 */
async function removeStale(lockPath: string, ino: number): Promise<void> {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved && moved.ino !== ino) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Take the lock at `lockPath`, waiting while a live process holds it; returns the release. */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  await mkdir(dirname(lockPath), { recursive: true });
  const start = processStart(process.pid);
  const content = `${process.pid}${start !== undefined ? ` ${start}` : ''}\n`;
  const t0 = Date.now();
  let wait = 20;
  let warned = false;
  for (;;) {
    if (await tryCreate(lockPath, content)) {
      return async () => {
        await rm(lockPath, { force: true });
      };
    }
    const held = await readLock(lockPath);
    if (!held) continue; // released meanwhile
    const why = staleReason(held.text);
    if (why !== undefined) {
      await removeStale(lockPath, held.ino);
      (opts.onTakeOver ?? ((p, w) => notice(`took over the lock ${p}: ${w}`)))(lockPath, why);
      continue;
    }
    const pid = parseLockOwner(held.text)!.pid;
    if (!warned) {
      warned = true;
      opts.onWait?.(pid);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for lock ${lockPath} (held by pid ${pid})`);
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
