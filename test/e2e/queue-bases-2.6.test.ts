// The product's queue on the three 2.6 bases it claims (docs/compat.md): 2.6.9 (TINY_TREE_2_6),
// 2.6.11 (TINY_TREE_2_6_NEXT, else ~/.cache/tiny-trees/linux-2.6.11) and 2.6.12-rc2
// (TINY_TREE_2_6_12, else ~/.cache/tiny-trees/linux-2.6.12-rc2). `tiny queue check` with every
// base in one call passes; a release carries a quilt series per base, and `quilt push -a` of
// each applies on a copy of that base. No kernel is built; the trees are only read. A base
// whose tree is not here is skipped by name.

import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { expectContract } from '../helpers/json-contract.js';
import { laterTreeMissing, skippedSuite, TREE_2_6, TREE_2_6_11, TREE_2_6_12 } from '../helpers/trees.js';

const BASES: Array<{ version: string; tree: string | undefined; missing: string }> = [
  { version: '2.6.9', tree: TREE_2_6, missing: 'no unmodified 2.6.9 tree: set TINY_TREE_2_6 (test/global-setup.ts unpacks the shared tarball)' },
  { version: '2.6.11', tree: TREE_2_6_11, missing: laterTreeMissing('2.6.11', 'TINY_TREE_2_6_NEXT') },
  { version: '2.6.12-rc2', tree: TREE_2_6_12, missing: laterTreeMissing('2.6.12-rc2', 'TINY_TREE_2_6_12') },
];
const here = BASES.filter((b) => b.tree);
for (const b of BASES.filter((x) => !x.tree)) skippedSuite('queue-bases-2.6', `the linux-tiny queue on ${b.version}`, b.missing);

/** A private copy of a tree (a directory or a tarball) at `dest`. */
async function copyOfTree(tree: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  if (statSync(tree).isDirectory()) await sh('cp', ['-a', `${tree}/.`, dest]);
  else await sh('tar', ['-xf', tree, '-C', dest, '--strip-components=1']);
}

describe.skipIf(here.length < 2)(`the linux-tiny queue on ${here.map((b) => b.version).join(', ')}`, { timeout: 900_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-bases26-'));
    env = { TINY_CACHE: join(work, 'cache'), SOURCE_DATE_EPOCH: '' };
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('queue check with every base in one call: 0 failures for the patches that claim each', async () => {
    const t0 = Date.now();
    const r = await tiny(['queue', 'check', '--queue', join(REPO, 'queue'), '--no-pairs', ...here.flatMap((b) => ['--tree', b.tree!])], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const b of here) expect(r.stdout).toMatch(new RegExp(`^${b.version.replace(/\./g, '\\.')}: \\d+ patches: \\d+ clean, \\d+ offset, 0 fuzz, 0 fail in order;`, 'm'));
    // Per-base variants line up by name in the patch x base matrix; a patch not carried to a
    // base says n/a there (tcpdiag: 2.6.10 has its own IP_TCPDIAG).
    const tcpdiag = r.stdout
      .split('\n')
      .filter((l) => /^tcpdiag\s/.test(l))
      .at(-1)!;
    if (here.some((b) => b.version === '2.6.11')) expect(tcpdiag).toMatch(/\bn\/a\b/);
    console.log(`queue check on ${here.length} bases: ${Date.now() - t0} ms`);
  });

  it('the release carries a series per base, and quilt push -a of each applies on that base', async () => {
    const main = here[0]!;
    const out = join(work, 'rel');
    const r = await tiny(['release', 'bases1', '--queue', join(REPO, 'queue'), '--tree', main.tree!, '--select', 'compat-gcc12', '--force', '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(await readFile(join(out, 'bases1', 'release.json'), 'utf8')) as { checks: Array<{ name: string; ok: boolean; details: string[] }> };
    // Its checks of the other bases ("queue check 2.6.11") are in the manifest's schema too.
    expectContract('release-manifest', m);
    const q = join(work, 'quilt');
    await mkdir(q);
    await sh('tar', ['-xJf', join(out, 'bases1', 'bases1-broken-out.tar.xz'), '-C', q]);
    const readme = await readFile(join(q, 'bases1-broken-out', 'README'), 'utf8');
    for (const b of here.slice(1)) {
      // Checked on its base when the release was made ...
      expect(
        m.checks.find((c) => c.name === `queue check ${b.version}`),
        JSON.stringify(m.checks),
      ).toMatchObject({ ok: true });
      expect(readme).toContain(`QUILT_SERIES=series-${b.version} quilt push -a`);
      // ... and quilt applies it, every patch, on a copy of the tree.
      const series = (await readFile(join(q, 'bases1-broken-out', 'patches', `series-${b.version}`), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
      const tree = join(q, `linux-${b.version}`);
      await copyOfTree(b.tree!, tree);
      const quiltEnv = { ...process.env, QUILT_PATCHES: '../bases1-broken-out/patches', QUILT_SERIES: `series-${b.version}`, QUILTRC: '/dev/null' };
      const pushed = await sh('quilt', ['push', '-a', '-q'], { cwd: tree, env: quiltEnv });
      expect(pushed.trim().split('\n').at(-1)).toMatch(new RegExp(`^Now at patch (.*/patches/)?${series.at(-1)!.split(' ')[0]!.replace(/[.+]/g, '\\$&')}$`));
      await rm(tree, { recursive: true, force: true });
    }
  });
});
