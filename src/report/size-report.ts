// The size report of one `tiny build` run: what each patch of the queue does to the kernel's
// size, computed from the run's records. Pure: load.ts reads the store, the render-* files
// print the result; the SizeReport object is also the JSON output.
//
// The toggles of a run and what comparing them tells (DESIGN.md, "Toggles"):
//   base              the bare base tree
//   queue             every patch applied, every option at its default (the no-op point)
//   all-off           every tiny option off (the smallest kernel)
//   flip:<patch>      queue with that patch's option flipped alone
//   without:<patch>   queue with that patch left out alone
// so that
//   queue - base            the no-op cost of the whole queue (ideally 0)
//   queue - without:<p>     the no-op cost of patch p: what it does with its option at default
//   queue - flip:<p>        what turning p's option off saves
//   queue - all-off         what turning every option off saves; against the sum of the
//                           single flips it shows how the patches interact.
// Sizes are size(1)'s text, data, bss and dec of vmlinux, and the boot image's file size.

import { renameAwareDiff, type RenameAwareDiff } from '../diff/rename.js';
import type { BerkeleySize, SymbolEntry } from '../measure/types.js';
import type { BuildRecord } from '../store/types.js';
import { diffDotConfig, type ConfigChange } from './config-diff.js';

export const REPORT_SCHEMA = 1;

export const METRICS = ['text', 'data', 'bss', 'dec', 'image'] as const;
export type Metric = (typeof METRICS)[number];
/** Bytes per metric; null where a side has no such number (no boot image stored). */
export type Sizes = Record<Metric, number | null>;

export type ToggleKind = 'base' | 'queue' | 'all-off' | 'flip' | 'without' | 'config' | 'other';

/** One toggle of the run as the loader found it. */
export interface ToggleInput {
  toggle: string;
  key: string;
  /** Status in the run index. */
  status: BuildRecord['status'];
  /** Absent when the record has left the store (or is corrupt). */
  record?: BuildRecord;
  /** The record directory is there but cannot be read: its metadata file and why. */
  corrupt?: { path: string; why: string };
  symbols?: SymbolEntry[];
  /** The stored .config. */
  dotConfig?: string;
}

/**
 * A budget's verdict, as the report shows it and JUnit exports it. Budgets are checked by
 * src/budget (checkBudgets); a caller passes its verdicts in ReportInput.budgets.
 */
export interface ReportBudget {
  /** What is limited, e.g. `bzImage` or `min_saving_per_patch`. */
  name: string;
  /** The toggle the budget applies to, when it applies to one. */
  toggle?: string;
  /** false: exceeded (a failure). An accepted (justified) violation is ok, with its message. */
  ok: boolean;
  message: string;
  /** The patch's Size-Justification, shown next to an accepted increase. */
  justification?: string;
}

export interface ReportInput {
  config: string;
  run: { startedAt: string; finishedAt?: string };
  toggles: ToggleInput[];
  budgets?: ReportBudget[];
}

export interface ToggleSummary {
  toggle: string;
  kind: ToggleKind;
  patch?: string;
  key: string;
  status: 'ok' | 'failed' | 'missing';
  description?: string;
  sizes?: Sizes;
  /** bzImage, zImage ... */
  imageName?: string;
  /** The first error of a failed build, or why the record is missing. */
  error?: string;
  /** The lines of the build log around the first error. */
  errorContext?: string[];
  /** The build log in the record directory, when one was kept. */
  log?: string;
  durationMs?: number;
  warnings?: number;
}

export interface DirChange {
  dir: string;
  before: BerkeleySize | null;
  after: BerkeleySize | null;
  /** after - before (a missing side counts as 0). */
  change: BerkeleySize;
}

/** Two toggles compared: `change` is after - before. */
export interface Comparison {
  before: string;
  after: string;
  /** Both toggles built and were measured. */
  available: boolean;
  /** The toggles that are not (failed, missing, not in the run). */
  unavailable: string[];
  change: Sizes | null;
  /**
   * bloat-o-meter's diff of the two symbol tables, when both were stored; rename-aware (a
   * symbol that only changed its compiler suffix, foo.isra -> foo.constprop, is one change).
   */
  symbols: RenameAwareDiff | null;
  /** Directories whose size changed, largest |dec| change first. */
  dirs: DirChange[];
  /** .config differences, when both configs were stored. */
  config: ConfigChange[] | null;
}

export interface FlipResult extends Comparison {
  /** queue - flip:<patch>: bytes saved by turning the option off (negative: it grows). */
  saved: Sizes | null;
  /** saved * 100 / base. */
  savedPct: Sizes | null;
  /** The saved bytes of this and every earlier patch of the series (flips that built). */
  cumulative: Sizes;
  cumulativePct: Sizes | null;
}

