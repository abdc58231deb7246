// A full disk, said plainly: "no space left on <path>: N MB needed, M MB free", exit 1, instead
// of a stack trace or one cryptic failure per toggle. Writers attach the path they were
// writing (and how much) to the error (withPath); git and compilers say it in their messages,
// from which the path is taken when they name one.

import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TinyError } from './diagnostics.js';

const NO_SPACE_TEXT = /No space left on device|Disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/;

/** An error (or a tool's message) that says the disk is full. */
export function isNoSpace(e: unknown): boolean {
  const err = e as (NodeJS.ErrnoException & { result?: { stderr?: string; stdout?: string }; output?: string }) | undefined;
  if (!err) return false;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') return true;
  if (typeof e === 'string') return NO_SPACE_TEXT.test(e);
  return [err.message, err.result?.stderr, err.output].some((t) => typeof t === 'string' && NO_SPACE_TEXT.test(t));
}

/** Remember on `e` which path was being written and how many bytes, when it has none yet. */
export function withPath(e: unknown, path: string, bytes?: number): unknown {
  if (typeof e === 'object' && e !== null) {
    const err = e as { path?: string; tinyBytesNeeded?: number };
    if (err.path === undefined) err.path = path;
    if (bytes !== undefined && err.tinyBytesNeeded === undefined) err.tinyBytesNeeded = bytes;
  }
  return e;
}

/** The path a tool's "No space left on device" message names ("could not write to '/x/y': No space ..."). */
export function pathInMessage(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!NO_SPACE_TEXT.test(line)) continue;
    const m = /'(\/[^']+)'/.exec(line) ?? /"(\/[^"]+)"/.exec(line) ?? /(\/[^\s:'"]+)\s*:\s*(?:No space|Disk quota)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Bytes free for us on the file system holding `path` (the nearest existing parent). */
export async function freeBytes(path: string): Promise<number | undefined> {
  let p = resolve(path);
  for (;;) {
    try {
      const s = await statfs(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

/** The TinyError (exit 1) for a full disk: the path written, what it needed when known, what is free. */
export async function noSpaceError(e: unknown, fallbackPath: string): Promise<TinyError> {
  const err = e as { path?: string; tinyBytesNeeded?: number; message?: string; result?: { stderr?: string }; output?: string };
  const path = err.path ?? pathInMessage([err.result?.stderr, err.output, err.message].filter(Boolean).join('\n')) ?? fallbackPath;
  const free = await freeBytes(path);
  const needed = err.tinyBytesNeeded;
  const what = [needed !== undefined ? `${mb(needed)} MB needed` : undefined, free !== undefined ? `${mb(free)} MB free` : undefined].filter(Boolean).join(', ');
  return new TinyError(
    `no space left on ${path}${what ? `: ${what}` : ''}`,
    1,
    [],
    `free some space on that file system (or point TINY_CACHE at a larger one) and run again: nothing half-written was kept, and what was finished is kept`,
  );
}
