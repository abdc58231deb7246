// What a matrix run ends with: one row per toggle (size(1) numbers, artifact bytes and
// sha256, deltas against the queue point and the base, status, time), rendered as a text or
// Markdown table or as JSON (budgets are checked by src/budget).
// Pure functions of the run's results.

import { budgetCheckJson, type BudgetCheck } from '../budget/index.js';
import { firstErrorJson } from '../store/record-format.js';
import type { FirstError } from '../measure/types.js';
import { renderTable, type Table } from '../report/table.js';
import { displayOrder, type ToggleKind } from './plan.js';
import type { ToggleResult, ToggleStatus, ToggleTimings } from './run.js';

export interface ArtifactInfo {
  bytes: number;
  sha256: string;
}

export interface ToggleRow {
  toggle: string;
  /** Position in the run (execution order). */
  order: number;
  kind: ToggleKind;
  description: string;
  status: ToggleStatus;
  /** The record key. */
  key?: string;
  text?: number;
  data?: number;
  bss?: number;
  dec?: number;
  /** By artifact name: vmlinux, bzImage, System.map, .config. */
  artifacts: Record<string, ArtifactInfo>;
  /** dec minus the queue point's dec / the base's dec. */
  deltaQueue?: number;
  deltaBase?: number;
  durationMs: number;
  patches: string[];
  error?: string;
  details?: string[];
  firstError?: FirstError;
  logs: string[];
  hermetic?: boolean;
  timings?: ToggleTimings;
  /** The earlier toggle of the run with the same record key (built once for both). */
  sameAs?: string;
  /** The lane whose build directory made it (absent when it was not built in this run). */
  lane?: number;
}

/**
 * One row per toggle, by kind (base, queue, all-off, flips, withouts), each kind in the plan's
 * order (`planOrder`: the plan's toggle names) or, without it, in the order the toggles ran.
 * `order` is always the run order. The plan's order keeps a table the same from run to run: a
 * run may begin where the last left its lanes (order.ts startAtLanes).
 */
