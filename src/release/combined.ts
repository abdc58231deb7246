// The combined patch of a release: `git diff` between the base commit and the top of the series
// in the tree store, with every option that could vary between machines or stores pinned:
// full object names on `index` lines (the abbreviated length grows with the number of objects
// in the store), a binary file's change as data git apply can apply (`--binary`: text files'
// diffs are the same with it), no renames or copies detection (patch(1) cannot apply them),
// the a/ b/ prefixes, Myers diff, no colour, no external diff or textconv. The tree store's git runs
// without user or system configuration (src/tree/git.ts), so diff.* settings cannot leak in.

import { git } from '../tree/git.js';
import type { TreeStore } from '../tree/index.js';

export const DIFF_ARGS = [
  'diff',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-renames',
  '--full-index',
  '--binary',
  '--diff-algorithm=myers',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '--patch',
  '--unified=3',
];

export async function combinedDiff(store: TreeStore, baseCommit: string, topCommit: string): Promise<Buffer> {
  const r = await git(store.gitDir, [...DIFF_ARGS, baseCommit, topCommit, '--'], { binary: true });
  return r.stdoutBuffer!;
}
