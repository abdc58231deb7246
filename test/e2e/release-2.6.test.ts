// `tiny release` of the product's own queue (the compat series and what else it selects) on a real, unmodified Linux
// 2.6.9 tree (TINY_TREE_2_6): two releases are byte-identical, the broken-out tarball applies
// with `quilt push -a` on a copy of the tree and the combined patch with `patch -p1`, both giving
// the tree release.json names, and `tiny release verify` regenerates it identically. No kernel is
// built here (the release is made with --select and --force, without a size report, which the
// fake-kernel test covers); the tree itself is never modified.

import { createHash } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { expectContract, expectJsonOutput } from '../helpers/json-contract.js';
import { referenceTreeHash } from '../helpers/kernel-tree-fixture.js';

const TREE = process.env.TINY_TREE_2_6;
if (!TREE) console.warn('SKIP release-2.6: set TINY_TREE_2_6 to an unmodified Linux 2.6.9 tree (or tarball) to run these tests');

async function sums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort())
    out[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex');
  return out;
}

/** A private copy of the base tree (a directory or a tarball). */
async function copyOfTree(dest: string): Promise<void> {
  if (statSync(TREE!).isDirectory()) await sh('cp', ['-a', `${TREE}/.`, dest]);
  else {
    await mkdir(dest, { recursive: true });
    await sh('tar', ['-xf', TREE!, '-C', dest, '--strip-components=1']);
  }
}

describe.skipIf(!TREE)('tiny release of the linux-tiny queue on a real 2.6.9 tree', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const args = (out: string) => ['release', '2.6.9-compat1', '--queue', join(REPO, 'queue'), '--tree', TREE!, '--select', 'compat-gcc12', '--force', '--out', out];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tiny-rel26-'));
    env = { TINY_CACHE: join(work, 'cache'), SOURCE_DATE_EPOCH: '' };
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('two releases of the compat series are byte-identical', async () => {
    const a = await tiny(args(join(work, 'a')), { env });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/tiny: released linux-tiny 2\.6\.9-compat1: \d+ patches on 2\.6\.9/);
    // the compat series at least (the queue's unguarded patches come with it)
    const m = JSON.parse(await readFile(join(work, 'a', '2.6.9-compat1', 'release.json'), 'utf8'));
    expectContract('release-manifest', m);
    // (the compat entries meant for 2.6.9: later bases have compat patches and variants of their own)
    const listed = expectJsonOutput('queue-list', (await tiny(['queue', 'list', '--queue', join(REPO, 'queue'), '--json'], { env })).stdout) as unknown as {
      patches: Array<{ name: string; bases: string[] }>;
    };
    const compat = listed.patches.filter((p) => p.name.startsWith('compat-') && (!p.bases.length || p.bases.includes('2.6.9'))).length;
    expect(m.patches.filter((p: { name: string }) => p.name.startsWith('compat-'))).toHaveLength(compat);
    const b = await tiny(args(join(work, 'b')), { env });
    expect(b.code, b.stderr).toBe(0);
    const sa = await sums(join(work, 'a', '2.6.9-compat1'));
    expect(Object.keys(sa)).toEqual(['2.6.9-compat1-broken-out.tar.xz', '2.6.9-compat1.patch', '2.6.9-compat1.patch.bz2', '2.6.9-compat1.patch.xz', 'SHA256SUMS', 'release.json']);
    expect(await sums(join(work, 'b', '2.6.9-compat1'))).toEqual(sa);
  }, 600_000);

  it('quilt push -a of the broken-out tarball and patch -p1 of the combined patch give the release tree', async () => {
    const dir = join(work, 'a', '2.6.9-compat1');
    const m = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8'));
    expectContract('release-manifest', m);
    expect(m.base.tree).toBe('f3d196d3b703bd3c7ca1effbc8b5f0298db9a874');
    const q = join(work, 'quilt');
    await mkdir(q);
    await sh('tar', ['-xJf', join(dir, '2.6.9-compat1-broken-out.tar.xz'), '-C', q]);
    await copyOfTree(join(q, 'linux-2.6.9'));
    const tree = join(q, 'linux-2.6.9');
    const quiltEnv = { ...process.env, QUILT_PATCHES: '../2.6.9-compat1-broken-out/patches', QUILTRC: '/dev/null' };
    const out = await sh('quilt', ['push', '-a', '-q'], { cwd: tree, env: quiltEnv });
    expect(out.trim().split('\n').at(-1)).toMatch(/^Now at patch (.*\/patches\/)?(\S+)$/);
    expect(out.trim().endsWith(`${m.patches.at(-1).file}`)).toBe(true);
    expect(await referenceTreeHash(tree, ['.pc']) /* not quilt's bookkeeping */).toBe(m.result_tree);
    // One copy of the tree serves both: quilt pops back to the base, then patch -p1.
    await sh('quilt', ['pop', '-a', '-q'], { cwd: tree, env: quiltEnv });
    await rm(join(tree, '.pc'), { recursive: true, force: true });
    await sh('sh', ['-c', `patch -p1 --quiet < ${JSON.stringify(join(dir, '2.6.9-compat1.patch'))}`], { cwd: tree });
    expect(await referenceTreeHash(tree, ['.pc'])).toBe(m.result_tree);
    await rm(q, { recursive: true }); // async: a 200 MB tree would block the worker's event loop
  }, 600_000);

  it('verify regenerates it byte for byte', async () => {
    const r = await tiny(['release', 'verify', join(work, 'a', '2.6.9-compat1'), '--queue', join(REPO, 'queue'), '--tree', TREE!], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: all 6 files are byte-for-byte what tiny regenerates');
  }, 600_000);
});
