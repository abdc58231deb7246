// Differential test: the whole series (buildSeries: the in-memory applier, the commits, git
// where it decides) against GNU patch as quilt runs it (fuzz up to 2, no questions), on random
// files and edits (test/helpers/random-patches.ts). Each case is one file, a `diff -u` of a
// random edit applied to a perturbed copy, so offsets, fuzz, hunks at either end of the file,
// missing final newlines, CRLF lines and failures all occur. For every patch: it applies in the
// series exactly when GNU patch applies it without a failed hunk, to the same bytes, with the
// fuzz GNU patch reports. (git apply -C2/-C1 on the same cases refuses about one fuzzy patch
// in ten that GNU patch applies, and places a few it refuses.) Then the headers each tool
// writes, and chains of patches on shared files against real `quilt push -a`.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeries, importBase, openTreeStore, readFiles } from '../../src/tree/index.js';
import { removeDir, tempDir, writeFakeKernel } from '../helpers/kernel-tree-fixture.js';
import { edit, makeCase, perturb, prng } from '../helpers/random-patches.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const PATCH = '/usr/bin/patch';
const DIFF = '/usr/bin/diff';
const missing = [PATCH, DIFF].filter((p) => !existsSync(p));
const quiltWhy = await missingPrerequisites('quilt');

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(() => removeDir(work));

interface Totals {
  patches: number;
  applied: number;
  fuzzed: number;
  offsets: number;
  failed: number;
}

/** GNU patch's largest fuzz and whether it moved a hunk, from its messages. */
function gnuReport(stdout: string): { fuzz: number; offset: boolean } {
  let fuzz = 0;
  for (const m of stdout.matchAll(/with fuzz (\d+)/g)) fuzz = Math.max(fuzz, Number(m[1]));
  return { fuzz, offset: /\(offset -?\d+ lines?\)/.test(stdout) };
}

/** One batch: `count` random files imported as one base, each patched alone by both. */
async function batch(seed: number, context: number, reverse: boolean, count: number): Promise<Totals> {
  const rng = prng(seed);
  const dir = join(work, `b${seed}-${context}${reverse ? 'R' : ''}`);
  for (const d of ['a', 'b', 'target', 'gnu']) mkdirSync(join(dir, d), { recursive: true });
  const cases = Array.from({ length: count }, (_, i) => makeCase(rng, `f${String(i).padStart(3, '0')}.c`, reverse));
  for (const c of cases) {
    writeFileSync(join(dir, 'a', c.name), c.base, 'latin1');
    writeFileSync(join(dir, 'b', c.name), c.next, 'latin1');
    writeFileSync(join(dir, 'target', c.name), c.target, 'latin1');
  }
  const store = await openTreeStore(join(dir, 'cache'));
  const base = (await importBase(store, { kind: 'dir', path: join(dir, 'target') }, { version: '2.6.9' })).commit;
  const totals: Totals = { patches: 0, applied: 0, fuzzed: 0, offsets: 0, failed: 0 };
  for (const c of cases) {
    const d = spawnSync(DIFF, [`-U${context}`, `a/${c.name}`, `b/${c.name}`], { cwd: dir, encoding: 'latin1' });
    if (d.status !== 1) continue; // no change
    const text = Buffer.from(d.stdout, 'latin1');
    totals.patches++;
    // GNU patch on its own copy of the target, as quilt runs it: -p1, fuzz 2, no questions.
    writeFileSync(join(dir, 'gnu', c.name), c.target, 'latin1');
    const g = spawnSync(PATCH, ['-p1', '-d', join(dir, 'gnu'), '-F2', '-f', '--no-backup-if-mismatch', '-r', '-', ...(reverse ? ['-R'] : [])], {
      input: text,
      encoding: 'latin1',
      env: { ...process.env, LC_ALL: 'C' },
    });
    expect(g.status === 0 || g.status === 1, `patch exited ${g.status}: ${g.stderr}`).toBe(true);
    const r = await buildSeries(store, base, [{ name: c.name, text, strip: 1, reverse }], { stopOnFailure: false });
    const where = `seed ${seed} -U${context}${reverse ? ' -R' : ''} ${dir}/target/${c.name}\n--- patch(1):\n${g.stdout}--- patch:\n${d.stdout}`;
    if (g.status !== 0) {
      totals.failed++;
      expect(r.commits, `${where}\n--- the series applied it`).toEqual([]);
      expect(r.failures.map((f) => f.name)).toEqual([c.name]);
      continue;
    }
    expect(r.failures, `${where}\n--- the series refused it`).toEqual([]);
    const ours = (await readFiles(store, r.commits[0]!.commit, [c.name])).get(c.name);
    expect(ours, `${where}\n--- content`).toBe(readFileSync(join(dir, 'gnu', c.name), 'latin1'));
    const { fuzz, offset } = gnuReport(g.stdout);
    expect(r.commits[0]!.fuzz, `${where}\n--- fuzz`).toBe(fuzz);
    expect(r.commits[0]!.appliedBy).toBe('memory');
    totals.applied++;
    if (fuzz) totals.fuzzed++;
    if (offset) totals.offsets++;
  }
  return totals;
}

