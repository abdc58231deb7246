import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource } from '../../src/source/index.js';
import { dirIndexPath, importBase, importTarballByExtracting, importTarballStreaming, openTreeStore, readFiles, treeHashOf } from '../../src/tree/index.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { setNoticeSink } from '../../src/util/notice.js';
import { run } from '../../src/util/exec.js';
import { snapshot } from '../helpers/trees.js';
import { makeGitRepo, makeTarball, referenceTreeHash, removeDir, tempDir, writeFakeKernel, type TarFormat } from '../helpers/kernel-tree-fixture.js';

let work: string;
let kdir: string;
let reference: string;

beforeAll(async () => {
  work = await tempDir();
  kdir = join(work, 'src', 'linux-2.6.9');
  await writeFakeKernel(kdir);
  reference = await referenceTreeHash(kdir);
});
afterAll(() => removeDir(work));

async function lsTree(gitDir: string, rev: string): Promise<string> {
  return (await run('git', ['--git-dir', gitDir, 'ls-tree', '-r', rev])).stdout;
}

describe('importBase from a directory', () => {
  it('imports every file (ignored ones too), exec bits and symlinks, raw bytes, and never writes into the directory', async () => {
    const cacheDir = join(work, 'c1');
    const store = await openTreeStore(cacheDir);
    const before = await snapshot(kdir);
    const r = await importBase(store, await resolveSource({ kind: 'dir', path: kdir }, { cacheDir }), {});
    expect(await snapshot(kdir)).toEqual(before);
    expect(r.version).toBe('2.6.9');
    expect(r.tree).toBe(reference);
    const ls = await lsTree(store.gitDir, r.commit);
    expect(ls).toMatch(/^100755 blob \w+\tscripts\/mkversion$/m);
    expect(ls).toMatch(/^120000 blob \w+\tinit\/kernel\.h$/m);
    expect(ls).toMatch(/\tinit\/built\.o$/m); // ignored by the tree's .gitignore, imported anyway
    expect(ls).toMatch(/\tignored-dir\/keep\.txt$/m);
    expect(ls).not.toMatch(/empty-dir/);
    const files = await readFiles(store, r.commit, ['Documentation/dos.txt', 'init/kernel.h', 'init/main.c', 'nope.c', 'init']);
    expect(files.get('Documentation/dos.txt')).toBe('line one\r\nline two\r\n'); // no eol conversion
    expect(files.get('init/kernel.h')).toBe('../include/linux/kernel.h');
    expect(files.get('init/main.c')).toBe(await readFile(join(kdir, 'init/main.c'), 'utf8'));
    expect(files.get('nope.c')).toBeUndefined();
    expect(files.get('init')).toBeUndefined();
    // Tagged base/<version>, and the tree hash is readable from any rev.
    expect(await treeHashOf(store, 'refs/tags/base/2.6.9')).toBe(r.tree);
    expect(await treeHashOf(store, r.commit)).toBe(r.tree);
  });

  it('writes, on a first import, the indexes git add would have written: git sees no change, and the next import only stats files', async () => {
    const cacheDir = join(work, 'c1-index');
    const store = await openTreeStore(cacheDir);
    const src = await resolveSource({ kind: 'dir', path: kdir }, { cacheDir });
    const first = await importBase(store, src, {});
    expect(first.tree).toBe(reference);
    const index = await dirIndexPath(store, kdir);
    const split = (await readdir(join(cacheDir, 'dir-index'))).filter((f) => f.startsWith(`${basename(index)}.`)).map((f) => f.slice(basename(index).length + 1));
    expect(split.length).toBeGreaterThan(0); // the fixture has include/ and arch/
    const parts = [{ file: index, pathspec: split.map((d) => `:(exclude)${d}`) }, ...split.map((d) => ({ file: `${index}.${d}`, pathspec: [d] }))];
    for (const part of parts) {
      const inIndex = (file: string, args: string[]) => run('git', ['--git-dir', store.gitDir, '--work-tree', kdir, ...args], { cwd: kdir, env: { ...process.env, GIT_INDEX_FILE: file } });
      // Stat data, ids, modes and flags as git's own add of the same files gives them.
      const reference = join(work, `reference-${basename(part.file)}`);
      await inIndex(reference, ['add', '-A', '-f', '--', ...part.pathspec]);
      expect((await inIndex(part.file, ['ls-files', '-s', '--debug'])).stdout).toBe((await inIndex(reference, ['ls-files', '-s', '--debug'])).stdout);
      expect((await inIndex(part.file, ['diff-files', '--quiet'])).code).toBe(0);
    }
    expect(await importBase(store, src, {})).toEqual(first);
  });

  it('re-imports from the cached index: a change is seen, an unchanged tree gives the same commit', async () => {
    const cacheDir = join(work, 'c2');
    const store = await openTreeStore(cacheDir);
    const src = await resolveSource({ kind: 'dir', path: kdir }, { cacheDir });
    const a = await importBase(store, src, {});
    const b = await importBase(store, src, {});
    expect(b).toEqual(a);
    const copy = join(work, 'src-copy', 'linux');
    await run('cp', ['-a', kdir, copy.replace(/\/linux$/, '')]).catch(() => undefined);
    await run('cp', ['-a', kdir, copy]);
    await writeFile(join(copy, 'kernel/sched.c'), 'void schedule(void) { /* changed */ }\n');
    const c = await importBase(store, await resolveSource({ kind: 'dir', path: copy }, { cacheDir }), { version: '2.6.9-changed' });
    expect(c.tree).not.toBe(a.tree);
    expect(c.version).toBe('2.6.9-changed');
  });

  it('imports drivers/ (and arch/, include/) beside the rest, as one tree; drivers/ coming and going between imports is seen', async () => {
    const cacheDir = join(work, 'c2-split');
    const store = await openTreeStore(cacheDir);
    const dir = join(work, 'src-split', 'linux');
    await run('mkdir', ['-p', dir]);
    await run('cp', ['-a', `${kdir}/.`, dir]);
    const src = await resolveSource({ kind: 'dir', path: dir }, { cacheDir });
    // No drivers/: one index, every file.
    expect((await importBase(store, src, {})).tree).toBe(await referenceTreeHash(dir));
    // drivers/ appears: imported by a second git add, the rest's index loses nothing and gains no copy.
    await run('mkdir', ['-p', join(dir, 'drivers/char')]);
    await writeFile(join(dir, 'drivers/char/mem.c'), 'int mem;\n');
    await writeFile(join(dir, 'drivers/Makefile'), 'obj-y += char/\n');
    const withDrivers = await importBase(store, src, {});
    expect(withDrivers.tree).toBe(await referenceTreeHash(dir));
    expect(await lsTree(store.gitDir, withDrivers.commit)).toMatch(/\tdrivers\/char\/mem\.c$/m);
    await writeFile(join(dir, 'drivers/char/mem.c'), 'int mem = 1;\n');
    expect((await importBase(store, src, {})).tree).toBe(await referenceTreeHash(dir));
    // And goes: the tree has no drivers/ again.
    await run('rm', ['-r', join(dir, 'drivers')]);
    expect((await importBase(store, src, {})).tree).toBe(await referenceTreeHash(dir));
    // An index of the whole tree, drivers/ included (one git add, as tiny once made it): drivers/
    // is taken from its own index, not twice.
    await run('mkdir', ['-p', join(dir, 'drivers')]);
    await writeFile(join(dir, 'drivers/y.c'), 'int y;\n');
    await run('git', ['--git-dir', store.gitDir, '--work-tree', dir, 'add', '-A', '-f', '.'], { cwd: dir, env: { ...process.env, GIT_INDEX_FILE: await dirIndexPath(store, dir) } });
    expect((await importBase(store, src, {})).tree).toBe(await referenceTreeHash(dir));
  });

  it('recovers from an import that was killed inside git (its index.lock left behind)', async () => {
    const cacheDir = join(work, 'c2-killed');
    const store = await openTreeStore(cacheDir);
    const src = await resolveSource({ kind: 'dir', path: kdir }, { cacheDir });
    const a = await importBase(store, src, {});
    // What `git add` leaves when tiny is killed while it runs (drivers/ has an index of its own).
    await writeFile(`${await dirIndexPath(store, kdir)}.lock`, '');
    expect(await importBase(store, src, {})).toEqual(a);
    await run('mkdir', ['-p', join(kdir, 'drivers')]);
    try {
      await writeFile(join(kdir, 'drivers/x.c'), 'int x;\n');
      const withDrivers = await importBase(store, src, {});
      await writeFile(`${await dirIndexPath(store, kdir)}.drivers.lock`, '');
      expect(await importBase(store, src, {})).toEqual(withDrivers);
    } finally {
      await run('rm', ['-r', join(kdir, 'drivers')]);
    }
  });

  it('gives the same commit for the same content in another cache (deterministic metadata)', async () => {
    const s1 = await openTreeStore(join(work, 'c3a'));
    const s2 = await openTreeStore(join(work, 'c3b'));
    const src = { kind: 'dir', path: kdir } as const;
    const a = await importBase(s1, src, {});
    const b = await importBase(s2, src, {});
    expect(b.commit).toBe(a.commit);
    const show = (await run('git', ['--git-dir', s1.gitDir, 'cat-file', 'commit', a.commit])).stdout;
    expect(show).toContain('author tiny <tiny@localhost> 0 +0000');
    expect(show).toContain('\nLinux 2.6.9\n');
  });

  it('refuses a tree that differs from expectTree (exit 2, both hashes and the source named)', async () => {
    const store = await openTreeStore(join(work, 'c4'));
    const wrong = '0123456789abcdef0123456789abcdef01234567';
    let err: unknown;
    try {
      await importBase(store, { kind: 'dir', path: kdir }, { expectTree: wrong });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TinyError);
    const e = err as TinyError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(reference);
    expect(e.message).toContain(kdir);
    expect((await importBase(store, { kind: 'dir', path: kdir }, { expectTree: reference })).tree).toBe(reference);
  });

  it('asks for a version when there is no kernel Makefile', async () => {
    const plain = join(work, 'plain');
    await run('mkdir', ['-p', plain]);
    await writeFile(join(plain, 'README'), 'hi\n');
    const store = await openTreeStore(join(work, 'c5'));
    await expect(importBase(store, { kind: 'dir', path: plain }, {})).rejects.toThrow(/cannot tell the kernel version/);
    expect((await importBase(store, { kind: 'dir', path: plain }, { version: '0.0.1' })).version).toBe('0.0.1');
  });
});

