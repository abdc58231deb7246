// A base read without importing it (src/tree/hash.ts): the tree hash computed in memory equals
// an import's, the kept files are byte for byte the tree's, and `tiny queue check` on a tarball
// base says what it read and what it verified.

import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource } from '../../src/source/index.js';
import { hashTarball, importBase, openTreeStore, readBaseWithoutImport } from '../../src/tree/index.js';
import { REPO, tiny } from '../helpers/cli.js';
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
    // A directory is always imported (its content may change between runs).
    expect(await readBaseWithoutImport(store, { kind: 'dir', path: kdir }, keep)).toBeUndefined();
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
    // The same check on the imported tree.
    const byDir = await tiny(['queue', 'check', '--queue', queue, '--tree', tree, '--json'], { env: { TINY_CACHE: join(work, 'cache-cli-dir') } });
    expect(byDir.stdout).toBe(cold.stdout);

    // Pinned: verified by the computed hash; a wrong pin is refused with the two hashes.
    const treeHash = (JSON.parse(cold.stdout) as { bases: Array<{ tree: string }> }).bases[0]!.tree;
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
