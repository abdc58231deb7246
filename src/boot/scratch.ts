// Scratch directories of `tiny boot` under <cache>/boot/tmp, named <what>.<pid>: a boot that
// was killed (Ctrl-C twice, SIGKILL, a closed terminal) cannot remove its own, so each boot
// removes those of processes that no longer exist before making its own.

import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alive } from '../util/lock.js';

/** Remove <dir>/<name>.<pid> entries whose process is gone; returns their names. */
export async function removeStaleScratch(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const m = /\.(\d+)$/.exec(n);
    return m !== null && !alive(Number(m[1]));
  });
  for (const n of stale) await rm(join(dir, n), { recursive: true, force: true });
  return stale;
}

/** A fresh scratch directory <dir>/<what>.<this pid>, after removing the stale ones. */
export async function bootScratch(dir: string, what: string): Promise<string> {
  await removeStaleScratch(dir);
  const work = join(dir, `${what}.${process.pid}`);
  await mkdir(work, { recursive: true });
  return work;
}