describe('importBase from tarballs', () => {
  const formats: TarFormat[] = ['tar', 'tar.gz', 'tgz', 'tar.bz2', 'tar.xz'];
  let dirCommit: string;

  beforeAll(async () => {
    const store = await openTreeStore(join(work, 'c-t'));
    dirCommit = (await importBase(store, { kind: 'dir', path: kdir }, {})).commit;
  });

  for (const format of formats) {
    it(`.${format}: same tree and commit as the directory, top-level directory stripped, imported once`, async () => {
      const cacheDir = join(work, 'c-t');
      const store = await openTreeStore(cacheDir);
      const tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, format);
      const src = await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir });
      const a = await importBase(store, src, {});
      expect(a).toMatchObject({ version: '2.6.9', tree: reference, commit: dirCommit });
      const record = join(store.gitDir, 'tiny', 'imports', src.kind === 'tarball' ? src.sha256.slice(0, 2) : '', `${src.kind === 'tarball' ? src.sha256 : ''}.json`);
      const rec = JSON.parse(await readFile(record, 'utf8'));
      expect(rec).toMatchObject({ tree: reference, detectedVersion: '2.6.9', method: 'stream' });
      const mtime = (await stat(record)).mtimeMs;
      expect(await importBase(store, src, {})).toEqual(a);
      expect((await stat(record)).mtimeMs).toBe(mtime); // not imported again
    });
  }

  it('streaming and extracting give the same tree', async () => {
    const store = await openTreeStore(join(work, 'c-m'));
    const tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.bz2');
    const s = await importTarballStreaming(store, tarball);
    const x = await importTarballByExtracting(store, tarball);
    expect(s.tree).toBe(reference);
    expect(x.tree).toBe(reference);
    expect(s.makefile).toContain('SUBLEVEL = 9');
    expect(x.makefile).toContain('SUBLEVEL = 9');
  });

  it('packs nothing the store already has: the same tree from another tarball adds no pack', async () => {
    const store = await openTreeStore(join(work, 'c-again'));
    const packs = async () => (await readdir(join(store.gitDir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack')).sort();
    const gz = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.gz');
    expect((await importTarballStreaming(store, gz)).tree).toBe(reference);
    const before = await packs();
    expect(before.length).toBeGreaterThan(0);
    const bz2 = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.bz2');
    expect((await importTarballStreaming(store, bz2)).tree).toBe(reference);
    expect(await packs()).toEqual(before);
  });

  it('keeps a tarball without a single top-level directory as it is', async () => {
    const store = await openTreeStore(join(work, 'c-flat'));
    const flat = join(work, 'flat.tar');
    await run('tar', ['-c', '-f', flat, '-C', kdir, '.']);
    const r = await importBase(store, await resolveSource({ kind: 'tarball', path: flat }, { cacheDir: store.cacheDir }), {});
    expect(r.tree).toBe(reference);
  });

  it('handles hard links, long names and odd characters like tar -x does', async () => {
    const odd = join(work, 'odd', 'pkg-1.0');
    await run('mkdir', ['-p', join(odd, 'a'.repeat(120), 'b'.repeat(120))]);
    await writeFile(join(odd, 'a'.repeat(120), 'b'.repeat(120), 'long-name-file.c'), 'long\n');
    await writeFile(join(odd, 'quote"back\\slash tab\t.c'), 'odd\n');
    await writeFile(join(odd, 'ünïcödé.txt'), 'utf8\n');
    await writeFile(join(odd, 'Makefile'), 'VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\n');
    await run('ln', [join(odd, 'Makefile'), join(odd, 'hardlink')]);
    const tarball = join(work, 'odd.tar.gz');
    await run('tar', ['-c', '-z', '-f', tarball, '-C', join(work, 'odd'), 'pkg-1.0']);
    const store = await openTreeStore(join(work, 'c-odd'));
    const s = await importTarballStreaming(store, tarball);
    expect(s.tree).toBe(await referenceTreeHash(odd));
    expect(s.method).toBe('stream');
  });

  it('fails with the error of a pack it could not write (naming the file), not a crash, and stops the stream', async () => {
    const big = join(work, 'big', 'pkg');
    await run('mkdir', ['-p', big]);
    // A file larger than a pack, then many: the first pack is written (and fails) while the stream goes on.
    await writeFile(join(big, 'zeros'), Buffer.alloc(70 << 20));
    for (let i = 0; i < 200; i++) await writeFile(join(big, `f${i}.c`), `int f${i};\n`);
    const tarball = join(work, 'big.tar.gz');
    await run('tar', ['-c', '-z', '-f', tarball, '-C', join(work, 'big'), 'pkg']);
    const store = await openTreeStore(join(work, 'c-nopack'));
    const packDir = join(store.gitDir, 'objects', 'pack');
    await run('rm', ['-r', packDir]);
    await writeFile(packDir, 'not a directory\n');
    const failed = await importTarballStreaming(store, tarball).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(failed?.code).toBe('ENOTDIR');
    expect(failed?.path).toContain(join(packDir, 'tmp_pack_tiny-'));
  });

  it('falls back to extracting for member names that are not UTF-8', async () => {
    const latin = join(work, 'latin', 'pkg');
    await run('mkdir', ['-p', latin]);
    await writeFile(join(latin, Buffer.from('caf\xe9.txt', 'latin1').toString('latin1')), 'x\n');
    await run('sh', ['-c', `cd '${latin}' && printf 'y\\n' > "$(printf 'na\\351ve.txt')"`]);
    const tarball = join(work, 'latin.tar');
    await run('tar', ['-c', '-f', tarball, '-C', join(work, 'latin'), 'pkg']);
    const store = await openTreeStore(join(work, 'c-latin'));
    const r = await importBase(store, await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir: store.cacheDir }), { version: '0.1' });
    expect(r.tree).toBe(await referenceTreeHash(latin));
    const rec = (await run('sh', ['-c', `cat '${store.gitDir}'/tiny/imports/*/*.json`])).stdout;
    expect(rec).toContain('"method":"extract"');
  });
});