export function toRows(results: readonly ToggleResult[], planOrder?: readonly string[]): ToggleRow[] {
  const byKind = (k: ToggleKind) => results.find((r) => r.toggle.kind === k)?.record?.measurement?.size.dec;
  const decOf = (r: ToggleResult) => (r.status === 'failed' || r.status === 'interrupted' || r.status === 'not-applicable' ? undefined : r.record?.measurement?.size.dec);
  const queueDec = results.find((r) => r.toggle.kind === 'queue' && decOf(r) !== undefined) ? byKind('queue') : undefined;
  const baseDec = results.find((r) => r.toggle.kind === 'base' && decOf(r) !== undefined) ? byKind('base') : undefined;
  const planIndex = new Map(planOrder?.map((name, i) => [name, i]));
  const indexed = results.map((r, order) => ({ kind: r.toggle.kind, r, order, at: planIndex.get(r.toggle.name) ?? planIndex.size + order }));
  return displayOrder([...indexed].sort((a, b) => a.at - b.at)).map(({ r, order }) => {
    const m = r.status === 'failed' || r.status === 'interrupted' || r.status === 'not-applicable' ? undefined : r.record?.measurement;
    const artifacts: Record<string, ArtifactInfo> = {};
    for (const [name, f] of Object.entries(m?.files ?? {})) {
      const sha = m?.sha256[name];
      if (sha) artifacts[name] = { bytes: f.bytes, sha256: sha };
    }
    const dec = m?.size.dec;
    return {
      toggle: r.toggle.name,
      order,
      kind: r.toggle.kind,
      description: r.toggle.description,
      status: r.status,
      ...(r.key ? { key: r.key } : {}),
      ...(m ? { text: m.size.text, data: m.size.data, bss: m.size.bss, dec: m.size.dec } : {}),
      artifacts,
      ...(dec !== undefined && queueDec !== undefined ? { deltaQueue: dec - queueDec } : {}),
      ...(dec !== undefined && baseDec !== undefined ? { deltaBase: dec - baseDec } : {}),
      durationMs: r.durationMs,
      patches: r.toggle.patches.map((p) => p.name),
      ...(r.error ? { error: r.error } : {}),
      ...(r.details?.length ? { details: r.details } : {}),
      ...(r.firstError ? { firstError: r.firstError } : {}),
      logs: r.logs,
      ...(r.record ? { hermetic: r.record.hermetic } : {}),
      ...(r.timings ? { timings: r.timings } : {}),
      ...(r.sameAs ? { sameAs: r.sameAs } : {}),
      ...(r.lane !== undefined ? { lane: r.lane } : {}),
    };
  });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}h${String(m).padStart(2, '0')}m${sec}s` : `${m}m${sec}s`;
}

const num = (n: number | undefined) => (n === undefined ? '-' : String(n));
const delta = (n: number | undefined) => (n === undefined ? '-' : n > 0 ? `+${n}` : String(n));

/** The image artifact's name in a row (bzImage, zImage ...), if one was built. */
function imageName(rows: readonly ToggleRow[]): string | undefined {
  for (const r of rows) for (const n of Object.keys(r.artifacts)) if (!['vmlinux', 'System.map', '.config'].includes(n)) return n;
  return undefined;
}

export function sizeTable(rows: readonly ToggleRow[]): Table {
  const image = imageName(rows) ?? 'bzImage';
  return {
    columns: [
      { header: 'toggle' },
      { header: 'text', align: 'right' },
      { header: 'data', align: 'right' },
      { header: 'bss', align: 'right' },
      { header: 'dec', align: 'right' },
      { header: 'vmlinux', align: 'right' },
      { header: image, align: 'right' },
      { header: 'Δdec queue', align: 'right' },
      { header: 'Δdec base', align: 'right' },
      { header: 'status' },
      { header: 'time', align: 'right' },
    ],
    rows: rows.map((r) => [
      r.toggle,
      num(r.text),
      num(r.data),
      num(r.bss),
      num(r.dec),
      num(r.artifacts.vmlinux?.bytes),
      num(r.artifacts[image]?.bytes),
      delta(r.deltaQueue),
      delta(r.deltaBase),
      r.sameAs ? `${r.status}: same .config as ${r.sameAs}` : r.status,
      formatDuration(r.durationMs),
    ]),
  };
}

export interface BuildSummary {
  config: string;
  base: { version: string; tree: string };
  toolchain: { name: string; image: string };
  runtime: string;
  hermetic: boolean;
  jobs: number;
  lanes: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  notes: string[];
  budgets: BudgetCheck;
}

export function renderText(rows: readonly ToggleRow[], s: BuildSummary, format: 'text' | 'md'): string {
  const counts = countStatus(rows);
  const head =
    format === 'md'
      ? `### tiny build ${s.config} on ${s.base.version}\n\n`
      : `tiny build ${s.config}: ${s.base.version} (tree ${s.base.tree.slice(0, 12)}), ${s.toolchain.name} ${s.toolchain.image.replace(/^sha256:/, '').slice(0, 12)} on ${s.runtime}${s.hermetic ? '' : ' (not hermetic)'}\n\n`;
  const table = renderTable(sizeTable(rows), format);
  const tail = `\n${rows.length} toggles: ${counts.built} built, ${counts.cached} cached, ${counts.failed} failed${counts.interrupted ? `, ${counts.interrupted} interrupted` : ''}${counts['not-applicable'] ? `, ${counts['not-applicable']} not applicable` : ''} in ${formatDuration(s.durationMs)} (make -j${s.jobs}${s.lanes > 1 ? `, ${s.lanes} lanes` : ''})\n`;
  return head + table + tail;
}

