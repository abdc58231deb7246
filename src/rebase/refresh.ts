// `tiny queue refresh`: regenerate patch files from commits, as `quilt refresh` does.
//
// Where the commits come from:
//  - the tree store's series: the queue applied on its base (one commit per patch). This
//    rewrites patches that apply only with offsets or fuzz, and normalizes their diffs;
//  - a worktree made by `tiny queue apply --out W` (--from W), in which the user changed the
//    patches: one commit per patch, matched to the queue by commit subject, in series order
//    (edit an earlier patch with `git commit --fixup` + `git rebase -i --autosquash`, or amend
//    the top one). Changes not yet committed in W (tracked files, and new files that were
//    `git add`ed) belong to the topmost patch, as in quilt. W itself is never written to.

import { copyFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { meantFor } from '../merge/check.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { buildSeries, worktreeState, type TreeStore } from '../tree/index.js';
import { git, gitIn } from '../tree/git.js';
import { scratchPath } from '../tree/store.js';
import { bytesOf } from '../util/bytes.js';
import { TinyError } from '../util/diagnostics.js';
import { writeFileAtomic } from '../util/fs.js';
import { closest } from '../util/suggest.js';
import { regeneratePatch, type Regenerated } from './regenerate.js';

import { commitSubject, seriesPatchOf } from '../pipeline/series.js';

export { commitSubject, seriesPatchOf };

/** One patch and the two states of the tree around it. */
export interface PatchSpan {
  patch: QueuePatch;
  before: string;
  after: string;
}

export interface RefreshResult {
  base: string;
  results: Regenerated[];
  /** Where the spans came from, for messages. */
  origin: string;
  /** The worktree's uncommitted changes were folded into this patch. */
  foldedInto?: string;
}

/** Spans from the queue applied on `baseCommit` in the tree store. */
export async function spansFromStore(store: TreeStore, q: Queue, version: string, baseCommit: string): Promise<PatchSpan[]> {
  const patches = q.series.filter((p) => meantFor(p, version));
  const r = await buildSeries(store, baseCommit, patches.map(seriesPatchOf), { stopOnFailure: true });
  if (r.failure) {
    throw new TinyError(
      `patch ${r.failure.name} does not apply on ${version}:\n  ${r.failure.hunks.join('\n  ') || r.failure.stderr.trim()}`,
      1,
      [],
      `refresh rewrites patches from their applied commits. Fix this one by hand: \`tiny queue apply --out W\` with the patches before it (--only), apply the change in W, commit, then \`tiny queue refresh --from W\``,
    );
  }
  let before = baseCommit;
  return r.commits.map((c, i) => {
    const span = { patch: patches[i]!, before, after: c.commit };
    before = c.commit;
    return span;
  });
}

/** Spans from a worktree of the store: its commits since the base, plus uncommitted changes. */
export async function spansFromWorktree(store: TreeStore, q: Queue, dir: string): Promise<{ spans: PatchSpan[]; version: string; baseTree: string; foldedInto?: string }> {
  const wt = resolve(dir);
  const state = await worktreeState(store, wt);
  if (state !== 'ours') {
    throw new TinyError(
      `${wt} is not a worktree of this tiny cache's tree store`,
      2,
      [],
      'make one with `tiny queue apply --out DIR` (with the same TINY_CACHE), change the patches there, then refresh --from DIR',
    );
  }
  const unmerged = (await gitIn(wt, ['diff', '--name-only', '--diff-filter=U'])).stdout.trim();
  if (unmerged) throw new TinyError(`${wt} has unresolved conflicts: ${unmerged.split('\n').join(', ')}`, 2, [], 'resolve them and git add the files first');
  const log = (await gitIn(wt, ['log', '--first-parent', '--reverse', '--format=%H%x00%P%x00%s', 'HEAD'])).stdout;
  const commits = log
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [commit, parents, subject] = l.split('\0');
      return { commit: commit!, parents: parents!.split(' ').filter(Boolean), subject: subject! };
    });
  const root = commits[0];
  if (!root || root.parents.length) throw new TinyError(`${wt}: HEAD does not lead back to a base commit of the tree store`, 2);
  const version = /^Linux (\S+)$/.exec(root.subject)?.[1];
  if (!version) throw new TinyError(`${wt}: its first commit ("${root.subject}") is not a base made by tiny`, 2);
  const baseTree = (await git(store.gitDir, ['rev-parse', `${root.commit}^{tree}`])).stdout.trim();

  const candidates = q.series.filter((p) => meantFor(p, version));
  const spans: PatchSpan[] = [];
  let next = 0;
  for (const c of commits.slice(1)) {
    if (c.parents.length !== 1) {
      throw new TinyError(`${wt}: commit ${c.commit.slice(0, 12)} is a merge`, 2, [], 'keep one commit per patch on a straight line (git rebase)');
    }
    const k = candidates.findIndex((p, i) => i >= next && commitSubject(p) === c.subject);
    if (k < 0) {
      const fixup = /^(fixup|squash|amend)! /.test(c.subject);
      throw new TinyError(
        `${wt}: commit ${c.commit.slice(0, 12)} "${c.subject}" is not a patch of the queue (or is out of series order)`,
        2,
        [],
        fixup
          ? `fold it into its patch first: git -C ${wt} rebase -i --autosquash ${root.commit.slice(0, 12)}`
          : 'one commit per patch, with the subject tiny gave it: squash extra commits into the patch they change (git rebase -i), or add a new patch to queue.yaml first',
      );
    }
    spans.push({ patch: candidates[k]!, before: spans.at(-1)?.after ?? root.commit, after: c.commit });
    next = k + 1;
  }

  // Uncommitted changes: W's index (new files the user git-added) plus tracked files as they
  // are now, written into a scratch copy of the index: W's own index is left alone.
  const index = await scratchPath(store, 'refresh-wt.index');
  try {
    const realIndex = (await gitIn(wt, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).stdout.trim();
    await copyFile(realIndex, index);
    await gitIn(wt, ['add', '-u'], { env: { GIT_INDEX_FILE: index } });
    const tree = (await gitIn(wt, ['write-tree'], { env: { GIT_INDEX_FILE: index } })).stdout.trim();
    const head = (await gitIn(wt, ['rev-parse', 'HEAD^{tree}'])).stdout.trim();
    if (tree !== head) {
      const top = spans.at(-1);
      if (!top) throw new TinyError(`${wt} has uncommitted changes but no patch applied to fold them into`, 2);
      top.after = tree;
      return { spans, version, baseTree, foldedInto: top.patch.name };
    }
  } finally {
    await rm(index, { force: true });
  }
  return { spans, version, baseTree };
}