describe('importBase from tarballs with sparse files', () => {
  // tar -S stores a file's holes as a map, in four encodings: GNU's own member type (which the
  // tar parser drops without a word) and three pax ones (which it reads as a plain file holding
  // the data condensed, from 0.1 on under a made-up GNUSparseFile.N/ directory). Each must give
  // the tree tar -x gives: tiny extracts such a tarball with tar itself.
  const encodings: Array<[string, string[]]> = [
    ['gnu', ['--format=gnu']],
    ['pax 0.0', ['--format=posix', '--sparse-version=0.0']],
    ['pax 0.1', ['--format=posix', '--sparse-version=0.1']],
    ['pax 1.0', ['--format=posix', '--sparse-version=1.0']],
  ];
  let holey: string;
  beforeAll(async () => {
    holey = join(work, 'holey', 'pkg');
    await run('mkdir', ['-p', holey]);
    await writeFile(join(holey, 'Makefile'), 'VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\n');
    // 1 MiB with one byte of data in the middle: mostly hole.
    await run('sh', ['-c', `truncate -s 1M '${holey}/image' && printf x | dd of='${holey}/image' bs=1 seek=500000 conv=notrunc 2>/dev/null`]);
  });

  for (const [name, flags] of encodings) {
    it(`${name}: the file whole, under its own name, as tar -x gives it`, async () => {
      const tarball = join(work, `holey-${name.replace(/\W/g, '')}.tar`);
      await run('tar', ['-c', '-S', ...flags, '-f', tarball, '-C', join(work, 'holey'), 'pkg']);
      const store = await openTreeStore(join(work, `c-holey-${name.replace(/\W/g, '')}`));
      const r = await importBase(store, await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir: store.cacheDir }), {});
      expect(r.tree).toBe(await referenceTreeHash(holey));
      const rec = (await run('sh', ['-c', `cat '${store.gitDir}'/tiny/imports/*/*.json`])).stdout;
      expect(rec).toContain('"method":"extract"');
    });
  }
});

