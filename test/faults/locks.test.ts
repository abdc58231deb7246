// Locks left without a live owner: empty (a full disk stopped the run that was taking it),
// garbage, a pid that is gone, a pid now used by another process. Each is taken over at once
// with one line saying which lock and why — no silent 15-minute wait — and the run's result
// equals a clean run's. A lock whose owner is alive is respected.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKELINUX, FAKE_CONFIG, FAKE_QUEUE, cleanRun, comparable, faultAt, scratch, tiny } from './harness.js';

const build = ['build', '--config', FAKE_CONFIG, '--queue', FAKE_QUEUE, '--runtime', 'host'];
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** The locks one `tiny build` of the fake queue takes: the cache's build lock, the import of the base directory, the lane's worktree. */
async function locksOf(cache: string): Promise<{ build: string; importDir: string; worktree: string }> {
  return {
    build: join(cache, 'locks', 'build.lock'),
    importDir: join(cache, 'dir-index', `${hash(await realpath(FAKELINUX))}.index.lock-tiny`),
    worktree: join(cache, 'trees.git', 'tiny', 'locks', `${hash(join(cache, 'worktrees', 'fake-tiny-0.0-lane0'))}.lock`),
  };
}

async function place(path: string, content: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

/** A pid no process has: one that just ended. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}

describe('locks without a live owner are taken over at once, with a notice', { timeout: 120_000 }, () => {
  const caches: string[] = [];
  const cache = async () => {
    const c = await scratch('tiny-locks-');
    caches.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of caches) await rm(c, { recursive: true, force: true });
  });

  const cases: Array<{ what: string; content: () => Promise<string>; why: RegExp }> = [
    { what: 'empty (what a full disk left)', content: async () => '', why: /it was empty \(a run stopped while taking it, e\.g\. on a full disk\)/ },
    { what: 'garbage', content: async () => 'not a pid\n', why: /it holds no pid \("not a pid\\n"\)/ },
    { what: 'of a process that is gone', content: async () => `${await deadPid()}\n`, why: /its owner, process \d+, is gone \(killed\?\)/ },
    // Our parent is alive, but it started long before the time the lock says: the pid was reused.
    { what: 'of a pid now used by another process', content: async () => `${process.ppid} 1\n`, why: /its owner, process \d+, is gone \(the pid now belongs to another process\)/ },
  ];

  for (const c of cases) {
    it(`a build lock, an import lock and a worktree lock ${c.what}: all three taken over, the build equals a clean run`, async () => {
      const env = { TINY_CACHE: await cache() };
      // A run killed while compiling (its tree store and worktree made), whose locks are then
      // found in the state of the case.
      expect((await faultAt('compile', build, { env })).signal).toBe('SIGKILL');
      const locks = await locksOf(env.TINY_CACHE);
      for (const l of Object.values(locks)) await place(l, await c.content());

      const t0 = Date.now();
      const r = await tiny([...build, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(60_000);
      for (const l of Object.values(locks)) {
        const line = r.stderr.split('\n').find((x) => x.startsWith(`tiny: took over the lock ${l}: `));
        expect(line, `${l}\n${r.stderr}`).toMatch(c.why);
      }
      expect(comparable(r.stdout)).toEqual(comparable(await cleanRun(build)));
    });
  }

  it('a build lock held by a live process is respected: --no-wait fails at once naming it, exit 1', async () => {
    const env = { TINY_CACHE: await cache() };
    const holder = spawn('sleep', ['60']);
    try {
      await place((await locksOf(env.TINY_CACHE)).build, `${holder.pid}\n`);
      const r = await tiny([...build, '--no-wait'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`tiny: another tiny build (process ${holder.pid}) is using the cache ${env.TINY_CACHE}`);
      expect(r.stderr).toContain('hint: wait for it to finish, or let this build wait its turn instead of failing');
      expect(r.stderr).not.toContain('took over');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
