// Fault case: `tiny queue rebase --continue` on a resolution that still holds conflict markers.
// It once took the file as it was, recorded the patch as "resolved by hand", wrote a patch
// full of <<<<<<< lines into the queue, and exited 0. Now --continue refuses, naming the files
// and lines (git diff --check's rule), and leaves the rebase where it was: fix, stage (or
// amend), --continue again, and the queue ends as a clean resolution leaves it. Fake trees
// (test/helpers/rebase-fixture.ts), real git, the real CLI.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteSnapshot } from '../helpers/byte-snapshot.js';
import { sh, tiny } from '../helpers/cli.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';
import { writeNewTree, writeOldTree, writeQueue } from '../helpers/rebase-fixture.js';

/** The resolution a maintainer means: the patch's value, upstream's comment. */
const resolve = (conflicted: string) => conflicted.replace(/<<<<<<< HEAD\n[\s\S]*?>>>>>>> [^\n]*\n/, 'int d_line20 = 0; /* changed upstream */\n');

describe('queue rebase --continue refuses leftover conflict markers', { timeout: 120_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let oldTree: string;
  let newTree: string;
  let clean: Record<string, string[]>;
  beforeAll(async () => {
    work = await tempDir('tiny-fault-markers-');
    env = { TINY_CACHE: join(work, 'cache') };
    oldTree = join(work, 'linux-2.6.9');
    newTree = join(work, 'linux-2.6.10');
    await writeOldTree(oldTree);
    await writeNewTree(newTree);

    // The clean run: the conflict resolved right the first time.
    const q = join(work, 'q-clean');
    await writeQueue(q, oldTree);
    const wt = join(work, 'wt-clean');
    expect((await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--out', wt], { env })).code).toBe(1);
    await writeFile(join(wt, 'kernel/d.c'), resolve(await readFile(join(wt, 'kernel/d.c'), 'utf8')));
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    const done = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    clean = { patches: await byteSnapshot(join(q, 'patches')) };
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('markers staged with git add: refused with the lines; fixed and staged again, the queue equals a clean resolution', async () => {
    const q = join(work, 'q-staged');
    await writeQueue(q, oldTree);
    const queueBefore = await byteSnapshot(q);
    const wt = join(work, 'wt-staged');
    const start = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--out', wt], { env });
    expect(start.code).toBe(1);
    expect(start.stdout).toMatch(/^CONFLICT in p-conflict: /m);

    // The user stages the file as the merge left it.
    const conflicted = await readFile(join(wt, 'kernel/d.c'), 'utf8');
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    const r = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    const lines = conflicted.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix)) + 1;
    expect(r.stderr).toBe(
      [
        'tiny: p-conflict: conflict markers are still in the staged resolution (4 lines):',
        `  ${wt}/kernel/d.c:${at('<<<<<<< ')}: ${lines[at('<<<<<<< ') - 1]}`,
        `  ${wt}/kernel/d.c:${at('||||||| ')}: ${lines[at('||||||| ') - 1]}`,
        `  ${wt}/kernel/d.c:${at('=======')}: =======`,
        `  ${wt}/kernel/d.c:${at('>>>>>>> ')}: ${lines[at('>>>>>>> ') - 1]}`,
        `  hint: edit those lines: keep what the patch must do, remove the <<<<<<< ||||||| ======= >>>>>>> lines; \`git -C ${wt} add\` the files, then \`tiny queue rebase --continue\` (the rebase is where it was)`,
        '',
      ].join('\n'),
    );
    // Nothing moved: the queue as it was, the pick still in progress, the same refusal again.
    expect(await byteSnapshot(q)).toEqual(queueBefore);
    expect((await sh('git', ['-C', wt, 'rev-parse', '--verify', 'CHERRY_PICK_HEAD'])).trim()).toMatch(/^[0-9a-f]{40}$/);
    const again = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(r.stderr);

    // Fixed and staged: the rebase finishes, and the queue is what a clean resolution gives.
    await writeFile(join(wt, 'kernel/d.c'), resolve(conflicted));
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    const done = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^p-conflict\s+conflict\s+resolved by hand$/m);
    expect(await byteSnapshot(join(q, 'patches'))).toEqual(clean.patches);
    expect(await readFile(join(q, 'patches/p-conflict.patch'), 'utf8')).not.toMatch(/^[+ ](<{7}|={7}|>{7})/m);
  });

  it('markers committed by the user (git cherry-pick --continue): refused the same way; amended, the rebase finishes', async () => {
    const q = join(work, 'q-committed');
    await writeQueue(q, oldTree);
    const queueBefore = await byteSnapshot(q);
    const wt = join(work, 'wt-committed');
    expect((await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree, '--out', wt], { env })).code).toBe(1);
    const conflicted = await readFile(join(wt, 'kernel/d.c'), 'utf8');
    await sh('git', ['-C', wt, 'add', 'kernel/d.c']);
    await sh('git', ['-C', wt, '-c', 'core.editor=true', '-c', 'user.name=A', '-c', 'user.email=a@example.org', 'cherry-pick', '--continue']);

    const r = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tiny: p-conflict: conflict markers are still in the committed resolution \(4 lines\):\n {2}.*\/kernel\/d\.c:\d+: <<<<<<< HEAD$/m);
    expect(r.stderr).toContain(`\`git -C ${wt} commit --amend -a\`, then \`tiny queue rebase --continue\``);
    expect(await byteSnapshot(q)).toEqual(queueBefore);

    await writeFile(join(wt, 'kernel/d.c'), resolve(conflicted));
    await sh('git', ['-C', wt, '-c', 'user.name=A', '-c', 'user.email=a@example.org', 'commit', '-q', '--amend', '--no-edit', '-a']);
    const done = await tiny(['queue', 'rebase', '--queue', q, '--continue'], { env });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(await byteSnapshot(join(q, 'patches'))).toEqual(clean.patches);
  });
});