describe('importBase from a git repository', () => {
  it('imports a branch, a tag and a commit id; once per resolved commit', async () => {
    const repo = join(work, 'repo');
    const { first, second } = await makeGitRepo(repo);
    const store = await openTreeStore(join(work, 'c-git'));
    const byTag = await importBase(store, await resolveSource({ kind: 'git', repo, ref: 'v2.6.9' }, { cacheDir: store.cacheDir }), {});
    expect(byTag.version).toBe('2.6.9');
    expect(byTag.tree).toBe((await run('git', ['-C', repo, 'rev-parse', `${first}^{tree}`])).stdout.trim());
    // (Not the directory fixture's tree: the repo's own .gitattributes converted files on commit.)
    const byId = await importBase(store, { kind: 'git', repo, ref: first }, {});
    expect(byId).toEqual(byTag);
    const byBranch = await importBase(store, { kind: 'git', repo, ref: 'main' }, {});
    expect(byBranch.version).toBe('2.6.10-rc1');
    expect(byBranch.tree).toBe((await run('git', ['-C', repo, 'rev-parse', `${second}^{tree}`])).stdout.trim());
    const records = (await run('sh', ['-c', `cd '${store.gitDir}'/tiny/imports && ls */`])).stdout
      .split('\n')
      .filter((l) => l.endsWith('.json'))
      .sort();
    expect(records).toEqual([`${first}.json`, `${second}.json`].sort());
    // No refs or tags of the source repository leak into the store: its base tags, and a ref of
    // its own for each commit it fetched (what its next fetch from there names as had).
    const refs = (await run('git', ['--git-dir', store.gitDir, 'for-each-ref', '--format=%(refname)'])).stdout.trim().split('\n').sort();
    expect(refs).toEqual(['refs/tags/base/2.6.10-rc1', 'refs/tags/base/2.6.9', `refs/tiny/imported/${first}`, `refs/tiny/imported/${second}`].sort());
    await expect(importBase(store, { kind: 'git', repo, ref: 'no-such-ref' }, {})).rejects.toThrow(/has no ref "no-such-ref"/);
  });
});

