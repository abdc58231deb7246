// `tiny report --format json` and a release's VERSION-sizes.json: the size report as a
// designed, versioned document (schema/output/report.schema.json, docs/output.md), not the
// renderers' internal model (SizeReport). Every key is snake_case and always present; what a
// run cannot tell is null. Sizes are {text, data, bss, dec, image}: size(1) of vmlinux and the
// boot image's file bytes.

import type { RenameAwareDiff } from '../diff/rename.js';
import type { BerkeleySize } from '../measure/types.js';
import type { ConfigChange } from './config-diff.js';
import type { Comparison, ReportBudget, Sizes, SizeReport, ToggleSummary } from './size-report.js';

/** The version of the report document. */
export const REPORT_DOCUMENT_VERSION = 1;

export type SizesJson = Sizes;

export interface SymbolDiffJson {
  add: number;
  remove: number;
  grow: number;
  shrink: number;
  rename: number;
  up: number;
  down: number;
  before: number;
  after: number;
  changes: Array<{ name: string; renamed_from: string | null; old: number | null; new: number | null; delta: number }>;
}

export interface ComparisonJson {
  before: string;
  after: string;
  available: boolean;
  unavailable: string[];
  /** after - before. */
  change: SizesJson | null;
  symbols: SymbolDiffJson | null;
  dirs: Array<{ dir: string; before: BerkeleySize | null; after: BerkeleySize | null; change: BerkeleySize }>;
  config: Array<{ symbol: string; before: string | null; after: string | null }> | null;
}

export interface ToggleJson {
  toggle: string;
  kind: ToggleSummary['kind'];
  patch: string | null;
  key: string;
  status: ToggleSummary['status'];
  description: string | null;
  sizes: SizesJson | null;
  image_name: string | null;
  error: string | null;
  error_context: string[];
  log: string | null;
  duration_ms: number | null;
  warnings: number | null;
}

export interface PatchJson {
  name: string;
  position: number;
  sha256: string | null;
  flip: (ComparisonJson & { saved: SizesJson | null; saved_pct: SizesJson | null; cumulative: SizesJson; cumulative_pct: SizesJson | null }) | null;
  at_default: ComparisonJson | null;
}

export interface ReportDocument {
  schema_version: typeof REPORT_DOCUMENT_VERSION;
  config: string;
  run: { started_at: string; finished_at: string | null };
  ok: boolean;
  failed: string[];
  image_name: string | null;
  base_sizes: SizesJson | null;
  options_off_by_config: boolean;
  toggles: ToggleJson[];
  noop: ComparisonJson;
  all_off: ComparisonJson;
  all_off_vs_base: ComparisonJson;
  patches: PatchJson[];
  config_flips: Array<ComparisonJson & { symbol: string; value: { queue: string | null; flipped: string | null } | null; saves: SizesJson | null }>;
  interactions: {
    sum_of_singles: SizesJson;
    all_off: SizesJson | null;
    difference: SizesJson | null;
    counted: string[];
    missing: string[];
    pairs: Array<{ a: string; b: string; symbols: Array<{ name: string; a: number; b: number }>; overlap_bytes: number; config: string[] }>;
    pairs_computable: boolean;
    pairs_note: string | null;
  };
  dirs: Array<{ dir: string; base: BerkeleySize | null; queue: BerkeleySize | null; all_off: BerkeleySize | null }>;
  subdirs: { toggle: string; rows: Array<BerkeleySize & { dir: string }> } | null;
  inputs: {
    trees: string[];
    toolchains: Array<{ name: string; image: string }>;
    runtimes: string[];
    arch: string[];
    tool_versions: string[];
    toggles: Array<{
      toggle: string;
      key: string;
      tree: string;
      patches: Array<{ name: string; sha256: string }>;
      config: string;
      toolchain: { name: string; image: string };
      runtime: string;
      hermetic: boolean;
      artifacts: Record<string, string>;
    }>;
  };
  /** The configuration's budgets judged against the run; null when it declares none (or they were not checked). */
  budgets: Array<{ name: string; toggle: string | null; ok: boolean; message: string; justification: string | null }> | null;
}

const size = (s: BerkeleySize | null): BerkeleySize | null => (s ? { text: s.text, data: s.data, bss: s.bss, dec: s.dec } : null);
const sizes = (s: Sizes | null | undefined): SizesJson | null => (s ? { text: s.text, data: s.data, bss: s.bss, dec: s.dec, image: s.image } : null);

function symbolsJson(d: RenameAwareDiff | null): SymbolDiffJson | null {
  if (!d) return null;
  return {
    add: d.add,
    remove: d.remove,
    grow: d.grow,
    shrink: d.shrink,
    rename: d.rename,
    up: d.up,
    down: d.down,
    before: d.before,
    after: d.after,
    changes: d.changes.map((c) => ({ name: c.name, renamed_from: c.renamedFrom ?? null, old: c.old ?? null, new: c.new ?? null, delta: c.delta })),
  };
}

const configJson = (c: ConfigChange[] | null) => (c ? c.map((x) => ({ symbol: x.symbol, before: x.before, after: x.after })) : null);

