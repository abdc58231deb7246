// `tiny queue apply --out` against the native way on a real tree: the 2.6.9 tarball extracted
// with tar and the series pushed with quilt gives the same git tree as tiny's apply (patches
// applied in memory, commits written by git fast-import, one checkout).

import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { referenceTreeHash, tempDir } from '../helpers/kernel-tree-fixture.js';
import { SHARED_TARBALL_2_6 } from '../helpers/shared-tree.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

/** The unmodified 2.6.9 tarball: $TINY_TARBALL_2_6, else the copy next to the project. */
const TARBALL = process.env.TINY_TARBALL_2_6 ?? SHARED_TARBALL_2_6;
const missing = !existsSync(TARBALL) ? `${TARBALL} not found (set TINY_TARBALL_2_6)` : await missingPrerequisites('quilt');
if (missing) console.warn(`SKIP apply-vs-quilt-2.6: ${missing}`);

describe.skipIf(missing)('tiny queue apply --out on the 2.6.9 tarball equals tar -x + quilt push -a', () => {
  let work: string;
  beforeAll(async () => {
    work = await tempDir('tiny-apply-quilt-');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('gives the same tree hash as tar -x + quilt push -a of the exported series', async () => {
    const env = { TINY_CACHE: join(work, 'cache') };
    const queue = join(REPO, 'queue');
    const select = ['--select', 'compat-gcc12'];

    // The native way: the series as quilt reads it, pushed on a tar -x of the tarball.
    const series = join(work, 'series');
    expect((await tiny(['queue', 'export-quilt', '--queue', queue, ...select, '--base', '2.6.9', '--out', series], { env })).code).toBe(0);
    const extracted = join(work, 'tar');
    await mkdir(extracted);
    await sh('tar', ['-xf', TARBALL, '-C', extracted]);
    const quiltTree = join(extracted, readdirSync(extracted)[0]!);
    await sh('quilt', ['push', '-a', '-q'], { cwd: quiltTree, env: { ...process.env, QUILT_PATCHES: series } });
    await rm(join(quiltTree, '.pc'), { recursive: true, force: true });
    const pushed = (await sh('sh', ['-c', 'grep -cv "^\\s*\\(#\\|$\\)" series'], { cwd: series })).trim();

    // tiny's way, from the same tarball.
    const out = join(work, 'applied');
    const r = await tiny(['queue', 'apply', '--queue', queue, '--tree', TARBALL, ...select, '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tiny: ${pushed} patches applied on 2.6.9`);

    const tinyTree = (await sh('git', ['-C', out, 'rev-parse', 'HEAD^{tree}'])).trim();
    expect(tinyTree).toBe(await referenceTreeHash(quiltTree));
    // The checkout is the commit: nothing modified, nothing missing.
    expect((await sh('git', ['-C', out, 'status', '--porcelain', '--untracked-files=all'])).trim()).toBe('');
  }, 240_000);
});
