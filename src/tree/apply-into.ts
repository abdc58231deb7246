// A series applied into a directory (`tiny queue apply --out`): its commits, then the top one
// checked out there. When the directory is new and the series has real work to do (a patch
// the memo does not know), the checkout starts at once, at the commit the work starts from, and
// runs beside the series; the worktree is then moved to the top commit, which rewrites only the
// files the patches touched. On Debian's 6.1 queue (165 patches, ~80k files) the series takes
// ~1.5 s, most of it waiting on git, and the checkout ~2 s of both cores: one after the other
// they cost the sum. A series that fails takes the new worktree back: the directory is left as
// it was found (absent, or empty).

import { lstat, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildSeries, type SeriesFailure, type SeriesPatch, type SeriesResult } from './series.js';
import type { TreeStore } from './store.js';
import { discardNewWorktree, materialize, worktreeState, type MaterializeOptions } from './worktree.js';

/** Where an apply's time went, in milliseconds (`tiny queue apply --timings`). */
export interface ApplyTimings {
  series: number;
  /** The checkout: beside the series (of the commit the work starts from), or after it (of the top commit). */
  checkout: number;
  /** Only when the checkout ran beside the series: the move to the top commit (the files the patches changed). */
  move?: number;
}

/**
 * The series, and either the patch that stopped it or the worktree at its top commit.
 * `earlyCheckout`: the commit checked out beside the series, when one was.
 */
export type AppliedInto = { series: SeriesResult; earlyCheckout?: string; timings: ApplyTimings } & (
  | { failure: SeriesFailure; out?: undefined }
  | { failure?: undefined; out: { path: string; reused: boolean } }
);

/** Is `path` absent, or an empty directory that is no worktree: a checkout there starts from nothing. */
async function isNewDir(store: TreeStore, path: string): Promise<{ fresh: boolean; existed: boolean }> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return { fresh: true, existed: false };
  if (!st.isDirectory() || (await worktreeState(store, path)) !== 'no') return { fresh: false, existed: true };
  return { fresh: (await readdir(path)).length === 0, existed: true };
}

/** Apply `patches` on `baseCommit` (stopping at the first that fails) and check the result out at `dir`. */
export async function applySeriesInto(store: TreeStore, baseCommit: string, patches: SeriesPatch[], dir: string, opts: MaterializeOptions = {}): Promise<AppliedInto> {
  const path = resolve(dir);
  const { fresh, existed } = await isNewDir(store, path);
  // The commit checked out beside the series, once that checkout is done (undefined: none, or
  // it failed).
  let early: Promise<string | undefined> | undefined;
  const timings: ApplyTimings = { series: 0, checkout: 0 };
  const since = (t: number) => Date.now() - t;
  const seriesStart = Date.now();
  const series = await buildSeries(store, baseCommit, patches, {
    stopOnFailure: true,
    ...(fresh
      ? {
          onMiss: (from: string) => {
            // A failed early checkout (a full disk, say) is not this step's error: the
            // checkout at the top commit below meets it again and says so.
            const checkoutStart = Date.now();
            early ??= materialize(store, from, path, opts).then(
              () => {
                timings.checkout = since(checkoutStart);
                return from;
              },
              () => undefined,
            );
          },
        }
      : {}),
  }).catch(async (e: unknown) => {
    if (await early) await discardNewWorktree(store, path, existed);
    throw e;
  });
  timings.series = since(seriesStart);
  const earlyCheckout = await early;
  const told = earlyCheckout ? { earlyCheckout } : {};
  if (series.failure) {
    if (earlyCheckout) await discardNewWorktree(store, path, existed);
    return { series, failure: series.failure, timings, ...told };
  }
  const top = series.commits.at(-1)?.commit ?? baseCommit;
  // The early worktree was made by this run a moment ago: nothing in it is the user's.
  const finalStart = Date.now();
  const out = await materialize(store, top, path, earlyCheckout ? { ...opts, untouched: true } : opts);
  if (earlyCheckout) timings.move = since(finalStart);
  else timings.checkout = since(finalStart);
  return { series, out: earlyCheckout ? { path: out.path, reused: false } : out, timings, ...told };
}