/** queue vs config:<SYMBOL>: one of the configuration's own choices (kconfig.flips) turned around. */
export interface ConfigFlipResult extends Comparison {
  symbol: string;
  /** The symbol's value at the queue point and in the flip (from the stored .configs). */
  value?: { queue: string | null; flipped: string | null };
  /** config:<SYMBOL> - queue: bytes the configuration's value saves (negative: what it costs). */
  saves: Sizes | null;
}

export interface PatchReport {
  name: string;
  /** 1-based position among the report's patches (series order of the `queue` toggle). */
  position: number;
  sha256?: string;
  /** queue vs flip:<patch>; absent when the run has no flip toggle for it (a patch without an option). */
  flip?: FlipResult;
  /** without:<patch> vs queue: `change` is the no-op cost of the patch (ideally 0). */
  atDefault?: Comparison;
}

export interface PairOverlap {
  a: string;
  b: string;
  /** Symbols both flips change, with each flip's delta. */
  symbols: Array<{ name: string; a: number; b: number }>;
  /**
   * Bytes both flips claim: over shared symbols changed the same way, min(|a|, |b|), counted
   * positive for savings (their sum over-counts what both flips together save) and negative for growth.
   */
  overlapBytes: number;
  /** CONFIG_ symbols both flips change (besides each one's own). */
  config: string[];
}

export interface Interactions {
  /** The single flips' savings added up (those that built). */
  sumOfSingles: Sizes;
  /** queue - all-off. */
  allOff: Sizes | null;
  /** sumOfSingles - allOff: > 0 the savings overlap, < 0 the options save more together; null unless every flip built. */
  difference: Sizes | null;
  /** Patches with a flip toggle that counted, and those whose flip did not build. */
  counted: string[];
  missing: string[];
  /** Pairs of flips that change the same symbols or .config symbols (needs the stored symbol tables). */
  pairs: PairOverlap[];
  pairsComputable: boolean;
  pairsNote?: string;
}

export interface DirRow {
  dir: string;
  base: BerkeleySize | null;
  queue: BerkeleySize | null;
  allOff: BerkeleySize | null;
}

export interface ToggleInputs {
  toggle: string;
  key: string;
  tree: string;
  patches: Array<{ name: string; sha256: string }>;
  /** sha256 of the final .config. */
  config: string;
  toolchain: { name: string; image: string };
  runtime: string;
  hermetic: boolean;
  /** sha256 of each measured artifact (vmlinux, bzImage, System.map, .config). */
  artifacts: Record<string, string>;
}

export interface InputHashes {
  /** Distinct values over the run's records (one each in a healthy run). */
  trees: string[];
  toolchains: Array<{ name: string; image: string }>;
  runtimes: string[];
  arch: string[];
  toolVersions: string[];
  toggles: ToggleInputs[];
}

export interface SizeReport {
  schema: typeof REPORT_SCHEMA;
  config: string;
  run: { startedAt: string; finishedAt?: string };
  toggles: ToggleSummary[];
  /** Toggles that failed or whose record is missing. */
  failed: string[];
  baseSizes: Sizes | null;
  imageName?: string;
  /** base vs queue: the no-op cost of the whole queue. */
  noop: Comparison;
  /** queue vs all-off. */
  allOff: Comparison;
  /** base vs all-off: the smallest kernel against the bare base. */
  allOffVsBase: Comparison;
  /** In series order. */
  patches: PatchReport[];
  /** The configuration's own choices flipped one at a time (kconfig.flips), in run order. */
  configFlips: ConfigFlipResult[];
  interactions: Interactions;
  /**
   * The configuration turns every option off itself (webserver-tiny): all-off is its queue
   * point, each flip turns an option back on (negative "saved"), and queue vs base is what the
   * options save there, not a no-op cost.
   */
  optionsOffByConfig: boolean;
  dirs: DirRow[];
  /** One level down at the queue point (the base when there is none), largest dec first: where the bytes are. */
  subdirs: { toggle: string; rows: BerkeleySizeRow[] } | null;
  inputs: InputHashes;
  budgets?: ReportBudget[];
}

export interface BerkeleySizeRow {
  dir: string;
  text: number;
  data: number;
  bss: number;
  dec: number;
}

