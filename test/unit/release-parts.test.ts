// The pure parts of src/release: the tar writer (read back by GNU tar), xz/bzip2 output that
// depends only on the input, the content hash that ignores header noise, queue.yaml narrowed to
// the released patches, and the changelog of two manifests.

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildChangelog,
  changelogJson,
  compress,
  createTar,
  decompress,
  manifestDocument,
  patchContent,
  readManifestDocument,
  readTar,
  releaseQueueYaml,
  renderChangelog,
  type ReleaseManifest,
} from '../../src/release/index.js';
import { readReportDocument, reportDocument, type ReportDocument } from '../../src/report/json.js';
import { buildSizeReport, type SizeReport } from '../../src/report/size-report.js';
import { expectContract } from '../helpers/json-contract.js';
import { sh } from '../helpers/cli.js';

describe('createTar', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-tar-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const long = `d/${'x'.repeat(90)}/${'y'.repeat(90)}/${'z'.repeat(120)}.patch`;
  const entries = [
    { path: 'r/b.patch', data: Buffer.from('b\n') },
    { path: 'r/a/run.sh', data: Buffer.from('#!/bin/sh\n'), executable: true },
    { path: `r/${long}`, data: Buffer.from('long\n') },
    { path: 'r/README', data: Buffer.from('readme\n') },
  ];

  it('GNU tar reads it: sorted entries, parents included, root/root, normalized modes, one mtime', async () => {
    const file = join(dir, 't.tar');
    await writeFile(file, createTar(entries, 1096000000));
    const list = (await sh('tar', ['--utc', '-tvf', file])).trim().split('\n');
    expect(list.map((l) => l.split(/\s+/).slice(5).join(' '))).toEqual([
      'r/',
      'r/README',
      'r/a/',
      'r/a/run.sh',
      'r/b.patch',
      'r/d/',
      `r/d/${'x'.repeat(90)}/`,
      `r/d/${'x'.repeat(90)}/${'y'.repeat(90)}/`,
      `r/${long}`,
    ]);
    for (const l of list) expect(l).toMatch(/^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x) root\/root\s+\d+ 2004-09-24 04:26 /);
    expect(list.find((l) => l.endsWith('run.sh'))).toMatch(/^-rwxr-xr-x/);
    await sh('tar', ['-xf', file, '-C', dir]);
    expect(await readFile(join(dir, 'r', long), 'utf8')).toBe('long\n');
    expect((await stat(join(dir, 'r/b.patch'))).mtimeMs).toBe(1096000000 * 1000);
    expect((await stat(join(dir, 'r/b.patch'))).size % 512).toBe(2);
  });

  it('depends only on its entries: input order does not matter, readTar reads it back', () => {
    const a = createTar(entries, 1);
    const b = createTar([...entries].reverse(), 1);
    expect(a.equals(b)).toBe(true);
    expect(a.length % 10240).toBe(0);
    expect(createTar(entries, 2).equals(a)).toBe(false);
    const back = readTar(a);
    expect(back.get(`r/${long}`)?.toString()).toBe('long\n');
    expect(back.get('r/a/')?.length).toBe(0);
  });

  it('refuses paths that could escape the archive root', () => {
    expect(() => createTar([{ path: '../x', data: Buffer.from('') }], 0)).toThrow(/bad entry path/);
    expect(() => createTar([{ path: '/etc/x', data: Buffer.from('') }], 0)).toThrow(/bad entry path/);
  });
});

describe('compression', () => {
  it('xz and bzip2 give the same bytes for the same input, and decompress to it', async () => {
    const data = Buffer.from('diff --git a/x b/x\n'.repeat(5000));
    for (const kind of ['xz', 'bz2'] as const) {
      const a = await compress(data, kind);
      const b = await compress(data, kind);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBeLessThan(data.length / 10);
      expect((await decompress(a, kind))!.equals(data)).toBe(true);
    }
  });
});

const PATCH = `From 1234 Mon Sep 17 00:00:00 2001
From: A <a@example.org>
Subject: [PATCH] foo: bar

Body.
---
 foo.c | 1 +
 1 file changed

diff --git a/foo.c b/foo.c
index 1111111..2222222 100644
--- a/foo.c
+++ b/foo.c
@@ -10,3 +10,4 @@ int foo(void)
 a
 b
+c
 d
-- 
2.39.2
`;

