// Which base trees a command works on: --tree DIR (one of the queue's bases, given as a
// directory or tarball), --base V (one of the versions the queue claims), or the queue's own
// base; each imported once into the tree store.
//
// A queue that pins its base (base.tree, a git tree hash) refuses a --tree whose content is
// none of its pinned bases, whatever its source: a modified tree or another version gives
// sizes and mergeability of something else than the queue claims. --allow-other-base says the
// other tree is meant (a vendor tree to try the queue on).

import type { BaseSpec, Queue } from '../queue/types.js';
import { describeSource, downloadPath, resolveSource, sourceFromCli } from '../source/index.js';
import { checkPin, importBase, readBaseWithoutImport, storedPinnedBase, type TreeStore } from '../tree/index.js';
import { TinyError } from '../util/diagnostics.js';

export interface ImportedBase {
  version: string;
  commit: string;
  tree: string;
  /** Where it came from, for messages. */
  origin: string;
}

export interface BaseChoice {
  trees?: string[];
  versions?: string[];
  /** Accept a --tree that is none of the queue's pinned bases (--allow-other-base). */
  allowOtherBase?: boolean;
  /** The hint when no source of a base the queue lists can be used (default: give one with --tree DIR). */
  noSourceHint?: (version: string) => string;
}

export async function resolveBases(queue: Queue, store: TreeStore, cacheDir: string, choice: BaseChoice): Promise<ImportedBase[]> {
  const out: ImportedBase[] = [];
  const claimed = [queue.base, ...queue.otherBases];
  for (const tree of choice.trees ?? []) {
    const resolved = await resolveSource(sourceFromCli(tree), { cacheDir });
    const pinned = claimed.filter((b) => b.tree);
    let imported: Awaited<ReturnType<typeof importBase>>;
    let versionKnown = true;
    try {
      imported = await importBase(store, resolved, {});
    } catch (e) {
      // A tree whose Makefile names no version: its content can still be matched with a pin.
      if (!(e instanceof TinyError && /cannot tell the kernel version/.test(e.message)) || !pinned.length) throw e;
      const asPinned = await importBase(store, resolved, { version: queue.base.version });
      const match = pinned.find((b) => b.tree!.toLowerCase() === asPinned.tree);
      imported = match ? await importBase(store, resolved, { version: match.version }) : asPinned;
      versionKnown = match !== undefined;
    }
    refuseUnclaimedTree(queue, tree, imported, versionKnown, choice.allowOtherBase === true);
    out.push({ ...imported, origin: tree });
  }
  if (out.length) return out;
  const all = [queue.base, ...queue.otherBases];
  const wanted = choice.versions?.length ? choice.versions : [queue.base.version];
  for (const v of wanted) {
    const spec = all.find((b) => b.version === v);
    if (!spec) {
      throw new TinyError(`the queue claims no base ${v}`, 2, [], `known bases: ${all.map((b) => b.version).join(', ')}; or use --tree DIR`);
    }
    out.push(await importSpec(spec, store, cacheDir, choice.noSourceHint));
  }
  return out;
}

/**
 * A --tree whose content is none of the bases the queue pins is refused (exit 2), unless
 * --allow-other-base says it is meant: then a note says what it is.
 */
function refuseUnclaimedTree(queue: Queue, arg: string, got: { version: string; tree: string }, versionKnown: boolean, allowOtherBase: boolean): void {
  const pinned = [queue.base, ...queue.otherBases].filter((b) => b.tree);
  if (!pinned.length || pinned.some((b) => b.tree!.toLowerCase() === got.tree)) return;
  const sameVersion = versionKnown ? pinned.find((b) => b.version === got.version) : undefined;
  const meant = sameVersion ?? (queue.base.tree ? queue.base : pinned[0]!);
  const what = !versionKnown
    ? `a tree of no known version (its Makefile has no VERSION line; tree ${got.tree.slice(0, 12)})`
    : sameVersion
      ? `${got.version} with other content (tree ${got.tree.slice(0, 12)})`
      : `${got.version} (tree ${got.tree.slice(0, 12)})`;
  if (!allowOtherBase) {
    throw new TinyError(
      `this tree is not the queue's base ${meant.version} (tree ${meant.tree!.slice(0, 12)}): it is ${what}`,
      2,
      [],
      `rebase the queue with \`tiny queue rebase --tree ${arg}\`, or pass --allow-other-base`,
    );
  }
  process.stderr.write(`tiny: note: ${arg} is not the queue's base ${meant.version} (tree ${meant.tree!.slice(0, 12)}): it is ${what}; used as asked (--allow-other-base)\n`);
}

async function importSpec(spec: BaseSpec, store: TreeStore, cacheDir: string, noSourceHint?: (version: string) => string): Promise<ImportedBase> {
  // A pinned tree imported before (from whichever source) is the base: no source is consulted,
  // so a URL listed first is not downloaded again once any source has provided the tree.
  const stored = spec.tree ? await storedPinnedBase(store, spec.version, spec.tree) : undefined;
  if (stored) return { ...stored, origin: `the tree store (tree ${stored.tree.slice(0, 12)})` };
  const problems: string[] = [];
  for (const source of spec.sources) {
    try {
      const resolved = await resolveSource(source, { cacheDir });
      const imported = await importBase(store, resolved, {
        version: spec.version,
        ...(spec.tree ? { expectTree: spec.tree } : {}),
      });
      return { ...imported, origin: describeSource(source) };
    } catch (e) {
      // A tree-hash mismatch is a real error, not a reason to try the next source.
      if (e instanceof TinyError && /tree/i.test(e.message) && /expect|mismatch|differs/i.test(e.message)) throw e;
      problems.push(`${describeSource(source)}: ${(e as Error).message}`);
    }
  }
  throw new TinyError(
    `no source of base ${spec.version} could be used:\n  ${problems.join('\n  ') || 'the queue lists no sources'}`,
    2,
    [],
    noSourceHint?.(spec.version) ?? supplyHint(spec, cacheDir),
  );
}

