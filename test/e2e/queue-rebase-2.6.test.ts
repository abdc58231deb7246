// The product's own queue, refreshed on the real 2.6.9 tree (TINY_TREE_2_6) and rebased onto a
// later unmodified 2.6 tree (TINY_TREE_2_6_NEXT, by default the 2.6.11 tree in
// ~/.cache/tiny-trees the queue claims); then a queue of five of its patches given that tree as
// a base of its own, with per-base variants. Both trees are only read; the queues are copies.

import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { TREE_2_6, TREE_2_6_11 } from '../helpers/trees.js';

const TREE = TREE_2_6;
const NEXT = TREE_2_6_11;
if (!TREE) console.warn('SKIP queue-rebase-2.6 (refresh): set TINY_TREE_2_6 to an unmodified Linux 2.6.9 tree');
if (!NEXT) console.warn('SKIP queue-rebase-2.6 (rebase): set TINY_TREE_2_6_NEXT to an unmodified later Linux 2.6 tree (e.g. 2.6.11)');

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length)] = await readFile(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

describe.skipIf(!TREE)('refresh and rebase of the linux-tiny queue on real 2.6 trees', { timeout: 600_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let q: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-rebase26-'));
    env = { TINY_CACHE: join(work, 'cache') };
    q = join(work, 'queue');
    await cp(join(REPO, 'queue'), q, { recursive: true });
    const yaml = await readFile(join(q, 'queue.yaml'), 'utf8');
    await writeFile(join(q, 'queue.yaml'), yaml.replace('- path: ~/.cache/tiny-trees/linux-2.6.9', `- path: ${TREE}`));
    before = await snapshot(q);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('refresh of the untouched queue: nothing but positions would change, and --dry-run writes nothing', async () => {
    // The size patches are kept against pristine 2.6.9, each applicable alone (queue-tiny-2.6
    // checks that none shares another's diff context); in series order some land at an offset,
    // which a refresh would bake in. So: only positions may differ, and nothing is written.
    const r = await tiny(['queue', 'refresh', '--dry-run', '--queue', q], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^compat-no-pie\s+unchanged$/m);
    // The patches meant for the queue's base, 2.6.9 (not the per-base variants of later bases).
    const list = expectJsonOutput('queue-list', (await tiny(['queue', 'list', '--queue', q, '--json'], { env })).stdout) as unknown as { patches: Array<{ bases: string[] }> };
    const count = list.patches.filter((p) => !p.bases.length || p.bases.includes('2.6.9')).length;
    const rows = r.stdout.split('\n').filter((l) => /^\S+\s+(unchanged|would refresh)\b/.test(l));
    expect(rows).toHaveLength(count);
    for (const row of rows.filter((l) => / would refresh /.test(l))) expect(row).toMatch(/\(position: [^)]*\)$/);
    expect(r.stdout).toMatch(new RegExp(`^\\d+ of ${count} patches would change$`, 'm'));
    expect(await snapshot(q)).toEqual(before);
  });

  it.skipIf(!NEXT)('rebases onto the next tree: per-patch results, a conflict stops with instructions, --abort restores', async () => {
    const t0 = Date.now();
    // --move: the whole queue moves to the next tree (it already claims that base as a variant set).
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', NEXT!, '--move'], { env });
    const version = /rebase 2\.6\.9 -> (\S+)/.exec(r.stdout)?.[1];
    expect(version).toMatch(/^2\.6\.\d+/);
    const rows = r.stdout.split('\n').filter((l) => /^compat-/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) expect(row).toMatch(/^\S+\s+(clean|merged|upstream|conflict|pending)\b/);
    if (version === '2.6.11') {
      // The include of arch/$(ARCH)/Makefile moved up in 2.6.10/11: the first Makefile patch
      // needs the 3-way merge, the second one conflicts with the new -Wno-pointer-sign lines.
      expect(r.stdout).toMatch(/^compat-no-pie\s+merged\s+3-way merge$/m);
      expect(r.stdout).toMatch(/^compat-gnu89-inline\s+conflict\s+1 conflicted file$/m);
      // Beside the conflict, the patch's hunk and what 2.6.11 has there instead.
      expect(r.stdout).toMatch(
        /\nMakefile:\d+: the patch's hunk \(its intent\):\n(    .*\n)*    \+CFLAGS \+= \$\(call cc-option,-fgnu89-inline,\)\n(    .*\n)*  2\.6\.11 has there:\n(    .*\n)*    CFLAGS \+= \$\(call cc-option,-Wno-pointer-sign,\)\n/,
      );
    }
    if (r.code === 1) {
      const files = [...r.stdout.matchAll(/^ {2}(\/\S+)$/gm)].map((m) => m[1]!);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(await readFile(f, 'utf8')).toContain('<<<<<<< HEAD');
      expect(r.stdout).toContain('tiny queue rebase --continue');
      expect(await snapshot(q)).toEqual(before);
      const a = await tiny(['queue', 'rebase', '--queue', q, '--abort'], { env });
      expect(a.code).toBe(0);
    } else {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/mergeability/);
    }
    console.log(`rebase onto ${version}: ${Date.now() - t0} ms`);
    if (r.code === 1) expect(await snapshot(q)).toEqual(before);
  });

  it.skipIf(!NEXT)('adds the next tree as a base of a few patches: a port that differs becomes a variant, the others claim it as they are', async () => {
    const t0 = Date.now();
    // Five compat patches of 2.6.9 that go through without a conflict: clean, offset, 3-way merge.
    const small = join(work, 'small');
    const names = ['compat-no-pie', 'compat-segment-mov', 'compat-bitops-plus-m', 'compat-make-force-prereq', 'compat-no-unwind-tables'];
    const files = names.map((n) => `patches/compat/${['0001-no-pie', '0003-segment-mov', '0004-bitops-plus-m', '0005-make-force-prereq', '0006-no-unwind-tables'][names.indexOf(n)]}.patch`);
    for (const f of files) await cp(join(REPO, 'queue', f), join(small, f), { recursive: true });
    await writeFile(
      join(small, 'queue.yaml'),
      `name: small\nbase:\n  version: "2.6.9"\n  tree: f3d196d3b703bd3c7ca1effbc8b5f0298db9a874\n  sources:\n    - path: ${TREE}\nseries:\n` +
        names.map((n, i) => `  - name: ${n}\n    file: ${files[i]}\n`).join(''),
    );
    const r = await tiny(['queue', 'rebase', '--queue', small, '--tree', NEXT!], { env });
    expect(r.code, r.stderr).toBe(0);
    const version = /rebase 2\.6\.9 -> (\S+)/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(`queue.yaml: claims ${version} beside 2.6.9\n`);
    const yaml = await readFile(join(small, 'queue.yaml'), 'utf8');
    expect(yaml).toMatch(new RegExp(`^bases:\\n  - version: "${version.replace(/\./g, '\\.')}"\\n    tree: [0-9a-f]{40}\\n`, 'm'));
    if (version === '2.6.11') {
      expect(r.stdout).toContain(
        [
          '  4 patches as they are (2 with an offset: compat-segment-mov, compat-make-force-prereq)',
          '  1 patch ported to a variant of 2.6.11:',
          '    compat-no-pie: patches/2.6.11/compat/0001-no-pie.patch (context)',
        ].join('\n'),
      );
      expect(yaml).toContain(
        '  - name: compat-no-pie\n    file: patches/compat/0001-no-pie.patch\n    bases: ["2.6.9"]\n  - name: compat-no-pie\n    file: patches/2.6.11/compat/0001-no-pie.patch\n    bases: ["2.6.11"]\n',
      );
      // The port is the one the product's queue carries for 2.6.11 (made by hand before the rebase
      // could): the same diff, and a header that says how it was made.
      const made = await readFile(join(small, 'patches/2.6.11/compat/0001-no-pie.patch'), 'utf8');
      const product = await readFile(join(REPO, 'queue/patches/2.6.11/compat/0001-no-pie.patch'), 'utf8');
      expect(made.slice(made.indexOf('diff --git'))).toBe(product.slice(product.indexOf('diff --git')));
      expect(made).toMatch(/\nPorted-to: 2\.6\.11 \(merged\)\n/);
    }
    // The old files are as they were, and the check on both bases in one call passes.
    for (const f of files) expect(await readFile(join(small, f), 'utf8')).toBe(await readFile(join(REPO, 'queue', f), 'utf8'));
    const check = await tiny(['queue', 'check', '--queue', small, '--base', '2.6.9', '--base', version, '--no-pairs'], { env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}: 5 patches: .* 0 fail in order`, 'm'));
    console.log(`adding ${version} to 5 patches: ${Date.now() - t0} ms`);
  });
});
