// `tiny diff`: two symbol tables compared with bloat-o-meter's semantics, in its sections
// (default, -c, -d, -t), optionally rename-aware, rendered as bloat-o-meter's exact text, as
// Markdown or as JSON. Pure: the CLI reads the tables (nm or the record store).

import { BLOAT_TYPES, pyPercent, renderSymbolDiff, symbolDiff, type BloatMode } from '../measure/bloat.js';
import type { SymbolEntry } from '../measure/types.js';
import { renderTable } from '../report/table.js';
import { changeLabel, renameAwareDiff, type RenameAwareDiff, type RenameChange } from './rename.js';

export interface DiffSection {
  /** bloat-o-meter's column title: Function, Data or RO Data. */
  label: string;
  /** nm symbol types counted. */
  types: string;
  diff: RenameAwareDiff;
}

export interface DiffOptions {
  mode?: BloatMode;
  renameAware?: boolean;
}

/** bloat-o-meter's sections for a mode: -c prints three, the others one. */
export function sectionsFor(mode: BloatMode): Array<{ label: string; types: string }> {
  switch (mode) {
    case 'c':
      return [
        { label: 'Function', types: BLOAT_TYPES.function },
        { label: 'Data', types: BLOAT_TYPES.dataOnly },
        { label: 'RO Data', types: BLOAT_TYPES.roData },
      ];
    case 'd':
      return [{ label: 'Data', types: BLOAT_TYPES.data }];
    case 't':
      return [{ label: 'Function', types: BLOAT_TYPES.function }];
    default:
      return [{ label: 'Function', types: BLOAT_TYPES.all }];
  }
}

export function diffSymbols(oldSyms: readonly SymbolEntry[], newSyms: readonly SymbolEntry[], opts: DiffOptions = {}): DiffSection[] {
  return sectionsFor(opts.mode ?? 'default').map(({ label, types }) => ({
    label,
    types,
    diff: opts.renameAware ? renameAwareDiff(oldSyms, newSyms, types) : { ...symbolDiff(oldSyms, newSyms, types), rename: 0 },
  }));
}

/** (after - before) * 100 / before, as bloat-o-meter prints it (+0.00 when before is 0). */
export function percentText(d: { before: number; after: number }): string {
  return pyPercent(d.before ? ((d.after - d.before) * 100.0) / d.before : 0);
}

/**
 * bloat-o-meter's text. Without renames it is byte-for-byte the script's output. Rename-aware,
 * a `rename: N` line follows the summary line and a renamed symbol's row is named `old -> new`.
 */
export function renderDiffText(sections: readonly DiffSection[], renameAware = false): string {
  return sections
    .map(({ label, diff }) => {
      const text = renderSymbolDiff({ ...diff, changes: diff.changes.map((c) => ({ ...c, name: changeLabel(c) })) }, label);
      if (!renameAware) return text;
      const nl = text.indexOf('\n');
      return `${text.slice(0, nl + 1)}rename: ${diff.rename}\n${text.slice(nl + 1)}`;
    })
    .join('');
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function summaryLine(d: RenameAwareDiff): string {
  return `add/remove: ${d.add}/${d.remove} grow/shrink: ${d.grow}/${d.shrink} up/down: ${d.up}/${-d.down || 0} (${d.up - d.down})`;
}

/** Markdown: per section the summary line, a table, and the total. */
export function renderDiffMarkdown(sections: readonly DiffSection[], title: string, renameAware = false): string {
  const out: string[] = [`### ${title}`, ''];
  for (const { label, diff } of sections) {
    if (sections.length > 1) out.push(`#### ${label}`, '');
    out.push(`\`${summaryLine(diff)}\`${renameAware ? ` — ${diff.rename} renamed` : ''}`, '');
    if (diff.changes.length)
      out.push(
        renderTable(
          {
            columns: [{ header: label }, { header: 'old', align: 'right' }, { header: 'new', align: 'right' }, { header: 'delta', align: 'right' }],
            rows: diff.changes.map((c) => [`\`${changeLabel(c)}\``, String(c.old ?? '-'), String(c.new ?? '-'), signed(c.delta)]),
          },
          'md',
        ).trimEnd(),
        '',
      );
    out.push(`Total: Before=${diff.before}, After=${diff.after}, chg ${percentText(diff)}%`, '');
  }
  return out.join('\n');
}

export interface DiffSide {
  /** What the user typed. */
  arg: string;
  kind: 'file' | 'record';
  path?: string;
  key?: string;
  config?: string;
  toggle?: string;
}

function changeJson(c: RenameChange): Record<string, unknown> {
  return {
    name: c.name,
    renamed_from: c.renamedFrom ?? null,
    old: c.old ?? null,
    new: c.new ?? null,
    delta: c.delta,
  };
}

function sideJson(s: DiffSide): Record<string, unknown> {
  return { arg: s.arg, kind: s.kind, path: s.path ?? null, key: s.key ?? null, config: s.config ?? null, toggle: s.toggle ?? null };
}

/** The version of `tiny diff --format json` (schema/output/diff.schema.json, docs/output.md). */
export const DIFF_OUTPUT_VERSION = 1;

/** `tiny diff --format json`: the two sides, then bloat-o-meter's numbers per section. Absent values are null. */
export function diffJson(sections: readonly DiffSection[], old: DiffSide, nu: DiffSide, opts: DiffOptions = {}): Record<string, unknown> {
  return {
    schema_version: DIFF_OUTPUT_VERSION,
    old: sideJson(old),
    new: sideJson(nu),
    mode: opts.mode ?? 'default',
    rename_aware: opts.renameAware ?? false,
    sections: sections.map(({ label, types, diff }) => ({
      label,
      types,
      add: diff.add,
      remove: diff.remove,
      grow: diff.grow,
      shrink: diff.shrink,
      rename: opts.renameAware ? diff.rename : null,
      up: diff.up,
      down: diff.down,
      net: diff.up - diff.down,
      before: diff.before,
      after: diff.after,
      chg_percent: percentText(diff),
      changes: diff.changes.map(changeJson),
    })),
  };
}
