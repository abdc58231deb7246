// What a user's inputs hold, byte for byte: every file's sha256 and mode, every symlink's
// target, every directory. Two equal snapshots mean nothing was written, renamed, added or
// removed (mtimes are left out: reading a file must not count as changing it).

import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function byteSnapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      const st = await lstat(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${rel} -> ${await readlink(p)}`);
      else if (st.isDirectory()) {
        out.push(`${rel}/ ${mode}`);
        await walk(p);
      } else
        out.push(
          `${rel} ${mode} ${createHash('sha256')
            .update(await readFile(p))
            .digest('hex')}`,
        );
    }
  };
  await walk(root);
  return out.sort();
}
