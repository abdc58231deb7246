// The path rule (src/patch/paths.ts) on its own: which paths a patch may name, in either
// direction, with the symlinks a tree has and the ones a series makes.

import { describe, expect, it } from 'vitest';
import { parsePatch } from '../../src/patch/parse.js';
import { pathProblem, patchPathIssues, TreeLinks } from '../../src/patch/paths.js';
import { applyPatch } from '../../src/patch/apply.js';

const messages = (text: string, links?: Record<string, string>, reverse = false) =>
  patchPathIssues(parsePatch(text), links ? (p) => links[p] : undefined, reverse).map((i) => `${i.patchLine}: ${i.message}`);

const linkPatch = (path: string, target: string, how: 'new' | 'deleted') =>
  `diff --git a/${path} b/${path}\n${how} file mode 120000\n--- ${how === 'new' ? '/dev/null' : `a/${path}`}\n+++ ${how === 'new' ? `b/${path}` : '/dev/null'}\n@@ ${how === 'new' ? '-0,0 +1' : '-1 +0,0'} @@\n${how === 'new' ? '+' : '-'}${target}\n\\ No newline at end of file\n`;

describe('pathProblem', () => {
  it('plain relative paths pass; absolute, .., ., empty parts and .git (any case) do not', () => {
    for (const ok of ['kernel/printk.c', 'Documentation/.gitignore', 'a/.github/x', 'gitweb/.git-foo']) expect(pathProblem(ok)).toBeUndefined();
    expect(pathProblem('/etc/passwd')?.message).toMatch(/absolute path/);
    expect(pathProblem('kernel/../../x')?.message).toMatch(/leaves the tree/);
    expect(pathProblem('.GIT/config')?.message).toMatch(/inside \.git/);
    expect(pathProblem('drivers/.git/hooks/x')?.message).toMatch(/inside \.git/);
    expect(pathProblem('./kernel/a.c')).toEqual({ message: "'./kernel/a.c' is not a plain relative path ('.' or an empty part)", hint: "write it as 'kernel/a.c'" });
    expect(pathProblem('kernel//a.c')?.hint).toBe("write it as 'kernel/a.c'");
  });
});

describe('patchPathIssues', () => {
  it('a symlink a patch creates must point inside the tree; the direction of application counts', () => {
    expect(messages(linkPatch('kernel/l', '../lib', 'new'))).toEqual([]);
    expect(messages(linkPatch('kernel/l', '../../etc', 'new'))).toEqual(["1: 'kernel/l' would be a symlink to '../../etc', outside the tree"]);
    expect(messages(linkPatch('kernel/l', '/etc', 'new'))).toEqual(["1: 'kernel/l' would be a symlink to '/etc', outside the tree"]);
    expect(messages(linkPatch('kernel/l', '../.git', 'new'))).toEqual(["1: 'kernel/l' would be a symlink to '../.git', inside .git"]);
    // Deleting such a link is fine; un-applying the deletion (patch -R) creates it: refused.
    expect(messages(linkPatch('l', '/etc', 'deleted'), { l: '/etc' })).toEqual([]);
    expect(messages(linkPatch('l', '/etc', 'deleted'), {}, true)).toEqual(["1: 'l' would be a symlink to '/etc', outside the tree"]);
  });

  it('a git patch that changes a symlink (index ... 120000) is checked on its new target', () => {
    const retarget = (to: string) => `diff --git a/l b/l\nindex 1111111..2222222 120000\n--- a/l\n+++ b/l\n@@ -1 +1 @@\n-lib\n\\ No newline at end of file\n+${to}\n\\ No newline at end of file\n`;
    expect(messages(retarget('net'), { l: 'lib' })).toEqual([]);
    expect(messages(retarget('../outside'), { l: 'lib' })).toEqual(["1: 'l' would be a symlink to '../outside', outside the tree"]);
  });

  it('sections of one patch see the symlinks made by earlier sections', () => {
    const text = linkPatch('k/l', '../lib', 'new') + '--- /dev/null\n+++ b/k/l/x.c\n@@ -0,0 +1 @@\n+int x;\n';
    expect(messages(text, {})).toEqual(["8: 'k/l/x.c' goes through the symlink 'k/l' (-> ../lib): a patch never writes through a symlink"]);
  });
});

describe('TreeLinks and the in-memory applier', () => {
  it('a series: a link made by one patch is refused for the next; once deleted, the path is free again', () => {
    const links = new TreeLinks();
    const make = parsePatch(linkPatch('k/l', '../lib', 'new'));
    const use = parsePatch('--- /dev/null\n+++ b/k/l/x.c\n@@ -0,0 +1 @@\n+int x;\n');
    expect(links.issues(make)).toEqual([]);
    links.record(make);
    expect(links.target('k/l')).toBe('../lib');
    expect(links.issues(use).map((i) => i.message)).toEqual(["'k/l/x.c' goes through the symlink 'k/l' (-> ../lib): a patch never writes through a symlink"]);
    links.record(parsePatch(linkPatch('k/l', '../lib', 'deleted')));
    expect(links.issues(use)).toEqual([]);
  });

  it('applyPatch refuses by the same rule, with the patch file and line, and changes nothing', () => {
    const r = applyPatch(() => undefined, parsePatch('--- /dev/null\n+++ b/out/x.c\n@@ -0,0 +1 @@\n+int x;\n'), { links: (p) => (p === 'out' ? '/tmp' : undefined), patchFile: 'patches/x.patch' });
    expect(r.outcome).toMatchObject({
      kind: 'fails',
      failed: [{ file: 'out/x.c', patchLine: 1, reason: "patches/x.patch:1: 'out/x.c' goes through the symlink 'out' (-> /tmp): a patch never writes through a symlink" }],
    });
    expect(r.changes.size).toBe(0);
  });
});