if (missing.length) {
  describe.skip(`series vs GNU patch: SKIPPED, ${missing.join(' and ')} not found (apt-get install -y patch diffutils)`, () => {
    it('needs GNU patch', () => {});
  });
} else {
  describe('buildSeries vs GNU patch (random files, seeded)', () => {
    for (const reverse of [false, true]) {
      it(`${reverse ? 'patch -R' : 'patch'}: applies what GNU patch applies, to the same bytes with the same fuzz, and refuses the rest`, async () => {
        const totals: Totals = { patches: 0, applied: 0, fuzzed: 0, offsets: 0, failed: 0 };
        let seed = reverse ? 2000 : 1000;
        for (const context of [3, 3, 2, 1, 0]) {
          const t = await batch(++seed, context, reverse, 60);
          for (const k of Object.keys(totals) as (keyof Totals)[]) totals[k] += t[k];
        }
        // The generator must produce the interesting cases.
        expect(totals.patches).toBeGreaterThan(200);
        expect(totals.fuzzed).toBeGreaterThan(10);
        expect(totals.offsets).toBeGreaterThan(20);
        expect(totals.failed).toBeGreaterThan(10);
        console.log(`series vs ${reverse ? 'patch -R' : 'patch'}: ${JSON.stringify(totals)}`);
      }, 120_000);
    }
  });

  // The headers each tool writes, on one change (line 21 of init/main.c), a new file and a
  // deleted one: the series must read them as patch(1) does, -p1 or -p0 as each is used.
  const change = [
    '@@ -18,7 +18,7 @@',
    ' int line18 = 18;',
    ' int line19 = 19;',
    ' int line20 = 20;',
    '-int line21 = 21;',
    '+int line21 = 2100;',
    ' int line22 = 22;',
    ' int line23 = 23;',
    ' int line24 = 24;',
  ];
  const created = ['@@ -0,0 +1,2 @@', '+int fresh;', '+int fresher;'];
  const deleted = ['@@ -1 +0,0 @@', '-void schedule(void) {}'];
  const STYLES: Array<[string, number, string[]]> = [
    [
      'diff -Naur (the Epoch for a missing side)',
      1,
      [
        'diff -Naur linux-2.6.9.orig/init/main.c linux-2.6.9/init/main.c',
        '--- linux-2.6.9.orig/init/main.c\t2004-10-18 23:53:00.000000000 +0200',
        '+++ linux-2.6.9/init/main.c\t2004-10-20 10:00:00.000000000 +0200',
        ...change,
        'diff -Naur linux-2.6.9.orig/init/new.c linux-2.6.9/init/new.c',
        '--- linux-2.6.9.orig/init/new.c\t1970-01-01 01:00:00.000000000 +0100',
        '+++ linux-2.6.9/init/new.c\t2004-10-20 10:00:00.000000000 +0200',
        ...created,
        'diff -Naur linux-2.6.9.orig/kernel/sched.c linux-2.6.9/kernel/sched.c',
        '--- linux-2.6.9.orig/kernel/sched.c\t2004-10-18 23:53:00.000000000 +0200',
        '+++ linux-2.6.9/kernel/sched.c\t1969-12-31 16:00:00.000000000 -0800',
        ...deleted,
      ],
    ],
    ['quilt', 1, ['Index: linux-2.6.9/init/main.c', '='.repeat(67), '--- linux-2.6.9.orig/init/main.c', '+++ linux-2.6.9/init/main.c', ...change]],
    [
      'git format-patch',
      1,
      [
        'From 1234567890abcdef Mon Sep 17 00:00:00 2001',
        'From: A U Thor <a@example.org>',
        'Subject: [PATCH] x',
        '',
        'Why.',
        '---',
        ' init/main.c | 2 +-',
        '',
        'diff --git a/init/main.c b/init/main.c',
        'index 1111111..2222222 100644',
        '--- a/init/main.c',
        '+++ b/init/main.c',
        ...change,
        'diff --git a/init/new.c b/init/new.c',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/init/new.c',
        ...created,
        'diff --git a/kernel/sched.c b/kernel/sched.c',
        'deleted file mode 100644',
        '--- a/kernel/sched.c',
        '+++ /dev/null',
        ...deleted,
        '-- ',
        '2.39.2',
      ],
    ],
    ['svn', 0, ['Index: init/main.c', '='.repeat(67), '--- init/main.c\t(revision 100)', '+++ init/main.c\t(working copy)', ...change]],
    [
      'cvs',
      0,
      [
        'Index: init/main.c',
        '='.repeat(67),
        'RCS file: /cvs/linux/init/main.c,v',
        'retrieving revision 1.1',
        'diff -u -r1.1 main.c',
        '--- init/main.c\t18 Oct 2004 10:00:00 -0000\t1.1',
        '+++ init/main.c\t20 Oct 2004 10:00:00 -0000',
        ...change,
      ],
    ],
    ['a patch file saved with CRLF', 1, ['--- a/init/main.c', '+++ b/init/main.c', ...change].map((l) => `${l}\r`)],
    // Made by hand from a backup copy: the existing name is the one patched.
    ['diff -u of a backup copy', 1, ['--- linux-2.6.9/init/main.c.orig\t2004-10-18 23:53:00.000000000 +0200', '+++ linux-2.6.9/init/main.c\t2004-10-20 10:00:00.000000000 +0200', ...change]],
    // Only the old name exists: patch(1) patches it (git apply would look for the new one).
    ['diff -u with another new name', 1, ['--- a/init/main.c', '+++ b/init/main-new.c', ...change]],
  ];

  describe('buildSeries vs GNU patch: the headers each tool writes', () => {
    it('reads the headers of diff -Naur, quilt, git format-patch, svn, cvs, hand-made diffs and a CRLF file as patch(1) does', async () => {
      const kernel = join(work, 'styles', 'linux-2.6.9');
      await writeFakeKernel(kernel);
      const store = await openTreeStore(join(work, 'styles', 'cache'));
      const base = (await importBase(store, { kind: 'dir', path: kernel }, {})).commit;
      const paths = ['init/main.c', 'init/new.c', 'kernel/sched.c'];
      for (const [style, strip, lines] of STYLES) {
        const text = `${lines.join('\n')}\n`;
        const gnu = join(work, 'styles', style.replace(/\W/g, ''));
        cpSync(kernel, gnu, { recursive: true, verbatimSymlinks: true });
        const g = spawnSync(PATCH, [`-p${strip}`, '-d', gnu, '-F2', '-f', '--no-backup-if-mismatch'], { input: text, encoding: 'utf8' });
        expect(g.status, `${style}: patch(1) says ${g.stdout}`).toBe(0);
        const r = await buildSeries(store, base, [{ name: style, text, strip, reverse: false }]);
        expect(r.failures, style).toEqual([]);
        expect(r.commits[0]!.appliedBy, style).toBe('memory');
        const ours = await readFiles(store, r.commits[0]!.commit, paths);
        for (const p of paths) {
          const theirs = existsSync(join(gnu, p)) ? readFileSync(join(gnu, p), 'latin1') : undefined;
          expect(ours.get(p), `${style}: ${p}`).toBe(theirs);
        }
      }
    });
  });

  // Chains: four patches on the same three files, each made against the one before, applied to a
  // perturbed base by the series and by real quilt (which stops at the first that fails). The
  // series must stop where quilt stops and leave the files quilt leaves.
  describe('buildSeries vs quilt push -a: chains of patches on shared files', () => {
    it.skipIf(quiltWhy !== undefined)(
      `stops where quilt stops, with quilt's files${quiltWhy ? ` (SKIPPED: ${quiltWhy})` : ''}`,
      async () => {
        const names = ['a.c', 'b.c', 'c.c'];
        const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
        let complete = 0;
        let stopped = 0;
        for (let t = 0; t < 30; t++) {
          const rng = prng(5000 + t);
          const dir = join(work, `chain${t}`);
          const versions: Array<Record<string, string[]>> = [Object.fromEntries(names.map((n) => [n, Array.from({ length: rng.int(10, 60) }, (_, i) => `${n} line ${i} ${rng.int(0, 9)}`)]))];
          for (let k = 1; k <= 4; k++) versions.push(Object.fromEntries(names.map((n) => [n, rng.chance(0.6) ? edit(rng, versions[k - 1]![n]!, rng.int(1, 3), `p${k}`) : versions[k - 1]![n]!])));
          const tree = join(dir, 'tree');
          mkdirSync(tree, { recursive: true });
          writeFileSync(join(tree, 'Makefile'), 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 9\n');
          for (const n of names) writeFileSync(join(tree, n), text(rng.chance(0.5) ? perturb(rng, versions[0]![n]!) : versions[0]![n]!));
          const patchDir = join(dir, 'patches');
          mkdirSync(patchDir);
          const series: Array<{ name: string; text: Buffer; strip: number; reverse: boolean }> = [];
          for (let k = 1; k <= 4; k++) {
            for (const v of [k - 1, k]) {
              mkdirSync(join(dir, `v${v}`), { recursive: true });
              for (const n of names) writeFileSync(join(dir, `v${v}`, n), text(versions[v]![n]!));
            }
            const d = spawnSync(DIFF, ['-ru', `-U${rng.pick([1, 2, 3])}`, `v${k - 1}`, `v${k}`], { cwd: dir, encoding: 'latin1' });
            if (!d.stdout) continue;
            const patch = d.stdout.replace(/^--- v\d+\//gm, '--- a/').replace(/^\+\+\+ v\d+\//gm, '+++ b/');
            writeFileSync(join(patchDir, `p${k}.patch`), patch, 'latin1');
            series.push({ name: `p${k}`, text: Buffer.from(patch, 'latin1'), strip: 1, reverse: false });
          }
          writeFileSync(join(patchDir, 'series'), series.map((p) => `${p.name}.patch\n`).join(''));
          const quilt = join(dir, 'quilt');
          cpSync(tree, quilt, { recursive: true });
          const env = { ...process.env, QUILT_PATCHES: patchDir, QUILT_PC: '.pc' };
          spawnSync('quilt', ['push', '-a', '-q'], { cwd: quilt, env });
          const applied = spawnSync('quilt', ['applied'], { cwd: quilt, env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
          const store = await openTreeStore(join(dir, 'cache'));
          const base = (await importBase(store, { kind: 'dir', path: tree }, {})).commit;
          const r = await buildSeries(store, base, series);
          const where = `chain ${t} in ${dir}`;
          expect(r.commits.length, `${where}: patches applied`).toBe(applied);
          const ours = await readFiles(store, r.commits.at(-1)?.commit ?? base, names);
          for (const n of names) expect(ours.get(n), `${where}: ${n}`).toBe(readFileSync(join(quilt, n), 'latin1'));
          if (applied === series.length) complete++;
          else stopped++;
        }
        expect(complete).toBeGreaterThan(5);
        expect(stopped).toBeGreaterThan(5);
      },
      120_000,
    );
  });
}