describe('patchContent', () => {
  it('ignores the message, diffstat, index lines, line numbers and section names', () => {
    const noisy = PATCH.replace('Body.', 'Another body.')
      .replace(' 1 file changed', ' 1 file changed, 1 insertion(+)')
      .replace('index 1111111..2222222', 'index abcdef0..1234567')
      .replace('@@ -10,3 +10,4 @@ int foo(void)', '@@ -12,3 +12,4 @@');
    const plain = '--- foo.c.orig\t2004-01-01 00:00:00\n+++ foo.c\t2004-01-02 00:00:00\n@@ -10,3 +10,4 @@\n a\n b\n+c\n d\n';
    const a = patchContent(PATCH, 1);
    expect(patchContent(noisy, 1).hash).toBe(a.hash);
    expect(patchContent(plain, 0).hash).toBe(a.hash);
    expect(a).toMatchObject({ files: 1, added: 1, removed: 0 });
  });

  it('sees a changed line, a changed context line and a changed file name', () => {
    const a = patchContent(PATCH, 1).hash;
    expect(patchContent(PATCH.replace('+c', '+C'), 1).hash).not.toBe(a);
    expect(patchContent(PATCH.replace(' b\n', ' B\n'), 1).hash).not.toBe(a);
    expect(patchContent(PATCH.replaceAll('foo.c', 'bar.c'), 1).hash).not.toBe(a);
  });
});

describe('releaseQueueYaml', () => {
  it('keeps the released patches and their comments, pointing file: into the tarball', () => {
    const text = `# the queue
name: q
base:
  version: "1.0"
  sources: []
series:
  # first
  - name: a
    file: patches/sub/a.patch
  - name: b
    file: other/b.patch
    guards: [+x]
  - name: c  # kept
    file: c.patch
`;
    expect(
      releaseQueueYaml(text, [
        { name: 'a', file: 'sub/a.patch' },
        { name: 'c', file: 'c.patch' },
      ]),
    ).toBe(`# the queue
name: q
base:
  version: "1.0"
  sources: []
series:
  # first
  - name: a
    file: patches/sub/a.patch
  - name: c # kept
    file: patches/c.patch
`);
  });
});

/** A manifest whose patches' sha256 and content hashes stand for the given short names (equal names, equal hashes). */
function manifest(version: string, patches: Array<[name: string, sha: string, content: string]>): ReleaseManifest {
  const H = (s: string) => createHash('sha256').update(s).digest('hex');
  return {
    schema: 2,
    tool: 'tiny test',
    version,
    queue: 'q',
    base: { version: '2.6.9', tree: 'f'.repeat(40) },
    resultTree: 'e'.repeat(40),
    selection: { symbols: [] },
    sourceDateEpoch: { seconds: 0, from: 'SOURCE_DATE_EPOCH' },
    patches: patches.map(([name, sha256, content]) => ({ name, file: `${name}.patch`, sha256: H(sha256), content: H(content), files: 1, added: 2, removed: 1 })),
    checks: [],
    forced: false,
    sizeReport: { config: 'c', toggles: 0, records: [] },
  };
}

/** The parts of a release's size report (VERSION-sizes.json) the changelog reads. */
function sizes(queueDec: number, patches: Record<string, { saves?: number; noop?: number }>): ReportDocument {
  const s = (dec: number) => ({ text: dec, data: 0, bss: 0, dec, image: dec * 2 });
  return {
    toggles: [{ toggle: 'queue', kind: 'queue', key: 'k', status: 'ok', sizes: s(queueDec) }],
    patches: Object.entries(patches).map(([name, p], i) => ({
      name,
      position: i + 1,
      flip: p.saves !== undefined ? { saved: s(p.saves) } : null,
      at_default: p.noop !== undefined ? { change: s(p.noop) } : null,
    })),
  } as unknown as ReportDocument;
}