function comparisonJson(c: Comparison): ComparisonJson {
  return {
    before: c.before,
    after: c.after,
    available: c.available,
    unavailable: [...c.unavailable],
    change: sizes(c.change),
    symbols: symbolsJson(c.symbols),
    dirs: c.dirs.map((d) => ({ dir: d.dir, before: size(d.before), after: size(d.after), change: size(d.change)! })),
    config: configJson(c.config),
  };
}

function toggleJson(t: ToggleSummary): ToggleJson {
  return {
    toggle: t.toggle,
    kind: t.kind,
    patch: t.patch ?? null,
    key: t.key,
    status: t.status,
    description: t.description ?? null,
    sizes: sizes(t.sizes),
    image_name: t.imageName ?? null,
    error: t.error ?? null,
    error_context: t.errorContext ? [...t.errorContext] : [],
    log: t.log ?? null,
    duration_ms: t.durationMs ?? null,
    warnings: t.warnings ?? null,
  };
}

const budgetJson = (b: ReportBudget) => ({ name: b.name, toggle: b.toggle ?? null, ok: b.ok, message: b.message, justification: b.justification ?? null });

/** The report document of a size report. */
export function reportDocument(r: SizeReport): ReportDocument {
  const i = r.interactions;
  return {
    schema_version: REPORT_DOCUMENT_VERSION,
    config: r.config,
    run: { started_at: r.run.startedAt, finished_at: r.run.finishedAt ?? null },
    ok: r.failed.length === 0,
    failed: [...r.failed],
    image_name: r.imageName ?? null,
    base_sizes: sizes(r.baseSizes),
    options_off_by_config: r.optionsOffByConfig,
    toggles: r.toggles.map(toggleJson),
    noop: comparisonJson(r.noop),
    all_off: comparisonJson(r.allOff),
    all_off_vs_base: comparisonJson(r.allOffVsBase),
    patches: r.patches.map((p) => ({
      name: p.name,
      position: p.position,
      sha256: p.sha256 ?? null,
      flip: p.flip
        ? { ...comparisonJson(p.flip), saved: sizes(p.flip.saved), saved_pct: sizes(p.flip.savedPct), cumulative: sizes(p.flip.cumulative)!, cumulative_pct: sizes(p.flip.cumulativePct) }
        : null,
      at_default: p.atDefault ? comparisonJson(p.atDefault) : null,
    })),
    config_flips: r.configFlips.map((c) => ({ ...comparisonJson(c), symbol: c.symbol, value: c.value ? { queue: c.value.queue, flipped: c.value.flipped } : null, saves: sizes(c.saves) })),
    interactions: {
      sum_of_singles: sizes(i.sumOfSingles)!,
      all_off: sizes(i.allOff),
      difference: sizes(i.difference),
      counted: [...i.counted],
      missing: [...i.missing],
      pairs: i.pairs.map((p) => ({ a: p.a, b: p.b, symbols: p.symbols.map((s) => ({ name: s.name, a: s.a, b: s.b })), overlap_bytes: p.overlapBytes, config: [...p.config] })),
      pairs_computable: i.pairsComputable,
      pairs_note: i.pairsNote ?? null,
    },
    dirs: r.dirs.map((d) => ({ dir: d.dir, base: size(d.base), queue: size(d.queue), all_off: size(d.allOff) })),
    subdirs: r.subdirs ? { toggle: r.subdirs.toggle, rows: r.subdirs.rows.map((x) => ({ dir: x.dir, text: x.text, data: x.data, bss: x.bss, dec: x.dec })) } : null,
    inputs: {
      trees: [...r.inputs.trees],
      toolchains: r.inputs.toolchains.map((t) => ({ name: t.name, image: t.image })),
      runtimes: [...r.inputs.runtimes],
      arch: [...r.inputs.arch],
      tool_versions: [...r.inputs.toolVersions],
      toggles: r.inputs.toggles.map((t) => ({
        toggle: t.toggle,
        key: t.key,
        tree: t.tree,
        patches: t.patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
        config: t.config,
        toolchain: { name: t.toolchain.name, image: t.toolchain.image },
        runtime: t.runtime,
        hermetic: t.hermetic,
        artifacts: { ...t.artifacts },
      })),
    },
    budgets: r.budgets ? r.budgets.map(budgetJson) : null,
  };
}

/**
 * A release's VERSION-sizes.json as a report document: a document as it is, or a release made
 * before the document existed (the SizeReport itself, `schema: 1`) converted. Undefined when it
 * is neither.
 */
export function readReportDocument(v: unknown): ReportDocument | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.schema_version === REPORT_DOCUMENT_VERSION) return o as unknown as ReportDocument;
  if (o.schema === 1 && o.schema_version === undefined && Array.isArray(o.toggles) && Array.isArray(o.patches)) {
    const legacy = o as unknown as Partial<SizeReport> & Omit<SizeReport, 'configFlips' | 'optionsOffByConfig' | 'subdirs'>;
    // The fields SizeReport gained after the first releases: absent means none, false, none.
    return reportDocument({ ...legacy, configFlips: legacy.configFlips ?? [], optionsOffByConfig: legacy.optionsOffByConfig ?? false, subdirs: legacy.subdirs ?? null });
  }
  return undefined;
}
