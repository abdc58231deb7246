// The walk up the directory tree that finds a project's queue/ and configs/, as quilt finds
// patches/. It stops at the file system's root, and at the home directory when it starts inside
// it: a project above $HOME is someone else's.

import { dirname, relative, resolve, sep } from 'node:path';

const inside = (dir: string, root: string) => {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
};

/** Walk up from `start` to the first directory where `has(dir)` holds (stopping at `home` when start is inside it). */
export function searchUp(start: string, home: string | undefined, has: (dir: string) => boolean): { looked: string[]; found?: string } {
  const looked: string[] = [];
  const stop = home && inside(resolve(start), resolve(home)) ? resolve(home) : undefined;
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    looked.push(dir);
    if (has(dir)) return { looked, found: dir };
    if (dir === stop || dirname(dir) === dir) return { looked };
  }
}
