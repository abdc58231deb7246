// A `git worktree add` half done in the same tree store: git writes the new admin directory's
// files one by one, and any git command that lists the worktrees meanwhile (`git worktree
// unlock`, `git worktree add`) fails on its empty commondir.
// - Another add under way as tiny finishes a worktree of its own (tiny stopped right there,
//   TINY_FAULT_PHASE=worktree-made): tiny must go on.
// - An add killed half-way, its directory left: the next worktree tiny makes repairs it and
//   says so; that worktree's own path is made again when next used.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_QUEUE, scratch, signalGroup, start, tiny, treeHash } from './harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A scratch directory for one case, removed when the file is done. */
async function workDir(prefix: string): Promise<string> {
  const work = await scratch(prefix);
  dirs.push(work);
  return work;
}

/** The tree hash of what a clean `tiny queue apply` of the fake queue gives (in a fresh cache under `work`). */
async function cleanApplyTree(work: string): Promise<string> {
  const clean = join(work, 'clean');
  expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', clean], { env: { TINY_CACHE: join(work, 'cache-clean') } })).code).toBe(0);
  return treeHash(clean);
}

describe('a worktree half added by another process', { timeout: 120_000 }, () => {
  it('`tiny queue apply --out O` finishing O beside it: exit 0, and O is what a clean apply gives', async () => {
    const work = await workDir('tiny-wt-add-');
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

    expect(await treeHash(out)).toBe(await cleanApplyTree(work));
  });

  it("a `git worktree add` killed half-way (its commondir empty): the next apply repairs it, says so, and goes on; that worktree's path is made again when used", async () => {
    const work = await workDir('tiny-wt-killed-');
    const env = { TINY_CACHE: join(work, 'cache') };
    const first = join(work, 'first');
    expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', first], { env })).code).toBe(0);
    // Killed between git's gitdir and commondir: the worktree's .git file written, its admin half.
    const killed = join(work, 'killed');
    const admin = join(env.TINY_CACHE, 'trees.git', 'worktrees', 'killed');
    await mkdir(admin, { recursive: true });
    await mkdir(killed);
    await writeFile(join(admin, 'locked'), 'initializing\n');
    await writeFile(join(admin, 'gitdir'), `${join(killed, '.git')}\n`);
    await writeFile(join(killed, '.git'), `gitdir: ${admin}\n`);
    await writeFile(join(admin, 'commondir'), '');

    const second = join(work, 'second');
    const r = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', second], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tiny: repaired ${admin}, left by a \`git worktree add\` killed half-way: its worktree is made again when next used`);
    expect(await treeHash(second)).toBe(await treeHash(first));
    // The killed one's path: made again, with a notice, no --force.
    const again = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', killed], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`tiny: recovered ${killed}: its checkout was killed half-way`);
    expect(await treeHash(killed)).toBe(await treeHash(first));
  });
});

describe('a checkout killed between the index and HEAD', { timeout: 120_000 }, () => {
  it("git's HEAD.lock left in the worktree's admin directory, tiny's move marker beside it: the rerun removes the lock, finishes the move and says so", async () => {
    const work = await workDir('tiny-wt-head-lock-');
    const env = { TINY_CACHE: join(work, 'cache') };
    const out = join(work, 'linux');
    expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', out], { env })).code).toBe(0);
    // What a kill -9 of git's checkout leaves after it wrote the index and took HEAD's lock.
    const admin = join(env.TINY_CACHE, 'trees.git', 'worktrees', 'linux');
    const head = (await readFile(join(admin, 'HEAD'), 'utf8')).trim();
    await writeFile(join(admin, 'tiny-checkout'), `${head}\n`);
    await writeFile(join(admin, 'HEAD.lock'), `${head}\n`);

    const r = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tiny: recovered ${out}: its checkout was killed half-way (a move to another commit; git's ${join(admin, 'HEAD.lock')} was left): finishing it`);
    expect(await treeHash(out)).toBe(await cleanApplyTree(work));
  });
});
