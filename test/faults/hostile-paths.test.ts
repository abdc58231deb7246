// Fault cases: patches that name paths outside the tree, and CRLF patches. `tiny queue check`
// once said "clean" (exit 0) where `tiny queue apply` refused (absolute paths, .git, a write
// through a symlink), crashed on `../` (exit 3), and let a patch create a symlink pointing out of
// the tree. One rule now (src/patch/paths.ts), one answer from both commands, with the patch
// file and the line of the section's header; and a CRLF patch that GNU patch and git apply
// take is taken, to the same bytes. The fake kernel tree, real git, GNU patch, the real CLI.

import { cp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteSnapshot } from '../helpers/byte-snapshot.js';
import { REPO, sh, tiny, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';

const FAKELINUX = join(REPO, 'test/fixtures/fakelinux');

describe('hostile paths and CRLF: queue check and queue apply give one answer', () => {
  let work: string;
  let tree: string;
  let outside: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = await tempDir('tiny-fault-paths-');
    env = { TINY_CACHE: join(work, 'cache') };
    outside = join(work, 'outside');
    await mkdir(outside);
    tree = join(work, 'linux');
    await cp(FAKELINUX, tree, { recursive: true });
    await symlink(outside, join(tree, 'outlink')); // a symlink out of the tree
    await symlink('lib', join(tree, 'inlink')); // a symlink inside it
    await writeFile(join(tree, 'drivers/dos.txt'), 'one\r\ntwo\r\nthree\r\nfour\r\nfive\r\n');
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A queue of `patches` (name -> text) on the tree; strip 0 for the ones named in `p0`. */
  async function queue(name: string, patches: Record<string, string>, p0: string[] = []): Promise<string> {
    const q = join(work, name);
    await mkdir(join(q, 'patches'), { recursive: true });
    const series = Object.keys(patches)
      .map((n) => `  - name: ${n}\n    file: patches/${n}.patch\n${p0.includes(n) ? '    strip: 0\n' : ''}`)
      .join('');
    await writeFile(join(q, 'queue.yaml'), `name: ${name}\nbase:\n  version: "0.0"\n  sources:\n    - path: ${tree}\nseries:\n${series}`);
    for (const [n, text] of Object.entries(patches)) await writeFile(join(q, 'patches', `${n}.patch`), text, 'latin1');
    return q;
  }

  /** check and apply on the same queue; the queue, the tree and the outside directory untouched. */
  async function both(q: string): Promise<{ check: CliResult; apply: CliResult; out: string }> {
    const before = [await byteSnapshot(q), await byteSnapshot(tree), await byteSnapshot(outside)];
    // --verbose: the table's rows of the clean patches too.
    const check = await tiny(['queue', 'check', '--queue', q, '--verbose'], { env, cwd: work });
    const out = join(work, `out-${q.split('/').pop()}`);
    const apply = await tiny(['queue', 'apply', '--queue', q, '--out', out], { env, cwd: work });
    expect([await byteSnapshot(q), await byteSnapshot(tree), await byteSnapshot(outside)]).toEqual(before);
    for (const r of [check, apply]) expect(r.stderr).not.toContain('internal error');
    return { check, apply, out };
  }

  const created = (path: string) => `--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+int evil;\n`;

  it.each([
    [
      'an absolute path',
      'abs',
      () => `--- ${outside}/evil.c\n+++ ${outside}/evil.c\n@@ -0,0 +1 @@\n+int evil;\n`,
      /is an absolute path: a patch only changes files inside the tree/,
      /hint: make the ---\/\+\+\+ paths relative to the top of the tree/,
    ],
    [
      'a path into .git',
      'dotgit',
      () => `diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+echo pwned\n`,
      /'\.git\/hooks\/post-checkout' is inside \.git: a patch never writes git's own files/,
      /hint: remove this file section from the patch/,
    ],
    ['a ../ path', 'dotdot', () => created('../evil.c'), /'\.\.\/evil\.c' leaves the tree \('\.\.'\)/, /hint: a patch only changes files inside the tree/],
    [
      'a new symlink pointing out of the tree',
      'mklink',
      () => `diff --git a/kernel/link b/kernel/link\nnew file mode 120000\n--- /dev/null\n+++ b/kernel/link\n@@ -0,0 +1 @@\n+../../outside\n\\ No newline at end of file\n`,
      /'kernel\/link' would be a symlink to '\.\.\/\.\.\/outside', outside the tree/,
      /hint: a symlink a patch creates must point at a path inside the tree/,
    ],
  ])('%s: refused by check and apply alike (exit 2), naming the patch file and line', async (_what, name, text, message, hint) => {
    const q = await queue(`q-${name}`, { ok: created('kernel/fine.c'), [name]: text() }, name === 'abs' ? [name] : []);
    const { check, apply, out } = await both(q);
    for (const r of [check, apply]) {
      expect(r.code, r.stderr).toBe(2);
      // $ tiny queue check  ->  q-abs/patches/abs.patch:1: error: '/tmp/.../evil.c' is an absolute path ...
      expect(r.stderr).toMatch(new RegExp(`^q-${name}/patches/${name}\\.patch:1: error: `, 'm'));
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(hint);
      expect(r.stderr).toContain(`this is patch '${name}' (q-${name}/queue.yaml:`);
    }
    expect(check.stderr).toBe(apply.stderr);
    await expect(readdir(out)).rejects.toThrow(); // nothing checked out
  });

  it('writing through a symlink of the tree: both refuse (exit 1), out of the tree or inside it', async () => {
    const q = await queue('q-through', {
      ok: created('kernel/fine.c'),
      through: created('outlink/evil.c'),
    });
    const { check, apply } = await both(q);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^through\s+FAILS\s+FAILS\s+skipped\s/m);
    const line = `q-through/patches/through.patch:1: 'outlink/evil.c' goes through the symlink 'outlink' (-> ${outside}): a patch never writes through a symlink`;
    expect(check.stdout).toContain(`through: in order: ${line}\n`);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toBe(`tiny: patch through is refused on 0.0:\n  ${line}\n  hint: patch the file where it really is, or replace the symlink in the tree\n`);

    // Through a symlink that stays inside the tree (inlink -> lib), and the symlink itself.
    const crc = (await readFile(join(tree, 'lib/crc32.c'), 'latin1')).split('\n');
    const q2 = await queue('q-inside', {
      inside: `--- a/inlink/crc32.c\n+++ b/inlink/crc32.c\n@@ -1,1 +1,2 @@\n ${crc[0]}\n+/* via a symlink */\n`,
      itself: `--- a/inlink\n+++ b/inlink\n@@ -1 +1 @@\n-lib\n\\ No newline at end of file\n+net\n\\ No newline at end of file\n`,
    });
    const r = await both(q2);
    expect(r.check.stdout).toContain("inside: in order: q-inside/patches/inside.patch:1: 'inlink/crc32.c' goes through the symlink 'inlink' (-> lib)");
    expect(r.check.stdout).toContain("itself: alone: q-inside/patches/itself.patch:1: 'inlink' is a symlink in the tree (-> lib): a patch never writes through a symlink");
    expect(r.apply.code).toBe(1);
    expect(r.apply.stderr).toContain("q-inside/patches/inside.patch:1: 'inlink/crc32.c' goes through the symlink 'inlink' (-> lib)");
  });

  it('a symlink made by an earlier patch counts: the later patch that writes through it is refused by both', async () => {
    const q = await queue('q-series', {
      'make-link': `diff --git a/kernel/libdir b/kernel/libdir\nnew file mode 120000\n--- /dev/null\n+++ b/kernel/libdir\n@@ -0,0 +1 @@\n+../lib\n\\ No newline at end of file\n`,
      'use-link': created('kernel/libdir/evil.c'),
    });
    const { check, apply } = await both(q);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^make-link\s+clean\s+clean\s+clean\s/m);
    expect(check.stdout).toContain("use-link: in order: q-series/patches/use-link.patch:1: 'kernel/libdir/evil.c' goes through the symlink 'kernel/libdir' (-> ../lib)");
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("tiny: patch use-link is refused on 0.0:\n  q-series/patches/use-link.patch:1: 'kernel/libdir/evil.c' goes through the symlink 'kernel/libdir' (-> ../lib)");
  });

  it('once the path is fixed, check and apply agree with a clean run of GNU patch', async () => {
    const q = await queue('q-fixed', { dotdot: created('../evil.c') });
    expect((await tiny(['queue', 'check', '--queue', q], { env })).code).toBe(2);
    await writeFile(join(q, 'patches/dotdot.patch'), created('kernel/evil.c'));
    const { check, apply, out } = await both(q);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(apply.code, apply.stderr).toBe(0);
    const gnu = join(work, 'gnu-fixed');
    await cp(tree, gnu, { recursive: true, verbatimSymlinks: true });
    await sh('patch', ['-p1', '-s', '-d', gnu, '-i', join(q, 'patches/dotdot.patch')]);
    expect(await readFile(join(out, 'kernel/evil.c'))).toEqual(await readFile(join(gnu, 'kernel/evil.c')));
  });

  it('CRLF patches that GNU patch and git apply take: check says clean, apply writes the bytes GNU patch writes', async () => {
    // A patch to a CRLF file (what `git diff` gives: LF headers, CRLF lines) ...
    const dos = '--- a/drivers/dos.txt\n+++ b/drivers/dos.txt\n@@ -1,5 +1,5 @@\n one\r\n two\r\n-three\r\n+THREE\r\n four\r\n five\r\n';
    // ... and a patch file saved with CRLF line endings, to an LF file (GNU patch strips the CRs).
    const init = (await readFile(join(tree, 'init/main.c'), 'latin1')).split('\n');
    const saved = `--- a/init/main.c\n+++ b/init/main.c\n@@ -1,3 +1,4 @@\n ${init[0]}\n+/* from a mail client */\n ${init[1]}\n ${init[2]}\n`.replace(/\n/g, '\r\n');
    const q = await queue('q-crlf', { dos, saved });
    const { check, apply, out } = await both(q);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^dos\s+clean\s+clean\s+clean\s/m);
    expect(check.stdout).toMatch(/^saved\s+clean\s+clean\s+clean\s/m);
    expect(apply.code, apply.stderr).toBe(0);
    const gnu = join(work, 'gnu-crlf');
    await cp(tree, gnu, { recursive: true, verbatimSymlinks: true });
    for (const n of ['dos', 'saved']) await sh('patch', ['-p1', '-s', '-F0', '-d', gnu, '-i', join(q, 'patches', `${n}.patch`)]);
    for (const f of ['drivers/dos.txt', 'init/main.c']) expect(await readFile(join(out, f))).toEqual(await readFile(join(gnu, f)));
    expect(await readFile(join(out, 'drivers/dos.txt'), 'latin1')).toBe('one\r\ntwo\r\nTHREE\r\nfour\r\nfive\r\n');

    // A CRLF-saved patch to a CRLF file: GNU patch refuses it, and so do both commands.
    const q2 = await queue('q-crlf-crlf', { both: dos.replace(/(?<!\r)\n/g, '\r\n') });
    const r = await both(q2);
    expect(r.check.code).toBe(1);
    expect(r.check.stdout).toContain('both: in order: drivers/dos.txt: hunk #1 FAILED at 1: context not found (different line endings)');
    expect(r.apply.code).toBe(1);
  });
});
