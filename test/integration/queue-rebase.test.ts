// `tiny queue rebase` on fake kernel trees: one patch per outcome (clean, offset, 3-way merge,
// conflict, already upstream), a conflict resolved and continued, an abort that leaves the
// queue byte for byte as it was; the queue adding the new base with per-base variants, and
// moving to it (--move).

import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, tempCache, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { writeNewTree, writeOldTree, writeQueue } from '../helpers/rebase-fixture.js';

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = await readFile(join(d, e.name), 'utf8');
    }
  };
  await walk(dir, '');
  return out;
}

// Timeouts are generous: a loaded 2-core machine makes each git call slow; the file takes ~40 s idle.
describe('tiny queue rebase (fake trees)', { timeout: 300_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let oldTree: string;
  let newTree: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-rebase-'));
    env = { TINY_CACHE: await tempCache() };
    oldTree = join(work, 'linux-2.6.9');
    newTree = join(work, 'linux-2.6.10');
    await writeOldTree(oldTree);
    await writeNewTree(newTree);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(env.TINY_CACHE!, { recursive: true, force: true });
  });

  it('stops at the conflict with instructions; --abort leaves the queue as it was', async () => {
    const q = join(work, 'q-abort');
    await writeQueue(q, oldTree);
    const before = await snapshot(q);
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^p-clean\s+clean\s*$/m);
    expect(r.stdout).toMatch(/^p-offset\s+merged\s+offset$/m);
    expect(r.stdout).toMatch(/^p-merge\s+merged\s+3-way merge$/m);
    expect(r.stdout).toMatch(/^p-conflict\s+conflict\s+1 conflicted file$/m);
    expect(r.stdout).toMatch(/^p-upstream\s+pending/m);
    expect(r.stdout).toMatch(/^CONFLICT in p-conflict: .*\n  \/.*\/kernel\/d\.c$/m);
    expect(r.stdout).toContain('tiny queue rebase --continue');
    expect(await snapshot(q)).toEqual(before); // nothing written yet

    // A second start is refused while one is in progress.
    const again = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a rebase of .* onto 2\.6\.10 is in progress \(stopped at p-conflict\)/);

    const a = await tiny(['queue', 'rebase', '--queue', q, '--abort'], { env });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/aborted; the queue is as it was/);
    expect(await snapshot(q)).toEqual(before);
    const c = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/no rebase of .* is in progress/);
  });

  it('--move: continues after the conflict is resolved, rewrites the patches and the bases', async () => {
    const q = join(work, 'q-continue');
    await writeQueue(q, oldTree);
    const before = await snapshot(q);
    const wt = join(work, 'rebase-wt');
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--move', '--out', wt], { env });
    expect(r.code).toBe(1);
    // Beside the conflict: the patch's hunk (what it meant to do) and the new base's text there.
    expect(r.stdout).toMatch(
      /\nkernel\/d\.c:\d+: the patch's hunk \(its intent\):\n    @@ -\d+,7 \+\d+,7 @@.*\n(    [ +-].*\n)*    -int d_line20 = 20;\n    \+int d_line20 = 0;\n(    [ +-].*\n)*  2\.6\.10 has there:\n    int d_line20 = 2000; \/\* changed upstream \*\/\n/,
    );
    const conflicted = await readFile(join(wt, 'kernel/d.c'), 'utf8');
    expect(conflicted).toMatch(/<<<<<<< HEAD\nint d_line20 = 2000; \/\* changed upstream \*\/\n\|\|\|\|\|\|\| /);

    // --continue before resolving says what is left.
    const early = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/p-conflict: still unresolved in .*: kernel\/d\.c/);

    // Resolve: keep the patch's value, with upstream's comment.
    const resolved = conflicted.replace(/<<<<<<< HEAD\n[\s\S]*?>>>>>>> [^\n]*\n/, 'int d_line20 = 0; /* changed upstream */\n');
    await writeFile(join(wt, 'kernel/d.c'), resolved);
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    const c = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^p-conflict\s+conflict\s+resolved by hand$/m);
    expect(c.stdout).toMatch(/^p-upstream\s+upstream\s+2\.6\.10 already has this change$/m);
    expect(c.stdout).toMatch(/rewrote 3 of 4 patches for 2\.6\.10/);
    // The hand-resolved patch no longer applies on 2.6.9: the queue stops claiming 2.6.9, and
    // p-upstream, kept for 2.6.9 only, leaves the series.
    expect(c.stdout).toContain('\n2.6.9 is no longer claimed (left out of bases:): 1 rewritten patch fails there in order (p-conflict)\n');
    expect(c.stdout).toContain('\nleft the series, meant only for a base no longer claimed (their files stay): p-upstream\n');
    expect(c.stdout).toMatch(/^patch\s+2\.6\.10$/m);
    expect(c.stdout).toMatch(/^p-clean\s+clean$/m);
    expect(c.stdout).toMatch(/^p-conflict\s+clean$/m);
    expect(c.stdout).not.toMatch(/^p-upstream\s+n\/a/m);

    const after = await snapshot(q);
    expect(after['patches/p-clean.patch']).toBe(before['patches/p-clean.patch']); // no churn
    // Rewritten for the new base: header kept with a record of the port (Ported-to: how it got
    // there: clean, offset, merged or hand), hunk moved by the 5 new lines, no index line.
    expect(after['patches/p-offset.patch']).toContain('Subject: [PATCH] b: tweak line 15\n\nMake b smaller.\n\nSigned-off-by: A Developer <dev@example.org>\nPorted-to: 2.6.10 (offset)\n---\n');
    expect(after['patches/p-merge.patch']).toMatch(/\nPorted-to: 2\.6\.10 \(merged\)\n/);
    expect(after['patches/p-conflict.patch']).toMatch(/\nPorted-to: 2\.6\.10 \(hand\)\n/);
    expect(after['patches/p-offset.patch']).toContain('@@ -17,7 +17,7 @@ int b_line11 = 11;\n int b_line12 = 12;');
    expect(after['patches/p-merge.patch']).toContain(' int c_line13 = 1300; /* changed upstream */\n');
    expect(after['patches/p-conflict.patch']).toContain('-int d_line20 = 2000; /* changed upstream */\n+int d_line20 = 0; /* changed upstream */\n');
    expect(after['patches/p-upstream.patch']).toBe(before['patches/p-upstream.patch']);
    const yaml = after['queue.yaml']!;
    expect(yaml).toMatch(/^base:\n  version: 2\.6\.10\n  tree: [0-9a-f]{40}\n  sources:\n    - path: .*linux-2\.6\.10\n/m);
    expect(yaml).not.toContain('bases:');
    expect(yaml).not.toContain('p-upstream');

    // The rewritten queue checks clean on the new base, and refresh finds nothing to change.
    const check = await tiny(['queue', 'check', '--queue', q, '--base', '2.6.10', '--json'], { env });
    const report = expectJsonOutput('queue-check', check.stdout) as unknown as { bases: Array<{ patches: Array<{ name: string; order: { kind: string } }> }> };
    expect(report.bases[0]!.patches.map((p) => p.order.kind)).toEqual(['clean', 'clean', 'clean', 'clean']);
    const refresh = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(refresh.code).toBe(0);
    expect(refresh.stdout).toMatch(/0 of 4 patches changed/);
    expect(await snapshot(q)).toEqual(after);
  });

  it('adds the new base beside the old one: patches that apply claim it, ported ones get a variant of their own', async () => {
    const q = join(work, 'q-add');
    await writeQueue(q, oldTree);
    const before = await snapshot(q);
    const wt = join(work, 'add-wt');
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--out', wt], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^p-conflict\s+conflict\s+1 conflicted file$/m);
    const conflicted = await readFile(join(wt, 'kernel/d.c'), 'utf8');
    await writeFile(join(wt, 'kernel/d.c'), conflicted.replace(/<<<<<<< HEAD\n[\s\S]*?>>>>>>> [^\n]*\n/, 'int d_line20 = 0; /* changed upstream */\n'));
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    const c = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(
      [
        'queue.yaml: claims 2.6.10 beside 2.6.9',
        '  2 patches as they are (1 with an offset: p-offset)',
        '  2 patches ported to a variant of 2.6.10:',
        '    p-merge: patches/2.6.10/p-merge.patch (context)',
        '    p-conflict: patches/2.6.10/p-conflict.patch (context)',
        '  1 patch not carried, 2.6.10 already has it: p-upstream',
      ].join('\n'),
    );
    // Both bases in the matrix, every patch meant for each applying there.
    expect(c.stdout).toMatch(/^patch\s+2\.6\.9\s+2\.6\.10$/m);
    expect(c.stdout).toMatch(/^p-offset\s+clean\s+offset \+5$/m);
    expect(c.stdout).toMatch(/^p-upstream\s+clean\s+n\/a$/m);

    const after = await snapshot(q);
    // The old base's files are untouched; the ports are new files that say how they were made.
    for (const f of Object.keys(before)) if (f !== 'queue.yaml') expect(after[f]).toBe(before[f]);
    expect(after['patches/2.6.10/p-merge.patch']).toMatch(/\nPorted-to: 2\.6\.10 \(merged\)\n---\n/);
    expect(after['patches/2.6.10/p-conflict.patch']).toMatch(/\nPorted-to: 2\.6\.10 \(hand\)\n---\n/);
    expect(after['patches/2.6.10/p-conflict.patch']).toContain('-int d_line20 = 2000; /* changed upstream */\n+int d_line20 = 0; /* changed upstream */\n');
    expect(after['patches/2.6.10/p-offset.patch']).toBeUndefined();
    // queue.yaml: base: stays, the new base joins bases:, each variant right after its original.
    const yaml = after['queue.yaml']!;
    expect(yaml).toMatch(/^base:\n  version: "2\.6\.9"\n  # the old tree\n/m);
    expect(yaml).toMatch(/^bases:\n  - version: "2\.6\.10"\n    tree: [0-9a-f]{40}\n    sources:\n      - path: .*linux-2\.6\.10\n/m);
    expect(yaml).toContain(
      [
        'series:',
        '  - name: p-clean',
        '    file: patches/p-clean.patch',
        '  - name: p-offset',
        '    file: patches/p-offset.patch',
        '  - name: p-merge',
        '    file: patches/p-merge.patch',
        '    bases: ["2.6.9"]',
        '  - name: p-merge',
        '    file: patches/2.6.10/p-merge.patch',
        '    bases: ["2.6.10"]',
        '  - name: p-conflict',
        '    file: patches/p-conflict.patch',
        '    bases: ["2.6.9"]',
        '  - name: p-conflict',
        '    file: patches/2.6.10/p-conflict.patch',
        '    bases: ["2.6.10"]',
        '  - name: p-upstream',
        '    file: patches/p-upstream.patch',
        '    bases: ["2.6.9"]',
      ].join('\n'),
    );
    // The queue check on both bases in one call: nothing fails.
    const check = await tiny(['queue', 'check', '--queue', q, '--base', '2.6.9', '--base', '2.6.10', '--no-pairs'], { env });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^2\.6\.9: 5 patches: 5 clean, 0 offset, 0 fuzz, 0 fail in order/m);
    expect(check.stdout).toMatch(/^2\.6\.10: 4 patches: 3 clean, 1 offset, 0 fuzz, 0 fail in order/m);
    // The base is claimed now: adding it again is refused, and so is a port that would name a patch twice there.
    const again = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the queue already claims 2\.6\.10 \(another tree\)/);
    const twice = await tiny(['queue', 'rebase', '--queue', q, '--onto', '2.6.10'], { env });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/the queue already has patches for 2\.6\.10 of its own: p-merge \(patches\/2\.6\.10\/p-merge\.patch\), p-conflict/);
    expect(await snapshot(q)).toEqual(after);
  });

  it('--from carries the patches of a later base it claims: the queue claims a third one', async () => {
    const q = join(work, 'q-from');
    await writeQueue(q, oldTree, ['p-clean', 'p-offset', 'p-merge']);
    expect((await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env })).code).toBe(0);
    // 2.6.11: 2.6.10 with three more lines above b's change, and p-merge's context changed again.
    const third = join(work, 'linux-2.6.11');
    await writeNewTree(third);
    await writeFile(join(third, 'Makefile'), 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 11\nEXTRAVERSION =\n');
    const b = await readFile(join(third, 'kernel/b.c'), 'utf8');
    await writeFile(join(third, 'kernel/b.c'), 'int more1;\nint more2;\nint more3;\n' + b);
    const c = await readFile(join(third, 'kernel/c.c'), 'utf8');
    await writeFile(join(third, 'kernel/c.c'), c.replace('int c_line12 = 12;', 'int c_line12 = 1200; /* 2.6.11 */'));
    const moving = await tiny(['queue', 'rebase', '--queue', q, '--tree', third, '--from', '2.6.10', '--move'], { env });
    expect(moving.code).toBe(2);
    expect(moving.stderr).toMatch(/--move carries the queue from its base: 2\.6\.9, not 2\.6\.10/);
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', third, '--from', '2.6.10'], { env });
    expect(r.stderr).toMatch(/rebasing 3 patches from 2\.6\.10 .* onto 2\.6\.11/);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^rebase 2\.6\.10 -> 2\.6\.11$/m);
    expect(r.stdout).toContain(
      'queue.yaml: claims 2.6.11 beside 2.6.9, 2.6.10\n  2 patches as they are (1 with an offset: p-offset)\n  1 patch ported to a variant of 2.6.11:\n    p-merge: patches/2.6.11/p-merge.patch (context)\n',
    );
    const yaml = await readFile(join(q, 'queue.yaml'), 'utf8');
    // The 2.6.10 port was carried (not the 2.6.9 file), and its new place drops the base directory.
    expect(yaml).toContain(
      '  - name: p-merge\n    file: patches/p-merge.patch\n    bases: ["2.6.9"]\n  - name: p-merge\n    file: patches/2.6.10/p-merge.patch\n    bases: ["2.6.10"]\n  - name: p-merge\n    file: patches/2.6.11/p-merge.patch\n    bases: ["2.6.11"]\n',
    );
    expect(await readFile(join(q, 'patches/2.6.11/p-merge.patch'), 'utf8')).toContain('-int c_line15 = 15;\n+int c_line15 = 0;\n');
    const check = await tiny(['queue', 'check', '--queue', q, '--base', '2.6.9', '--base', '2.6.10', '--base', '2.6.11', '--no-pairs'], { env });
    expect(check.code, check.stdout).toBe(0);
  });

  it('refuses to continue when the queue was edited during the rebase', async () => {
    const q = join(work, 'q-edited');
    await writeQueue(q, oldTree);
    expect((await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env })).code).toBe(1);
    await writeFile(join(q, 'patches/p-clean.patch'), (await readFile(join(q, 'patches/p-clean.patch'), 'utf8')) + '\n');
    const c = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/the queue changed since the rebase started/);
    expect((await tiny(['queue', 'rebase', '--queue', q, '--abort'], { env })).code).toBe(0);
  });

  it('--move: rebases without conflicts in one go (--onto a version listed under bases:)', async () => {
    const q = join(work, 'q-onto');
    await writeQueue(q, oldTree, ['p-clean', 'p-offset', 'p-merge']);
    const yaml = await readFile(join(q, 'queue.yaml'), 'utf8');
    await writeFile(join(q, 'queue.yaml'), yaml.replace('\nseries:', `\nbases:\n  # the next release\n  - version: "2.6.10"\n    sources:\n      - path: ${newTree}\n\nseries:`));
    const r = await tiny(['queue', 'rebase', '--queue', q, '--onto', '2.6.10', '--move'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rewrote 2 of 3 patches for 2\.6\.10/);
    const out = await readFile(join(q, 'queue.yaml'), 'utf8');
    // The listed base moved to base: with its comment; the old one went to bases:.
    expect(out).toMatch(/^base:\n  # the next release\n  version: "2\.6\.10"\n/m);
    expect(out).toMatch(/^bases:\n  - version: "2\.6\.9"\n    # the old tree\n/m);
    const bad = await tiny(['queue', 'rebase', '--queue', q, '--onto', '2.6.99'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/queue\.yaml lists no base 2\.6\.99 under bases:/);
  });

  it('keeps the worktree the user named on --abort', async () => {
    const q = join(work, 'q-out');
    await writeQueue(q, oldTree);
    const wt = join(work, 'named-wt');
    expect((await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--out', wt], { env })).code).toBe(1);
    const a = await tiny(['queue', 'rebase', '--queue', q, '--abort'], { env });
    expect(a.stdout).toContain(`(worktree ${wt} kept)`);
    expect(await readFile(join(wt, 'kernel/d.c'), 'utf8')).not.toContain('<<<<<<<');
    await cp(join(wt, 'kernel/a.c'), join(work, 'a-copy.c')); // still there
  });
});
