// `tiny queue check` on a fixture queue with one patch per outcome: offset, fuzz, failure,
// unguarded change, undeclared option, pairwise conflict, reverse failure.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGO_PATH, logoBytes, logoPatches } from '../helpers/binary-patches.js';
import { REPO, tempCache, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

const QUEUE = join(REPO, 'test/fixtures/merge/queue');

describe('tiny queue check (fixture queue with every outcome)', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = { TINY_CACHE: await tempCache() };
  });
  afterAll(() => rm(env.TINY_CACHE!, { recursive: true, force: true }));

  it('classifies each patch in order, alone and reversed off the top', async () => {
    const r = await tiny(['queue', 'check', '--queue', QUEUE, '--json'], { env });
    // The fixture's base is a directory: hashed in memory, and said so; nothing else on stderr.
    expect(r.stderr).toMatch(
      /^tiny: 2\.6\.9: \S+\/tree read without importing it: tree [0-9a-f]{12} hashed in memory \(no base\.tree pinned to verify it against\); the files the queue names kept\n$/,
    );
    expect(r.code).toBe(1); // super-remount fails in order
    const report = expectJsonOutput('queue-check', r.stdout) as unknown as {
      ok: boolean;
      bases: Array<{ version: string; patches: Array<Record<string, any>>; pairs: Array<Record<string, any>> }>;
    };
    const [base] = report.bases;
    const by = Object.fromEntries(base!.patches.map((p) => [p.name, p]));
    const kinds = (mode: string) => Object.fromEntries(base!.patches.map((p) => [p.name, p[mode].kind]));
    expect(kinds('order')).toEqual({
      'printk-optional': 'clean',
      'slab-zero-size': 'offset',
      'super-report-errors': 'fuzz',
      'super-remount': 'fails',
      'sched-account': 'clean',
      'kallsyms-all': 'clean',
      'kallsyms-extra': 'clean',
    });
    expect(by['slab-zero-size']!.order.lines).toBe(3);
    expect(by['super-report-errors']!.order.fuzz).toBe(1);
    expect(by['super-remount']!.order.failed[0]).toMatchObject({ file: 'fs/super.c', hunk: 1 });
    expect(kinds('alone')['kallsyms-extra']).toBe('fails');
    expect(kinds('reverse')).toMatchObject({ 'kallsyms-all': 'fails', 'kallsyms-extra': 'clean', 'super-remount': 'skipped' });
    expect(by['printk-optional']!.invasiveness).toMatchObject({ declares_option: true, unguarded: [] });
    expect(by['sched-account']!.invasiveness.declares_option).toBe(false);
    expect(by['sched-account']!.invasiveness.unguarded).toEqual([{ file: 'kernel/sched.c', line: 32, text: '\tsched_account();' }]);
    const pair = base!.pairs.find((p) => p.a === 'kallsyms-all' && p.b === 'kallsyms-extra');
    expect(pair).toMatchObject({ files: ['kernel/Makefile'], overlapping_hunks: 1, swap_conflict: true });
    // A patch that fails in any order is not an order conflict.
    const superPair = base!.pairs.find((p) => p.a === 'super-report-errors' && p.b === 'super-remount');
    expect(superPair).toMatchObject({ swap_conflict: false, detail: 'not compared: super-remount needs earlier patches it does not declare in depends' });
  });

  it('a patch that deletes a file but not all of it: a failure of the file itself (hunk 0), in the JSON contract too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-check-missing-'));
    await cp(QUEUE, join(dir, 'queue'), { recursive: true });
    await cp(join(QUEUE, '..', 'tree'), join(dir, 'tree'), { recursive: true });
    await writeFile(join(dir, 'queue', 'patches', 'gone.patch'), '--- a/kernel/sched.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-#include <linux/sched.h>\n-\n');
    await appendFile(join(dir, 'queue', 'queue.yaml'), '  - name: gone\n    file: patches/gone.patch\n');
    const r = await tiny(['queue', 'check', '--queue', join(dir, 'queue'), '--json'], { env });
    expect(r.code, r.stderr).toBe(1);
    const report = expectJsonOutput('queue-check', r.stdout) as unknown as {
      bases: Array<{ patches: Array<{ name: string; alone: { kind: string; failed: Array<{ file: string; hunk: number; reason: string }> } }> }>;
    };
    const gone = report.bases[0]!.patches.find((p) => p.name === 'gone')!;
    expect(gone.alone.kind).toBe('fails');
    expect(gone.alone.failed[0]).toMatchObject({ file: 'kernel/sched.c', hunk: 0 });
    await rm(dir, { recursive: true, force: true });
  });

  it('queue list --json: the series, each patch picked or not by --select', async () => {
    const r = await tiny(['queue', 'list', '--queue', QUEUE, '--select', 'nothing', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const list = expectJsonOutput('queue-list', r.stdout) as { queue: string; select: string[]; patches: Array<{ name: string; option: string | null; selected: boolean }> };
    expect(list.select).toEqual(['nothing']);
    expect(list.patches.map((p) => p.name)).toEqual(['printk-optional', 'slab-zero-size', 'super-report-errors', 'super-remount', 'sched-account', 'kallsyms-all', 'kallsyms-extra']);
    expect(list.patches.find((p) => p.name === 'sched-account')).toMatchObject({ option: 'SCHED_ACCOUNT', selected: true });
    expect(list.patches.find((p) => p.name === 'slab-zero-size')).toMatchObject({ option: null, summary: expect.any(String) });
  });

  it('prints the problems and a summary: the rows of the patches to act on, the failing hunks, the warnings', async () => {
    const r = await tiny(['queue', 'check', '--queue', QUEUE], { env });
    expect(r.code).toBe(1);
    expect(r.stdout.replace(/tree [0-9a-f]{12}/, 'tree TREE')).toBe(
      [
        'queue check on 2.6.9 (tree TREE)',
        'patch                in order  alone   reverse  files  hunks  +lines  -lines  option',
        'super-report-errors  fuzz 1    fuzz 1  fuzz 1       1      1       2       0  -',
        'super-remount        FAILS     FAILS   skipped      1      1       1       0  -',
        'sched-account        clean     clean   clean        1      1       1       0  NOT declared, 1 unguarded',
        'kallsyms-all         clean     clean   FAILS        1      1       1       0  -',
        'kallsyms-extra       clean     FAILS   clean        1      1       1       1  -',
        '',
        'super-remount: in order: fs/super.c: hunk #1 FAILED at 60: context not found (patch line 7)',
        'super-remount: alone: fs/super.c: hunk #1 FAILED at 60: context not found (patch line 7)',
        'sched-account: does not add its option to a Kconfig file',
        'sched-account: kernel/sched.c:32: change not guarded by its option: sched_account();',
        'kallsyms-all: reverse: kernel/Makefile: hunk #1 FAILED at 1: context not found (patch line 5)',
        'kallsyms-extra: alone: kernel/Makefile: hunk #1 FAILED at 1: context not found (patch line 5)',
        'no Signed-off-by: line in 5 patches: slab-zero-size, super-report-errors, sched-account, kallsyms-all, kallsyms-extra',
        '',
        '2.6.9: 7 patches: 4 clean, 1 offset, 1 fuzz, 1 fail in order; 2 pairs share files (1 with overlapping hunks, 1 conflict when swapped); 1 with unguarded changes',
        '(not shown: 2 patches without a problem, 1 pair with overlapping hunks or an order conflict; --verbose shows them)',
        '',
      ].join('\n'),
    );
  });

  it('--verbose: every patch in the table and every overlapping pair', async () => {
    const r = await tiny(['queue', 'check', '--queue', QUEUE, '--verbose'], { env });
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toMatch(/^queue check on 2\.6\.9 \(tree [0-9a-f]{12}\)$/m);
    expect(out).toMatch(/^printk-optional\s+clean\s+clean\s+clean\s+2\s+2\s+10\s+0\s+declared$/m);
    expect(out).toMatch(/^slab-zero-size\s+offset \+3\s+offset \+3\s+offset \+3\s+1\s+1\s+2\s+0\s+-$/m);
    expect(out).toMatch(/^super-remount\s+FAILS\s+FAILS\s+skipped\s+/m);
    expect(out).toContain('super-remount: in order: fs/super.c: hunk #1 FAILED at 60: context not found (patch line 7)');
    expect(out).toContain('kallsyms-all x kallsyms-extra: kernel/Makefile: 1 overlapping hunk(s); swapped order conflicts');
    expect(out).toMatch(/2\.6\.9: 7 patches: 4 clean, 1 offset, 1 fuzz, 1 fail in order/);
    expect(out).not.toContain('not shown');
  });

  it('renders Markdown for a mailing-list reply or a pull request: the problems, or everything with --verbose', async () => {
    const r = await tiny(['queue', 'check', '--queue', QUEUE, '--format', 'md'], { env });
    expect(r.stdout).toContain('| patch | in order | alone | reverse |');
    expect(r.stdout).toContain('| super-remount | FAILS | FAILS | skipped |');
    expect(r.stdout).not.toContain('| printk-optional |');
    const all = await tiny(['queue', 'check', '--queue', QUEUE, '--format', 'md', '--verbose'], { env });
    expect(all.stdout).toContain('| printk-optional | clean | clean | clean |');
    expect(all.stdout).toContain('- kallsyms-all x kallsyms-extra: kernel/Makefile: 1 overlapping hunk(s)');
  });

  it("a git binary patch: check says it applies where queue apply applies it (by git apply's rules)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-check-binary-'));
    await cp(join(QUEUE, '..', 'tree'), join(dir, 'tree'), { recursive: true });
    // A logo created, then changed (a literal, then a delta), made by real git.
    const logo = logoBytes(2000, 131);
    const edited = Buffer.concat([logo.subarray(0, 500), Buffer.from([0, 0xff, 0, 0xfe]), logo.subarray(500)]);
    const patches = await logoPatches(join(dir, 'repo'), logo, edited);
    await mkdir(join(dir, 'queue', 'patches'), { recursive: true });
    await writeFile(join(dir, 'queue', 'patches', 'logo.patch'), patches.create);
    await writeFile(join(dir, 'queue', 'patches', 'logo-colours.patch'), patches.edit!);
    await writeFile(
      join(dir, 'queue', 'queue.yaml'),
      [
        'name: binary',
        'base:',
        '  version: 2.6.9',
        '  sources:',
        '    - path: ../tree',
        'series:',
        '  - name: logo',
        '    file: patches/logo.patch',
        '  - name: logo-colours',
        '    file: patches/logo-colours.patch',
        '    depends: [logo]',
        '',
      ].join('\n'),
    );
    const check = await tiny(['queue', 'check', '--queue', join(dir, 'queue'), '--json'], { env });
    expect(check.code, check.stderr).toBe(0);
    const report = expectJsonOutput('queue-check', check.stdout) as unknown as {
      bases: Array<{ patches: Array<{ name: string; order: { kind: string }; alone: { kind: string }; reverse: { kind: string } }> }>;
    };
    // Off the top, the logo cannot be taken back alone: logo-colours changed it (git apply -R refuses it too).
    expect(report.bases[0]!.patches.map((p) => [p.name, p.order.kind, p.alone.kind, p.reverse.kind])).toEqual([
      ['logo', 'clean', 'clean', 'fails'],
      ['logo-colours', 'clean', 'clean', 'clean'],
    ]);
    // Said once per patch: quilt push could not apply it.
    const text = await tiny(['queue', 'check', '--queue', join(dir, 'queue')], { env });
    expect(text.stdout).toContain('logo: patch line 1: drivers/video/logo.bin: a git binary patch: quilt push cannot apply it (GNU patch has no binary diffs); tiny applies it as git apply does\n');
    const apply = await tiny(['queue', 'apply', '--queue', join(dir, 'queue'), '--out', join(dir, 'out')], { env });
    expect(apply.code, apply.stderr).toBe(0);
    expect((await readFile(join(dir, 'out', LOGO_PATH))).equals(edited)).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });

  it('builds a patch x base matrix when given several trees', async () => {
    const tree = join(REPO, 'test/fixtures/merge/tree');
    const r = await tiny(['queue', 'check', '--queue', QUEUE, '--tree', tree, '--tree', tree, '--no-pairs'], { env });
    expect(r.stdout).toContain('patch x base');
    expect(r.stdout).toMatch(/^kallsyms-extra\s+clean \(alone: FAILS\)\s+clean \(alone: FAILS\)$/m);
  });
});
