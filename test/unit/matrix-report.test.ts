// The end-of-run table, JSON and budgets are pure functions of the results.

import { describe, expect, it } from 'vitest';
import type { Toggle, ToggleKind } from '../../src/matrix/plan.js';
import { formatDuration, renderText, sizeTable, timingsTable, toJson, toRows, type BuildSummary } from '../../src/matrix/report.js';
import type { ToggleResult } from '../../src/matrix/run.js';
import type { BuildRecord } from '../../src/store/index.js';
import { renderTable } from '../../src/report/table.js';
import { expectContract } from '../helpers/json-contract.js';

function result(name: string, kind: ToggleKind, status: ToggleResult['status'], dec?: number): ToggleResult {
  const toggle = { name, kind, description: name, patches: [], flip: [], set: {}, drop: [], selection: '' } as Toggle;
  const record =
    dec === undefined
      ? undefined
      : ({
          measurement: {
            size: { text: dec - 300, data: 200, bss: 100, dec },
            files: { vmlinux: { path: 'vmlinux', bytes: dec * 2 }, bzImage: { path: 'arch/x86/boot/bzImage', bytes: Math.round(dec / 2) } },
            sha256: { vmlinux: 'a'.repeat(64), bzImage: 'b'.repeat(64) },
            dirs: [],
            tools: { size: 'size', nm: 'nm' },
          },
          hermetic: true,
        } as unknown as BuildRecord);
  return {
    toggle,
    status,
    ...(record ? { record, key: name.charCodeAt(0).toString(16).repeat(32).slice(0, 64) } : {}),
    durationMs: 61_000,
    logs: [],
    ...(status === 'failed' ? { error: 'init/main.c:3:1: error: expected expression' } : {}),
  };
}

const results = [
  result('queue', 'queue', 'built', 10_000),
  result('flip:a', 'flip', 'built', 9_000),
  result('flip:b', 'flip', 'cached', 9_990),
  result('all-off', 'all-off', 'cached', 8_990),
  result('without:a', 'without', 'failed'),
  result('base', 'base', 'built', 10_020),
];

