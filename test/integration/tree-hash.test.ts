// A base read without importing it (src/tree/hash.ts, hash-dir.ts): the tree hash computed in
// memory equals an import's, the kept files are byte for byte the tree's, and `tiny queue check`
// on a tarball or a directory says what it read and what it verified.

import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource } from '../../src/source/index.js';
import { hashDirectory, hashTarball, importBase, openTreeStore, readBaseWithoutImport, UnusualDirectory } from '../../src/tree/index.js';
import { run } from '../../src/util/exec.js';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { makeTarball, referenceTreeHash, removeDir, tempDir, writeFakeKernel, type TarFormat } from '../helpers/kernel-tree-fixture.js';

let work: string;
let kdir: string;
let reference: string;
const LATIN1 = Buffer.from('/* Copyright J\xf6rg */\nint x;\n', 'latin1');

beforeAll(async () => {
  work = await tempDir();
  kdir = join(work, 'src', 'linux-2.6.9');
  await writeFakeKernel(kdir);
  await mkdir(join(kdir, 'drivers'), { recursive: true });
  await writeFile(join(kdir, 'drivers/latin1.c'), LATIN1);
  reference = await referenceTreeHash(kdir);
});
afterAll(() => removeDir(work));

const keep = new Set(['init/main.c', 'drivers/latin1.c', 'init/kernel.h', 'no/such/file.c', 'init']);

describe('hashing a base in memory', () => {
  for (const format of ['tar', 'tar.gz', 'tar.xz'] as TarFormat[]) {
    it(`gives the tree hash an import gives, from a ${format}, and keeps only the files asked for, as bytes`, async () => {
      const tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, format);
      const h = await hashTarball(tarball, keep);
      expect(h.tree).toBe(reference);
      expect([...h.files.keys()].sort()).toEqual(['drivers/latin1.c', 'init/kernel.h', 'init/main.c']);
      expect(Buffer.from(h.files.get('drivers/latin1.c')!, 'latin1')).toEqual(LATIN1);
      expect(h.files.get('init/main.c')).toBe(await readFile(join(kdir, 'init/main.c'), 'utf8'));
      // A symlink reads as its target (as readFiles gives it), and every symlink is listed.
      expect(h.files.get('init/kernel.h')).toBe('../include/linux/kernel.h');
      expect([...h.links]).toEqual([['init/kernel.h', '../include/linux/kernel.h']]);
      expect(h.makefile).toMatch(/^VERSION = 2/);
    });
  }

  it('leaves a tarball holding a sparse file to the import (only tar -x reads it right)', async () => {
    const holey = join(work, 'holey', 'linux-2.6.9');
    await cp(kdir, holey, { recursive: true, verbatimSymlinks: true });
    await run('sh', ['-c', `truncate -s 1M '${holey}/image' && printf x | dd of='${holey}/image' bs=1 seek=500000 conv=notrunc 2>/dev/null`]);
    for (const format of ['--format=gnu', '--format=posix']) {
      const tarball = join(work, `holey${format.slice(9)}.tar`);
      await run('tar', ['-c', '-S', format, '-f', tarball, '-C', join(work, 'holey'), 'linux-2.6.9']);
      await expect(hashTarball(tarball, keep)).rejects.toThrow(/sparse|SparseFile/);
    }
  });

  it('reads a tarball once: then from the partial copy it left in the store; not at all once the tarball is imported', async () => {
    const cacheDir = join(work, 'cache-read');
    const store = await openTreeStore(cacheDir);
    const tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', join(work, 'src'), 'tar.gz');
    const src = await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir });
    const first = await readBaseWithoutImport(store, src, keep);
    expect(first?.fromStore).toBe(false);
    expect(first?.tree).toBe(reference);
    const second = await readBaseWithoutImport(store, src, new Set(['init/main.c', 'drivers/latin1.c', 'no/such/file.c']));
    expect(second?.fromStore).toBe(true);
    expect(second?.tree).toBe(reference);
    expect(second?.files.get('drivers/latin1.c')).toBe(first?.files.get('drivers/latin1.c'));
    expect(second?.files.has('no/such/file.c')).toBe(false);
    expect([...second!.links]).toEqual([...first!.links]);
    // A path not asked for before: hashed again.
    expect((await readBaseWithoutImport(store, src, new Set(['kernel/sched.c'])))?.fromStore).toBe(false);
    // Imported: the store is read instead.
    await importBase(store, src, {});
    expect(await readBaseWithoutImport(store, src, keep)).toBeUndefined();
  });
});

