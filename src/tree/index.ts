// The git-backed tree store (<cacheDir>/trees.git): pristine base commits, patch series as
// commits (memoized), worktrees, and reads without checkout.

export { openTreeStore, type TreeStore } from './store.js';
export { checkPin, importBase, readBaseWithoutImport, storedPinnedBase, baseCommit, dirIndexPath, pickRef, localFetchOptions, type ImportOptions, type ImportedBase } from './import.js';
export { importTarball, importTarballStreaming, importTarballByExtracting, type TarImport } from './tarball.js';
export {
  buildSeries,
  parseApplyErrors,
  parseAuthor,
  gitDate,
  type SeriesPatch,
  type SeriesCommit,
  type SeriesFailure,
  type SeriesResult,
  type SeriesOptions,
} from './series.js';
export { applySeriesInto, type AppliedInto, type ApplyTimings } from './apply-into.js';
export { materialize, removeWorktree, worktreeFor, worktreeState, type MaterializeOptions } from './worktree.js';
export { readFiles, symlinksAmong, treeHashOf } from './read.js';
export { hashTarball, treeOidOf, type HashedTree } from './hash.js';
export { hashDirectory, UnusualDirectory } from './hash-dir.js';
