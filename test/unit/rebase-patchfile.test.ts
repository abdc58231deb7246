// The pure parts of refresh and rebase: splitting a patch file into header / diffstat / diff /
// signature and putting it back together, the stable diff form, and queue.yaml after a rebase.

import { describe, expect, it } from 'vitest';
import { composePatch, diffCounts, splitPatch, stableDiffText } from '../../src/rebase/patchfile.js';
import { addBaseToQueueYaml, rebaseQueueYaml, variantFile, type Carry } from '../../src/rebase/queuefile.js';

const DIFF = 'diff --git a/Makefile b/Makefile\n--- a/Makefile\n+++ b/Makefile\n@@ -1,3 +1,4 @@\n a\n+b\n c \n d\n';
const MAIL =
  'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@x>\nSubject: [PATCH 1/2] x: y\n\nWhy.\n\nSigned-off-by: A <a@x>\n---\n Makefile | 1 +\n 1 file changed, 1 insertion(+)\n\n' +
  DIFF.replace('--- a/', 'index 0123abc..4567def 100644\n--- a/') +
  '-- \n2.39.5\n\n';

describe('splitPatch / composePatch', () => {
  it('splits a format-patch mail and puts it back byte for byte', () => {
    const parts = splitPatch(MAIL);
    expect(parts.header).toBe('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@x>\nSubject: [PATCH 1/2] x: y\n\nWhy.\n\nSigned-off-by: A <a@x>\n');
    expect(parts.hasDiffstat).toBe(true);
    expect(parts.trailer).toBe('-- \n2.39.5\n\n');
    expect(composePatch(parts, parts.diff, ' Makefile | 1 +\n 1 file changed, 1 insertion(+)\n')).toBe(MAIL);
  });

  it('keeps a plain "---" separator that has no diffstat as part of the header', () => {
    const text = 'Subject: x\n\nbody\n---\n' + DIFF;
    const parts = splitPatch(text);
    expect(parts.hasDiffstat).toBe(false);
    expect(parts.header).toBe('Subject: x\n\nbody\n---\n');
    expect(composePatch(parts, parts.diff, 'ignored')).toBe(text);
  });

  it('handles a bare diff and a quilt-style Index: patch', () => {
    expect(splitPatch(DIFF)).toEqual({ header: '', hasDiffstat: false, diff: DIFF, trailer: '' });
    const quilt = 'Description\n\nIndex: linux/Makefile\n===\n--- linux.orig/Makefile\n+++ linux/Makefile\n@@ -1 +1 @@\n-a\n+b\n';
    expect(splitPatch(quilt).header).toBe('Description\n\n');
  });
});

describe('stableDiffText', () => {
  it('drops index lines in file headers only, keeps context bytes (trailing spaces) as they are', () => {
    const git = 'diff --git a/f b/f\nindex 0123abc..4567def 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-index 1..2\n+x\n ctx  \n';
    expect(stableDiffText(git)).toBe('diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-index 1..2\n+x\n ctx  \n');
  });

  it("keeps a binary patch's index line: git apply needs its full ids", () => {
    const ids = `index ${'1'.repeat(40)}..${'2'.repeat(40)} 100644`;
    const git = `diff --git a/f b/f\n${ids}\nGIT binary patch\nliteral 5\nMcmZ?wbhEHb0RR91\n\nliteral 0\nHcmV?d00001\n\ndiff --git a/g b/g\nindex 0123abc..4567def 100644\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n`;
    expect(stableDiffText(git)).toBe(git.replace('index 0123abc..4567def 100644\n', ''));
  });

  it('counts files, hunks and lines', () => {
    expect(diffCounts(DIFF)).toEqual({ files: 1, hunks: 1, added: 1, removed: 0 });
  });
});

describe('rebaseQueueYaml', () => {
  const YAML =
    '# head comment\nname: q\n\nbase:\n  version: "2.6.9"\n  # pinned\n  tree: abc\n  sources:\n    - path: ~/old\n\nseries:\n  - name: a\n    file: a.patch\n  - name: b\n    file: b.patch\n    bases: [2.6.9]\n  - name: up\n    file: up.patch\n';
  it('makes the new tree the base, moves the old one (with its comments) to bases:, updates per-patch bases', () => {
    const out = rebaseQueueYaml(YAML, { oldVersion: '2.6.9', newBase: { version: '2.6.11', tree: 'def', sources: [{ path: '~/new' }] }, alreadyUpstream: ['up'] });
    expect(out).toBe(
      '# head comment\nname: q\n\nbase:\n  version: 2.6.11\n  tree: def\n  sources:\n    - path: ~/new\n\nbases:\n  - version: "2.6.9"\n    # pinned\n    tree: abc\n    sources:\n      - path: ~/old\n\nseries:\n  - name: a\n    file: a.patch\n  - name: b\n    file: b.patch\n    bases: [2.6.9, 2.6.11]\n  - name: up\n    file: up.patch\n    bases: [2.6.9]\n',
    );
  });

  it('touches only the entry meant for the old base when per-base variants share a name', () => {
    const yaml =
      'name: q\nbase:\n  version: "2.6.9"\n  sources:\n    - path: ~/old\nbases:\n  - version: "2.6.11"\n    sources:\n      - path: ~/eleven\nseries:\n' +
      '  - name: up\n    file: up.patch\n  - name: v\n    file: v.patch\n    bases: ["2.6.9"]\n  - name: v\n    file: 2.6.11/v.patch\n    bases: ["2.6.11"]\n';
    const out = rebaseQueueYaml(yaml, { oldVersion: '2.6.9', newBase: { version: '2.6.12', sources: [{ path: '~/new' }] }, alreadyUpstream: ['up', 'v'] });
    // up (every base) stays on the bases it was on; the 2.6.11 variant of v is left alone.
    expect(out).toContain('  - name: up\n    file: up.patch\n    bases: [2.6.9, 2.6.11]\n');
    expect(out).toContain('  - name: v\n    file: v.patch\n    bases: ["2.6.9"]\n  - name: v\n    file: 2.6.11/v.patch\n    bases: ["2.6.11"]\n');
  });

  it('replaces the base when the new tree has the same version (no duplicate in bases:)', () => {
    const out = rebaseQueueYaml(YAML, { oldVersion: '2.6.9', newBase: { version: '2.6.9', tree: 'fff', sources: [{ path: '~/fixed' }] }, alreadyUpstream: [] });
    expect(out).toContain('base:\n  version: 2.6.9\n  tree: fff\n  sources:\n    - path: ~/fixed\n\nseries:\n');
    expect(out).not.toContain('bases:\n');
  });
});