export function toggleKind(name: string): { kind: ToggleKind; patch?: string } {
  if (name === 'base' || name === 'queue' || name === 'all-off') return { kind: name };
  const m = /^(flip|without):(.+)$/.exec(name);
  if (m) return { kind: m[1] as 'flip' | 'without', patch: m[2]! };
  if (/^config:[A-Za-z0-9_]+$/.test(name)) return { kind: 'config' };
  return { kind: 'other' };
}

/** The boot image's artifact name in a record's measurement (bzImage, zImage ...). */
export function imageNameOf(r: BuildRecord): string | undefined {
  if (r.imageName) return r.imageName;
  const files = Object.keys(r.measurement?.files ?? {});
  return files.find((f) => !['vmlinux', 'System.map', '.config'].includes(f));
}

function sizesOf(r: BuildRecord): Sizes | undefined {
  const m = r.measurement;
  if (!m) return undefined;
  const img = imageNameOf(r);
  return { text: m.size.text, data: m.size.data, bss: m.size.bss, dec: m.size.dec, image: img ? (m.files[img]?.bytes ?? null) : null };
}

const map = (f: (m: Metric) => number | null): Sizes => Object.fromEntries(METRICS.map((m) => [m, f(m)])) as Sizes;

function sub(a: Sizes, b: Sizes): Sizes {
  return map((m) => (a[m] === null || b[m] === null ? null : a[m]! - b[m]!));
}

function neg(a: Sizes): Sizes {
  return map((m) => (a[m] === null ? null : 0 - a[m]!)); // 0 - x: never -0
}

function pct(a: Sizes, base: Sizes | null): Sizes | null {
  if (!base) return null;
  return map((m) => (a[m] === null || !base[m] ? null : (a[m]! * 100) / base[m]!));
}

const ZERO_SIZE: BerkeleySize = { text: 0, data: 0, bss: 0, dec: 0 };

function dirChanges(a: BuildRecord | undefined, b: BuildRecord | undefined): DirChange[] {
  const da = new Map((a?.measurement?.dirs ?? []).map((d) => [d.dir, d]));
  const db = new Map((b?.measurement?.dirs ?? []).map((d) => [d.dir, d]));
  const out: DirChange[] = [];
  for (const dir of [...new Set([...da.keys(), ...db.keys()])].sort()) {
    const x = da.get(dir);
    const y = db.get(dir);
    const bx = x ? { text: x.text, data: x.data, bss: x.bss, dec: x.dec } : null;
    const by = y ? { text: y.text, data: y.data, bss: y.bss, dec: y.dec } : null;
    const p = bx ?? ZERO_SIZE;
    const q = by ?? ZERO_SIZE;
    const change = { text: q.text - p.text, data: q.data - p.data, bss: q.bss - p.bss, dec: q.dec - p.dec };
    if (change.text || change.data || change.bss || change.dec || !bx !== !by) out.push({ dir, before: bx, after: by, change });
  }
  return out.sort((x, y) => Math.abs(y.change.dec) - Math.abs(x.change.dec) || (x.dir < y.dir ? -1 : 1));
}

/** The directory of a file path (the report model does no I/O: plain string work). */
function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

