// quilt interop: reading series files, importing a quilt patches directory, exporting a queue
// that the real `quilt push -a` applies exactly as `git apply` would.

import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadQueue } from '../../src/queue/load.js';
import { exportQuilt, importQuilt, nameFromPath, parseSeries } from '../../src/queue/quilt.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';
import { run } from '../../src/util/exec.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const quiltWhy = await missingPrerequisites('quilt');

const ROOT = resolve(__dirname, '../..');
const FIXTURES = resolve(__dirname, '../fixtures/queues');
const SERIES_DIR = join(FIXTURES, 'quilt-series');
const TREE = join(FIXTURES, 'quilt-tree');

const temps: string[] = [];
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tiny-quilt-'));
  temps.push(d);
  return d;
}
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

async function tinyError(p: Promise<unknown>): Promise<TinyError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TinyError) return e;
    throw e;
  }
  throw new Error('expected a TinyError');
}

/** importQuilt of `src` into a new directory, which must fail: the error, and whether it wrote that directory. */
async function failedImport(src: string): Promise<{ e: TinyError; wrote: boolean }> {
  const out = join(await temp(), 'q');
  const e = await tinyError(importQuilt(src, out, { cwd: src }));
  return { e, wrote: existsSync(out) };
}

describe('parseSeries', () => {
  it('reads strip levels, -R and guards in both spellings; skips comments and blank lines', () => {
    const { entries, diagnostics } = parseSeries(
      ['# linux-tiny', '', 'a.patch', '  fs/b.patch   -p0', 'c.patch -R -p2 # undo c', '+xen -!x86 d.patch', 'e.patch #+debug -!x86', '+rt f.patch -p0 #-!smp', 'g#1.patch'].join('\n'),
      'series',
    );
    expect(diagnostics).toEqual([]);
    expect(entries.map((e) => ({ ...e, guards: e.guards.map((g) => `${g.include ? '+' : '-'}${g.negate ? '!' : ''}${g.symbol}`) }))).toEqual([
      { patch: 'a.patch', strip: 1, reverse: false, guards: [], line: 3 },
      { patch: 'fs/b.patch', strip: 0, reverse: false, guards: [], line: 4 },
      { patch: 'c.patch', strip: 2, reverse: true, guards: [], line: 5 },
      { patch: 'd.patch', strip: 1, reverse: false, guards: ['+xen', '-!x86'], line: 6 },
      { patch: 'e.patch', strip: 1, reverse: false, guards: ['+debug', '-!x86'], line: 7 },
      // Leading guards first, then the trailing comment's: guards(1) reads left to right.
      { patch: 'f.patch', strip: 0, reverse: false, guards: ['+rt', '-!smp'], line: 8 },
      // As in quilt, '#' starts a comment only at the start of the line or after blanks.
      { patch: 'g#1.patch', strip: 1, reverse: false, guards: [], line: 9 },
    ]);
  });

  it('reports unknown options and misplaced guards with line and column', () => {
    const { entries, diagnostics } = parseSeries(['a.patch -p1 --fuzz=3', 'b.patch +xen', '+xen -!', 'c.patch d.patch', '=x e.patch'].join('\n'), 'debian/patches/series');
    expect(entries.map((e) => e.patch)).toEqual(['a.patch', 'b.patch', 'c.patch', '=x']);
    expect(diagnostics.map(formatDiagnostic).join('\n')).toBe(
      [
        "debian/patches/series:1:13: error: unknown option '--fuzz=3' for patch 'a.patch'",
        '  hint: a series line is `patch [-pN] [-R]`: -pN strips N path components, -R applies in reverse',
        "debian/patches/series:2:9: error: guard '+xen' after the patch name",
        '  hint: put guards before the patch name or in a trailing comment: b.patch #+xen',
        "debian/patches/series:3:6: error: bad guard '-!'",
        "  hint: a guard is one of '+sym' (include if sym is set), '-sym' (exclude if set), '+!sym' (include if not set), '-!sym' (exclude if not set)",
        'debian/patches/series:3:1: error: guards without a patch name',
        '  hint: write the patch path after its guards: `+sym path/to/fix.patch`',
        "debian/patches/series:4:9: error: unexpected 'd.patch' after patch 'c.patch'",
        '  hint: write one patch per line: `patch [-pN] [-R]`',
        "debian/patches/series:5:4: error: unexpected 'e.patch' after patch '=x'",
        '  hint: write one patch per line: `patch [-pN] [-R]`',
      ].join('\n'),
    );
  });
});

