// buildSizeReport: the arithmetic of a run's toggles (what each patch saves, its no-op cost,
// cumulative sums, interactions, overlapping pairs, directories, .config differences, inputs)
// on small hand-made records, and the .config parser.

import { describe, expect, it } from 'vitest';
import type { SymbolEntry } from '../../src/measure/types.js';
import { diffDotConfig, formatConfigChange, parseDotConfig } from '../../src/report/config-diff.js';
import { buildSizeReport, toggleKind, type ToggleInput } from '../../src/report/size-report.js';
import type { BuildRecord } from '../../src/store/types.js';

const H = (c: string) => c.repeat(64);

interface Spec {
  text: number;
  data?: number;
  bss?: number;
  image?: number;
  dirs?: Record<string, number>;
  syms?: Array<[string, number]>;
  config?: string;
  patches?: string[];
  status?: 'ok' | 'failed';
}

function record(toggle: string, s: Spec): BuildRecord {
  const data = s.data ?? 100;
  const bss = s.bss ?? 50;
  const dec = s.text + data + bss;
  return {
    schema: 2,
    key: H(String(toggle.length % 10)),
    inputs: {
      baseTree: 'a'.repeat(40),
      patches: (s.patches ?? []).map(() => H('p')),
      config: H('c'),
      toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
      arch: 'i386',
      makeVariables: {},
      env: {},
      targets: ['vmlinux', 'bzImage'],
      toolVersion: '0.1.0',
      runtime: 'podman',
    },
    config: 'webserver',
    toggle: { name: toggle },
    patches: (s.patches ?? ['p1', 'p2', 'p3']).map((name) => ({ name, sha256: H(name.slice(-1)) })),
    status: s.status ?? 'ok',
    hermetic: true,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
    durationsMs: { build: 1500, measure: 500 },
    ...(s.status === 'failed'
      ? {}
      : {
          measurement: {
            size: { text: s.text, data, bss, dec },
            files: { vmlinux: { path: 'vmlinux', bytes: dec * 2 }, ...(s.image !== undefined ? { bzImage: { path: 'arch/i386/boot/bzImage', bytes: s.image } } : {}) },
            sha256: { vmlinux: H('v') },
            dirs: Object.entries(s.dirs ?? {}).map(([dir, text]) => ({ dir, text, data: 0, bss: 0, dec: text, builtins: [] })),
            tools: { size: 'size', nm: 'nm' },
          },
        }),
    diagnostics:
      s.status === 'failed'
        ? { warnings: 1, errors: 1, firstError: { file: 'mm/slab.c', line: 7, message: 'boom', kind: 'compiler', logLine: 3, context: ['mm/slab.c:7: error: boom'] } }
        : { warnings: 0, errors: 0 },
    artifacts: {},
  };
}

const T = (toggle: string, s: Spec): ToggleInput => {
  const r = record(toggle, s);
  const syms: SymbolEntry[] | undefined = s.syms?.map(([name, size]) => ({ name, type: 't', size }));
  return { toggle, key: r.key, status: r.status, record: r, ...(syms ? { symbols: syms } : {}), ...(s.config !== undefined ? { dotConfig: s.config } : {}) };
};

const QSYMS: Array<[string, number]> = [
  ['printk', 500],
  ['show_mem', 300],
  ['bug_table', 200],
  ['helper.isra.0', 80],
];

function run(overrides: Partial<Record<string, Spec | null>> = {}) {
  const specs: Record<string, Spec | null> = {
    base: { text: 1000, image: 600, dirs: { kernel: 600, mm: 400 }, syms: QSYMS, config: 'CONFIG_X86=y\n' },
    queue: { text: 1010, image: 604, dirs: { kernel: 610, mm: 400 }, syms: [...QSYMS, ['p3_hook', 10]], config: 'CONFIG_X86=y\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_DEP=y\n' },
    'all-off': {
      text: 600,
      image: 400,
      dirs: { kernel: 310, mm: 290 },
      syms: [
        ['printk', 100],
        ['show_mem', 100],
        ['helper.constprop.0', 80],
        ['p3_hook', 10],
      ],
      config: 'CONFIG_X86=y\n# CONFIG_A is not set\n# CONFIG_B is not set\n# CONFIG_DEP is not set\n',
    },
    'flip:p1': {
      text: 710,
      image: 470,
      dirs: { kernel: 310, mm: 400 },
      syms: [
        ['printk', 100],
        ['show_mem', 200],
        ['bug_table', 200],
        ['helper.isra.0', 80],
        ['p3_hook', 10],
      ],
      config: 'CONFIG_X86=y\n# CONFIG_A is not set\nCONFIG_B=y\n# CONFIG_DEP is not set\n',
    },
    'flip:p2': {
      text: 810,
      image: 540,
      dirs: { kernel: 610, mm: 200 },
      syms: [
        ['printk', 500],
        ['show_mem', 200],
        ['helper.constprop.0', 80],
        ['p3_hook', 10],
      ],
      config: 'CONFIG_X86=y\nCONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_DEP is not set\n',
    },
    'without:p1': { text: 1010, image: 604, patches: ['p2', 'p3'] },
    'without:p2': { text: 1010, image: 604, patches: ['p1', 'p3'] },
    'without:p3': { text: 1000, image: 600, patches: ['p1', 'p2'] },
    ...overrides,
  };
  const toggles = Object.entries(specs)
    .filter((e): e is [string, Spec] => e[1] !== null)
    .map(([t, s]) => T(t, s));
  return buildSizeReport({ config: 'webserver', run: { startedAt: '2026-01-01T00:00:00Z' }, toggles });
}

