// Another process's `git worktree add` in the same tree store, half done when tiny finishes a
// worktree of its own: git writes the new admin directory's files one by one, and any git
// command that lists the worktrees meanwhile (`git worktree unlock` did) fails on its empty
// commondir. tiny, stopped at the moment it finishes a new worktree (TINY_FAULT_PHASE), meets
// such a directory, and must go on.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_QUEUE, scratch, signalGroup, start, tiny, treeHash } from './harness.js';

describe('a worktree half added by another process', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('`tiny queue apply --out O` finishing O beside it: exit 0, and O is what a clean apply gives', async () => {
    const work = await scratch('tiny-wt-add-');
    dirs.push(work);
    const env = { TINY_CACHE: join(work, 'cache') };
    const out = join(work, 'linux');
    const r = start(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', out], { env: { ...env, TINY_FAULT_PHASE: 'worktree-made' } });
    const t0 = Date.now();
    while (!r.stderr().includes('tiny: fault point worktree-made: stopped')) {
      if (r.child.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`never reached the fault point:\n${r.stderr()}`);
      await new Promise((res) => setTimeout(res, 5));
    }
    // What git's `worktree add` leaves for a moment: the admin directory, locked, pointing at
    // its worktree, its commondir created but not yet written.
    const half = join(env.TINY_CACHE, 'trees.git', 'worktrees', 'other');
    await mkdir(half, { recursive: true });
    await writeFile(join(half, 'locked'), 'initializing\n');
    await writeFile(join(half, 'gitdir'), `${join(work, 'other', '.git')}\n`);
    await writeFile(join(half, 'commondir'), '');
    signalGroup(r, 'SIGCONT');
    const applied = await r.done;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.trim()).toBe(out);
    await rm(half, { recursive: true, force: true });

    const clean = join(work, 'clean');
    expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', clean], { env: { TINY_CACHE: join(work, 'cache-clean') } })).code).toBe(0);
    expect(await treeHash(out)).toBe(await treeHash(clean));
  });
});
