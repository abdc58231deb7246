// The wrong tree given with --tree: a queue that pins its base (base.tree) refuses a modified
// copy of its base and a tree of another version, with one message saying what the tree is and
// what to do, whatever the command; --allow-other-base is the way past it. A queue that pins
// nothing, given a tree its first patch does not apply to, says so once instead of once per
// toggle, and builds nothing it cannot.

import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKELINUX, FAKE_CONFIG, FAKE_QUEUE, cleanRun, comparable, scratch, snapshotBytes, tiny, treeHash } from './harness.js';

/** A copy of the fake kernel whose Makefile names its version (as every real kernel's does). */
async function versionedTree(dir: string, patchlevel: number): Promise<void> {
  await cp(FAKELINUX, dir, { recursive: true });
  const mk = join(dir, 'Makefile');
  await writeFile(mk, `VERSION = 0\nPATCHLEVEL = ${patchlevel}\n` + (await readFile(mk, 'utf8')));
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
  await writeFile(file, text.replace(from, to));
}

/** The fake queue on `tree`, pinned to `pin` (base.tree) when given. */
async function queueOn(dir: string, tree: string, pin?: string): Promise<string> {
  await cp(FAKE_QUEUE, dir, { recursive: true });
  await edit(join(dir, 'queue.yaml'), '  sources:\n    - path: ../../fakelinux', `${pin ? `  tree: ${pin}\n` : ''}  sources:\n    - path: ${tree}`);
  return dir;
}

const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

describe('--tree and the queue pin', { timeout: 180_000 }, () => {
  let work: string;
  let env: { TINY_CACHE: string };
  let pristine: string;
  let modified: string;
  let other: string;
  let pinned: string;
  let unpinned: string;
  let pin: string;
  let inputs: Record<string, string>;
  const build = (queue: string, ...more: string[]) => ['build', '--config', FAKE_CONFIG, '--queue', queue, '--runtime', 'host', ...more];

  beforeAll(async () => {
    work = await scratch('tiny-tree-pin-');
    env = { TINY_CACHE: join(work, 'cache') };
    pristine = join(work, 'in', 'linux-0.0');
    await versionedTree(pristine, 0);
    pin = await treeHash(pristine);
    // The same version with one comment changed.
    modified = join(work, 'in', 'linux-0.0-modified');
    await cp(pristine, modified, { recursive: true });
    await edit(join(modified, 'kernel/panic.c'), 'spin forever', 'spin for ever');
    // Another version, where the first patch of the series does not apply.
    other = join(work, 'in', 'linux-0.1');
    await versionedTree(other, 1);
    await edit(join(other, 'init/main.c'), 'static const char banner[] = "Fake Linux version 0.0.0";', 'static const char banner[] = "Fake Linux version 0.1.0";');
    pinned = await queueOn(join(work, 'in', 'pinned-queue'), pristine, pin);
    unpinned = await queueOn(join(work, 'in', 'queue'), pristine);
    inputs = await snapshotBytes(join(work, 'in'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('a modified copy of the pinned base: refused with one message (exit 2), nothing built; --allow-other-base builds it, with a note', async () => {
    const r = await tiny(build(pinned, '--tree', modified), { env });
    expect(r.code).toBe(2);
    const got = await treeHash(modified);
    expect(r.stderr).toContain(`tiny: this tree is not the queue's base 0.0 (tree ${pin.slice(0, 12)}): it is 0.0 with other content (tree ${got.slice(0, 12)})\n`);
    expect(r.stderr).toContain(`  hint: rebase the queue with \`tiny queue rebase --tree ${modified}\`, or pass --allow-other-base\n`);
    expect(r.stderr).not.toContain('[STARTED]');
    expect(r.stdout).toBe('');

    const allowed = await tiny(build(pinned, '--tree', modified, '--allow-other-base'), { env });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(
      `tiny: note: ${modified} is not the queue's base 0.0 (tree ${pin.slice(0, 12)}): it is 0.0 with other content (tree ${got.slice(0, 12)}); used as asked (--allow-other-base)`,
    );
  });

  it('the pinned base itself given with --tree is taken, and builds what a clean run of the queue builds', async () => {
    const r = await tiny([...build(pinned, '--tree', pristine), '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('note:');
    expect(comparable(r.stdout)).toEqual(comparable(await cleanRun(build(pinned))));
  });

  it('another version is refused by every command that takes --tree, naming the version its Makefile says', async () => {
    const got = (await treeHash(other)).slice(0, 12);
    const want = `tiny: this tree is not the queue's base 0.0 (tree ${pin.slice(0, 12)}): it is 0.1 (tree ${got})\n`;
    for (const args of [
      build(pinned, '--tree', other),
      ['queue', 'check', '--queue', pinned, '--tree', other],
      ['queue', 'apply', '--queue', pinned, '--tree', other, '--out', join(work, 'out')],
      ['queue', 'refresh', '--queue', pinned, '--tree', other, '--dry-run'],
    ]) {
      const r = await tiny(args, { env });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(want);
      expect(r.stderr).toContain('--allow-other-base');
      expect(r.stdout).toBe('');
    }
  });

  it('a tree the first patch does not apply to, every toggle holding it: one message, exit 1, nothing built', async () => {
    const r = await tiny(build(unpinned, '--tree', other, '--only', 'queue,all-off,flip:*'), { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tiny: patch banner-option, the first of the series, does not apply on 0\.1 \(tree [0-9a-f]{12}\): .*: none of the 3 toggles of fake-tiny can be built$/m);
    expect(r.stderr).toContain('hint: is this the tree the queue is for? `tiny queue check --tree DIR` shows every patch there');
    expect(count(r.stderr, /does not apply/)).toBe(1);
    expect(r.stderr).not.toContain('[STARTED]');
    expect(r.stdout).toBe('');
  });

  it('some toggles can be built: they are, and the others fail with one message, not one per toggle', async () => {
    const r = await tiny(build(unpinned, '--tree', other), { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^base\s.*\sbuilt\s/m);
    expect(r.stdout).toMatch(/^without:banner-option\s.*\sbuilt\s/m);
    expect(r.stdout).toMatch(/^queue\s.*\sfailed\s/m);
    // Said before the build (which toggles cannot be built) and in the summary, once each.
    expect(count(r.stderr, /does not apply/)).toBe(2);
    expect(r.stderr).toMatch(/^queue, all-off, flip:banner-option, without:panic-reason: FAILED: patch banner-option, the first of the series, does not apply on 0\.1/m);
    // The trees and queues given are as they were, after every command of this file.
    expect(await snapshotBytes(join(work, 'in'))).toEqual(inputs);
  });
});
