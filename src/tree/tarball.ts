// Tarball -> git tree, two ways that must give the same tree hash:
//  - streaming: decompress (gzip/bzip2/xz/zstd process) -> tiny's tar reader -> objects hashed
//    and written into the store's packs in process (pack-writer.ts; nothing extracted to disk):
//    the default, faster;
//  - extracting: `tar -x` into a scratch dir, then `git add -A -f` with a scratch index: the
//    reference behaviour, used when the stream has anything unusual (non-UTF-8 names, odd
//    entries) and to cross-check the fast path in tests.
// Either way the tarball's single top-level directory is stripped.

import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decompressCommand, detectCompression } from '../source/compression.js';
import { run } from '../util/exec.js';
import { ADD_INTO_PACK, git } from './git.js';
import { scratchPath, type TreeStore } from './store.js';
import { objectId } from '../util/git-object.js';
import { treeOidOf } from './hash.js';
import { PackWriter } from './pack-writer.js';
import { asBytes, linkedEntry, strippedMembers, UnusualTarball, walkTarball, type MemberWalk } from './tar-members.js';
import type { TarMemberHeader, TarMemberSink } from './tar-reader.js';

export interface TarImport {
  tree: string;
  /** The top-level Makefile (after stripping), for version detection. */
  makefile?: string;
  method: 'stream' | 'extract';
}

export { UnusualTarball };

export async function importTarball(store: TreeStore, path: string): Promise<TarImport> {
  try {
    return await importTarballStreaming(store, path);
  } catch (e) {
    if (!(e instanceof UnusualTarball)) throw e;
    return importTarballByExtracting(store, path);
  }
}

/**
 * The streaming import: every file is hashed as it is read and written into the store's packs by
 * PackWriter (no git process, nothing extracted); the trees are hashed in memory and packed the
 * same way. While packs wait for the disk the tar stream waits.
 */
export async function importTarballStreaming(store: TreeStore, path: string): Promise<TarImport> {
  const packs = await PackWriter.forRepository(store.gitDir);
  // Full member path (byte string) -> blob and mode; later members replace earlier ones, as with tar -x.
  const files = new Map<string, { oid: Buffer; mode: '100644' | '100755' | '120000' }>();
  const makefiles = new Map<string, string>();
  function onMember(decoded: string, e: TarMemberHeader, walk: MemberWalk): TarMemberSink | undefined {
    const p = asBytes(decoded);
    switch (e.type) {
      case 'SymbolicLink': {
        const target = Buffer.from(e.linkpath, 'utf8');
        const oid = objectId('blob', target);
        packs.add('blob', oid, target);
        files.set(p, { oid, mode: '120000' });
        return undefined;
      }
      case 'Link': {
        const hit = linkedEntry(files, e, walk);
        if (hit) files.set(p, hit);
        return undefined;
      }
      default: {
        const mode = e.mode & 0o100 ? '100755' : '100644';
        const blob = packs.begin('blob', e.size);
        const makefile = /^([^/]+\/)?Makefile$/.test(decoded) ? ([] as Buffer[]) : undefined;
        return {
          data: (c) => {
            blob.write(c);
            makefile?.push(c);
          },
          end: () => {
            files.set(p, { oid: blob.end(), mode });
            if (makefile) makefiles.set(p, Buffer.concat(makefile).toString('utf8'));
          },
        };
      }
    }
  }

  try {
    // While packs wait for the disk the tar stream waits.
    const walk = await walkTarball(path, onMember, () => (packs.backlog() ? packs.drained() : undefined));
    const unusual = walk.unusual();
    if (unusual) throw new UnusualTarball(unusual);
    const stripped = strippedMembers(files, walk);
    const tree = treeOidOf(stripped, (oid, body) => packs.add('tree', oid, body));
    await packs.finish();
    const top = stripped.get('Makefile');
    const makefile = top && top.mode !== '120000' ? makefiles.get(asBytes(walk.strip()) + 'Makefile') : undefined;
    return { tree, ...(makefile !== undefined ? { makefile } : {}), method: 'stream' };
  } catch (e) {
    // Packs already in place stay: their objects are named by nothing (as after a failed git
    // command), and removing them could take a pack another import of the same tarball wrote.
    await packs.finish().catch(() => {});
    throw e;
  }
}

/** The reference method: tar -x into scratch space, then git add -A -f. */
export async function importTarballByExtracting(store: TreeStore, path: string): Promise<TarImport> {
  const compression = await detectCompression(path);
  const cmd = decompressCommand(compression, path);
  const tmp = await scratchPath(store, 'extract');
  await mkdir(tmp, { recursive: true });
  try {
    const prog = cmd ? ['-I', cmd[0] === 'xz' ? 'xz -T0' : cmd[0]] : [];
    await run('tar', ['-x', ...prog, '--no-same-owner', '-f', path, '-C', tmp]);
    const top = await readdir(tmp);
    let root = tmp;
    if (top.length === 1 && (await lstat(join(tmp, top[0]!))).isDirectory()) root = join(tmp, top[0]!);
    const index = `${tmp}.index`;
    try {
      await git(store.gitDir, [...ADD_INTO_PACK, '--work-tree', root, 'add', '-A', '-f', '.'], { cwd: root, env: { GIT_INDEX_FILE: index } });
      const tree = (await git(store.gitDir, ['write-tree'], { env: { GIT_INDEX_FILE: index } })).stdout.trim();
      const mk = await git(store.gitDir, ['cat-file', 'blob', `${tree}:Makefile`], { allowFail: true });
      return { tree, makefile: mk.code === 0 ? mk.stdout : undefined, method: 'extract' };
    } finally {
      await rm(index, { force: true });
    }
  } finally {
    await rmTree(tmp);
  }
}

/** rm -rf that also copes with read-only directories from an archive. */
export async function rmTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await run('chmod', ['-R', 'u+rwX', dir], { allowFail: true });
    await rm(dir, { recursive: true, force: true });
  }
}