describe('buildSizeReport', () => {
  it('names the toggles', () => {
    expect(['base', 'queue', 'all-off', 'flip:a:b', 'without:x', 'config:KALLSYMS', 'odd'].map((t) => toggleKind(t))).toEqual([
      { kind: 'base' },
      { kind: 'queue' },
      { kind: 'all-off' },
      { kind: 'flip', patch: 'a:b' },
      { kind: 'without', patch: 'x' },
      { kind: 'config' },
      { kind: 'other' },
    ]);
  });

  it('one level down at the queue point, largest first; none in records made before it was measured', () => {
    expect(run().subdirs).toBeNull();
    const q = T('queue', { text: 1010 });
    q.record!.measurement!.subdirs = [
      { dir: 'kernel/sched', text: 40, data: 0, bss: 0, dec: 40, builtins: ['kernel/sched/built-in.o'] },
      { dir: 'net/ipv4', text: 300, data: 10, bss: 0, dec: 310, builtins: ['net/ipv4/built-in.o'] },
    ];
    const r = buildSizeReport({ config: 'webserver', run: { startedAt: 'x' }, toggles: [q] });
    expect(r.subdirs).toEqual({
      toggle: 'queue',
      rows: [
        { dir: 'net/ipv4', text: 300, data: 10, bss: 0, dec: 310 },
        { dir: 'kernel/sched', text: 40, data: 0, bss: 0, dec: 40 },
      ],
    });
  });

  it("the configuration's own choices: config:<SYMBOL> - queue, with the value from the .configs", () => {
    const r = run({ 'config:KALLSYMS': { text: 1310, image: 704, config: 'CONFIG_X86=y\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_DEP=y\nCONFIG_KALLSYMS=y\n' }, 'config:FUTEX': null });
    expect(r.toggles.find((t) => t.toggle === 'config:KALLSYMS')?.kind).toBe('config');
    expect(r.configFlips).toHaveLength(1);
    expect(r.configFlips[0]).toMatchObject({ symbol: 'KALLSYMS', value: { queue: null, flipped: 'y' }, saves: { text: 300, data: 0, bss: 0, dec: 300, image: 100 } });
    // Not part of the patches' sums.
    expect(r.interactions.counted).toEqual(['p1', 'p2']);
  });

  it('what each option saves: queue - flip, % of the base, cumulative along the series', () => {
    const r = run();
    expect(r.patches.map((p) => p.name)).toEqual(['p1', 'p2', 'p3']);
    const [p1, p2, p3] = r.patches;
    expect(p1!.flip!.saved).toEqual({ text: 300, data: 0, bss: 0, dec: 300, image: 134 });
    expect(p2!.flip!.saved).toEqual({ text: 200, data: 0, bss: 0, dec: 200, image: 64 });
    expect(p1!.flip!.savedPct!.dec).toBeCloseTo((300 * 100) / 1150);
    expect(p1!.flip!.savedPct!.image).toBeCloseTo((134 * 100) / 600);
    expect(p2!.flip!.cumulative).toEqual({ text: 500, data: 0, bss: 0, dec: 500, image: 198 });
    expect(p2!.flip!.cumulativePct!.dec).toBeCloseTo((500 * 100) / 1150);
    expect(p3!.flip).toBeUndefined(); // no option: no flip toggle
  });

  it('no-op costs: queue - without:<patch> per patch, queue - base for the queue', () => {
    const r = run();
    expect(r.noop.change).toEqual({ text: 10, data: 0, bss: 0, dec: 10, image: 4 });
    expect(r.patches.map((p) => p.atDefault!.change!.dec)).toEqual([0, 0, 10]);
    expect(r.patches[2]!.atDefault!.symbols).toBeNull(); // without:p3 has no stored symbol table
  });

  it('interactions: the single flips added up against all-off, and the pairs that overlap', () => {
    const r = run();
    expect(r.interactions.sumOfSingles.dec).toBe(500);
    expect(r.interactions.allOff!.dec).toBe(410);
    expect(r.interactions.difference!.dec).toBe(90);
    expect(r.interactions.counted).toEqual(['p1', 'p2']);
    // Both shrink show_mem by 100: 100 bytes claimed twice. Both turn CONFIG_DEP off.
    expect(r.interactions.pairs).toEqual([{ a: 'p1', b: 'p2', symbols: [{ name: 'show_mem', a: -100, b: -100 }], overlapBytes: 100, config: ['DEP'] }]);
    expect(r.interactions.pairsComputable).toBe(true);
  });

  it('symbol deltas are rename-aware; directories and .config differences per comparison', () => {
    const r = run();
    const p2 = r.patches[1]!.flip!;
    expect(p2.symbols!.changes).toEqual([
      { name: 'helper.constprop', renamedFrom: 'helper.isra', old: 80, new: 80, delta: 0 },
      { name: 'show_mem', old: 300, new: 200, delta: -100 },
      { name: 'bug_table', old: 200, delta: -200 },
    ]);
    expect(p2.dirs).toEqual([{ dir: 'mm', before: { text: 400, data: 0, bss: 0, dec: 400 }, after: { text: 200, data: 0, bss: 0, dec: 200 }, change: { text: -200, data: 0, bss: 0, dec: -200 } }]);
    expect(p2.config!.map(formatConfigChange)).toEqual(['CONFIG_B: y -> n', 'CONFIG_DEP: y -> n']);
    expect(r.dirs).toEqual([
      { dir: 'kernel', base: { text: 600, data: 0, bss: 0, dec: 600 }, queue: { text: 610, data: 0, bss: 0, dec: 610 }, allOff: { text: 310, data: 0, bss: 0, dec: 310 } },
      { dir: 'mm', base: { text: 400, data: 0, bss: 0, dec: 400 }, queue: { text: 400, data: 0, bss: 0, dec: 400 }, allOff: { text: 290, data: 0, bss: 0, dec: 290 } },
    ]);
  });

  it('a failed or missing toggle: listed, left out of sums, interaction unknown', () => {
    const r = run({ 'flip:p2': { text: 0, status: 'failed' }, 'without:p1': null });
    expect(r.failed).toEqual(['flip:p2']);
    expect(r.toggles.find((t) => t.toggle === 'flip:p2')).toMatchObject({ status: 'failed', error: 'mm/slab.c:7: boom', errorContext: ['mm/slab.c:7: error: boom'] });
    expect(r.patches[1]!.flip).toMatchObject({ available: false, unavailable: ['flip:p2'], saved: null, change: null });
    expect(r.patches[1]!.flip!.cumulative.dec).toBe(300); // p1's alone
    expect(r.interactions).toMatchObject({ counted: ['p1'], missing: ['p2'], difference: null, pairsComputable: false });
    expect(r.patches[0]!.atDefault).toBeUndefined(); // not in the run at all

    const gone = buildSizeReport({
      config: 'webserver',
      run: { startedAt: 'x' },
      toggles: [{ toggle: 'queue', key: H('9'), status: 'ok' }],
    });
    expect(gone.toggles).toEqual([{ toggle: 'queue', kind: 'queue', key: H('9'), status: 'missing', error: `record ${'9'.repeat(12)} is not in the store` }]);
    expect(gone.failed).toEqual(['queue']);
  });

  it('a boot image not stored on one side gives n/a for that column only', () => {
    const r = run({ 'flip:p1': { text: 710, dirs: { kernel: 310, mm: 400 } } });
    expect(r.patches[0]!.flip!.saved).toEqual({ text: 300, data: 0, bss: 0, dec: 300, image: null });
    expect(r.imageName).toBe('bzImage');
  });

  it('collects every input hash', () => {
    const r = run();
    expect(r.inputs.trees).toEqual(['a'.repeat(40)]);
    expect(r.inputs.toolchains).toEqual([{ name: 'gcc-12-i386', image: 'sha256:' + H('d') }]);
    expect(r.inputs.toggles.find((t) => t.toggle === 'without:p1')).toMatchObject({ patches: [{ name: 'p2' }, { name: 'p3' }], config: H('c'), artifacts: { vmlinux: H('v') } });
  });
});

describe('.config differences', () => {
  it('reads set, unset and quoted values', () => {
    expect([...parseDotConfig('#\n# Automatically generated\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_CMDLINE="console=ttyS0 root=/dev/hda1"\nCONFIG_HZ=100\n')]).toEqual([
      ['A', 'y'],
      ['B', 'n'],
      ['CMDLINE', '"console=ttyS0 root=/dev/hda1"'],
      ['HZ', '100'],
    ]);
  });
  it('lists changed, added and removed symbols by name', () => {
    expect(diffDotConfig('CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\n', 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_D=1\n').map(formatConfigChange)).toEqual([
      'CONFIG_B: y -> n',
      'CONFIG_C: m -> (absent)',
      'CONFIG_D: (absent) -> 1',
    ]);
  });
});
