// The changelog between two releases, from their release.json and size reports: patches added,
// removed, changed (their change differs: src/release/content.ts), refreshed (only header noise
// differs: message, diffstat, index lines, line numbers) and unchanged; and the size effect of
// each patch in both releases with its delta. A pure function of the two releases' data.
//
// A patch's size effect, in dec bytes of vmlinux (text + data + bss), from each release's size
// report (the same numbers `tiny report` shows):
//   saves       queue - flip:<patch>: what turning its option off saves (patches with an option)
//   noop        queue - without:<patch>: what the patch costs with its option at its default
//               (ideally 0; for a patch without an option, this is all it does)
// null where the release's report has no such toggle (a base patch such as the compat series,
// or no size report at all).

import type { ReportDocument } from '../report/json.js';
import { commas } from '../util/format.js';
import type { ManifestPatch, ReleaseManifest } from './manifest.js';

export type ChangeKind = 'added' | 'removed' | 'changed' | 'refreshed' | 'unchanged';

export interface PatchEffect {
  saves: number | null;
  noop: number | null;
}

export interface ChangelogEntry {
  name: string;
  change: ChangeKind;
  old?: Pick<ManifestPatch, 'sha256' | 'content' | 'files' | 'added' | 'removed'>;
  new?: Pick<ManifestPatch, 'sha256' | 'content' | 'files' | 'added' | 'removed'>;
  summary?: string;
  sizes: { old: PatchEffect | null; new: PatchEffect | null; savesDelta: number | null; noopDelta: number | null };
}

export interface KernelSizes {
  queue: number | null;
  allOff: number | null;
  image: number | null;
}

export interface Changelog {
  queue: string;
  old: { version: string; base: string; sizes: KernelSizes | null };
  new: { version: string; base: string; sizes: KernelSizes | null };
  entries: ChangelogEntry[];
  counts: Record<ChangeKind, number>;
}

export interface ReleaseData {
  manifest: ReleaseManifest;
  /** VERSION-sizes.json (readReportDocument reads those of older releases too). */
  sizes?: ReportDocument;
}

function effectOf(report: ReportDocument | undefined, name: string): PatchEffect | null {
  const p = report?.patches.find((x) => x.name === name);
  if (!p) return null;
  const saves = p.flip?.saved?.dec ?? null;
  const noop = p.at_default?.change?.dec ?? null;
  return saves === null && noop === null ? null : { saves, noop };
}

function kernelSizes(report: ReportDocument | undefined): KernelSizes | null {
  if (!report) return null;
  const t = (name: string) => report.toggles.find((x) => x.toggle === name && x.status === 'ok');
  const queue = t('queue') ?? t('base');
  return { queue: queue?.sizes?.dec ?? null, allOff: t('all-off')?.sizes?.dec ?? null, image: queue?.sizes?.image ?? null };
}

const delta = (a: number | null | undefined, b: number | null | undefined): number | null => (a === null || a === undefined || b === null || b === undefined ? null : b - a);

const pick = (p: ManifestPatch) => ({ sha256: p.sha256, content: p.content, files: p.files, added: p.added, removed: p.removed });

export function buildChangelog(older: ReleaseData, newer: ReleaseData): Changelog {
  const a = new Map(older.manifest.patches.map((p) => [p.name, p]));
  const b = new Map(newer.manifest.patches.map((p) => [p.name, p]));
  // Order: the new release's series, then the removed patches in the old release's order.
  const names = [...newer.manifest.patches.map((p) => p.name), ...older.manifest.patches.map((p) => p.name).filter((n) => !b.has(n))];
  const entries: ChangelogEntry[] = names.map((name) => {
    const x = a.get(name);
    const y = b.get(name);
    const change: ChangeKind = !x ? 'added' : !y ? 'removed' : x.content !== y.content ? 'changed' : x.sha256 !== y.sha256 ? 'refreshed' : 'unchanged';
    const eo = x ? effectOf(older.sizes, name) : null;
    const en = y ? effectOf(newer.sizes, name) : null;
    // An added patch's delta is its whole effect (against nothing), a removed one's the opposite.
    const savesDelta = change === 'added' ? (en?.saves ?? null) : change === 'removed' ? (eo?.saves === null || eo?.saves === undefined ? null : 0 - eo.saves) : delta(eo?.saves, en?.saves);
    const noopDelta = change === 'added' ? (en?.noop ?? null) : change === 'removed' ? (eo?.noop === null || eo?.noop === undefined ? null : 0 - eo.noop) : delta(eo?.noop, en?.noop);
    const summary = (y ?? x)!.summary;
    return {
      name,
      change,
      ...(x ? { old: pick(x) } : {}),
      ...(y ? { new: pick(y) } : {}),
      ...(summary ? { summary } : {}),
      sizes: { old: eo, new: en, savesDelta, noopDelta },
    };
  });
  const counts: Record<ChangeKind, number> = { added: 0, removed: 0, changed: 0, refreshed: 0, unchanged: 0 };
  for (const e of entries) counts[e.change]++;
  const side = (d: ReleaseData) => ({ version: d.manifest.version, base: `${d.manifest.base.version} (tree ${d.manifest.base.tree.slice(0, 12)})`, sizes: kernelSizes(d.sizes) });
  return { queue: newer.manifest.queue, old: side(older), new: side(newer), entries, counts };
}

