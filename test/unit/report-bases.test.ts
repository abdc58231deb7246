// `tiny report --bases`: one configuration on several bases, from records given as plain data.

import { describe, expect, it } from 'vitest';
import { basesReportDocument, buildBasesReport, renderBasesText, type BaseRecords } from '../../src/report/bases.js';
import { pickBaseRecords } from '../../src/report/bases-load.js';
import type { BuildRecord } from '../../src/store/types.js';
import { expectContract } from '../helpers/json-contract.js';

const H = (c: string) => c.repeat(64).slice(0, 64);
let made = 0;
/** A record key: 1111..., 2222..., in the order the records are made. */
const nextKey = () => H(String(++made));

interface Spec {
  text: number;
  image?: number;
  dirs?: Record<string, number>;
  failed?: string;
}

function record(base: string, toggle: string, s: Spec): BuildRecord {
  const dec = s.text + 100 + 50;
  return {
    schema: 2,
    key: nextKey(),
    inputs: {
      baseTree: base === '2.6.9' ? 'a'.repeat(40) : 'b'.repeat(40),
      patches: [],
      config: H('c'),
      toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
      arch: 'i386',
      makeVariables: {},
      env: {},
      targets: ['vmlinux', 'bzImage'],
      toolVersion: '0.1.0',
      runtime: 'podman',
    },
    config: 'webserver-tiny',
    toggle: { name: toggle },
    patches: [],
    baseVersion: base,
    status: s.failed ? 'failed' : 'ok',
    hermetic: true,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    durationsMs: {},
    ...(s.failed
      ? {}
      : {
          measurement: {
            size: { text: s.text, data: 100, bss: 50, dec },
            files: { vmlinux: { path: 'vmlinux', bytes: dec * 2 }, ...(s.image ? { bzImage: { path: 'arch/i386/boot/bzImage', bytes: s.image } } : {}) },
            sha256: {},
            dirs: Object.entries(s.dirs ?? {}).map(([dir, dec]) => ({ dir, text: dec, data: 0, bss: 0, dec })),
            tools: { size: 'size', nm: 'nm' },
          },
        }),
    diagnostics: s.failed ? { warnings: 0, errors: 1, firstError: { file: s.failed, line: 3, message: 'boom', kind: 'compiler', logLine: 1, context: [] } } : { warnings: 0, errors: 0 },
    artifacts: {},
    ...(s.image ? { imageName: 'bzImage' } : {}),
  } as BuildRecord;
}

const bases: BaseRecords[] = [
  {
    version: '2.6.9',
    tree: 'a'.repeat(40),
    patches: ['printk', 'tcpdiag'],
    toggles: [
      { toggle: 'base', record: record('2.6.9', 'base', { text: 1000, image: 500, dirs: { kernel: 300, net: 400 } }) },
      { toggle: 'queue', record: record('2.6.9', 'queue', { text: 1004, image: 502 }), boot: { memKiB: 2048, booted: true, memTotalKiB: 1500, memFreeKiB: 700 } },
      { toggle: 'flip:printk', record: record('2.6.9', 'flip:printk', { text: 900 }) },
    ],
  },
  {
    version: '2.6.11',
    tree: 'b'.repeat(40),
    patches: ['printk'],
    toggles: [
      { toggle: 'base', record: record('2.6.11', 'base', { text: 1100, image: 540, dirs: { kernel: 320, net: 480, security: 10 } }) },
      { toggle: 'queue', record: record('2.6.11', 'queue', { text: 1100 }) },
      { toggle: 'all-off', record: record('2.6.11', 'all-off', { text: 0, failed: 'arch/i386/kernel/process.c' }) },
    ],
  },
];

