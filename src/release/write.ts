// Writing a release directory atomically: every file goes into a private directory next to the
// destination (same file system), which is then renamed into place, so OUT/VERSION is either
// complete or absent. An existing release is never overwritten. The gpg signature, when a key
// is configured, is made in the private directory before the rename.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { exists } from '../util/fs.js';
import { signSums } from './sign.js';

export interface WriteReleaseOptions {
  /** gpg key (id, fingerprint or user id) to sign SHA256SUMS with. */
  signKey?: string;
}

/** A private directory next to `dest` (removed by the caller). */
export async function stagingDir(dest: string): Promise<string> {
  await mkdir(dirname(dest), { recursive: true });
  const dir = join(dirname(dest), `.${basename(dest)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

export async function writeFiles(dir: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [name, data] of files) await writeFile(join(dir, name), data, { mode: 0o644 });
}

export async function writeRelease(dest: string, files: ReadonlyMap<string, Buffer>, opts: WriteReleaseOptions = {}): Promise<{ signed: boolean }> {
  if (await exists(dest)) {
    throw new TinyError(`${dest} already exists`, 2, [], 'a release is never overwritten: remove it first, or release another version');
  }
  const tmp = await stagingDir(dest);
  try {
    await writeFiles(tmp, files);
    if (opts.signKey) await signSums(tmp, opts.signKey);
    try {
      await rename(tmp, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        throw new TinyError(`${dest} appeared while the release was being written`, 2, [], 'another tiny release wrote it: remove it first, or release another version');
      throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { signed: !!opts.signKey };
}
