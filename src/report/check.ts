// Renderers for `tiny queue check`: per-base tables, the patch x base matrix, and details.

import { describeOutcome } from '../merge/check.js';
import type { BaseCheck, ModeOutcome, PatchCheck } from '../merge/types.js';
import { renderTable, type TableFormat } from './table.js';

function short(o: ModeOutcome): string {
  if (o.kind === 'fails') return 'FAILS';
  if (o.kind === 'skipped') return 'skipped';
  return describeOutcome(o);
}

function guardCell(p: PatchCheck): string {
  const inv = p.invasiveness;
  if (inv.declaresOption === null) return '-';
  const parts = [inv.declaresOption ? 'declared' : inv.editsUpstreamOption ? 'upstream' : 'NOT declared'];
  if (inv.unguarded.length) parts.push(`${inv.unguarded.length} unguarded`);
  return parts.join(', ');
}

/**
 * A patch with something to act on: a failure in any mode, fuzz in order, an undeclared option,
 * unguarded changes, a style finding (a missing Signed-off-by is summed up in one line instead).
 * An offset is not one: every series has them.
 */
export function hasProblem(p: PatchCheck): boolean {
  return (
    [p.order, p.alone, p.reverse].some((o) => o.kind === 'fails') ||
    p.order.kind === 'fuzz' ||
    p.invasiveness.declaresOption === false ||
    p.invasiveness.unguarded.length > 0 ||
    p.style.some((s) => s.kind !== 'no-signoff')
  );
}

export interface CheckRenderOptions {
  /** Every patch in the table and every overlapping pair; by default only the problems. */
  verbose?: boolean;
}

/**
 * One base's check. By default: the table's rows of the patches with a problem, the problems
 * (failing hunks, warnings), the summary, and what was left out; with verbose: every patch and
 * every pair with overlapping hunks or an order conflict.
 */
export function renderBaseCheck(c: BaseCheck, format: TableFormat, o: CheckRenderOptions = {}): string {
  const out: string[] = [];
  const title = `queue check on ${c.version} (tree ${c.tree.slice(0, 12)})`;
  out.push(format === 'md' ? `### ${title}\n` : `${title}\n`);
  const shown = o.verbose ? c.patches : c.patches.filter(hasProblem);
  if (shown.length) {
    out.push(
      renderTable(
        {
          columns: [
            { header: 'patch' },
            { header: 'in order' },
            { header: 'alone' },
            { header: 'reverse' },
            { header: 'files', align: 'right' },
            { header: 'hunks', align: 'right' },
            { header: '+lines', align: 'right' },
            { header: '-lines', align: 'right' },
            { header: 'option' },
          ],
          rows: shown.map((p) => [
            p.name,
            short(p.order),
            short(p.alone),
            short(p.reverse),
            String(p.invasiveness.files),
            String(p.invasiveness.hunks),
            String(p.invasiveness.added),
            String(p.invasiveness.removed),
            guardCell(p),
          ]),
        },
        format,
      ),
    );
  }
  const details = detailLines(c, o.verbose === true);
  if (details.length) {
    out.push(format === 'md' ? '\n' + details.map((d) => `- ${d}`).join('\n') + '\n' : '\n' + details.join('\n') + '\n');
  }
  // A blank line between what was shown and the summary; none when nothing was.
  out.push((shown.length || details.length ? '\n' : '') + summaryLine(c) + '\n');
  if (!o.verbose) {
    const hiddenPatches = c.patches.length - shown.length;
    const hiddenPairs = c.pairs.filter(pairWorthShowing).length;
    const left = [
      ...(hiddenPatches ? [`${hiddenPatches} patch${hiddenPatches === 1 ? '' : 'es'} without a problem`] : []),
      ...(hiddenPairs ? [`${hiddenPairs} pair${hiddenPairs === 1 ? '' : 's'} with overlapping hunks or an order conflict`] : []),
    ];
    if (left.length) out.push(`(not shown: ${left.join(', ')}; --verbose shows them)\n`);
  }
  return out.join('');
}

/** A pair the verbose listing names: overlapping hunks, or an order that matters. */
const pairWorthShowing = (pair: BaseCheck['pairs'][number]) => pair.overlappingHunks > 0 || pair.swapConflict;