/** What to download and where to put it, from the sources the queue lists. */
function supplyHint(spec: BaseSpec, cacheDir: string): string {
  const ways: string[] = [];
  for (const s of spec.sources) {
    if (s.kind === 'url') ways.push(`download ${s.url} to ${downloadPath(s.url, cacheDir)}`);
    else if (s.kind === 'tarball') ways.push(`put the ${spec.version} tarball at ${s.path}`);
    else if (s.kind === 'dir') ways.push(`unpack an unmodified ${spec.version} tree into ${s.path}`);
  }
  ways.push(`fix base.sources in queue.yaml`);
  return `${ways.join('; or ')}${spec.tree ? ` (any of them is checked against base.tree ${spec.tree.slice(0, 12)})` : ''}`;
}

/** A base read without importing it: its tree hash (computed), and the files a command asked for. */
export interface ReadBase {
  version: string;
  tree: string;
  origin: string;
  /** The files asked for (byte-string path -> content; absent: no such file), and every symlink. */
  files: Map<string, string>;
  links: Map<string, string>;
  /** The computed tree against the queue's pins (base.tree): one of them, none pinned, or another tree (--allow-other-base). */
  pin: 'verified' | 'none' | 'other';
  /** The files came from the store's copy of an earlier read (no hashing this time). */
  fromStore: boolean;
}

/**
 * The bases a command that only reads files works on (`tiny queue check`): like resolveBases,
 * but a base that is not in the tree store yet and comes from a tarball or a directory is not
 * imported: its tree hash is computed in memory (so a pin is verified exactly as an import
 * verifies it) and only the files in `keep` are kept. So is a --tree, whose version and pin are
 * settled as resolveBases settles them.
 */
export async function resolveBasesForReading(queue: Queue, store: TreeStore, cacheDir: string, choice: BaseChoice, keep: ReadonlySet<string>): Promise<Array<ImportedBase | ReadBase>> {
  if (choice.trees?.length) {
    const out: Array<ImportedBase | ReadBase> = [];
    for (const tree of choice.trees) out.push((await readTree(queue, tree, store, cacheDir, choice, keep)) ?? (await resolveBases(queue, store, cacheDir, { ...choice, trees: [tree] }))[0]!);
    return out;
  }
  const all = [queue.base, ...queue.otherBases];
  const wanted = choice.versions?.length ? choice.versions : [queue.base.version];
  const out: Array<ImportedBase | ReadBase> = [];
  for (const v of wanted) {
    const spec = all.find((b) => b.version === v);
    if (!spec) {
      throw new TinyError(`the queue claims no base ${v}`, 2, [], `known bases: ${all.map((b) => b.version).join(', ')}; or use --tree DIR`);
    }
    out.push((await readSpec(spec, store, cacheDir, keep)) ?? (await importSpec(spec, store, cacheDir, choice.noSourceHint)));
  }
  return out;
}

/**
 * A --tree read without importing it, its version and pin settled as resolveBases settles them;
 * undefined: import it (resolveBases), which also gives the errors for a tree of no known version.
 */
async function readTree(queue: Queue, arg: string, store: TreeStore, cacheDir: string, choice: BaseChoice, keep: ReadonlySet<string>): Promise<ReadBase | undefined> {
  const resolved = await resolveSource(sourceFromCli(arg), { cacheDir });
  const pinned = [queue.base, ...queue.otherBases].filter((b) => b.tree);
  // Not found by a pin: the tree is what the user points at, so it is hashed to learn which it is.
  const read = await readBaseWithoutImport(store, resolved, keep);
  if (!read) return undefined;
  const match = pinned.find((b) => b.tree!.toLowerCase() === read.tree);
  const version = read.detectedVersion ?? match?.version;
  if (version === undefined) return undefined;
  refuseUnclaimedTree(queue, arg, { version, tree: read.tree }, true, choice.allowOtherBase === true);
  return { version, tree: read.tree, origin: arg, files: read.files, links: read.links, pin: match ? 'verified' : pinned.length ? 'other' : 'none', fromStore: read.fromStore };
}

/** A spec's base read from its first usable source without importing; undefined: import it (importSpec). */
async function readSpec(spec: BaseSpec, store: TreeStore, cacheDir: string, keep: ReadonlySet<string>): Promise<ReadBase | undefined> {
  if (spec.tree && (await storedPinnedBase(store, spec.version, spec.tree))) return undefined;
  for (const source of spec.sources) {
    let resolved;
    try {
      resolved = await resolveSource(source, { cacheDir });
    } catch {
      return undefined; // importSpec tries the sources in order and reports each problem
    }
    const read = await readBaseWithoutImport(store, resolved, keep, spec.tree ? { pinned: spec.tree } : {});
    if (!read) return undefined;
    if (spec.tree) checkPin(spec.version, describeSource(source), spec.tree, read.tree);
    return { version: spec.version, tree: read.tree, origin: describeSource(source), files: read.files, links: read.links, pin: spec.tree ? 'verified' : 'none', fromStore: read.fromStore };
  }
  return undefined;
}