describe('openTreeStore', () => {
  it('is safe when several callers create the store at once', async () => {
    const cacheDir = join(work, 'c-race');
    const stores = await Promise.all(Array.from({ length: 6 }, () => openTreeStore(cacheDir)));
    expect(new Set(stores.map((s) => s.gitDir)).size).toBe(1);
    const leftovers = (await readdir(cacheDir)).filter((n) => n !== 'trees.git');
    expect(leftovers).toEqual([]);
    expect((await run('git', ['--git-dir', stores[0]!.gitDir, 'rev-parse', '--is-bare-repository'])).stdout.trim()).toBe('true');
  });

  it('removes the pack files a killed import left, once nothing has written to them for an hour, and says so', async () => {
    const store = await openTreeStore(join(work, 'c-killed-pack'), []);
    const pack = join(store.gitDir, 'objects', 'pack');
    // What a kill -9 of `git add` (bulk check-in) or fast-import leaves: git's temporary pack.
    await writeFile(join(pack, 'tmp_pack_killed'), Buffer.alloc(2_000_000));
    await writeFile(join(pack, 'tmp_pack_writing'), 'an import still running');
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(pack, 'tmp_pack_killed'), hoursAgo, hoursAgo);
    const said: string[] = [];
    const previous = setNoticeSink((line) => said.push(line));
    try {
      await openTreeStore(store.cacheDir, []);
    } finally {
      setNoticeSink(previous);
    }
    expect(await readdir(pack)).toEqual(['tmp_pack_writing']);
    expect(said).toEqual([`removed 1 unfinished pack file (2.0 MB) left in ${pack} by a killed import`]);
  });
});