export function buildSizeReport(input: ReportInput): SizeReport {
  const byName = new Map(input.toggles.map((t) => [t.toggle, t]));
  const ok = (name: string): ToggleInput | undefined => {
    const t = byName.get(name);
    return t?.record && t.record.status === 'ok' && t.record.measurement ? t : undefined;
  };

  const toggles: ToggleSummary[] = input.toggles.map((t) => {
    const { kind, patch } = toggleKind(t.toggle);
    const r = t.record;
    const s: ToggleSummary = { toggle: t.toggle, kind, ...(patch ? { patch } : {}), key: t.key, status: r ? r.status : 'missing' };
    if (!r) {
      s.error = t.corrupt
        ? `record ${t.key.slice(0, 12)} is corrupt: ${t.corrupt.path}: ${t.corrupt.why}; remove it (rm -r ${dirOf(t.corrupt.path)}): \`tiny build --config ${input.config}\` makes it again`
        : `record ${t.key.slice(0, 12)} is not in the store`;
      return s;
    }
    if (r.toggle.description) s.description = r.toggle.description;
    const sizes = sizesOf(r);
    if (sizes && r.status === 'ok') s.sizes = sizes;
    const img = imageNameOf(r);
    if (img) s.imageName = img;
    if (r.status === 'failed') {
      const fe = r.diagnostics.firstError;
      s.error = fe ? `${fe.file}${fe.line ? `:${fe.line}` : ''}: ${fe.message}` : 'the build failed';
      if (fe?.context.length) s.errorContext = [...fe.context];
      if (r.log) s.log = r.log;
    } else if (!sizes) {
      s.status = 'failed';
      s.error = 'the record has no measurement';
    }
    s.durationMs = Object.values(r.durationsMs ?? {}).reduce((x, y) => x + y, 0);
    s.warnings = r.diagnostics.warnings;
    return s;
  });
  const failed = toggles.filter((t) => t.status !== 'ok').map((t) => t.toggle);

  const compare = (before: string, after: string): Comparison => {
    const a = ok(before);
    const b = ok(after);
    const unavailable = [...(a ? [] : [before]), ...(b ? [] : [after])];
    return {
      before,
      after,
      available: !!a && !!b,
      unavailable,
      change: a && b ? sub(sizesOf(b.record!)!, sizesOf(a.record!)!) : null,
      symbols: a?.symbols && b?.symbols ? renameAwareDiff(a.symbols, b.symbols) : null,
      dirs: a && b ? dirChanges(a.record, b.record) : [],
      config: a?.dotConfig !== undefined && b?.dotConfig !== undefined ? diffDotConfig(a.dotConfig, b.dotConfig) : null,
    };
  };

  const baseT = ok('base');
  const baseSizes = baseT ? sizesOf(baseT.record!)! : null;

  // The series: the queue record's patch order, then any other patch named by a toggle.
  const series: string[] = [];
  const shaOf = new Map<string, string>();
  const seriesSource = byName.get('queue')?.record ?? input.toggles.find((t) => t.record)?.record;
  for (const p of seriesSource?.patches ?? []) {
    series.push(p.name);
    shaOf.set(p.name, p.sha256);
  }
  for (const t of input.toggles) for (const p of t.record?.patches ?? []) if (!shaOf.has(p.name)) shaOf.set(p.name, p.sha256);
  const named: string[] = [];
  for (const t of input.toggles) {
    const { patch } = toggleKind(t.toggle);
    if (patch && !named.includes(patch)) named.push(patch);
  }
  const order = (p: string) => {
    const i = series.indexOf(p);
    return i >= 0 ? i : series.length + named.indexOf(p);
  };
  named.sort((x, y) => order(x) - order(y));

  const running = map(() => 0);
  const patches: PatchReport[] = named.map((name) => {
    const pr: PatchReport = { name, position: named.indexOf(name) + 1, ...(shaOf.has(name) ? { sha256: shaOf.get(name)! } : {}) };
    if (byName.has(`flip:${name}`)) {
      const c = compare('queue', `flip:${name}`);
      const saved = c.change ? neg(c.change) : null;
      if (saved) for (const m of METRICS) if (saved[m] !== null) running[m] = running[m]! + saved[m]!;
      const cumulative = { ...running };
      pr.flip = { ...c, saved, savedPct: saved ? pct(saved, baseSizes) : null, cumulative, cumulativePct: pct(cumulative, baseSizes) };
    }
    if (byName.has(`without:${name}`)) pr.atDefault = compare(`without:${name}`, 'queue');
    return pr;
  });

  const allOff = compare('queue', 'all-off');
  const flips = patches.filter((p) => p.flip);
  const sumOfSingles = map(() => 0);
  for (const p of flips)
    for (const m of METRICS) {
      const v = p.flip!.saved?.[m];
      if (v === null || v === undefined) continue;
      sumOfSingles[m] = sumOfSingles[m]! + v;
    }
  const allOffSaved = allOff.change ? neg(allOff.change) : null;
  const withSymbols = flips.filter((p) => p.flip!.symbols);
  const pairs: PairOverlap[] = [];
  for (let i = 0; i < flips.length; i++)
    for (let j = i + 1; j < flips.length; j++) {
      const a = flips[i]!.flip!;
      const b = flips[j]!.flip!;
      const shared: PairOverlap['symbols'] = [];
      let overlapBytes = 0;
      if (a.symbols && b.symbols) {
        const db = new Map(b.symbols.changes.map((c) => [c.name, c.delta]));
        for (const c of a.symbols.changes) {
          const d = db.get(c.name);
          if (d === undefined) continue;
          shared.push({ name: c.name, a: c.delta, b: d });
          if (Math.sign(d) === Math.sign(c.delta)) overlapBytes += -Math.sign(d) * Math.min(Math.abs(d), Math.abs(c.delta));
        }
      }
      const ownA = new Set((a.config ?? []).map((c) => c.symbol));
      const config = (b.config ?? []).map((c) => c.symbol).filter((s) => ownA.has(s));
      // .config symbols both flips change: one option depends on the other, or both select the same.
      if (shared.length || config.length) pairs.push({ a: flips[i]!.name, b: flips[j]!.name, symbols: shared, overlapBytes, config });
    }
  pairs.sort((x, y) => Math.abs(y.overlapBytes) - Math.abs(x.overlapBytes) || y.symbols.length - x.symbols.length);
  const interactions: Interactions = {
    sumOfSingles,
    allOff: allOffSaved,
    // Only meaningful when every single flip built.
    difference: allOffSaved && flips.every((p) => p.flip!.available) ? sub(sumOfSingles, allOffSaved) : null,
    counted: flips.filter((p) => p.flip!.available).map((p) => p.name),
    missing: flips.filter((p) => !p.flip!.available).map((p) => p.name),
    pairs,
    pairsComputable: withSymbols.length === flips.length,
    ...(withSymbols.length < flips.length
      ? {
          pairsNote: `no symbol table for ${flips
            .filter((p) => !p.flip!.symbols)
            .map((p) => `flip:${p.name}`)
            .join(', ')}`,
        }
      : {}),
  };

  const subdirsAt = ok('queue') ? 'queue' : ok('base') ? 'base' : undefined;
  const subRows = subdirsAt ? ok(subdirsAt)!.record!.measurement!.subdirs : undefined;
  const subdirs =
    subdirsAt && subRows
      ? { toggle: subdirsAt, rows: [...subRows].sort((a, b) => b.dec - a.dec || (a.dir < b.dir ? -1 : 1)).map(({ dir, text, data, bss, dec }) => ({ dir, text, data, bss, dec })) }
      : null;
  const dirsOf = (name: string) => new Map((ok(name)?.record?.measurement?.dirs ?? []).map((d) => [d.dir, d]));
  const [db, dq, da] = ['base', 'queue', 'all-off'].map(dirsOf) as [ReturnType<typeof dirsOf>, ReturnType<typeof dirsOf>, ReturnType<typeof dirsOf>];
  const bs = (d: BerkeleySize | undefined) => (d ? { text: d.text, data: d.data, bss: d.bss, dec: d.dec } : null);
  const dirs: DirRow[] = [...new Set([...db.keys(), ...dq.keys(), ...da.keys()])].sort().map((dir) => ({ dir, base: bs(db.get(dir)), queue: bs(dq.get(dir)), allOff: bs(da.get(dir)) }));

  const recs = input.toggles.filter((t) => t.record).map((t) => t.record!);
  const distinct = <T>(xs: T[]) => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];
  const inputs: InputHashes = {
    trees: distinct(recs.map((r) => r.inputs.baseTree)),
    toolchains: distinct(recs.map((r) => ({ name: r.inputs.toolchain.name, image: r.inputs.toolchain.image }))),
    runtimes: distinct(recs.map((r) => r.inputs.runtime)),
    arch: distinct(recs.map((r) => r.inputs.arch)),
    toolVersions: distinct(recs.map((r) => r.inputs.toolVersion)),
    toggles: input.toggles
      .filter((t) => t.record)
      .map(({ toggle, record: r }) => ({
        toggle,
        key: r!.key,
        tree: r!.inputs.baseTree,
        patches: r!.patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
        config: r!.inputs.config,
        toolchain: { name: r!.inputs.toolchain.name, image: r!.inputs.toolchain.image },
        runtime: r!.inputs.runtime,
        hermetic: r!.hermetic,
        artifacts: { ...(r!.measurement?.sha256 ?? {}) },
      })),
  };

  const configFlips: ConfigFlipResult[] = toggles
    .filter((t) => t.kind === 'config')
    .map((t) => {
      const symbol = t.toggle.slice('config:'.length);
      const c = compare('queue', t.toggle);
      const own = c.config?.find((x) => x.symbol === symbol);
      return { ...c, symbol, ...(own ? { value: { queue: own.before, flipped: own.after } } : {}), saves: c.change };
    });

  const imageName = (ok('queue') ?? ok('base'))?.record ? imageNameOf((ok('queue') ?? ok('base'))!.record!) : undefined;
  return {
    schema: REPORT_SCHEMA,
    config: input.config,
    run: { ...input.run },
    toggles,
    failed,
    baseSizes,
    ...(imageName ? { imageName } : {}),
    noop: compare('base', 'queue'),
    allOff,
    allOffVsBase: compare('base', 'all-off'),
    patches,
    configFlips,
    interactions,
    optionsOffByConfig: !!allOffSaved && METRICS.every((m) => !allOffSaved[m]) && (sumOfSingles.dec ?? 0) < 0,
    dirs,
    subdirs,
    inputs,
    ...(input.budgets ? { budgets: input.budgets } : {}),
  };
}