describe('matrix report', () => {
  it("with the plan's order, each kind is listed in it, whatever order the run took; run_order stays the run's", () => {
    const ran = [results[0]!, results[2]!, results[1]!, results[3]!, results[4]!, results[5]!];
    const rows = toRows(ran, ['base', 'queue', 'all-off', 'flip:a', 'flip:b', 'without:a']);
    expect(rows.map((r) => r.toggle)).toEqual(['base', 'queue', 'all-off', 'flip:a', 'flip:b', 'without:a']);
    expect(rows.map((r) => r.order)).toEqual([5, 0, 3, 2, 1, 4]);
    // Without it, a kind is listed in the run's order.
    expect(toRows(ran).map((r) => r.toggle)).toEqual(['base', 'queue', 'all-off', 'flip:b', 'flip:a', 'without:a']);
  });

  it('rows in report order with deltas against the queue point and the base', () => {
    const rows = toRows(results);
    expect(rows.map((r) => r.toggle)).toEqual(['base', 'queue', 'all-off', 'flip:a', 'flip:b', 'without:a']);
    expect(rows.map((r) => r.order)).toEqual([5, 0, 3, 1, 2, 4]);
    const by = Object.fromEntries(rows.map((r) => [r.toggle, r]));
    expect(by['flip:a']).toMatchObject({ dec: 9000, deltaQueue: -1000, deltaBase: -1020, status: 'built' });
    expect(by.base).toMatchObject({ deltaQueue: 20, deltaBase: 0 });
    expect(by['without:a']).toMatchObject({ status: 'failed', error: 'init/main.c:3:1: error: expected expression' });
    expect(by['without:a']!.dec).toBeUndefined();
    const table = renderTable(sizeTable(rows), 'text').split('\n');
    expect(table[0]).toMatch(/^toggle\s+text\s+data\s+bss\s+dec\s+vmlinux\s+bzImage\s+Δdec queue\s+Δdec base\s+status\s+time$/);
    expect(table[1]).toMatch(/^base\s+9720\s+200\s+100\s+10020\s+20040\s+5010\s+\+20\s+0\s+built\s+1m01s$/);
    expect(table[6]).toMatch(/^without:a\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+failed\s+1m01s$/);
  });

  it('JSON names the numbers as size(1) does and carries every sha256', () => {
    const rows = toRows(results);
    const summary = {
      config: 'c',
      base: { version: '2.6.9', tree: 'f'.repeat(40) },
      toolchain: { name: 'gcc-12-i386', image: 'sha256:' + '1'.repeat(64) },
      runtime: 'podman',
      hermetic: true,
      jobs: 2,
      lanes: 1,
      startedAt: '2026-01-05T10:00:00.000Z',
      finishedAt: '2026-01-05T10:02:00.000Z',
      durationMs: 120_000,
      notes: [],
      budgets: { violations: [], failures: [], checked: [], unchecked: [] },
    } satisfies BuildSummary;
    const j = toJson(rows, summary) as { ok: boolean; toggles: Record<string, unknown>[] };
    expectContract('output/build', j);
    expect(j).toMatchObject({ schema_version: 1, started_at: '2026-01-05T10:00:00.000Z', duration_ms: 120_000 });
    expect(j.ok).toBe(false); // a toggle failed
    expect(j.toggles[5]).toMatchObject({ toggle: 'without:a', status: 'failed', key: null, dec: null, error: 'init/main.c:3:1: error: expected expression', first_error: null });
    expect(j.toggles[1]).toMatchObject({ toggle: 'queue', text: 9700, data: 200, bss: 100, dec: 10000, sha256: { vmlinux: 'a'.repeat(64), bzImage: 'b'.repeat(64) }, delta_dec_queue: 0 });
    expect(renderText(rows, summary, 'md')).toContain('| toggle | text | data | bss | dec |');
  });

  it('formats durations', () => {
    expect(formatDuration(450)).toBe('0.5s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_725_000)).toBe('1h02m05s');
  });
});

describe('where the time went (tiny build --timings)', () => {
  const summary = {
    config: 'c',
    base: { version: '2.6.9', tree: 'f'.repeat(40) },
    toolchain: { name: 'gcc-12-i386', image: 'sha256:' + '1'.repeat(64) },
    runtime: 'podman',
    hermetic: true,
    jobs: 2,
    lanes: 1,
    startedAt: '2026-01-05T10:00:00.000Z',
    finishedAt: '2026-01-05T10:02:00.000Z',
    durationMs: 120_000,
    notes: [],
    budgets: { violations: [], failures: [], checked: [], unchecked: [] },
  } satisfies BuildSummary;
  const timed = (r: ToggleResult, t: Partial<NonNullable<ToggleResult['timings']>>, sameAs?: string): ToggleResult => ({
    ...r,
    timings: { series: 0, kconfig: 0, tree: 0, make: 0, measure: 0, record: 0, containers: 0, containerStart: 0, total: 0, ...t },
    ...(sameAs ? { sameAs } : {}),
  });
  const rows = toRows([
    {
      ...timed(result('queue', 'queue', 'built', 10_000), { series: 20, kconfig: 5_000, tree: 3_000, make: 40_000, measure: 150, record: 200, containers: 3, containerStart: 900, total: 48_000 }),
      lane: 0,
    },
    { ...timed(result('flip:a', 'flip', 'built', 9_000), { kconfig: 400, tree: 50, make: 3_000, measure: 100, record: 100, containers: 2, containerStart: 30, total: 3_700 }), lane: 1 },
    timed(result('all-off', 'all-off', 'cached', 9_000), { total: 10 }, 'flip:a'),
  ]);

  it("one line per toggle in execution order, the overhead (total - make), and the run's sums with the mean overhead", () => {
    expect(renderTable(timingsTable(rows), 'text')).toBe(
      [
        'toggle                  status    series  kconfig  containers / start  tree   make  measure  record  overhead  total',
        'queue                   built       0.02     5.00            3 / 0.90  3.00  40.00     0.15    0.20      8.00  48.00',
        'flip:a                  built       0.00     0.40            2 / 0.03  0.05   3.00     0.10    0.10      0.70   3.70',
        'all-off                 = flip:a    0.00     0.00            0 / 0.00  0.00   0.00     0.00    0.00      0.01   0.01',
        'all 3 (overhead: mean)              0.02     5.40            5 / 0.93  3.05  43.00     0.25    0.30      2.90  51.71',
        '',
      ].join('\n'),
    );
  });

  it('the JSON says the same in ms, which toggle a served one is the same build as, and the lane of each build', () => {
    const json = toJson(rows, summary) as { toggles: Array<{ toggle: string; timings: unknown; same_config_as: string | null; lane: number | null }> };
    expect(json.toggles.map((t) => [t.toggle, t.lane])).toEqual([
      ['queue', 0],
      ['all-off', null],
      ['flip:a', 1],
    ]);
    expect(json.toggles.find((t) => t.toggle === 'all-off')).toMatchObject({ same_config_as: 'flip:a', timings: { total_ms: 10, make_ms: 0 } });
    expect(json.toggles.find((t) => t.toggle === 'queue')).toMatchObject({ same_config_as: null, timings: { kconfig_ms: 5_000, containers: 3, container_start_ms: 900 } });
    expectContract('output/build', json);
    expect(renderText(rows, summary, 'text')).toContain('cached: same .config as flip:a');
  });
});