export function summaryLine(c: BaseCheck): string {
  const count = (k: string) => c.patches.filter((p) => p.order.kind === k).length;
  const overlaps = c.pairs.filter((p) => p.overlappingHunks > 0).length;
  const conflicts = c.pairs.filter((p) => p.swapConflict).length;
  const unguarded = c.patches.filter((p) => p.invasiveness.unguarded.length).length;
  return (
    `${c.version}: ${c.patches.length} patches: ${count('clean')} clean, ${count('offset')} offset, ` +
    `${count('fuzz')} fuzz, ${count('fails')} fail in order; ` +
    `${c.pairs.length} pair${c.pairs.length === 1 ? ' shares' : 's share'} files (${overlaps} with overlapping hunks, ${conflicts} conflict when swapped); ` +
    `${unguarded} with unguarded changes` +
    (c.notForBase.length ? `; ${c.notForBase.length} not meant for this base` : '')
  );
}

function detailLines(c: BaseCheck, pairs: boolean): string[] {
  const lines: string[] = [];
  for (const p of c.patches) {
    for (const [mode, o] of [
      ['in order', p.order],
      ['alone', p.alone],
      ['reverse', p.reverse],
    ] as const) {
      if (o.kind !== 'fails') continue;
      for (const h of o.failed) {
        const reason = h.reason ?? `${h.file}: hunk #${h.hunk} does not apply`;
        // A path refused by the path rule already says "patch-file:line:".
        const where = reason.includes(`:${h.patchLine}: `) ? '' : ` (patch line ${h.patchLine})`;
        lines.push(`${p.name}: ${mode}: ${reason}${where}`);
      }
    }
    if (p.invasiveness.declaresOption === false && !p.invasiveness.editsUpstreamOption) lines.push(`${p.name}: does not add its option to a Kconfig file`);
    for (const u of p.invasiveness.unguarded.slice(0, 5)) {
      lines.push(`${p.name}: ${u.file}:${u.line}: change not guarded by its option: ${u.text.trim()}`);
    }
    if (p.invasiveness.unguarded.length > 5) lines.push(`${p.name}: ... ${p.invasiveness.unguarded.length - 5} more unguarded lines`);
    for (const s of p.style) {
      if (s.kind === 'no-signoff') continue; // summarized below: one line, not one per patch
      lines.push(`${p.name}: ${s.file ? `${s.file}:${s.line}: ` : s.line ? `patch line ${s.line}: ` : ''}${s.message}`);
    }
  }
  const unsigned = c.patches.filter((p) => p.style.some((s) => s.kind === 'no-signoff')).map((p) => p.name);
  if (unsigned.length) {
    const shown = unsigned.slice(0, 5).join(', ') + (unsigned.length > 5 ? `, ... (${unsigned.length - 5} more)` : '');
    lines.push(`no Signed-off-by: line in ${unsigned.length} patch${unsigned.length > 1 ? 'es' : ''}: ${shown}`);
  }
  for (const pair of pairs ? c.pairs : []) {
    if (!pairWorthShowing(pair)) continue;
    lines.push(
      `${pair.a} x ${pair.b}: ${pair.files.join(', ')}: ${pair.overlappingHunks} overlapping hunk(s)` +
        (pair.swapConflict ? `; swapped order conflicts (${pair.detail})` : pair.detail ? ` (${pair.detail})` : ''),
    );
  }
  return lines;
}

/** Patch x base matrix (in-order result; "alone" shown when it differs). */
export function renderMatrix(checks: BaseCheck[], format: TableFormat): string {
  const names: string[] = [];
  for (const c of checks) for (const p of [...c.patches.map((x) => x.name), ...c.notForBase]) if (!names.includes(p)) names.push(p);
  const rows = names.map((n) => [
    n,
    ...checks.map((c) => {
      const p = c.patches.find((x) => x.name === n);
      if (!p) return 'n/a';
      const o = short(p.order);
      const a = short(p.alone);
      return o === a ? o : `${o} (alone: ${a})`;
    }),
  ]);
  return renderTable({ columns: [{ header: 'patch' }, ...checks.map((c) => ({ header: c.version }))], rows }, format);
}
