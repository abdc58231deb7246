// Reading from the store without a checkout: file contents (for the in-memory mergeability
// checker) through one `git cat-file --batch` process, and tree hashes.

import { argOf, byteString, bytesOf } from '../util/bytes.js';
import { TinyError } from '../util/diagnostics.js';
import { git } from './git.js';
import type { TreeStore } from './store.js';

/**
 * Contents of `paths` at `commit` (any rev). undefined for a path that does not exist or is not
 * a file (a directory, a submodule). Symlinks read as their target. Contents and paths are byte
 * strings (src/util/bytes.ts), as patch texts are: never decoded.
 */
export async function readFiles(store: TreeStore, commit: string, paths: string[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  const asked = [...new Set(paths)].filter((p) => {
    // Only plain relative paths: git reads "tree:../x" as a path relative to a work tree and
    // fails the whole batch (the path policy, src/patch/paths.ts, refuses such patches anyway).
    const ok = p !== '' && !/[\n\r]/.test(p) && !p.split('/').some((c) => c === '.' || c === '..' || c === '');
    if (!ok) out.set(p, undefined);
    return ok;
  });
  if (!asked.length) return out;
  const tree = await treeHashOf(store, commit);
  const input = bytesOf(asked.map((p) => `${tree}:${p.replace(/^\/+/, '')}\n`).join(''));
  const r = await git(store.gitDir, ['cat-file', '--batch'], { input, binary: true });
  const buf = r.stdoutBuffer!;
  let pos = 0;
  for (const p of asked) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`git cat-file --batch: output ended early (at ${p})`);
    const header = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const m = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
    if (!m) {
      out.set(p, undefined); // "<name> missing" / "ambiguous"
      continue;
    }
    const size = Number(m[2]);
    out.set(p, m[1] === 'blob' ? byteString(buf.subarray(pos, pos + size)) : undefined);
    pos += size + 1;
  }
  return out;
}

const FULL_ID = /^[0-9a-f]{40}$/;
/**
 * What full object ids peel to, per repository: an object never changes and the store removes
 * none, so one `git rev-parse` per id and process is enough. A cold bench-matrix run asked 69
 * times, mostly the same few commits: a spawn each, 2-5 ms of node's main thread.
 */
const peeled = new Map<string, string>();

/** `rev` peeled to a commit or a tree (`git rev-parse --verify rev^{kind}`); undefined when it is none. */
export async function peel(store: TreeStore, rev: string, kind: 'commit' | 'tree'): Promise<string | undefined> {
  const key = FULL_ID.test(rev) ? `${store.gitDir}\0${rev}^{${kind}}` : undefined;
  const known = key === undefined ? undefined : peeled.get(key);
  if (known) return known;
  const r = await git(store.gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{${kind}}`], { allowFail: true });
  // An absence is not remembered: the object may be added later in the run.
  if (r.code !== 0) return undefined;
  const id = r.stdout.trim();
  if (key) peeled.set(key, id);
  return id;
}

/** The tree hash of a commit, tag or tree. */
export async function treeHashOf(store: TreeStore, rev: string): Promise<string> {
  const tree = await peel(store, rev, 'tree');
  if (tree === undefined) throw new TinyError(`${rev} is not a commit or tree in the tree store ${store.gitDir}`, 2);
  return tree;
}

/**
 * The symlinks among `paths` at `commit` (path -> target, byte strings): pass every path a
 * series names and every directory above them (pathsAndParentsOf) to know where a patch would
 * write through a symlink.
 */
export async function symlinksAmong(store: TreeStore, commit: string, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const asked = [...new Set(paths)].filter((p) => p !== '' && !p.split('/').some((c) => c === '.' || c === '..' || c === ''));
  if (!asked.length) return out;
  const tree = await treeHashOf(store, commit);
  const links: string[] = [];
  // Arguments in chunks: a long series names thousands of paths.
  for (let i = 0; i < asked.length; i += 1000) {
    const r = await git(store.gitDir, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', tree, '--', ...asked.slice(i, i + 1000).map(argOf)], { byteString: true });
    for (const entry of r.stdout.split('\0')) {
      const m = /^120000 blob [0-9a-f]+\t(.*)$/s.exec(entry);
      if (m) links.push(m[1]!);
    }
  }
  if (!links.length) return out;
  const targets = await readFiles(store, commit, links);
  for (const l of links) out.set(l, targets.get(l) ?? '');
  return out;
}