// --- rendering -----------------------------------------------------------------------------

/** The version of `tiny release changelog --format json` (schema/output/release-changelog.schema.json). */
export const CHANGELOG_OUTPUT_VERSION = 1;

const kernelJson = (k: KernelSizes | null) => (k ? { queue: k.queue, all_off: k.allOff, image: k.image } : null);
const patchSideJson = (p: ChangelogEntry['old']) => (p ? { sha256: p.sha256, content: p.content, files: p.files, added: p.added, removed: p.removed } : null);

/** `tiny release changelog --format json`: snake_case, absent values null. */
export function changelogJson(c: Changelog): Record<string, unknown> {
  return {
    schema_version: CHANGELOG_OUTPUT_VERSION,
    queue: c.queue,
    old: { version: c.old.version, base: c.old.base, sizes: kernelJson(c.old.sizes) },
    new: { version: c.new.version, base: c.new.base, sizes: kernelJson(c.new.sizes) },
    entries: c.entries.map((e) => ({
      name: e.name,
      change: e.change,
      old: patchSideJson(e.old),
      new: patchSideJson(e.new),
      summary: e.summary ?? null,
      sizes: { old: e.sizes.old, new: e.sizes.new, saves_delta: e.sizes.savesDelta, noop_delta: e.sizes.noopDelta },
    })),
    counts: { ...c.counts },
  };
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '-' : commas(n));
const signed = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n > 0 ? `+${commas(n)}` : commas(n));

function lines(p: ChangelogEntry['old']): string {
  return p ? `+${p.added} -${p.removed}` : '-';
}

interface Row {
  cells: string[];
}

function table(header: string[], rows: Row[], md: boolean, right: Set<number>): string {
  if (md) {
    return [
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
      ...rows.map((r) => `| ${r.cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
    ].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map((r) => fmt(r.cells))].join('\n');
}

export function renderChangelog(c: Changelog, format: 'text' | 'md'): string {
  const md = format === 'md';
  const title = `${c.queue} ${c.old.version} -> ${c.new.version}`;
  const out: string[] = [];
  out.push(md ? `## ${title}` : `changelog ${title}`);
  if (c.old.base !== c.new.base) out.push('', `base: ${c.old.base} -> ${c.new.base}`);
  else out.push('', `base: ${c.new.base}`);
  const parts = (['added', 'removed', 'changed', 'refreshed', 'unchanged'] as const).map((k) => `${c.counts[k]} ${k}`);
  out.push(`patches: ${parts.join(', ')} (refreshed: only the header, diffstat or line numbers differ)`, '');
  const listed = c.entries.filter((e) => e.change !== 'unchanged');
  for (const kind of ['added', 'removed', 'changed', 'refreshed'] as const) {
    const es = c.entries.filter((e) => e.change === kind);
    if (!es.length) continue;
    out.push(md ? `- **${kind}**: ${es.map((e) => `\`${e.name}\``).join(', ')}` : `${kind}: ${es.map((e) => e.name).join(', ')}`);
  }
  if (listed.length) out.push('');
  const header = ['patch', 'change', 'lines', 'saves (dec)', 'Δ saves', 'no-op cost', 'Δ no-op'];
  const rows: Row[] = c.entries.map((e) => {
    const lineText = e.change === 'changed' ? `${lines(e.old)} -> ${lines(e.new)}` : lines(e.new ?? e.old);
    const from = (v: number | null | undefined, w: number | null | undefined, k: ChangeKind) =>
      k === 'added' ? num(w) : k === 'removed' ? `${num(v)} -> gone` : v === w ? num(w) : `${num(v)} -> ${num(w)}`;
    return {
      cells: [
        md ? `\`${e.name}\`` : e.name,
        e.change,
        lineText,
        from(e.sizes.old?.saves, e.sizes.new?.saves, e.change),
        signed(e.sizes.savesDelta),
        from(e.sizes.old?.noop, e.sizes.new?.noop, e.change),
        signed(e.sizes.noopDelta),
      ],
    };
  });
  out.push(table(header, rows, md, new Set([3, 4, 5, 6])));
  const so = c.old.sizes;
  const sn = c.new.sizes;
  out.push('');
  if (!so || !sn) {
    out.push(`kernel sizes: ${!so ? c.old.version : c.new.version} has no size report`);
  } else {
    const k = (label: string, x: number | null, y: number | null) => ({ cells: [label, num(x), num(y), signed(delta(x, y))] });
    out.push(
      table(
        ['kernel', c.old.version, c.new.version, 'Δ'],
        [k('dec, queue (options at default)', so.queue, sn.queue), k('dec, all options off', so.allOff, sn.allOff), k('boot image, queue', so.image, sn.image)],
        md,
        new Set([1, 2, 3]),
      ),
    );
  }
  out.push('', 'saves: dec bytes saved by turning the patch\'s option off (queue - flip); no-op cost: dec bytes the patch adds with its option at default (queue - without); "-": not measured.');
  return out.join('\n') + '\n';
}