export function countStatus(rows: readonly { status: ToggleStatus }[]): Record<ToggleStatus, number> {
  const c: Record<ToggleStatus, number> = { built: 0, cached: 0, failed: 0, interrupted: 0, 'not-applicable': 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

/** Why toggles failed (the one-line error, the first error's context, the logs) or do not apply, for stderr. */
export function renderFailures(rows: readonly ToggleRow[]): string {
  const out: string[] = [];
  // Toggles failing for the same reason (a patch that does not apply on the base fails every
  // toggle holding it) are said once, naming them all.
  const groups = new Map<string, ToggleRow[]>();
  for (const r of rows.filter((x) => x.status === 'failed')) {
    const why = JSON.stringify([r.error ?? 'unknown error', r.details ?? []]);
    groups.set(why, [...(groups.get(why) ?? []), r]);
  }
  for (const group of groups.values()) {
    const r = group[0]!;
    const names = group.map((x) => x.toggle);
    const who = names.length > 6 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more toggles` : names.join(', ');
    out.push(`${who}: FAILED: ${r.error ?? 'unknown error'}`);
    for (const d of r.details ?? []) out.push(`    ${d}`);
    for (const x of group) for (const l of x.logs) out.push(`    log: ${l}`);
  }
  for (const r of rows.filter((x) => x.status === 'not-applicable')) out.push(`${r.toggle}: not applicable: ${r.error ?? ''}`);
  return out.length ? out.join('\n') + '\n' : '';
}

/** The version of `tiny build --format json` (schema/output/build.schema.json, docs/output.md). */
export const BUILD_OUTPUT_VERSION = 1;

/** `tiny build --format json`: the run, then one entry per toggle in display order. */
export function toJson(rows: readonly ToggleRow[], s: BuildSummary): Record<string, unknown> {
  return {
    schema_version: BUILD_OUTPUT_VERSION,
    config: s.config,
    base: { version: s.base.version, tree: s.base.tree },
    toolchain: { name: s.toolchain.name, image: s.toolchain.image },
    runtime: s.runtime,
    hermetic: s.hermetic,
    jobs: s.jobs,
    lanes: s.lanes,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    duration_ms: s.durationMs,
    notes: [...s.notes],
    ok: rows.every((r) => r.status === 'built' || r.status === 'cached' || r.status === 'not-applicable') && s.budgets.failures.length === 0,
    budgets: budgetCheckJson(s.budgets),
    toggles: rows.map((r) => ({
      toggle: r.toggle,
      run_order: r.order,
      kind: r.kind,
      description: r.description,
      status: r.status,
      key: r.key ?? null,
      text: r.text ?? null,
      data: r.data ?? null,
      bss: r.bss ?? null,
      dec: r.dec ?? null,
      delta_dec_queue: r.deltaQueue ?? null,
      delta_dec_base: r.deltaBase ?? null,
      artifacts: r.artifacts,
      sha256: Object.fromEntries(Object.entries(r.artifacts).map(([k, v]) => [k, v.sha256])),
      duration_ms: r.durationMs,
      patches: r.patches,
      error: r.error ?? null,
      details: r.details ?? [],
      first_error: r.firstError ? firstErrorJson(r.firstError) : null,
      logs: r.logs,
      timings: r.timings ? timingsJson(r.timings) : null,
      same_config_as: r.sameAs ?? null,
      lane: r.lane ?? null,
    })),
  };
}

/** A toggle's timings in the JSON output (ms, snake_case). */
export function timingsJson(t: ToggleTimings): Record<string, number> {
  return {
    series_ms: t.series,
    kconfig_ms: t.kconfig,
    tree_ms: t.tree,
    make_ms: t.make,
    measure_ms: t.measure,
    record_ms: t.record,
    containers: t.containers,
    container_start_ms: t.containerStart,
    total_ms: t.total,
  };
}

const secs = (ms: number) => (ms / 1000).toFixed(2);

/**
 * `tiny build --timings`: where each toggle's time went, in execution order, with the overhead
 * (everything but make) per toggle and the run's sums. Kconfig includes its container starts;
 * make excludes the build's.
 */
export function timingsTable(rows: readonly ToggleRow[]): Table {
  const timed = rows.filter((r) => r.timings).sort((a, b) => a.order - b.order);
  const sum = (f: (t: ToggleTimings) => number) => timed.reduce((a, r) => a + f(r.timings!), 0);
  const overhead = (t: ToggleTimings) => Math.max(0, t.total - t.make);
  const line = (name: string, status: string, t: ToggleTimings, n = 1) => [
    name,
    status,
    secs(t.series),
    secs(t.kconfig),
    `${t.containers} / ${secs(t.containerStart)}`,
    secs(t.tree),
    secs(t.make),
    secs(t.measure),
    secs(t.record),
    secs(overhead(t) / n),
    secs(t.total),
  ];
  const total: ToggleTimings = {
    series: sum((t) => t.series),
    kconfig: sum((t) => t.kconfig),
    tree: sum((t) => t.tree),
    make: sum((t) => t.make),
    measure: sum((t) => t.measure),
    record: sum((t) => t.record),
    containers: sum((t) => t.containers),
    containerStart: sum((t) => t.containerStart),
    total: sum((t) => t.total),
  };
  return {
    columns: [
      { header: 'toggle' },
      { header: 'status' },
      { header: 'series', align: 'right' },
      { header: 'kconfig', align: 'right' },
      { header: 'containers / start', align: 'right' },
      { header: 'tree', align: 'right' },
      { header: 'make', align: 'right' },
      { header: 'measure', align: 'right' },
      { header: 'record', align: 'right' },
      { header: 'overhead', align: 'right' },
      { header: 'total', align: 'right' },
    ],
    rows: [
      ...timed.map((r) => line(r.toggle, r.sameAs ? `= ${r.sameAs}` : r.status, r.timings!)),
      ...(timed.length > 1 ? [line(`all ${timed.length} (overhead: mean)`, '', total, timed.length)] : []),
    ],
  };
}