/** Only the patches named (all when none is). Unknown names are bad input. */
export function pickSpans(spans: PatchSpan[], q: Queue, names: string[]): PatchSpan[] {
  if (!names.length) return spans;
  const known = q.series.map((p) => p.name);
  for (const n of names) {
    if (!known.includes(n)) {
      const near = closest(n, known);
      throw new TinyError(`the queue has no patch "${n}"`, 2, [], near ? `did you mean ${near}?` : `patches: ${known.join(', ')}`);
    }
    if (!spans.some((s) => s.patch.name === n)) {
      throw new TinyError(`patch ${n} is not applied in the tree being refreshed from`, 2, [], 'refresh only patches the tree has (see `tiny queue list`)');
    }
  }
  return spans.filter((s) => names.includes(s.patch.name));
}

/** Regenerate each span's patch; write the changed ones (atomically) unless dryRun. */
export async function refreshSpans(store: TreeStore, spans: PatchSpan[], opts: { dryRun?: boolean } = {}): Promise<Regenerated[]> {
  const out: Regenerated[] = [];
  for (const s of spans) {
    out.push(await regeneratePatch(store, { name: s.patch.name, file: s.patch.file, text: s.patch.text, strip: s.patch.strip, reverse: s.patch.reverse }, s.before, s.after));
  }
  if (!opts.dryRun) {
    for (const [i, r] of out.entries()) if (r.changed) await writeFileAtomic(spans[i]!.patch.path, bytesOf(r.text));
  }
  return out;
}

/** One line per patch: what refresh did to it. */
export function renderRefresh(results: Regenerated[], dryRun = false): string {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const c = r.counts;
    const what = r.changed ? (dryRun ? 'would refresh' : 'refreshed') : 'unchanged';
    const detail = r.changed ? `  ${r.file} (${r.why}: ${c.files} file${c.files === 1 ? '' : 's'}, ${c.hunks} hunk${c.hunks === 1 ? '' : 's'}, +${c.added} -${c.removed})` : '';
    return `${r.name.padEnd(width)}  ${what}${detail}`;
  });
  const n = results.filter((r) => r.changed).length;
  lines.push(`${n} of ${results.length} patch${results.length === 1 ? '' : 'es'} ${dryRun ? 'would change' : 'changed'}`);
  return lines.join('\n');
}