describe('addBaseToQueueYaml', () => {
  const YAML =
    '# head comment\nname: q\n\nbase:\n  version: "2.6.9"\n  # pinned\n  tree: abc\n  sources:\n    - path: ~/old\n\nbases:\n  - version: "2.6.11"\n    sources:\n      - path: ~/eleven\n\nseries:\n' +
    '  # the first group\n  - name: a\n    file: patches/a.patch\n  - name: b\n    file: patches/b.patch\n    option: B\n    guards: [+tiny]\n  - name: up\n    file: patches/up.patch\n' +
    '  - name: v\n    file: patches/v.patch\n    bases: ["2.6.9"]\n  - name: v\n    file: patches/2.6.11/v.patch\n    bases: ["2.6.11"]\n';
  const carry = new Map<string, Carry>([
    ['a', { kind: 'same' }],
    ['b', { kind: 'variant', file: 'patches/2.6.12/b.patch' }],
    ['up', { kind: 'upstream' }],
    ['v', { kind: 'variant', file: 'patches/2.6.12/v.patch' }],
  ]);
  it('adds the new base to bases:; a ported patch gets its variant entry, the one it came from and an upstream one stop claiming it', () => {
    const out = addBaseToQueueYaml(YAML, { fromVersion: '2.6.11', newBase: { version: '2.6.12', tree: 'def', sources: [{ path: '~/new' }] }, claimed: ['2.6.9', '2.6.11'], carry });
    expect(out).toBe(
      '# head comment\nname: q\n\nbase:\n  version: "2.6.9"\n  # pinned\n  tree: abc\n  sources:\n    - path: ~/old\n\nbases:\n  - version: "2.6.11"\n    sources:\n      - path: ~/eleven\n  - version: "2.6.12"\n    tree: def\n    sources:\n      - path: ~/new\n\nseries:\n' +
        '  # the first group\n  - name: a\n    file: patches/a.patch\n' +
        '  - name: b\n    file: patches/b.patch\n    option: B\n    guards: [+tiny]\n    bases: ["2.6.9", "2.6.11"]\n' +
        '  - name: b\n    file: patches/2.6.12/b.patch\n    option: B\n    guards: [+tiny]\n    bases: ["2.6.12"]\n' +
        '  - name: up\n    file: patches/up.patch\n    bases: ["2.6.9", "2.6.11"]\n' +
        // Carried from 2.6.11: its 2.6.9 entry is not touched.
        '  - name: v\n    file: patches/v.patch\n    bases: ["2.6.9"]\n  - name: v\n    file: patches/2.6.11/v.patch\n    bases: ["2.6.11"]\n  - name: v\n    file: patches/2.6.12/v.patch\n    bases: ["2.6.12"]\n',
    );
  });
  it('a patch listing its bases that applies on the new one claims it too', () => {
    const out = addBaseToQueueYaml(YAML, { fromVersion: '2.6.9', newBase: { version: '2.6.12', sources: [] }, claimed: ['2.6.9', '2.6.11'], carry: new Map([['v', { kind: 'same' }]]) });
    expect(out).toContain('  - name: v\n    file: patches/v.patch\n    bases: ["2.6.9", "2.6.12"]\n  - name: v\n    file: patches/2.6.11/v.patch\n    bases: ["2.6.11"]\n');
  });
  it('puts a port under patches/<version>/, less the directory of the base it came from', () => {
    expect(variantFile('patches/compat/0001-no-pie.patch', '2.6.11', ['2.6.9'])).toBe('patches/2.6.11/compat/0001-no-pie.patch');
    expect(variantFile('patches/2.6.11/tiny/slob.patch', '2.6.12', ['2.6.9', '2.6.11'])).toBe('patches/2.6.12/tiny/slob.patch');
    expect(variantFile('fixes.patch', '2.6.11', ['2.6.9'])).toBe('patches/2.6.11/fixes.patch');
  });
});
