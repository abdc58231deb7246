// Debian's real kernel patch queue (debian/patches/series, ~165 patches) against its real
// 6.1 orig tarball: import it with `tiny queue import-quilt`, check it, apply it, and compare
// the applied tree with what `quilt push -a` gives, by git tree hash. `scripts/setup.sh`
// fetches the source package (apt-get source linux); CI runs this test.

import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { referenceTreeHash } from '../helpers/kernel-tree-fixture.js';
import { DEBIAN_ORIG, DEBIAN_PATCHES, DEBIAN_SRC, DEBIAN_SRC_MISSING, HAVE_DEBIAN_SERIES } from '../helpers/trees.js';

const SRC = DEBIAN_SRC;
const ORIG = DEBIAN_ORIG;
const PATCHES = DEBIAN_PATCHES;
const available = HAVE_DEBIAN_SERIES;

if (!available) {
  const why = DEBIAN_SRC_MISSING;
  if (process.env.CI) throw new Error(why);
  console.warn(`SKIP debian-series: ${why}`);
}

describe.skipIf(!available)("Debian's 6.1 kernel patch series", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const version = ORIG?.match(/linux_(6\.1\.\d+)\.orig/)?.[1] ?? '6.1';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tiny-debian-'));
    env = { TINY_CACHE: join(work, 'cache') };
  });
  // Async: removing a kernel tree synchronously blocks the worker long enough for vitest's RPC to time out.
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('imports the quilt series into a queue', async () => {
    const r = await tiny(['queue', 'import-quilt', PATCHES, '--out', join(work, 'queue'), '--base-version', version, '--base-source', join(SRC, ORIG!)], { env });
    expect(r.stderr).toMatch(/imported 16\d patches/);
    expect(r.code).toBe(0);
  });

  it('checks every patch in order, alone and reversed: all apply in order', async () => {
    const r = await tiny(['queue', 'check', '--queue', join(work, 'queue'), '--json'], { env });
    expect(r.code).toBe(0);
    const report = expectJsonOutput('queue-check', r.stdout) as any;
    const base = report.bases[0];
    expect(base.version).toBe(version);
    expect(base.patches.length).toBeGreaterThan(160);
    expect(base.patches.filter((p: any) => p.order.kind === 'fails')).toEqual([]);
  }, 600_000);

  it('applies the queue with git to the same tree quilt push -a gives', async () => {
    const out = join(work, 'applied');
    const r = await tiny(['queue', 'apply', '--queue', join(work, 'queue'), '--out', out], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const ours = (await sh('git', ['-C', out, 'rev-parse', 'HEAD^{tree}'])).trim();

    const quiltTree = join(work, 'quilt');
    await sh('mkdir', ['-p', quiltTree]);
    await sh('tar', ['-xf', join(SRC, ORIG!), '-C', quiltTree, '--strip-components=1']);
    await sh('quilt', ['push', '-a', '-q'], { cwd: quiltTree, env: { ...process.env, QUILT_PATCHES: PATCHES } });
    await rm(join(quiltTree, '.pc'), { recursive: true, force: true }); // quilt's own bookkeeping
    expect(ours).toBe(await referenceTreeHash(quiltTree));
  }, 900_000);
});