describe('tiny report --bases', () => {
  const report = buildBasesReport({ config: 'webserver-tiny', bases });

  it('puts each base beside the others: what the queue costs, what each patch saves where it was built', () => {
    expect(report.bases.map((b) => [b.version, b.queueCost, b.allOffSaves])).toEqual([
      ['2.6.9', 4, undefined],
      ['2.6.11', 0, undefined],
    ]);
    expect(report.patches).toEqual([
      {
        patch: 'printk',
        cells: [
          { version: '2.6.9', meant: true, saves: 104 },
          { version: '2.6.11', meant: true },
        ],
      },
      {
        patch: 'tcpdiag',
        cells: [
          { version: '2.6.9', meant: true },
          { version: '2.6.11', meant: false },
        ],
      },
    ]);
  });

  it('says how the kernel grew from base to base, per directory, and which tiny diff lists the symbols', () => {
    expect(report.growth.map((g) => [g.from, g.to, g.toggle, g.dec, g.image])).toEqual([
      ['2.6.9', '2.6.11', 'base', 100, 40],
      ['2.6.9', '2.6.11', 'queue', 96, undefined],
    ]);
    expect(report.growth[0]!.dirs).toEqual([
      { dir: 'net', from: 400, to: 480, delta: 80 },
      { dir: 'kernel', from: 300, to: 320, delta: 20 },
      { dir: 'security', from: 0, to: 10, delta: 10 },
    ]);
  });

  it('reads as a transcript: failures with their first error, n/a where a patch is not meant', () => {
    expect(renderBasesText(report)).toBe(`tiny report --bases: webserver-tiny on 2.6.9, 2.6.11

base    toggle         text  data  bss    dec  image  boot                                record
2.6.9   base          1,000   100   50  1,150    500  -                                   111111111111
2.6.9   queue         1,004   100   50  1,154    502  2048K, free 700K                    222222222222
2.6.9   flip:printk     900   100   50  1,050      -  -                                   333333333333
2.6.11  base          1,100   100   50  1,250    540  -                                   444444444444
2.6.11  queue         1,100   100   50  1,250      -  -                                   555555555555
2.6.11  all-off      FAILED                           arch/i386/kernel/process.c:3: boom  666666666666

per base (dec):
  2.6.9: queue - base +4, all-off saves -
  2.6.11: queue - base 0, all-off saves -

bytes saved per patch (queue - flip:<patch>, dec; n/a: not meant for that base)
patch    2.6.9  2.6.11
printk     104       -
tcpdiag      -     n/a

2.6.9 -> 2.6.11 (base): dec +100 (text +100, data 0, bss 0), image +40
  dir       2.6.9  2.6.11  delta
  net         400     480    +80
  kernel      300     320    +20
  security      0      10    +10
  per symbol: tiny diff 111111111111 444444444444

2.6.9 -> 2.6.11 (queue): dec +96 (text +96, data 0, bss 0)
  per symbol: tiny diff 222222222222 555555555555
`);
  });

  it('has a versioned JSON document with every key present', () => {
    const doc = basesReportDocument(report);
    expectContract('output/report-bases', doc);
    expect(doc.schema_version).toBe(1);
  });

  it("takes each toggle's newest record on the base's pinned tree with the queue's current patches", () => {
    const at = (r: BuildRecord, finishedAt: string, patches: Array<[string, string]>, tree?: string): BuildRecord => ({
      ...r,
      finishedAt,
      patches: patches.map(([name, sha256]) => ({ name, sha256 })),
      inputs: { ...r.inputs, ...(tree ? { baseTree: tree } : {}) },
    });
    const failedOld = at(record('2.6.11', 'all-off', { text: 0, failed: 'fs/locks.c' }), '2026-01-02T00:00:00Z', [['file-locking', H('1')]]);
    const okNew = at(record('2.6.11', 'queue', { text: 900 }), '2026-01-03T00:00:00Z', [['file-locking', H('2')]]);
    const otherTree = at(record('2.6.11', 'base', { text: 800 }), '2026-01-04T00:00:00Z', [], 'c'.repeat(40));
    const okBase = at(record('2.6.11', 'base', { text: 700 }), '2026-01-01T00:00:00Z', []);
    const newestFirst = [otherTree, okNew, failedOld, okBase];
    const [b] = pickBaseRecords(newestFirst, [{ version: '2.6.11', tree: 'b'.repeat(40), patches: ['file-locking'], current: new Map([['file-locking', H('2')]]) }]);
    // The failed all-off applied an older file-locking: not this queue's result. The newer base
    // record is of another tree: not this base.
    expect(b!.toggles.map((t) => [t.toggle, t.record.finishedAt])).toEqual([
      ['queue', '2026-01-03T00:00:00Z'],
      ['base', '2026-01-01T00:00:00Z'],
    ]);
  });
});