describe('nameFromPath', () => {
  it('drops the extension, keeps directories, replaces what a name cannot hold', () => {
    expect(nameFromPath('features/all/fix-foo.patch')).toBe('features/all/fix-foo');
    expect(nameFromPath('linux-2.6.9-tiny1.diff')).toBe('linux-2.6.9-tiny1');
    expect(nameFromPath('fix 2.6.9')).toBe('fix-2.6.9');
    expect(nameFromPath('~fix.patch')).toBe('fix');
  });
});

describe('importQuilt', () => {
  it('writes queue.yaml and the patches, with the base left to fill in', async () => {
    const out = join(await temp(), 'imported');
    const r = await importQuilt(SERIES_DIR, out);
    expect(r).toEqual({ queueFile: join(out, 'queue.yaml'), count: 5 });
    const schema = relative(out, join(ROOT, 'schema/queue.schema.json'));
    // The note names the series relative to the queue, or absolute when that is shorter.
    const rel = relative(out, join(SERIES_DIR, 'series'));
    const from = rel.length < join(SERIES_DIR, 'series').length ? rel : join(SERIES_DIR, 'series');
    expect(await readFile(r.queueFile, 'utf8')).toBe(
      `# yaml-language-server: $schema=${schema}
# Imported from ${from}.

name: imported

# TODO: fill in the base: the kernel version these patches apply to, and where its tree
# comes from: '- path: <dir or tarball>', '- url: <tarball URL>' with 'sha256:',
# '- git: <repo>' with 'ref: <tag>', or '- debian: linux-source-X.Y'.
base:
  version: unknown
  sources: []

series:
  - name: 01-printk
    file: patches/01-printk.patch
  - name: fs/02-inode
    file: patches/fs/02-inode.patch
    strip: 0
  - name: 03-uninline
    file: patches/03-uninline.patch
    reverse: true
  - name: 04-xen
    file: patches/04-xen.patch
    guards: [+xen]
  - name: 05-debug
    file: patches/05-debug.patch
    guards: [+debug, -!x86]
`,
    );
    // Patches copied byte for byte, relative paths kept.
    for (const f of ['01-printk.patch', 'fs/02-inode.patch', '03-uninline.patch', '04-xen.patch', '05-debug.patch']) {
      expect(await readFile(join(out, 'patches', f))).toEqual(await readFile(join(SERIES_DIR, f)));
    }
    // It loads (with warnings about the base), and takes authors and summaries from the headers.
    const q = await loadQueue(out, { cwd: out });
    expect(q.warnings!.map((w) => w.message)).toEqual(["base version is still 'unknown'", 'base unknown has no sources']);
    expect(q.series.map((p) => [p.name, p.summary, p.author])).toEqual([
      ['01-printk', 'Make printk optional', 'Matt Mackall <mpm@selenic.com>'],
      ['fs/02-inode', 'Shrink the inode hash', 'Matt Mackall <mpm@selenic.com>'],
      ['03-uninline', undefined, undefined],
      ['04-xen', undefined, undefined],
      ['05-debug', undefined, undefined],
    ]);
  });

  it('takes a base when given one, and names the queue', async () => {
    const out = await temp();
    await importQuilt(SERIES_DIR, out, { name: 'tiny', base: { version: '2.6.9', sources: [{ path: '~/src/linux-2.6.9' }] } });
    const q = await loadQueue(out);
    expect(q.name).toBe('tiny');
    expect(q.base.version).toBe('2.6.9');
    expect(q.warnings).toEqual([]);
    expect(await readFile(join(out, 'queue.yaml'), 'utf8')).toContain('base:\n  version: 2.6.9\n  sources:\n    - path: ~/src/linux-2.6.9\n');
  });

  it('refuses to overwrite a queue.yaml unless forced', async () => {
    const out = await temp();
    await writeFile(join(out, 'queue.yaml'), 'name: mine\n');
    const e = await tinyError(importQuilt(SERIES_DIR, out, { cwd: out }));
    expect(e.message).toBe('queue.yaml already exists');
    expect(e.hint).toBe('import into an empty directory, or force the import to replace the queue');
    expect(await readFile(join(out, 'queue.yaml'), 'utf8')).toBe('name: mine\n');
    await importQuilt(SERIES_DIR, out, { force: true });
    expect(await readFile(join(out, 'queue.yaml'), 'utf8')).toContain('name: 01-printk');
  });

  it('reports every missing patch and bad line, and writes nothing', async () => {
    const src = await temp();
    await writeFile(join(src, 'series'), 'a.patch\nmissing.patch -p0\nb.patch -F3\n');
    await writeFile(join(src, 'a.patch'), '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    await writeFile(join(src, 'b.patch'), '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-b\n+c\n');
    const { e, wrote } = await failedImport(src);
    expect(e.message).toBe('cannot import series: 2 problems');
    expect(e.diagnostics.map(formatDiagnostic).join('\n')).toBe(
      [
        "series:3:9: error: unknown option '-F3' for patch 'b.patch'",
        '  hint: a series line is `patch [-pN] [-R]`: -pN strips N path components, -R applies in reverse',
        "series:2:1: error: patch 'missing.patch' not found",
        "  hint: looked for missing.patch; series paths are relative to the series file's directory",
      ].join('\n'),
    );
    expect(wrote).toBe(false);
  });

  it('makes names unique', async () => {
    const src = await temp();
    await mkdir(join(src, 'x'));
    const patch = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
    await writeFile(join(src, 'fix.patch'), patch);
    await writeFile(join(src, 'fix.diff'), patch);
    await writeFile(join(src, 'series'), 'fix.patch\nfix.diff\n');
    const out = await temp();
    await importQuilt(src, out);
    const q = await loadQueue(out);
    expect(q.series.map((p) => [p.name, p.file])).toEqual([
      ['fix', 'patches/fix.patch'],
      ['fix-2', 'patches/fix.diff'],
    ]);
  });
});

describe('importQuilt: compressed patches', () => {
  it('reads .gz, .bz2 and .xz patches as quilt does, and imports them decompressed', async () => {
    const src = await temp();
    const patch = (from: string, to: string) => `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
    await writeFile(join(src, 'one.patch'), patch('a', 'b'));
    await writeFile(join(src, 'two.diff'), patch('b', 'c'));
    await writeFile(join(src, 'three.patch'), patch('c', 'd'));
    await run('gzip', [join(src, 'one.patch')]);
    await run('bzip2', [join(src, 'two.diff')]);
    await run('xz', [join(src, 'three.patch')]);
    await writeFile(join(src, 'series'), 'one.patch.gz\ntwo.diff.bz2 -p1\nthree.patch.xz\n');
    const out = await temp();
    await importQuilt(src, out);
    const q = await loadQueue(out);
    expect(q.series.map((p) => [p.name, p.file])).toEqual([
      ['one', 'patches/one.patch'],
      ['two', 'patches/two.diff'],
      ['three', 'patches/three.patch'],
    ]);
    expect(await readFile(join(out, 'patches/two.diff'), 'utf8')).toBe(patch('b', 'c'));
  });

  it('says which line names a patch that does not decompress, and writes nothing', async () => {
    const src = await temp();
    await writeFile(join(src, 'broken.patch.gz'), 'not gzip\n');
    await writeFile(join(src, 'series'), 'broken.patch.gz\n');
    const { e, wrote } = await failedImport(src);
    expect(e.diagnostics.map(formatDiagnostic).join('\n')).toBe(
      [
        "series:1:1: error: cannot decompress patch 'broken.patch.gz' with gzip: gzip: stdin: not in gzip format",
        '  hint: quilt reads a patch named .gz, .bz2 or .xz through gzip; check broken.patch.gz',
      ].join('\n'),
    );
    expect(wrote).toBe(false);
  });

  it('a queue pointing at a compressed patch is told to decompress it', async () => {
    const dir = await temp();
    await mkdir(join(dir, 'patches'));
    await writeFile(join(dir, 'patches/one.patch'), '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    await run('gzip', [join(dir, 'patches/one.patch')]);
    await writeFile(join(dir, 'queue.yaml'), 'name: q\nbase:\n  version: "2.6.9"\n  sources: []\nseries:\n  - name: one\n    file: patches/one.patch.gz\n');
    const e = await tinyError(loadQueue(dir, { cwd: dir }));
    expect(
      e.diagnostics
        .filter((d) => d.severity === 'error')
        .map(formatDiagnostic)
        .join('\n'),
    ).toBe(
      [
        "queue.yaml:7:11: error: patch file 'patches/one.patch.gz' is compressed (gzip)",
        '  hint: a queue reads its patches as they are: decompress it (gzip -dk patches/one.patch.gz) and point file: at the result; tiny queue import-quilt decompresses the .gz, .bz2 and .xz patches of a quilt series itself',
      ].join('\n'),
    );
  });
});

describe('exportQuilt', () => {
  it('round trip: import, export, import again keeps order, strip levels, -R, guards and bytes', async () => {
    const first = await temp();
    await importQuilt(SERIES_DIR, first);
    const q1 = await loadQueue(first);
    const exported = await temp();
    await exportQuilt(q1, exported);
    expect(await readFile(join(exported, 'series'), 'utf8')).toBe(
      [`# ${q1.name}: exported by tiny`, '01-printk.patch', 'fs/02-inode.patch -p0', '03-uninline.patch -R', '04-xen.patch #+xen', '05-debug.patch #+debug -!x86', ''].join('\n'),
    );
    const second = await temp();
    await importQuilt(exported, second);
    const q2 = await loadQueue(second);
    const shape = (q: typeof q1) => q.series.map(({ name, file, strip, reverse, guards, sha256 }) => ({ name, file, strip, reverse, guards, sha256 }));
    expect(shape(q2)).toEqual(shape(q1));
    expect(shape(q1).map((p) => p.name)).toEqual(['01-printk', 'fs/02-inode', '03-uninline', '04-xen', '05-debug']);
  });

  it('with symbols, writes only the patches guards(1) would select', async () => {
    const q = await loadQueue(await imported());
    const out = await temp();
    await exportQuilt(q, out, { symbols: new Set(['xen', 'x86']) });
    expect(await readFile(join(out, 'series'), 'utf8')).toBe(
      [`# ${q.name}: exported by tiny for symbols: x86 xen`, '01-printk.patch', 'fs/02-inode.patch -p0', '03-uninline.patch -R', '04-xen.patch #+xen', ''].join('\n'),
    );
    expect(existsSync(join(out, '05-debug.patch'))).toBe(false);
  });

  it.skipIf(quiltWhy !== undefined)(`quilt push -a on the export gives the same tree as git apply of the same patches${quiltWhy ? ` (skipped: ${quiltWhy})` : ''}`, async () => {
    const q = await loadQueue(await imported());
    const patches = await temp();
    await exportQuilt(q, patches);

    const byQuilt = await copyTree();
    const env = { ...process.env, QUILT_PATCHES: patches, QUILT_PC: '.pc' };
    const pushed = await run('quilt', ['--quiltrc', '/dev/null', 'push', '-a'], { cwd: byQuilt, env, allowFail: true });
    expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);

    const byGit = await copyTree();
    const { entries } = parseSeries(await readFile(join(patches, 'series'), 'utf8'), 'series');
    for (const e of entries) {
      await run('git', ['apply', `-p${e.strip}`, ...(e.reverse ? ['-R'] : []), join(patches, e.patch)], { cwd: byGit });
    }

    const quiltFiles = await treeFiles(byQuilt);
    expect(quiltFiles).toEqual(await treeFiles(byGit));
    // And the series really did something: every patch is visible in the result.
    expect(quiltFiles['init/main.c']).toContain('#ifdef CONFIG_PRINTK');
    expect(quiltFiles['init/main.c']).toContain('debug_init();');
    expect(quiltFiles['fs/inode.c']).toContain('#define I_HASHBITS 4');
    expect(quiltFiles['include/linux/compiler.h']).toContain('#define inline\t\tinline\n');
    expect(quiltFiles.Makefile).toContain('EXTRAVERSION = -xen');
  });
});

async function importedOnce(): Promise<string> {
  const out = await temp();
  await importQuilt(SERIES_DIR, out, { base: { version: '2.6.9', sources: [{ path: TREE }] } });
  return out;
}
let importedDir: Promise<string> | undefined;
function imported(): Promise<string> {
  importedDir ??= importedOnce();
  return importedDir;
}

async function copyTree(): Promise<string> {
  const dir = await temp();
  await cp(TREE, dir, { recursive: true });
  return dir;
}

/** path -> content of every file, quilt's .pc bookkeeping left out. */
async function treeFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    if (rel.split('/')[0] === '.pc') continue;
    out[rel] = await readFile(join(dir, rel), 'utf8');
  }
  return out;
}
