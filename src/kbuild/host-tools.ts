// The host programs Kconfig builds (scripts/basic: fixdep...; scripts/kconfig: conf...), handed
// from the build directory that configured a tree to a fresh build directory of the same tree,
// so that the first make there does not build them again (on 2.6.9: seven host compiles, about
// 1.8 s, before make can compile anything of the kernel).
//
// Why make takes them as they are: Kbuild rebuilds a target when a prerequisite is newer or its
// .cmd command line changed. The files keep their order in time (conf after libkconfig.so...)
// and all take times just before now, so every source of the tree (checked out before) is older;
// the .cmd files name /tiny/src and /tiny/build, the same in every container. That is only right
// for the same tree and the same image: the caller hands them between lanes at one commit.

import { lstat, readdir, readFile, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

/** The build directory's subdirectories that hold Kconfig's host programs, with their .cmd files. */
export const HOST_TOOL_DIRS = ['scripts/basic', 'scripts/kconfig'] as const;

export interface HostToolFile {
  /** Relative to the build directory. */
  path: string;
  mode: number;
  /** The file's bytes, or the target of a symlink. */
  data: Buffer | { link: string };
  mtimeNs: bigint;
}

/** The host programs of a build directory, read into memory (hundreds of KB); undefined when it has none. */
export async function readHostTools(buildDir: string): Promise<HostToolFile[] | undefined> {
  const out: HostToolFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(buildDir, rel), { withFileTypes: true })) {
      const path = `${rel}/${e.name}`;
      const abs = join(buildDir, path);
      const st = await lstat(abs, { bigint: true });
      if (e.isDirectory()) await walk(path);
      else if (e.isSymbolicLink()) out.push({ path, mode: Number(st.mode & 0o7777n), data: { link: await readlink(abs) }, mtimeNs: st.mtimeNs });
      else if (e.isFile()) out.push({ path, mode: Number(st.mode & 0o7777n), data: await readFile(abs), mtimeNs: st.mtimeNs });
    }
  };
  for (const dir of HOST_TOOL_DIRS) {
    const st = await lstat(join(buildDir, dir)).catch(() => undefined);
    if (st?.isDirectory()) await walk(dir);
  }
  return out.some((f) => f.path === 'scripts/basic/fixdep') ? out : undefined;
}

/** A build directory that has built nothing yet (no fixdep): one that host programs can be handed to. */
export async function lacksHostTools(buildDir: string): Promise<boolean> {
  return (await lstat(join(buildDir, 'scripts/basic/fixdep')).catch(() => undefined)) === undefined;
}

/**
 * Write the host programs into a build directory: each file whole (writeFileAtomic: a kill
 * leaves files complete or absent, and make builds what is absent), then the
 * times, in the files' old order, 10 µs apart, ending just before `now`.
 */
export async function writeHostTools(buildDir: string, files: readonly HostToolFile[], now = Date.now()): Promise<void> {
  const byAge = [...files].sort((a, b) => (a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : 0));
  for (const f of byAge) {
    const abs = join(buildDir, f.path);
    if (Buffer.isBuffer(f.data)) {
      await writeFileAtomic(abs, f.data, f.mode);
      continue;
    }
    const tmp = `${abs}.tiny-tmp`;
    await rm(tmp, { force: true });
    await symlink(f.data.link, tmp);
    await rename(tmp, abs);
  }
  // Symlinks keep their own time (make follows them to the file they name). 10 µs apart: node
  // (libuv) sets times to the microsecond, through a double.
  const regular = byAge.filter((f) => Buffer.isBuffer(f.data));
  for (const [i, f] of regular.entries()) {
    const t = (now - 1) / 1000 - (regular.length - i) * 1e-5;
    await utimes(join(buildDir, f.path), t, t);
  }
}
