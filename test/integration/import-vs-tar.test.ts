// Differential test: tiny's own readers of a base (the directory packer, the streamed tar
// parser and pack writer, the cold check's in-memory hash) against `tar -x` + `git add`, on
// random trees: names of 99 to 200 bytes (tar's long-name records), UTF-8 and odd characters,
// hard links, symlinks to anything (long, dangling, absolute), empty files and sizes around
// tar's 512-byte blocks, every permission bit pattern git reduces to 644 or 755; each tree
// tarred in GNU tar's four formats. Every reader must give git's tree hash for it.

import { chmodSync, existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource } from '../../src/source/index.js';
import { hashTarball, importBase, openTreeStore } from '../../src/tree/index.js';
import { run } from '../../src/util/exec.js';
import { referenceTreeHash, removeDir, tempDir } from '../helpers/kernel-tree-fixture.js';
import { prng, type Rng } from '../helpers/random-patches.js';

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(() => removeDir(work));

const NAMES = [
  'a',
  'b.c',
  'Makefile',
  'x y',
  'ünïcödé',
  'q"uote',
  'back\\slash',
  'tab\there',
  '.hidden',
  '#hash',
  'a'.repeat(99),
  'b'.repeat(100),
  'c'.repeat(101),
  'd'.repeat(155),
  'e'.repeat(200),
  'long'.repeat(30),
];
const MODES = [0o644, 0o755, 0o600, 0o700, 0o750, 0o444, 0o555];

/** A random tree under `root`: directories up to 4 deep, files, hard links and symlinks. */
function randomTree(rng: Rng, root: string, depth = 0, files: Array<{ abs: string; name: string }> = []): void {
  mkdirSync(root, { recursive: true });
  for (let i = rng.int(1, 5); i > 0; i--) {
    const p = join(root, rng.pick(NAMES) + (rng.chance(0.5) ? String(i) : ''));
    if (existsSync(p)) continue;
    const r = rng.next();
    if (r < 0.2 && depth < 4) randomTree(rng, p, depth + 1, files);
    else if (r < 0.3 && files.length) symlinkSync(rng.pick([rng.pick(files).name, `../${rng.pick(NAMES)}`, 'x'.repeat(rng.int(1, 250)), '/abs/olute']), p);
    else if (r < 0.38 && files.length) linkSync(rng.pick(files).abs, p);
    else {
      const size = rng.pick([0, 1, 511, 512, 513, 1024, rng.int(0, 70000)]);
      writeFileSync(p, Buffer.from(Array.from({ length: size }, () => rng.int(0, 255))));
      chmodSync(p, rng.pick(MODES));
      files.push({ abs: p, name: p.slice(p.lastIndexOf('/') + 1) });
    }
  }
}

describe('base readers vs tar -x + git add (random trees, seeded)', () => {
  it('the directory import, the streamed tarball import in four tar formats and the in-memory hash: the tree git add gives, each time', async () => {
    const rng = prng(4242);
    let tarballs = 0;
    for (let t = 0; t < 12; t++) {
      const dir = join(work, `t${t}`);
      const tree = join(dir, 'src', 'linux-x');
      randomTree(rng, tree);
      writeFileSync(join(tree, 'Makefile'), 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 9\n');
      const want = await referenceTreeHash(tree);
      const where = `tree ${tree}`;

      const fromDir = await importBase(await openTreeStore(join(dir, 'cache-dir')), { kind: 'dir', path: tree }, {});
      expect(fromDir.tree, `${where}: directory import`).toBe(want);

      for (const format of ['gnu', 'posix', 'ustar', 'oldgnu']) {
        const tarball = join(dir, `${format}.tar`);
        // ustar cannot hold every long name: tar refuses, and there is nothing to compare.
        if ((await run('tar', ['-c', `--format=${format}`, '-f', tarball, '-C', join(dir, 'src'), 'linux-x'], { allowFail: true })).code !== 0) continue;
        tarballs++;
        const cacheDir = join(dir, `cache-${format}`);
        const imported = await importBase(await openTreeStore(cacheDir), await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir }), {});
        expect(imported.tree, `${where}: ${format} tarball import`).toBe(want);
        expect((await hashTarball(tarball, new Set())).tree, `${where}: ${format} tarball hash`).toBe(want);
      }
    }
    expect(tarballs).toBeGreaterThan(30);
  }, 120_000);
});
