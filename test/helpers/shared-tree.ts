// The unmodified Linux 2.6.9 tree the 2.6 tests run on when TINY_TREE_2_6 is unset: the tarball
// next to the project (../shared/kernels/linux-2.6.9.tar.xz: on every developer machine and in
// CI; top directory linux-2.6.9/, content = the git tree queue/queue.yaml pins), unpacked once
// into ~/.cache/tiny-trees/linux-2.6.9 (the last source queue/queue.yaml lists, so a user's
// `tiny build` finds the same tree). A stamp beside the directory names the tarball's sha256;
// the tree is unpacked into a temporary sibling and renamed, so a killed unpack leaves nothing
// half-made under the final name.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/util/exec.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** ../shared/kernels/linux-2.6.9.tar.xz from the project's root. */
export const SHARED_TARBALL_2_6 = join(REPO, '..', 'shared', 'kernels', 'linux-2.6.9.tar.xz');

/** Where the shared tarball is unpacked: ~/.cache/tiny-trees/linux-2.6.9 (XDG_CACHE_HOME honoured). */
export function sharedTreeDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tiny-trees', 'linux-2.6.9');
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The directory of the unpacked shared 2.6.9 tarball, unpacking it when the stamp does not
 * name this tarball; undefined when there is no shared tarball (the 2.6 tests then say they skip).
 */
export async function ensureSharedTree(log: (line: string) => void = () => {}): Promise<string | undefined> {
  if (!existsSync(SHARED_TARBALL_2_6)) return undefined;
  const dir = sharedTreeDir();
  const stamp = `${dir}.sha256`;
  const sha = await sha256File(SHARED_TARBALL_2_6);
  const stamped = existsSync(stamp) ? (await readFile(stamp, 'utf8')).trim() : '';
  if (stamped === sha && existsSync(join(dir, 'Makefile'))) return dir;
  const t0 = Date.now();
  await mkdir(dirname(dir), { recursive: true });
  const tmp = await mkdtemp(`${dir}.unpack-`);
  try {
    await run('tar', ['-xJf', SHARED_TARBALL_2_6, '-C', tmp, '--strip-components=1']);
    await rm(stamp, { force: true });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await writeFile(stamp, `${sha}\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  log(`unpacked ${SHARED_TARBALL_2_6} into ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)}s (TINY_TREE_2_6)`);
  return dir;
}
