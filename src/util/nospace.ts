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

/** Messages of tools that failed a write without saying why (git: "error: unable to write file x"). */
const WRITE_FAILED_TEXT = /unable to write|could not write|cannot write|short write|write error|failed to write|error writing/i;

/** Below this much free space, a failed write is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

/**
 * isNoSpace, or a failed write (a tool that does not say why) on a file system with less than
 * 1 MB free under `path`: git's checkout says only "unable to write file x" on a full disk.
 */
export async function looksLikeNoSpace(e: unknown, path: string): Promise<boolean> {
  if (isNoSpace(e)) return true;
  const err = e as { message?: string; result?: { stderr?: string }; output?: string } | undefined;
  const text = typeof e === 'string' ? e : [err?.message, err?.result?.stderr, err?.output].filter(Boolean).join('\n');
  if (!WRITE_FAILED_TEXT.test(text)) return false;
  const free = await freeBytes(path);
  return free !== undefined && free < NEARLY_FULL_BYTES;
}

/** An ENOSPC error for `path`, from a tool's failure that looksLikeNoSpace (its message kept). */
export function noSpaceAt(path: string, cause: unknown): NodeJS.ErrnoException {
  const text = (cause as { result?: { stderr?: string } })?.result?.stderr?.trim() || (cause as Error)?.message || String(cause);
  return Object.assign(new Error(`no space left on ${path}: ${text}`), { code: 'ENOSPC', path });
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

/** 1.5 MB, 120 KB: enough digits to act on. */
export function humanBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** The TinyError (exit 1) for a full disk: the path written, what it needed when known, what is free. */
export async function noSpaceError(e: unknown, fallbackPath: string): Promise<TinyError> {
  const err = e as { path?: string; tinyBytesNeeded?: number; message?: string; result?: { stderr?: string }; output?: string };
  const path = err.path ?? pathInMessage([err.result?.stderr, err.output, err.message].filter(Boolean).join('\n')) ?? fallbackPath;
  const free = await freeBytes(path);
  const needed = err.tinyBytesNeeded;
  const what = [needed !== undefined && needed > 0 ? `${humanBytes(needed)} needed` : undefined, free !== undefined ? `${humanBytes(free)} free` : undefined].filter(Boolean).join(', ');
  return new TinyError(
    `no space left on ${path}${what ? `: ${what}` : ''}`,
    1,
    [],
    `free some space on that file system (or point TINY_CACHE at a larger one) and run again: nothing half-written was kept, and what was finished is kept`,
  );
}
