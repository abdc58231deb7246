// A base tree read without importing it: the git tree hash computed in memory (blob and tree
// objects hashed as git hashes them, nothing written), and the content of only the files a
// caller asks for. `tiny queue check` on a base that is not in the tree store yet needs the few
// files the queue names, and the tree hash to name the base and to verify a pin (base.tree):
// that costs the decompression and one SHA-1 pass, not git's hashing, zlib and pack writing of
// every file.
//
// The rules are the importer's (tarball.ts, import.ts), so the hash is the one an import gives:
// the tarball's single top-level directory stripped, later members replacing earlier ones, hard
// links resolved, devices and fifos skipped, empty directories absent. Anything unusual (names
// that are not UTF-8, odd members) is left to the importer. Directories: hash-dir.ts, with git's
// rules for a work tree.

import { createHash } from 'node:crypto';
import { byteString, compareByteStrings } from '../util/bytes.js';
import { objectId } from '../util/git-object.js';
import { asBytes, linkedEntry, strippedMembers, UnusualTarball, walkTarball } from './tar-members.js';
import type { TarMemberSink } from './tar-reader.js';

type Mode = '100644' | '100755' | '120000';

export interface HashedTree {
  /** The git tree hash an import of this source gives. */
  tree: string;
  /** The files asked for (byte-string paths): content, or a symlink's target (as readFiles gives it); absent: not a file there. */
  files: Map<string, string>;
  /** Every symlink of the tree: path -> target (byte strings). */
  links: Map<string, string>;
  /** The top-level Makefile, for version detection. */
  makefile?: string;
}

export interface TreeEntry {
  oid: Buffer;
  mode: Mode;
  content?: string;
}

/**
 * The git tree hash of files (byte-string path -> entry), as `git write-tree` gives it;
 * `onTree` is handed every tree object (id and body), subtrees before the trees naming them.
 */
export function treeOidOf(files: ReadonlyMap<string, { oid: Buffer; mode: Mode }>, onTree?: (oid: Buffer, body: Buffer) => void): string {
  interface Dir {
    files: Map<string, { oid: Buffer; mode: string }>;
    dirs: Map<string, Dir>;
  }
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const [path, e] of files) {
    const parts = path.split('/');
    let d = root;
    for (const part of parts.slice(0, -1)) {
      let next = d.dirs.get(part);
      if (!next) {
        next = { files: new Map(), dirs: new Map() };
        d.dirs.set(part, next);
      }
      d = next;
    }
    d.files.set(parts.at(-1)!, e);
  }
  const hash = (d: Dir): Buffer | undefined => {
    // Names are byte strings, ordered as git orders their bytes; a directory sorts as if its
    // name ended in '/'.
    const entries: Array<{ name: string; sort: string; mode: string; oid: Buffer }> = [];
    for (const [name, e] of d.files) entries.push({ name, sort: name, mode: e.mode, oid: e.oid });
    for (const [name, sub] of d.dirs) {
      const oid = hash(sub);
      if (!oid) continue; // git keeps no empty trees
      entries.push({ name, sort: `${name}/`, mode: '40000', oid });
    }
    if (!entries.length) return undefined;
    entries.sort((a, b) => compareByteStrings(a.sort, b.sort));
    const body = Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'latin1'), e.oid]));
    const oid = objectId('tree', body);
    onTree?.(oid, body);
    return oid;
  };
  const top = hash(root);
  if (top) return top.toString('hex');
  const empty = objectId('tree', Buffer.alloc(0));
  onTree?.(empty, Buffer.alloc(0));
  return empty.toString('hex');
}

/**
 * Hash a tarball's tree in memory, keeping the content of `keep` (byte-string paths after the
 * top-level directory is stripped). Throws UnusualTarball when only an import can tell.
 */
export async function hashTarball(path: string, keep: ReadonlySet<string>): Promise<HashedTree> {
  // Full member path (byte string) -> entry; later members replace earlier ones.
  const files = new Map<string, TreeEntry>();
  // A kept path may be under the top-level directory or not: decided at the end.
  const wanted = (p: string) => {
    const slash = p.indexOf('/');
    return keep.has(p) || (slash >= 0 && keep.has(p.slice(slash + 1)));
  };
  const walk = await walkTarball(path, (decoded, e, members): TarMemberSink | undefined => {
    const p = asBytes(decoded);
    switch (e.type) {
      case 'SymbolicLink': {
        const target = Buffer.from(e.linkpath, 'utf8');
        files.set(p, { oid: objectId('blob', target), mode: '120000', content: byteString(target) });
        return undefined;
      }
      case 'Link': {
        const hit = linkedEntry(files, e, members);
        if (hit && wanted(p) && hit.content === undefined) members.markUnusual(`hard link ${e.path} to a member whose content was not kept`);
        else if (hit) files.set(p, hit);
        return undefined;
      }
      default: {
        const mode: Mode = e.mode & 0o100 ? '100755' : '100644';
        const h = createHash('sha1').update(`blob ${e.size}\0`);
        const kept = wanted(p) || /^([^/]+\/)?Makefile$/.test(p);
        const chunks: Buffer[] = [];
        return {
          data: (c) => {
            h.update(c);
            if (kept) chunks.push(c);
          },
          end: () => {
            files.set(p, { oid: h.digest(), mode, ...(kept ? { content: byteString(Buffer.concat(chunks)) } : {}) });
          },
        };
      }
    }
  });
  const unusual = walk.unusual();
  if (unusual) throw new UnusualTarball(unusual);
  return summarizeTree(strippedMembers(files, walk), keep);
}

/** The tree hash of `files` and what a HashedTree keeps of them: `keep`, every symlink, the Makefile. */
export function summarizeTree(files: Map<string, TreeEntry>, keep: ReadonlySet<string>): HashedTree {
  const kept = new Map<string, string>();
  const links = new Map<string, string>();
  for (const [p, e] of files) {
    if (e.mode === '120000') links.set(p, e.content!);
    if (keep.has(p) && e.content !== undefined) kept.set(p, e.content);
  }
  const mk = files.get('Makefile');
  return { tree: treeOidOf(files), files: kept, links, ...(mk?.content !== undefined && mk.mode !== '120000' ? { makefile: mk.content } : {}) };
}
