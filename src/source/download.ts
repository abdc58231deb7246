// URL sources: downloaded once into <cache>/downloads/<basename>, verified against their sha256
// (or, when the queue gives none, by the tree hash of the unpacked content, which the caller
// checks against base.tree), written via a .part file + rename so an interrupted download never
// looks complete.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { TinyError } from '../util/diagnostics.js';
import { exists, sha256File } from '../util/fs.js';

export interface DownloadOptions {
  cacheDir: string;
  fetch?: typeof fetch;
  /** Give up when the server has not answered (headers) within this many ms. Default 60 s. */
  headersTimeoutMs?: number;
}

/** The file name a URL is stored under in <cache>/downloads. */
export function downloadName(url: string): string {
  let name = '';
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    name = basename(url);
  }
  name = name.replace(/[/\\\0]/g, '_').replace(/^\.+/, '');
  return name || 'download';
}

export function downloadPath(url: string, cacheDir: string): string {
  return join(cacheDir, 'downloads', downloadName(url));
}

/**
 * Download `url` unless it is already there (with the right hash when one is given); returns
 * the local path and the file's sha256. Without `sha256` the file is whatever the server sent:
 * the caller must verify its content (the tree hash of base.tree).
 */
export async function downloadVerified(url: string, sha256: string | undefined, opts: DownloadOptions): Promise<{ path: string; sha256: string }> {
  const want = sha256?.toLowerCase();
  const dest = downloadPath(url, opts.cacheDir);
  const name = basename(dest);
  let stale: string | undefined;
  if (await exists(dest)) {
    const have = await sha256File(dest);
    if (want === undefined || have === want) return { path: dest, sha256: have };
    stale = have; // a wrong or outdated file: download again over it
  }
  await mkdir(join(opts.cacheDir, 'downloads'), { recursive: true });
  const part = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  const supply = want ? `Put ${name} (sha256 ${want}) at ${dest} and run again` : `Put ${name} at ${dest} (its content is checked against the queue's base.tree) and run again`;
  let got: string;
  try {
    got = await fetchTo(url, part, opts);
  } catch (e) {
    await rm(part, { force: true });
    const why = (e as Error).message;
    const staleNote = stale ? ` (the file already there has sha256 ${stale}, not the expected one)` : '';
    throw new TinyError(`download ${url} failed (offline?): ${why}${staleNote}. ${supply}`, 2, [], supply);
  }
  if (want !== undefined && got !== want) {
    await rm(part, { force: true });
    throw new TinyError(`sha256 mismatch for ${url}: expected ${want}, downloaded file has ${got}`, 2, [], `check the sha256 in the queue's base sources, or put the right ${name} at ${dest}`);
  }
  await rename(part, dest);
  return { path: dest, sha256: got };
}

async function fetchTo(url: string, part: string, opts: DownloadOptions): Promise<string> {
  const hash = createHash('sha256');
  const hashing = async function* (src: AsyncIterable<Uint8Array>) {
    for await (const chunk of src) {
      hash.update(chunk);
      yield chunk;
    }
  };
  if (url.startsWith('file:')) {
    await pipeline(createReadStream(fileURLToPath(url)), hashing, createWriteStream(part));
    return hash.digest('hex');
  }
  const doFetch = opts.fetch ?? fetch;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('no answer from the server')), opts.headersTimeoutMs ?? 60_000);
  let res: Response;
  try {
    res = await doFetch(url, { signal: ctl.signal, redirect: 'follow' });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    throw new Error(err.cause?.code ?? err.cause?.message ?? err.message);
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), hashing, createWriteStream(part));
  return hash.digest('hex');
}
