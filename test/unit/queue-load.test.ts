// loadQueue: what a user sees for a good queue and for each kind of mistake. Diagnostics are
// asserted exactly as `tiny` prints them (formatDiagnostic), paths relative to the queue dir.

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { loadQueue } from '../../src/queue/load.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';

const FIXTURES = resolve(__dirname, '../fixtures/queues');
const ROOT = resolve(__dirname, '../..');

/** Load a fixture queue that must fail; return its summary and formatted diagnostics. */
async function failure(dir: string): Promise<{ summary: string; text: string; exitCode: number }> {
  try {
    await loadQueue(dir, { cwd: dir });
  } catch (e) {
    if (!(e instanceof TinyError)) throw e;
    return { summary: e.message, text: e.diagnostics.map(formatDiagnostic).join('\n'), exitCode: e.exitCode };
  }
  throw new Error(`${dir} loaded without errors`);
}

const fixture = (name: string): string => join(FIXTURES, name);

const temps: string[] = [];
async function tempQueue(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tiny-queue-'));
  temps.push(dir);
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), data);
  }
  return dir;
}
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

describe('a good queue', () => {
  it('loads with resolved sources, defaults and headers filled in', async () => {
    const dir = fixture('good');
    const q = await loadQueue(dir);
    expect(q.name).toBe('good-queue');
    expect(q.dir).toBe(dir);
    expect(q.file).toBe(join(dir, 'queue.yaml'));
    expect(q.warnings).toEqual([]);
    expect(q.base).toEqual({
      version: '2.6.9',
      tree: '0123456789abcdef0123456789abcdef01234567',
      sources: [
        { kind: 'dir', path: join(homedir(), 'trees/linux-2.6.9') },
        {
          kind: 'tarball',
          path: join(FIXTURES, 'tarballs/linux-2.6.9.tar.bz2'),
          sha256: '9b6b4d8b5d8c7c6b3b2d0a1e6f4e5d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e',
        },
        {
          kind: 'url',
          url: 'https://www.kernel.org/pub/linux/kernel/v2.6/linux-2.6.9.tar.bz2',
          sha256: '9b6b4d8b5d8c7c6b3b2d0a1e6f4e5d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e',
        },
        { kind: 'git', repo: 'https://git.kernel.org/pub/scm/linux/kernel/git/history/history.git', ref: 'v2.6.9' },
      ],
    });
    expect(q.otherBases).toEqual([
      { version: '2.6.10', sources: [{ kind: 'git', repo: join(dir, 'linux.git'), ref: 'v2.6.10' }] },
      { version: '6.1', sources: [{ kind: 'debian', package: 'linux-source-6.1' }] },
    ]);
    const summary = q.series.map(({ name, file, summary, author, option, guards, depends, bases, strip, reverse, line }) => ({
      name,
      file,
      summary,
      author,
      option,
      guards,
      depends,
      bases,
      strip,
      reverse,
      line,
    }));
    expect(summary).toEqual([
      {
        name: 'printk-off',
        file: 'patches/printk-off.patch',
        // From the format-patch mail: Subject without "[PATCH 1/3]", From:.
        summary: 'Make printk optional',
        author: 'Matt Mackall <mpm@selenic.com>',
        option: 'PRINTK',
        guards: [{ include: false, negate: false, symbol: 'notiny' }],
        depends: [],
        bases: [],
        strip: 1,
        reverse: false,
        line: 23,
      },
      {
        name: 'bug-off',
        file: 'patches/bug-off.patch',
        // From the DEP-3 header: Description:, Author:.
        summary: 'Make BUG() optional',
        author: 'Matt Mackall <mpm@selenic.com>',
        option: 'BUG',
        guards: [
          { include: true, negate: false, symbol: 'tiny' },
          { include: false, negate: true, symbol: 'x86' },
        ],
        depends: ['printk-off'],
        bases: ['2.6.9', '2.6.10'],
        strip: 1,
        reverse: false,
        line: 27,
      },
      {
        name: 'revert-inline',
        file: 'patches/revert-inline.patch',
        summary: 'Undo forced inlining',
        author: undefined,
        option: undefined,
        guards: [],
        depends: [],
        bases: [],
        strip: 1,
        reverse: true,
        line: 33,
      },
    ]);
  });

  it('keeps the patch text, its sha256 and the parsed diff', async () => {
    const q = await loadQueue(fixture('good'));
    const p = q.series[1]!;
    const text = readFileSync(join(fixture('good'), 'patches/bug-off.patch'), 'utf8');
    expect(p.path).toBe(join(fixture('good'), 'patches/bug-off.patch'));
    expect(p.text).toBe(text);
    expect(p.sha256).toBe('eb9c840fe162199107b0d313dc97b55f5fa0d9906ac8e87f94d82295e486435a');
    // linux-2.6.9/init/Kconfig stripped once (strip: 1).
    expect(p.parsed.files.map((f) => f.newPath)).toEqual(['init/Kconfig']);
  });

  it("the repository's own queue/queue.yaml loads cleanly", async () => {
    const q = await loadQueue(join(ROOT, 'queue'));
    expect(q.name).toBe('linux-tiny');
    expect(q.base).toEqual({
      version: '2.6.9',
      tree: 'f3d196d3b703bd3c7ca1effbc8b5f0298db9a874',
      // Sources a user can reach, in order: kernel.org (no sha256: base.tree verifies the
      // content), the tarball next to the project, an unpacked tree in the cache.
      sources: [
        { kind: 'url', url: 'https://cdn.kernel.org/pub/linux/kernel/v2.6/linux-2.6.9.tar.xz' },
        { kind: 'tarball', path: join(ROOT, '..', 'shared/kernels/linux-2.6.9.tar.xz') },
        { kind: 'dir', path: join(homedir(), '.cache/tiny-trees/linux-2.6.9') },
      ],
    });
    // The compat series comes first, each patch selected only with the `compat-gcc12` guard (the gcc-12 toolchains' needs_compat).
    expect(
      q.series
        .filter((p) => p.bases.length === 0 || p.bases.includes('2.6.9'))
        .slice(0, 2)
        .map((p) => p.name),
    ).toEqual(['compat-no-pie', 'compat-gnu89-inline']);
    // Later bases, each pinned by tree hash; a patch ported by hand to one has a variant there.
    expect(q.otherBases.map((b) => `${b.version} ${b.tree}`)).toEqual(['2.6.11 c39ae07f393806ccf406ef966e9a15afc43cc36a', '2.6.12-rc2 0bba044c4ce775e45a88a51686b5d9f90697ea9d']);
    expect(q.series.filter((p) => p.name === 'posix-timers').map((p) => `${p.file} ${p.bases.join(',')}`)).toEqual([
      'patches/tiny/posix-timers.patch 2.6.9',
      'patches/2.6.11/tiny/posix-timers.patch 2.6.11',
      'patches/2.6.12-rc2/tiny/posix-timers.patch 2.6.12-rc2',
    ]);
    for (const p of q.series.filter((x) => x.name.startsWith('compat-'))) {
      expect(p.guards).toEqual([{ include: true, negate: false, symbol: 'compat-gcc12' }]);
    }
    expect(q.warnings).toEqual([]);
    expect(readFileSync(join(ROOT, 'queue/queue.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/queue\.schema\.json\n/);
  });
});

describe('mistakes, each reported where it is with what to do', () => {
  it('malformed YAML: yaml errors with their positions', async () => {
    const r = await failure(fixture('yaml-syntax'));
    expect(r.exitCode).toBe(2);
    expect(r.summary).toBe('invalid queue queue.yaml: 2 errors');
    expect(r.text).toBe(
      [
        'queue.yaml:4:1: error: Tabs are not allowed as indentation',
        '  hint: indent with spaces, not tabs',
        'queue.yaml:8:5: error: Map keys must be unique',
        '  hint: each key may appear once in a mapping: remove or merge the repeated one',
      ].join('\n'),
    );
  });

  it('an alias to an anchor that is not defined', async () => {
    const dir = await tempQueue({
      'queue.yaml': 'name: q\nbase:\n  version: "2.6.9"\n  sources: [{path: /src/linux}]\nseries:\n  - name: a\n    file: *patch\n',
    });
    expect((await failure(dir)).text).toBe(
      ['queue.yaml:7:11: error: Unresolved alias (the anchor must be set before the alias): patch', '  hint: define the anchor (&name) before using the alias (*name)'].join('\n'),
    );
  });

  it('an empty queue file', async () => {
    expect((await failure(fixture('empty'))).text).toBe(
      ['queue.yaml:1:1: error: the queue file is empty', '  hint: a queue needs name:, base: and series: (see queue/queue.yaml in tiny for an example)'].join('\n'),
    );
  });

  it('no queue.yaml at all', async () => {
    const dir = await tempQueue({ README: 'not a queue\n' });
    const r = await failure(dir);
    expect(r.summary).toBe('cannot load queue queue.yaml');
    expect(r.text).toBe([`queue.yaml: error: no queue.yaml in ${dir}`, '  hint: create one with name:, base: and series:, or import a quilt series directory into a new queue'].join('\n'));
  });

  it('unknown keys: a suggestion when one is close, else the allowed keys', async () => {
    expect((await failure(fixture('unknown-key'))).text).toBe(
      [
        "queue.yaml:8:5: error: unknown key 'sumary'",
        "  hint: did you mean 'summary'?",
        "queue.yaml:10:5: error: unknown key 'xyzzy'",
        '  hint: allowed keys here: name, file, summary, author, option, guards, depends, bases, strip, reverse',
      ].join('\n'),
    );
  });

  it('wrong types, a bad option name and a missing required key', async () => {
    expect((await failure(fixture('wrong-type'))).text).toBe(
      [
        "queue.yaml:3:12: error: 'version' must be a string, not a number (6.1)",
        '  hint: quote it: version: "6.10"',
        "queue.yaml:9:12: error: 'strip' must be an integer, not a string ('one')",
        '  hint: Leading path components to strip from paths in the patch (patch -pN). Default 1 (a/... b/...).',
        "queue.yaml:10:13: error: 'guards' must be a list, not a string ('+tiny')",
        '  hint: write a list: guards: [+tiny]',
        "queue.yaml:11:13: error: option 'CONFIG_printk' must be a Kconfig symbol without CONFIG_, in uppercase",
        '  hint: write option: PRINTK',
        "queue.yaml:12:14: error: 'reverse' must be true or false, not a string ('yes')",
        '  hint: Apply the patch in reverse (patch -R, quilt series -R). Default false.',
        "queue.yaml:13:5: error: patch 'b' is missing 'file'",
        '  hint: add `file:` with the patch path relative to the queue directory, e.g. file: patches/foo.patch',
      ].join('\n'),
    );
  });

  it('missing patch files: the path looked for, and a near miss if there is one', async () => {
    expect((await failure(fixture('missing-file'))).text).toBe(
      [
        "queue.yaml:8:11: error: patch file 'patches/printk_off.patch' not found",
        "  hint: looked for patches/printk_off.patch; did you mean 'patches/printk-off.patch'?",
        "queue.yaml:10:11: error: patch file 'patches/bug-off.patch' not found",
        '  hint: looked for patches/bug-off.patch (file: is relative to the queue directory); fix the path or add the file',
        "queue.yaml:12:11: error: 'patches' is a directory, not a patch file",
        '  hint: point file: at the .patch or .diff file',
      ].join('\n'),
    );
  });

  it('paths in diagnostics are relative to the cwd when that is shorter', async () => {
    const dir = fixture('missing-file');
    try {
      await loadQueue(dir, { cwd: ROOT });
      expect.unreachable();
    } catch (e) {
      const first = formatDiagnostic((e as TinyError).diagnostics[0]!);
      expect(first).toBe(
        [
          "test/fixtures/queues/missing-file/queue.yaml:8:11: error: patch file 'patches/printk_off.patch' not found",
          "  hint: looked for test/fixtures/queues/missing-file/patches/printk_off.patch; did you mean 'test/fixtures/queues/missing-file/patches/printk-off.patch'?",
        ].join('\n'),
      );
    }
  });

  it('a duplicate patch name points at the second and names the first line', async () => {
    expect((await failure(fixture('duplicate-name'))).text).toBe(
      [
        "queue.yaml:9:11: error: duplicate patch name 'a' (first used on line 7)",
        '  hint: patch names identify patches in depends and reports: rename one of them, or give each per-base variant its own bases: list',
      ].join('\n'),
    );
  });

  it('per-base variants share a name when each lists its own bases', async () => {
    const dup = await readFile(join(fixture('duplicate-name'), 'patches/a.patch'));
    const yaml = (aBases: string, bBases: string) =>
      [
        'name: variants',
        'base:',
        '  version: "2.6.9"',
        '  sources: [{ path: /src/linux-2.6.9 }]',
        'bases:',
        '  - version: "2.6.11"',
        '    sources: [{ path: /src/linux-2.6.11 }]',
        'series:',
        '  - name: a',
        '    file: patches/a.patch',
        `    bases: ${aBases}`,
        '  - name: a',
        '    file: patches/2.6.11/a.patch',
        `    bases: ${bBases}`,
        '',
      ].join('\n');
    const files = (a: string, b: string) => ({ 'queue.yaml': yaml(a, b), 'patches/a.patch': dup, 'patches/2.6.11/a.patch': dup });
    const q = await loadQueue(await tempQueue(files('["2.6.9"]', '["2.6.11"]')));
    expect(q.series.map((p) => `${p.name} ${p.file} ${p.bases.join(',')}`)).toEqual(['a patches/a.patch 2.6.9', 'a patches/2.6.11/a.patch 2.6.11']);
    expect((await failure(await tempQueue(files('["2.6.9", "2.6.11"]', '["2.6.11"]')))).text).toBe(
      [
        "queue.yaml:12:11: error: patch 'a' is given twice for base 2.6.11 (first on line 9)",
        '  hint: per-base variants of a patch share a name only when no base is listed by two of them: fix their bases: lists',
      ].join('\n'),
    );
  });

  it('unknown dependencies', async () => {
    expect((await failure(fixture('unknown-dependency'))).text).toBe(
      [
        "queue.yaml:11:15: error: unknown dependency 'printk-of'",
        "  hint: did you mean 'printk-off'?",
        "queue.yaml:11:26: error: unknown dependency 'slab-off'",
        "  hint: no patch in the series is named 'slab-off': depends lists names of earlier patches",
      ].join('\n'),
    );
  });

  it('dependency cycles are named once each, not also reported as misordered', async () => {
    expect((await failure(fixture('dependency-cycle'))).text).toBe(
      [
        'queue.yaml:9:15: error: dependency cycle: a -> b -> a',
        '  hint: a patch can only depend on patches before it in the series: remove one of these depends',
        'queue.yaml:15:15: error: dependency cycle: c -> c',
        '  hint: a patch can only depend on patches before it in the series: remove one of these depends',
      ].join('\n'),
    );
  });

  it('a dependency after its dependent', async () => {
    expect((await failure(fixture('dependency-order'))).text).toBe(
      ["queue.yaml:10:9: error: 'bug-off' depends on 'printk-off', which comes later in the series (line 11)", "  hint: move 'printk-off' above 'bug-off': patches apply in series order"].join('\n'),
    );
  });

  it('bad guards show the four valid forms', async () => {
    const forms = "a guard is one of '+sym' (include if sym is set), '-sym' (exclude if set), '+!sym' (include if not set), '-!sym' (exclude if not set)";
    expect((await failure(fixture('bad-guard'))).text).toBe(
      [
        "queue.yaml:9:14: error: bad guard 'tiny'",
        `  hint: did you mean '+tiny'? ${forms}`,
        "queue.yaml:9:20: error: bad guard '+!'",
        `  hint: ${forms}`,
        "queue.yaml:9:34: error: bad guard '=arm'",
        `  hint: ${forms}`,
      ].join('\n'),
    );
  });

  it('a patch file that holds no diff', async () => {
    expect((await failure(fixture('not-a-diff'))).text).toBe(
      [
        "queue.yaml:8:11: error: patch file 'patches/notes.patch' contains no diff",
        "  hint: patches/notes.patch has no file sections ('--- a/...' and '+++ b/...' lines, or 'diff --git'); is it the right file?",
      ].join('\n'),
    );
  });

  it('a patch that does not parse: the line in the patch file, and the queue entry', async () => {
    expect((await failure(fixture('parse-error'))).text).toBe(
      [
        'patches/truncated.patch:9: error: hunk at line 5 ends early: expected 2 more old and 2 more new lines',
        "  hint: this is patch 'inode-hash' (queue.yaml:8); fix the patch or regenerate it (git format-patch, quilt refresh)",
      ].join('\n'),
    );
  });

  it('a patch with a section in another diff format: refused at its line, not left out', async () => {
    expect((await failure(fixture('context-diff'))).text).toBe(
      [
        'patches/old-style.patch:12: error: line 12 starts a hunk of a context diff (diff -c); tiny reads unified diffs (diff -u, git diff): convert it with `filterdiff --format=unified` (Debian package patchutils) or make it again with diff -u',
        "  hint: this is patch 'printk-quiet' (queue.yaml:8); fix the patch or regenerate it (git format-patch, quilt refresh)",
      ].join('\n'),
    );
  });

  it('sources: exactly one kind each, with the fields that kind needs', async () => {
    const r = await failure(fixture('sources'));
    expect(r.summary).toBe('invalid queue queue.yaml: 8 errors');
    expect(r.text).toBe(
      [
        "queue.yaml:4:9: error: tree '0123ABC' is not a git tree hash (40 lowercase hex digits)",
        '  hint: get it with `git rev-parse v2.6.9^{tree}` in a kernel repository',
        "queue.yaml:7:7: error: sha256 is for tarballs, and '/src/linux-2.6.9' is a directory",
        '  hint: remove sha256 (pin a directory with base.tree), or point path at a .tar, .tar.gz, .tgz, .tar.bz2 or .tar.xz file',
        "queue.yaml:8:12: error: url source 'https://www.kernel.org/pub/linux/kernel/v2.6/linux-2.6.9.tar.bz2' has no sha256, and the base pins no tree",
        '  hint: add `sha256: <sha256sum of the file>` to the source, or pin the content with base.tree (`git rev-parse <commit>^{tree}`)',
        "queue.yaml:10:7: error: a source has both 'path' and 'url'",
        "  hint: give each source its own list item (each starting with '- '); they are tried in order",
        "queue.yaml:11:7: error: a source needs one of 'path', 'url', 'git' or 'debian'",
        "  hint: did you mean 'git'? write one of: `- path: ~/src/linux-2.6.9` (directory or tarball), `- url: https://... ` with `sha256:`, `- git: <repo>` with `ref: v2.6.9`, or `- debian: linux-source-6.1`",
        "queue.yaml:13:15: error: debian 'linux-source' is not a linux-source package name",
        '  hint: e.g. debian: linux-source-6.1 (install it with apt install linux-source-6.1)',
        "queue.yaml:14:7: error: base.sources[5] is missing 'ref'",
        '  hint: add the tag, branch or commit to use, e.g. ref: v2.6.9',
        "queue.yaml:16:14: error: base version '2.6.9' is listed twice (first on line 3)",
        '  hint: each base appears once: remove the repeated one',
        'queue.yaml:17:14: warning: base 2.6.9 has no sources',
        '  hint: add where its tree comes from: `- path: <dir or tarball>`, `- url: ...` with `sha256:`, `- git: <repo>` with `ref:`, or `- debian: linux-source-X.Y`',
      ].join('\n'),
    );
  });

  it('all problems at once, in file order', async () => {
    const r = await failure(fixture('all-at-once'));
    expect(r.summary).toBe('invalid queue queue.yaml: 6 errors');
    expect(r.text).toBe(
      [
        "queue.yaml:9:15: error: 'a' depends on 'b', which comes later in the series (line 11)",
        "  hint: move 'b' above 'a': patches apply in series order",
        "queue.yaml:10:14: error: bad guard 'tiny'",
        "  hint: did you mean '+tiny'? a guard is one of '+sym' (include if sym is set), '-sym' (exclude if set), '+!sym' (include if not set), '-!sym' (exclude if not set)",
        "queue.yaml:12:11: error: patch file 'patches/missing.patch' not found",
        '  hint: looked for patches/missing.patch (file: is relative to the queue directory); fix the path or add the file',
        "queue.yaml:13:13: error: unknown base '2.6.10'",
        "  hint: the queue's bases are 2.6.9; add 2.6.10 under bases: or fix the version",
        "queue.yaml:14:11: error: duplicate patch name 'a' (first used on line 7)",
        '  hint: patch names identify patches in depends and reports: rename one of them, or give each per-base variant its own bases: list',
        "queue.yaml:16:5: error: unknown key 'stirp'",
        "  hint: did you mean 'strip'?",
      ].join('\n'),
    );
  });

  it('a patch entry written as a bare path, and series left empty', async () => {
    const dir = await tempQueue({
      'queue.yaml': 'name: q\nbase:\n  version: "2.6.9"\n  sources: [{path: /src/linux}]\nseries:\n  - patches/a.patch\n',
    });
    expect((await failure(dir)).text).toBe(
      [
        "queue.yaml:6:5: error: 'series[0]' must be a mapping, not a string ('patches/a.patch')",
        '  hint: each patch is a mapping: `- name: <name>` with `file: patches/<name>.patch` on the next line',
      ].join('\n'),
    );
    const empty = await tempQueue({ 'queue.yaml': 'name: q\nbase:\n  version: "2.6.9"\n  sources: [{path: /src/linux}]\nseries:\n' });
    expect((await failure(empty)).text).toBe(["queue.yaml:5:1: error: 'series' must be a list, not empty", '  hint: write `series: []` for a queue with no patches yet'].join('\n'));
  });
});

describe('warnings do not stop loading', () => {
  it('an imported queue whose base is still to be filled in', async () => {
    const dir = await tempQueue({ 'queue.yaml': 'name: q\nbase:\n  version: unknown\n  sources: []\nseries: []\n' });
    const q = await loadQueue(dir, { cwd: dir });
    expect(q.warnings!.map(formatDiagnostic).join('\n')).toBe(
      [
        "queue.yaml:3:12: warning: base version is still 'unknown'",
        '  hint: set it to the kernel version the series applies to, e.g. version: "2.6.9"',
        'queue.yaml:4:12: warning: base unknown has no sources',
        '  hint: add where its tree comes from: `- path: <dir or tarball>`, `- url: ...` with `sha256:`, `- git: <repo>` with `ref:`, or `- debian: linux-source-X.Y`',
      ].join('\n'),
    );
  });

  it('a Latin-1 patch: loaded as its bytes (never decoded), hashed by them, no warning; its author read as Latin-1', async () => {
    const bytes = Buffer.concat([
      Buffer.from('From: Ren'),
      Buffer.from([0xe9]),
      Buffer.from(' <r@example.org>\nSubject: fix\n\n--- a/CREDITS\n+++ b/CREDITS\n@@ -1 +1 @@\n-a\n+Bogend'),
      Buffer.from([0xf6]),
      Buffer.from('rfer\n'),
    ]);
    const dir = await tempQueue({
      'queue.yaml': 'name: q\nbase:\n  version: "2.6.9"\n  sources: [{path: /src/linux}]\nseries:\n  - name: a\n    file: a.patch\n',
      'a.patch': bytes,
    });
    const q = await loadQueue(dir, { cwd: dir });
    const p = q.series[0]!;
    expect(p.sha256).toBe((await import('../../src/util/fs.js')).sha256(bytes));
    expect(Buffer.from(p.text, 'latin1')).toEqual(bytes);
    expect(p.parsed.files[0]!.hunks[0]!.lines[1]).toEqual({ kind: '+', text: 'Bogend\xf6rfer' });
    expect(p.author).toBe('René <r@example.org>');
    expect(q.warnings ?? []).toEqual([]);
  });
});

describe('schema/queue.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema/queue.schema.json'), 'utf8')) as Record<string, unknown>;

  it('compiles in strict mode and describes every property (editors show descriptions)', () => {
    expect(() => new Ajv({ strict: true }).compile(schema)).not.toThrow();
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (!(v as { description?: string }).description) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      for (const [k, v] of Object.entries((node as { definitions?: Record<string, unknown> }).definitions ?? {})) walk(v, `#${k}`);
      walk((node as { items?: unknown }).items, `${path}[]`);
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });

  it('closes every object (additionalProperties: false)', () => {
    const open: string[] = [];
    const defs = (schema.definitions ?? {}) as Record<string, { type?: string; additionalProperties?: boolean }>;
    if (schema.additionalProperties !== false) open.push('(root)');
    for (const [k, v] of Object.entries(defs)) if (v.type === 'object' && v.additionalProperties !== false) open.push(k);
    expect(open).toEqual([]);
  });
});
