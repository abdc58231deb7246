// kill -9 (and Ctrl-C) of `tiny build` and `tiny queue apply` at each phase of the work: the
// import of the base into the tree store, the checkout of a worktree, the compiler, the
// measurement, the record write. The fault reaches the whole process group (tiny and the git,
// make or compiler it runs). The rerun must recover on its own, say what it recovered, leave
// the user's queue and tree as they were, and give exactly a clean run's records.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONFIG, FAKE_QUEUE, cleanRun, comparable, faultAt, filesMatching, paddedFakeQueue, scratch, sh, snapshotBytes, tiny, treeHash, type Phase } from './harness.js';

const build = (queue: string) => ['build', '--config', FAKE_CONFIG, '--queue', queue, '--runtime', 'host'];

describe('kill -9 at a named phase, then the same command again', { timeout: 180_000 }, () => {
  let work: string;
  let padded: { queue: string; tree: string };
  const caches: string[] = [];
  const cache = async () => {
    const c = await scratch('tiny-fault-cache-');
    caches.push(c);
    return c;
  };
  beforeAll(async () => {
    work = await scratch('tiny-kill-');
    // A base of 4000 more files: git's import and checkout take long enough to be killed in, even
    // on a quiet machine (with 1500 the move to the pad series sometimes ended before it was seen).
    padded = await paddedFakeQueue(work, 4000);
  });
  afterAll(async () => {
    for (const c of caches) await rm(c, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const cases: Array<{ phase: Phase; queue: () => string; recovered?: RegExp }> = [
    // tiny's lock of the import names a dead process (and what the import wrote is unnamed).
    { phase: 'import', queue: () => padded.queue, recovered: /tiny: took over the lock .*dir-index.*: its owner, process \d+, is gone/ },
    // The worktree is half checked out, with git's index.lock in trees.git/worktrees/<name>/:
    // lane 0's, or the Kconfig lane's, which is checked out beside it (the head start), and
    // which of the two the kill meets first is a matter of timing.
    { phase: 'checkout', queue: () => padded.queue, recovered: /tiny: recovered .*worktrees\/fake-tiny-0\.0-(lane0|kconfig): its checkout was killed half-way/ },
    { phase: 'compile', queue: () => FAKE_QUEUE },
    { phase: 'measure', queue: () => FAKE_QUEUE },
    { phase: 'record write', queue: () => FAKE_QUEUE },
  ];

  for (const c of cases) {
    it(`killed at ${c.phase}: the rerun recovers${c.recovered ? ' (and says what it recovered)' : ''} and its records equal a clean run's`, async () => {
      const queue = c.queue();
      const inputs = await snapshotBytes(join(queue, '..'));
      const env = { TINY_CACHE: await cache() };

      const killed = await faultAt(c.phase, build(queue), { env });
      expect(killed.signal).toBe('SIGKILL');

      const rerun = await tiny([...build(queue), '--json'], { env });
      expect(rerun.code, rerun.stderr).toBe(0);
      if (c.recovered) expect(rerun.stderr).toMatch(c.recovered);
      expect(rerun.stderr).not.toMatch(/index\.lock': File exists|internal error/);
      expect(comparable(rerun.stdout)).toEqual(comparable(await cleanRun(build(queue))));
      // No temp record of the killed run is left where the store keeps them.
      expect(await filesMatching(join(env.TINY_CACHE, 'records', '.tmp'), /./)).toEqual([]);
      expect(await snapshotBytes(join(queue, '..'))).toEqual(inputs);
    });
  }

  it('Ctrl-C at compile: exit 130 saying how to resume; the rerun resumes and equals a clean run', async () => {
    const env = { TINY_CACHE: await cache() };
    const stopped = await faultAt('compile', build(FAKE_QUEUE), { env, signal: 'SIGINT' });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('tiny: interrupted: run `tiny build` again to resume (finished toggles are served from the store)');
    const rerun = await tiny([...build(FAKE_QUEUE), '--json'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(comparable(rerun.stdout)).toEqual(comparable(await cleanRun(build(FAKE_QUEUE))));
  });

  it('`tiny queue apply --out O` killed during the checkout of O: the rerun recognises the half-made O and finishes it', async () => {
    const env = { TINY_CACHE: await cache() };
    const inputs = await snapshotBytes(work);
    const out = join(await scratch('tiny-apply-out-'), 'linux');
    caches.push(join(out, '..'));
    const apply = ['queue', 'apply', '--queue', padded.queue, '--out', out];

    const killed = await faultAt('checkout', apply, { env });
    expect(killed.signal).toBe('SIGKILL');

    const rerun = await tiny(apply, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`tiny: recovered ${out}: its checkout was killed half-way`));
    expect(rerun.stderr).not.toContain('--force');
    expect(rerun.stdout.trim()).toBe(out);

    // O is what a clean apply gives.
    const cleanOut = join(await scratch('tiny-apply-clean-'), 'linux');
    caches.push(join(cleanOut, '..'));
    const clean = await tiny(['queue', 'apply', '--queue', padded.queue, '--out', cleanOut], { env: { TINY_CACHE: await cache() } });
    expect(clean.code, clean.stderr).toBe(0);
    expect(await treeHash(out)).toBe(await treeHash(cleanOut));
    expect(await snapshotBytes(work)).toEqual(inputs);
  });

  it("`tiny queue apply` killed while git fast-import writes the series' commits: the rerun gives a clean apply's tree, and no half-written commit is remembered", async () => {
    const env = { TINY_CACHE: await cache() };
    const inputs = await snapshotBytes(work);
    const out = join(await scratch('tiny-apply-chain-'), 'linux');
    caches.push(join(out, '..'));
    const apply = ['queue', 'apply', '--queue', padded.queue, '--select', 'pad', '--out', out];

    const killed = await faultAt('commit chain', apply, { env });
    expect(killed.signal).toBe('SIGKILL');

    const rerun = await tiny(apply, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toMatch(/internal error|fatal|--force/);

    const cleanOut = join(await scratch('tiny-apply-clean-'), 'linux');
    caches.push(join(cleanOut, '..'));
    expect(
      (
        await tiny(
          apply.map((a) => (a === out ? cleanOut : a)),
          { env: { TINY_CACHE: await cache() } },
        )
      ).code,
    ).toBe(0);
    expect(await treeHash(out)).toBe(await treeHash(cleanOut));
    // Every commit the memo names is in the store, and no ref of the killed chain is left.
    const fsck = await sh('git', ['--git-dir', join(env.TINY_CACHE, 'trees.git'), 'for-each-ref', 'refs/tiny/chain']);
    expect(fsck.trim()).toBe('');
    expect(await snapshotBytes(work)).toEqual(inputs);
  });

  it('`tiny queue apply --out O` killed while moving O to another selection: the rerun finishes the move, no --force needed', async () => {
    const env = { TINY_CACHE: await cache() };
    const inputs = await snapshotBytes(work);
    const out = join(await scratch('tiny-apply-move-'), 'linux');
    caches.push(join(out, '..'));
    expect((await tiny(['queue', 'apply', '--queue', padded.queue, '--out', out], { env })).code).toBe(0);
    // pad-init rewrites all 4000 pad files: the move to its series is a long checkout.
    const apply = ['queue', 'apply', '--queue', padded.queue, '--select', 'pad', '--out', out];

    const killed = await faultAt('checkout', apply, { env });
    expect(killed.signal).toBe('SIGKILL');

    const rerun = await tiny(apply, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`tiny: recovered ${out}: its checkout was killed half-way \\(a move to another commit; git's .*index\\.lock was left\\): finishing it`));
    expect(rerun.stderr).not.toMatch(/local changes|--force/);

    const cleanOut = join(await scratch('tiny-apply-clean-'), 'linux');
    caches.push(join(cleanOut, '..'));
    expect((await tiny(['queue', 'apply', '--queue', padded.queue, '--select', 'pad', '--out', cleanOut], { env: { TINY_CACHE: await cache() } })).code).toBe(0);
    expect(await treeHash(out)).toBe(await treeHash(cleanOut));
    expect(await snapshotBytes(work)).toEqual(inputs);
  });
});
