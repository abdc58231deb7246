// What the in-memory check needs from a base tree, read once: the content of every file a
// series names and the symlinks among those paths and their directories. And the path rule
// (src/patch/paths.ts) over a series, for the commands that apply with git: `tiny queue apply`
// refuses exactly what `tiny queue check` reports, with the same file:line.

import { checkBase } from '../merge/check.js';
import { pathsAndParentsOf, pathsOf } from '../merge/state.js';
import type { BaseCheck } from '../merge/types.js';
import { describePathIssue, TreeLinks, type PathIssue } from '../patch/paths.js';
import { displayPath } from '../queue/collect.js';
import type { QueuePatch } from '../queue/types.js';
import { readFiles, symlinksAmong, type TreeStore } from '../tree/index.js';

/** A patch file as diagnostics name it: relative to the current directory when that is shorter (as the queue loader does). */
function patchFileShown(p: QueuePatch): string {
  return displayPath(p.path);
}

export interface BaseContent {
  files: Map<string, string | undefined>;
  links: Map<string, string>;
}

/** File contents (plus `extra` paths) and symlinks of `commit` for the paths `series` names. */
export async function baseContentFor(store: TreeStore, commit: string, series: readonly QueuePatch[], extra: string[] = []): Promise<BaseContent> {
  const paths = new Set<string>(extra);
  const around = new Set<string>();
  for (const p of series) {
    for (const path of pathsOf(p.parsed)) paths.add(path);
    for (const path of pathsAndParentsOf(p.parsed)) around.add(path);
  }
  return { files: await readFiles(store, commit, [...paths]), links: await symlinksAmong(store, commit, [...around]) };
}

/** Every path the in-memory check reads for `series` (plus `extra`): the files a base read without importing must keep. */
export function pathsReadBy(series: readonly QueuePatch[], extra: string[] = []): Set<string> {
  const paths = new Set<string>(extra);
  for (const p of series) for (const path of pathsOf(p.parsed)) paths.add(path);
  return paths;
}

/** BaseContent from a base read without importing (its kept files and every symlink), as baseContentFor gives it from the store. */
export function baseContentFrom(read: { files: ReadonlyMap<string, string>; links: ReadonlyMap<string, string> }, series: readonly QueuePatch[], extra: string[] = []): BaseContent {
  const files = new Map<string, string | undefined>();
  for (const p of pathsReadBy(series, extra)) files.set(p, read.files.get(p));
  const links = new Map<string, string>();
  for (const p of series) for (const path of pathsAndParentsOf(p.parsed)) if (read.links.has(path)) links.set(path, read.links.get(path)!);
  return { files, links };
}

/** `tiny queue check` on one base: the in-memory checks with the base's files and symlinks. */
export async function checkSeriesOnBase(
  store: TreeStore,
  base: { version: string; commit?: string; tree: string },
  series: readonly QueuePatch[],
  /** content: the base's files when it was read without importing (then no commit is needed). */
  opts: { pairs: boolean; extraPaths?: string[]; content?: BaseContent },
): Promise<{ check: BaseCheck; content: BaseContent }> {
  if (!opts.content && base.commit === undefined) throw new Error('checkSeriesOnBase: a base without a commit needs its content');
  const content = opts.content ?? (await baseContentFor(store, base.commit!, series, opts.extraPaths));
  const check = checkBase({ version: base.version, tree: base.tree, series, baseFiles: content.files, baseLinks: content.links, pairs: opts.pairs, patchFile: patchFileShown });
  return { check, content };
}

export interface PathViolation {
  patch: QueuePatch;
  issues: PathIssue[];
  /** "patches/x.patch:3: ..." lines, as the check reports them. */
  lines: string[];
}

/** The first patch of `series` (applied in order on `commit`) whose paths break the path rule. */
export async function firstPathViolation(store: TreeStore, commit: string, series: readonly QueuePatch[]): Promise<PathViolation | undefined> {
  const around = new Set<string>();
  for (const p of series) for (const path of pathsAndParentsOf(p.parsed)) around.add(path);
  const links = new TreeLinks(await symlinksAmong(store, commit, [...around]));
  for (const p of series) {
    const issues = links.issues(p.parsed, p.reverse);
    if (issues.length) return { patch: p, issues, lines: issues.map((i) => describePathIssue(patchFileShown(p), i)) };
    links.record(p.parsed, p.reverse);
  }
  return undefined;
}