describe('release.json', () => {
  it('is written snake_case under schema_version 2 and read back to the same manifest', () => {
    const m = manifest('2.6.9-tiny2', [['printk', 'a', 'a']]);
    const doc = manifestDocument(m);
    expectContract('release-manifest', doc);
    expect(Object.keys(doc)).toContain('result_tree');
    expect(readManifestDocument(JSON.parse(JSON.stringify(doc)))).toEqual(m);
  });

  it('reads a version 1 release.json (camelCase, schema: 1) of a release made before', () => {
    const m = manifest('2.6.9-tiny1', [['printk', 'a', 'a']]);
    const v1 = { ...m, schema: 1 };
    expect(readManifestDocument(v1)).toEqual(m);
  });

  it('refuses a document it does not know, naming the versions it reads', () => {
    expect(() => readManifestDocument({ schema_version: 3, version: 'x', patches: [] })).toThrow('schema_version 3, this tiny reads 1 and 2');
    expect(() => readManifestDocument({ schema: 1, patches: 'no' })).toThrow('not a release manifest');
  });
});

describe('buildChangelog', () => {
  const older = {
    manifest: manifest('1', [
      ['kept', 'a', 'A'],
      ['refreshed', 'b', 'B'],
      ['changed', 'c', 'C'],
      ['gone', 'd', 'D'],
    ]),
    sizes: sizes(10000, { kept: { saves: 100, noop: 0 }, changed: { saves: 500, noop: 4 }, gone: { saves: 70 } }),
  };
  const newer = {
    manifest: manifest('2', [
      ['kept', 'a', 'A'],
      ['refreshed', 'b2', 'B'],
      ['changed', 'c2', 'C2'],
      ['new', 'e', 'E'],
    ]),
    sizes: sizes(9000, { kept: { saves: 100, noop: 0 }, changed: { saves: 800, noop: 0 }, new: { saves: 2000, noop: 12 } }),
  };

  it('classifies patches by sha256 and content hash and computes each size delta', () => {
    const c = buildChangelog(older, newer);
    expect(c.counts).toEqual({ added: 1, removed: 1, changed: 1, refreshed: 1, unchanged: 1 });
    const by = Object.fromEntries(c.entries.map((e) => [e.name, e]));
    expect(c.entries.map((e) => e.name)).toEqual(['kept', 'refreshed', 'changed', 'new', 'gone']);
    expect(by.changed!.sizes).toEqual({ old: { saves: 500, noop: 4 }, new: { saves: 800, noop: 0 }, savesDelta: 300, noopDelta: -4 });
    expect(by.new!.sizes.savesDelta).toBe(2000);
    expect(by.gone!.sizes.savesDelta).toBe(-70);
    expect(by.refreshed!.sizes.old).toBeNull();
    expect(c.new.sizes).toEqual({ queue: 9000, allOff: null, image: 18000 });
    const json = changelogJson(c);
    expectContract('output/release-changelog', json);
    expect(json).toMatchObject({ schema_version: 1, new: { sizes: { queue: 9000, all_off: null, image: 18000 } } });
    expect((json.entries as Array<Record<string, unknown>>).find((e) => e.name === 'changed')).toMatchObject({ sizes: { saves_delta: 300, noop_delta: -4 } });
  });

  it("reads the size report of a release made before the report document (VERSION-sizes.json was the report's internal model)", () => {
    const report = buildSizeReport({ config: 'c', run: { startedAt: '2026-01-05T10:00:00.000Z' }, toggles: [] });
    const { configFlips: _c, optionsOffByConfig: _o, subdirs: _s, ...legacy } = JSON.parse(JSON.stringify(report)) as SizeReport;
    const doc = readReportDocument(legacy);
    expect(doc).toBeDefined();
    expectContract('output/report', doc);
    expect(doc).toEqual(reportDocument(report));
    expect(readReportDocument({ schema: 7 })).toBeUndefined();
  });

  it('renders a table a reader can scan', () => {
    const text = renderChangelog(buildChangelog(older, newer), 'text');
    expect(text).toContain('patches: 1 added, 1 removed, 1 changed, 1 refreshed, 1 unchanged');
    expect(text).toMatch(/^changed\s+changed\s+\+2 -1 -> \+2 -1\s+500 -> 800\s+\+300\s+4 -> 0\s+-4$/m);
    expect(text).toMatch(/^gone\s+removed\s+\+2 -1\s+70 -> gone\s+-70\s+- -> gone\s+-$/m);
    expect(text).toMatch(/^dec, queue \(options at default\)\s+10,000\s+9,000\s+-1,000$/m);
    expect(renderChangelog(buildChangelog(older, newer), 'md')).toContain('| `new` | added | +2 -1 | 2,000 | +2,000 | 12 | +12 |');
  });
});