describe("a cache that shares another cache's tree store (TINY_SHARED_TREES)", () => {
  it('borrows its objects and its imports: a tarball imported by the first is not imported again by the second', async () => {
    const tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.gz');
    const first = await openTreeStore(join(work, 'shared-a'), []);
    const a = await importBase(first, await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir: first.cacheDir }), {});

    const second = await openTreeStore(join(work, 'shared-b'), [first.cacheDir]);
    const alternates = await readFile(join(second.gitDir, 'objects/info/alternates'), 'utf8');
    expect(alternates).toBe(`${join(first.gitDir, 'objects')}\n`);
    const b = await importBase(second, await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir: second.cacheDir }), {});
    expect(b).toEqual(a);
    // Nothing imported: no pack, no blob of its own; the files are read through the alternate.
    expect(await readdir(join(second.gitDir, 'objects/pack'))).toEqual([]);
    expect((await readFiles(second, b.commit, ['init/main.c'])).get('init/main.c')).toBe(await readFile(join(kdir, 'init/main.c'), 'utf8'));
    // Opened again: the alternate is listed once.
    await openTreeStore(second.cacheDir, [first.cacheDir]);
    expect(await readFile(join(second.gitDir, 'objects/info/alternates'), 'utf8')).toBe(alternates);
  });

  it('refuses a shared cache that holds no tree store, naming it and the fix', async () => {
    await expect(openTreeStore(join(work, 'shared-c'), [join(work, 'nothing-here')])).rejects.toThrow(/TINY_SHARED_TREES names .*nothing-here, which holds no tiny tree store/);
  });
});