describe('hashing a base directory in memory', () => {
  it("gives the tree hash git's import gives: ignored files, attributes, CRLF, modes and symlinks as git sees them; the tree's own .git and fifos left out", async () => {
    const dir = join(work, 'dir-copy');
    await cp(kdir, dir, { recursive: true, verbatimSymlinks: true });
    await mkdir(join(dir, '.git', 'objects'), { recursive: true });
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/master\n');
    await run('mkfifo', [join(dir, 'init', 'a-fifo')]);
    const h = hashDirectory(dir, keep);
    expect(h.tree).toBe(reference);
    expect([...h.files.keys()].sort()).toEqual(['drivers/latin1.c', 'init/kernel.h', 'init/main.c']);
    expect(Buffer.from(h.files.get('drivers/latin1.c')!, 'latin1')).toEqual(LATIN1);
    expect([...h.links]).toEqual([['init/kernel.h', '../include/linux/kernel.h']]);
    expect(h.makefile).toMatch(/^VERSION = 2/);
  });

  it('leaves a nested repository to the import', async () => {
    const dir = join(work, 'dir-nested');
    await cp(kdir, dir, { recursive: true, verbatimSymlinks: true });
    await mkdir(join(dir, 'tools', 'sub', '.git'), { recursive: true });
    expect(() => hashDirectory(dir, keep)).toThrow(UnusualDirectory);
  });

  it('reads a directory every time unless the queue pins its tree; not at all once it is imported', async () => {
    const cacheDir = join(work, 'cache-read-dir');
    const store = await openTreeStore(cacheDir);
    const src = { kind: 'dir' as const, path: kdir };
    const first = await readBaseWithoutImport(store, src, keep);
    expect(first?.fromStore).toBe(false);
    expect(first?.tree).toBe(reference);
    // Its content could have changed since: read again.
    expect((await readBaseWithoutImport(store, src, keep))?.fromStore).toBe(false);
    // Pinned: read once, then the files kept for that tree are the answer, as for a pinned tree
    // in the store (an unpinned read keeps nothing: nothing could find it again).
    expect((await readBaseWithoutImport(store, src, keep, { pinned: reference }))?.fromStore).toBe(false);
    const pinned = await readBaseWithoutImport(store, src, keep, { pinned: reference });
    expect(pinned?.fromStore).toBe(true);
    expect(pinned?.tree).toBe(reference);
    expect(pinned?.files).toEqual(first?.files);
    expect([...pinned!.links]).toEqual([...first!.links]);
    // Imported once: its private index makes every later import stat-fast, so that is the way.
    await importBase(store, src, {});
    expect(await readBaseWithoutImport(store, src, keep)).toBeUndefined();
  });
});

describe('tiny queue check on a tarball base', () => {
  it('checks without importing, says so, gives the result a check of the imported tree gives, and refuses a tarball that is not the pinned tree', async () => {
    const queue = join(work, 'queue');
    await cp(join(REPO, 'test/fixtures/merge/queue'), queue, { recursive: true });
    const tree = join(work, 'merge-src', 'linux-2.6.9');
    await cp(join(REPO, 'test/fixtures/merge/tree'), tree, { recursive: true });
    const tarball = await makeTarball(join(work, 'merge-src'), 'linux-2.6.9', work, 'tar.xz');
    const yaml = join(queue, 'queue.yaml');
    const text = await readFile(yaml, 'utf8');
    await writeFile(yaml, text.replace('    - path: ../tree', `    - path: ${tarball}`));

    const env = { TINY_CACHE: join(work, 'cache-cli') };
    const cold = await tiny(['queue', 'check', '--queue', queue, '--json'], { env });
    expect(cold.code).toBe(1); // the fixture's super-remount fails in order
    expect(cold.stderr).toMatch(
      /^tiny: 2\.6\.9: .*\.tar\.xz read without importing it: tree [0-9a-f]{12} hashed in memory \(no base\.tree pinned to verify it against\); the files the queue names kept$/m,
    );
    const warm = await tiny(['queue', 'check', '--queue', queue, '--json'], { env });
    expect(warm.stderr).toMatch(/^tiny: 2\.6\.9: the files the queue names, as kept from .* by an earlier check \(tree [0-9a-f]{12}, no base\.tree pinned/m);
    expect(warm.stdout).toBe(cold.stdout);
    // The same tree as a directory: read without importing too, the same answer.
    const dirEnv = { TINY_CACHE: join(work, 'cache-cli-dir') };
    const byDir = await tiny(['queue', 'check', '--queue', queue, '--tree', tree, '--json'], { env: dirEnv });
    expect(byDir.stderr).toContain(`tiny: 2.6.9: ${tree} read without importing it: tree ${cold.stdout.match(/"tree": "([0-9a-f]{12})/)![1]}`);
    expect(byDir.stdout).toBe(cold.stdout);
    // Once imported (apply imports it), the directory is read through the store: the same answer.
    expect((await tiny(['queue', 'apply', '--queue', queue, '--tree', tree, '--out', join(work, 'applied')], { env: dirEnv })).code).toBe(1);
    const imported = await tiny(['queue', 'check', '--queue', queue, '--tree', tree, '--json'], { env: dirEnv });
    expect(imported.stderr).not.toContain('read without importing');
    expect(imported.stdout).toBe(cold.stdout);

    // Pinned: verified by the computed hash; a wrong pin is refused with the two hashes.
    const treeHash = (expectJsonOutput('queue-check', cold.stdout) as unknown as { bases: Array<{ tree: string }> }).bases[0]!.tree;
    await writeFile(yaml, text.replace('    - path: ../tree', `    - path: ${tarball}`).replace('  version: 2.6.9\n', `  version: 2.6.9\n  tree: ${treeHash}\n`));
    const pinned = await tiny(['queue', 'check', '--queue', queue, '--json'], { env: { TINY_CACHE: join(work, 'cache-cli-pin') } });
    expect(pinned.stderr).toContain('hashed in memory (matches the pinned base.tree)');
    const wrong = 'f'.repeat(40);
    await writeFile(yaml, text.replace('    - path: ../tree', `    - path: ${tarball}`).replace('  version: 2.6.9\n', `  version: 2.6.9\n  tree: ${wrong}\n`));
    const refused = await tiny(['queue', 'check', '--queue', queue], { env: { TINY_CACHE: join(work, 'cache-cli-wrong') } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`tree mismatch for base 2.6.9 from ${tarball}: expected tree ${wrong}, got ${treeHash}`);
  });
});
