// Which base trees a command works on: --tree DIR (overrides the queue's base), --base V
// (one of the versions the queue claims), or the queue's own base; each imported once into
// the tree store.

import type { BaseSpec, Queue } from '../queue/types.js';
import { describeSource, downloadPath, resolveSource, sourceFromCli } from '../source/index.js';
import { importBase, storedPinnedBase, type TreeStore } from '../tree/index.js';
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
}

export async function resolveBases(
  queue: Queue,
  store: TreeStore,
  cacheDir: string,
  choice: BaseChoice,
): Promise<ImportedBase[]> {
  const out: ImportedBase[] = [];
  for (const tree of choice.trees ?? []) {
    const resolved = await resolveSource(sourceFromCli(tree), { cacheDir });
    const imported = await importBase(store, resolved, {});
    const pinned = [queue.base, ...queue.otherBases].find((b) => b.version === imported.version)?.tree;
    if (pinned && pinned.toLowerCase() !== imported.tree) {
      // --tree overrides the queue's base on purpose (a modified tree, a tarball); say so.
      process.stderr.write(
        `tiny: note: ${tree} is ${imported.version} with tree ${imported.tree.slice(0, 12)}, not the pinned ${pinned.slice(0, 12)} of queue.yaml
`,
      );
    }
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
    out.push(await importSpec(spec, store, cacheDir));
  }
  return out;
}

async function importSpec(spec: BaseSpec, store: TreeStore, cacheDir: string): Promise<ImportedBase> {
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
    supplyHint(spec, cacheDir),
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
