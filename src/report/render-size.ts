// The size report as text (aligned tables) and as Markdown (a compact summary fit for a
// pull-request comment or a mailing-list reply, then collapsible details). The numbers are
// plain bytes; "saved" columns are positive when the kernel gets smaller.

import { changeLabel, type RenameAwareDiff } from '../diff/rename.js';
import { formatConfigChange } from './config-diff.js';
import { METRICS, type Comparison, type Metric, type PatchReport, type Sizes, type SizeReport } from './size-report.js';
import { renderTable, type Column, type Table, type TableFormat } from './table.js';

export interface RenderOptions {
  /** Symbols listed per patch (default 10). */
  top?: number;
}

export const metricLabel = (m: Metric, r: SizeReport) => (m === 'image' ? (r.imageName ?? 'image') : m);
export const num = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : String(n));
export const signed = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n > 0 ? `+${n}` : String(n));
export const percent = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : `${n.toFixed(2)}%`);
export const signedPercent = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : `${n > 0 ? '+' : ''}${n.toFixed(2)}%`);

const right = (header: string): Column => ({ header, align: 'right' });
const sizeCols = (r: SizeReport) => METRICS.map((m) => right(metricLabel(m, r)));
const sizeCells = (s: Sizes | null | undefined, f: (n: number | null) => string = num) => METRICS.map((m) => (s ? f(s[m]) : 'n/a'));

/** Why a comparison has no numbers. */
export function unavailableNote(c: Comparison, report: SizeReport): string {
  return c.unavailable
    .map((t) => {
      const s = report.toggles.find((x) => x.toggle === t);
      return s ? `${t} ${s.status}` : `${t} not in the run`;
    })
    .join(', ');
}

export const NO_DIRS = 'no per-directory sizes in the records (no built-in objects were measured)';
export const NO_SYMBOL_DELTAS = 'none: this run built no flip, without: or all-off toggle to compare with the queue point (a `tiny build` without --only builds them)';

export function runTitle(r: SizeReport): string {
  const ok = r.toggles.length - r.failed.length;
  return `tiny size report: ${r.config}, run of ${r.run.startedAt} (${r.toggles.length} toggles, ${ok} built${r.failed.length ? `, ${r.failed.length} failed` : ''})`;
}

function singles(r: SizeReport): string {
  const i = r.interactions;
  const n = i.counted.length + i.missing.length;
  if (!n) return '.';
  if (!i.counted.length) return `; no single flip built (${i.missing.length} failed).`;
  return (
    `; the ${i.missing.length ? `${i.counted.length} of ${n}` : n} single flip${n > 1 ? 's' : ''} add${i.counted.length > 1 ? '' : 's'} up to ${num(i.sumOfSingles.dec)} (dec)` +
    (i.difference?.dec !== undefined && i.difference.dec !== null ? `, interaction ${signed(i.difference.dec)}.` : '.')
  );
}

/** One line on what the whole queue does: all-off vs queue and vs base, the no-op cost. */
export function headline(r: SizeReport, md = false): string[] {
  const b = (s: string) => (md ? `**${s}**` : s);
  const img = metricLabel('image', r);
  const lines: string[] = [];
  const saved = r.interactions.allOff;
  if (saved) {
    const ofBase = (x: Metric) => (saved[x] !== null && r.baseSizes?.[x] ? `, ${percent((saved[x]! * 100) / r.baseSizes[x]!)} of base` : '');
    lines.push(
      `All options off saves ${b(`${num(saved.dec)} bytes`)} of vmlinux (dec${ofBase('dec')})` +
        (saved.image !== null ? ` and ${b(`${num(saved.image)} bytes`)} of ${img} (${ofBase('image').slice(2) || 'no base'})` : '') +
        singles(r),
    );
  } else lines.push(`All options off: no numbers (${unavailableNote(r.allOff, r)}).`);
  // Say so, or the negative "saved" of such a configuration reads as a bug.
  const offByConfig = r.optionsOffByConfig;
  if (offByConfig) {
    lines.push('The configuration turns every option off itself, so all-off is its queue point: each flip turns one option back on, and the "saved" columns below are negative, the bytes it costs.');
  }
  if (r.noop.change) {
    const c = r.noop.change;
    const zero = METRICS.every((m) => !c[m]);
    // With the options off by the configuration, queue vs base is what they save, not a no-op cost.
    const what = offByConfig ? "The queue with the configuration's option values vs the bare base" : 'No-op cost of the queue (every option at its default vs the bare base)';
    lines.push(zero ? `${what}: 0 bytes.` : `${what}: ${signed(c.dec)} dec, ${signed(c.image)} ${img}` + ` (text ${signed(c.text)}, data ${signed(c.data)}, bss ${signed(c.bss)}).`);
  } else lines.push(`No-op cost of the queue: no numbers (${unavailableNote(r.noop, r)}).`);
  if (r.failed.length) {
    lines.push(
      `Failed: ${r.failed
        .map((t) => {
          const s = r.toggles.find((x) => x.toggle === t)!;
          return `${t} (${s.error ?? s.status})`;
        })
        .join('; ')}.`,
    );
  }
  return lines;
}

export function togglesTable(r: SizeReport): Table {
  return {
    columns: [{ header: 'toggle' }, { header: 'status' }, ...sizeCols(r)],
    rows: r.toggles.map((t) => [t.toggle, t.status, ...sizeCells(t.sizes)]),
  };
}

export function flipTable(r: SizeReport): Table {
  const rows: string[][] = [];
  for (const p of r.patches) {
    if (!p.flip) continue;
    const fl = p.flip;
    rows.push([
      String(p.position),
      p.name,
      ...sizeCells(fl.saved),
      fl.savedPct ? percent(fl.savedPct.dec) : 'n/a',
      fl.saved ? num(fl.cumulative.dec) : 'n/a',
      fl.saved && fl.cumulativePct ? percent(fl.cumulativePct.dec) : 'n/a',
    ]);
  }
  const i = r.interactions;
  rows.push(['', 'sum of singles', ...sizeCells(i.sumOfSingles), percentOfBase(r, i.sumOfSingles.dec), '', '']);
  rows.push(['', 'all-off (measured)', ...sizeCells(i.allOff), percentOfBase(r, i.allOff?.dec), '', '']);
  rows.push(['', 'interaction (sum - all-off)', ...sizeCells(i.difference, signed), '', '', '']);
  return { columns: [right('#'), { header: 'patch' }, ...sizeCols(r), right('% of base'), right('cumulative'), right('cum. %')], rows };
}

/** The configuration's own choices: what each value saves against the other (config:<SYMBOL> - queue). */
export function configFlipTable(r: SizeReport): Table {
  const value = (v: string | null | undefined) => (v === null || v === undefined ? 'n' : v);
  const rows = r.configFlips.map((c) => [
    c.symbol,
    c.value ? `${value(c.value.queue)} (flip: ${value(c.value.flipped)})` : 'n/a',
    ...sizeCells(c.saves, signed),
    c.available ? percentOfBase(r, c.saves?.dec) : unavailableNote(c, r),
  ]);
  return { columns: [{ header: 'symbol' }, { header: 'value' }, ...sizeCols(r), right('% of base')], rows };
}

export const CONFIG_FLIPS_TITLE = "The configuration's own choices (kconfig.flips; config:<SYMBOL> - queue): bytes each value saves against the other, negative where it costs";

function percentOfBase(r: SizeReport, v: number | null | undefined): string {
  return v === null || v === undefined || !r.baseSizes?.dec ? 'n/a' : percent((v * 100) / r.baseSizes.dec);
}

export function noopTable(r: SizeReport): Table {
  const rows: string[][] = [['whole queue (queue - base)', ...sizeCells(r.noop.change, signed)]];
  for (const p of r.patches) if (p.atDefault) rows.push([p.name, ...sizeCells(p.atDefault.change, signed)]);
  return { columns: [{ header: 'patch' }, ...sizeCols(r)], rows };
}

export function dirTable(r: SizeReport): Table {
  const d = (x: { dec: number } | null) => (x ? String(x.dec) : '-');
  const delta = (a: { dec: number } | null, b: { dec: number } | null) => (a || b ? signed((b?.dec ?? 0) - (a?.dec ?? 0)) : 'n/a');
  const saved = (q: { dec: number } | null, o: { dec: number } | null) => (q || o ? num((q?.dec ?? 0) - (o?.dec ?? 0)) : 'n/a');
  return {
    columns: [{ header: 'directory' }, right('base'), right('queue'), right('all-off'), right('no-op cost'), right('saved by all-off')],
    rows: r.dirs.map((x) => [x.dir, d(x.base), d(x.queue), d(x.allOff), delta(x.base, x.queue), saved(x.queue, x.allOff)]),
  };
}

/** Where the bytes are one level down, largest first (the top `top` rows). */
export function subdirTable(r: SizeReport, top = 20): Table {
  const rows = (r.subdirs?.rows ?? []).slice(0, top);
  const total = r.toggles.find((t) => t.toggle === r.subdirs?.toggle)?.sizes?.dec;
  return {
    columns: [{ header: 'directory' }, right('text'), right('data'), right('bss'), right('dec'), right('% of vmlinux')],
    rows: rows.map((x) => [x.dir, num(x.text), num(x.data), num(x.bss), num(x.dec), total ? percent((x.dec * 100) / total) : 'n/a']),
  };
}

const subdirTitle = (r: SizeReport) => `One level down at the ${r.subdirs?.toggle} point, largest first (dec; built-ins the parent links)`;

export function symbolSummary(s: RenameAwareDiff): string {
  return `add/remove: ${s.add}/${s.remove} grow/shrink: ${s.grow}/${s.shrink} up/down: ${s.up}/${-s.down || 0} (${s.up - s.down})${s.rename ? ` rename: ${s.rename}` : ''}`;
}

/** The `top` largest changes (by |delta|, then name). */
export function topChanges(s: RenameAwareDiff, top: number): RenameAwareDiff['changes'] {
  return [...s.changes].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, top);
}

function symbolLines(s: RenameAwareDiff, top: number, f: TableFormat): string {
  const summary = symbolSummary(s);
  const shown = topChanges(s, top);
  const table = renderTable(
    {
      columns: [{ header: 'symbol' }, right('old'), right('new'), right('delta')],
      rows: shown.map((c) => [f === 'md' ? `\`${changeLabel(c)}\`` : changeLabel(c), c.old === undefined ? '-' : String(c.old), c.new === undefined ? '-' : String(c.new), signed(c.delta)]),
    },
    f,
  );
  const more = s.changes.length > shown.length ? `(${s.changes.length - shown.length} more changed symbols)\n` : '';
  return f === 'md' ? `\`${summary}\`\n\n${shown.length ? table : ''}${more ? `\n${more}` : ''}` : `${summary}\n${shown.length ? indent(table) : ''}${more ? indent(more) : ''}`;
}

const indent = (s: string) =>
  s
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');

function patchSymbols(r: SizeReport, p: PatchReport, top: number, f: TableFormat): string[] {
  const out: string[] = [];
  const part = (what: string, c: Comparison | undefined) => {
    if (!c) return;
    if (!c.available) out.push(`${what}: n/a (${unavailableNote(c, r)})\n`);
    else if (!c.symbols) out.push(`${what}: no stored symbol tables\n`);
    else if (c.symbols.changes.length || what.startsWith('option off')) out.push(`${what}: ${symbolLines(c.symbols, top, f)}`);
    if (c.available && c.dirs.length) out.push(`${f === 'md' ? '\n' : '  '}${dirLine(c)}\n`);
  };
  part(`option off (queue -> flip:${p.name})`, p.flip);
  part(`at its default (without:${p.name} -> queue)`, p.atDefault);
  return out;
}

/** `directories (dec): kernel -16504, mm -300`: the directories a comparison changes, largest first. */
export function dirLine(c: Comparison, max = 6): string {
  const shown = c.dirs.slice(0, max).map((d) => `${d.dir} ${signed(d.change.dec)}`);
  return `directories (dec): ${shown.join(', ')}${c.dirs.length > max ? `, ... (${c.dirs.length - max} more)` : ''}`;
}

export function configLines(r: SizeReport): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const one = (label: string, c: Comparison) => {
    if (!c.config) rows.push([label, c.available ? 'no stored .config' : `n/a (${unavailableNote(c, r)})`]);
    else rows.push([label, c.config.length ? c.config.map(formatConfigChange).join(', ') : 'none']);
  };
  one('queue vs base', { ...r.noop, config: r.noop.config });
  for (const p of r.patches) {
    if (p.flip) one(`flip:${p.name} vs queue`, p.flip);
    if (p.atDefault) one(`queue vs without:${p.name}`, p.atDefault);
  }
  one('all-off vs queue', r.allOff);
  return rows;
}

export function pairLines(r: SizeReport, md: boolean): string[] {
  const i = r.interactions;
  const out: string[] = [];
  const code = (s: string) => (md ? `\`${s}\`` : s);
  for (const p of i.pairs) {
    const syms = p.symbols
      .slice(0, 5)
      .map((s) => `${code(s.name)} ${signed(s.a)}/${signed(s.b)}`)
      .join(', ');
    const parts = [];
    if (p.symbols.length) parts.push(`${p.symbols.length} shared symbol${p.symbols.length > 1 ? 's' : ''} (${syms}${p.symbols.length > 5 ? ', ...' : ''}), ${p.overlapBytes} bytes claimed by both`);
    if (p.config.length) parts.push(`both change ${p.config.map((c) => code(`CONFIG_${c}`)).join(', ')}`);
    out.push(`${p.a} x ${p.b}: ${parts.join('; ')}`);
  }
  if (!i.pairs.length) out.push(i.pairsComputable ? 'no two flips change the same symbol or .config symbol' : `pairs not computable: ${i.pairsNote}`);
  else if (!i.pairsComputable) out.push(`(incomplete: ${i.pairsNote})`);
  if (i.missing.length) out.push(`flips left out of the sum (not built): ${i.missing.join(', ')}`);
  return out;
}

function inputsText(r: SizeReport, f: TableFormat): string {
  const inp = r.inputs;
  const lines: string[] = [];
  const code = (s: string) => (f === 'md' ? `\`${s}\`` : s);
  lines.push(`tree: ${inp.trees.map(code).join(', ') || 'n/a'}`);
  lines.push(`toolchain: ${inp.toolchains.map((t) => `${t.name} ${code(t.image)}`).join(', ') || 'n/a'}`);
  lines.push(`runtime: ${inp.runtimes.join(', ') || 'n/a'}; arch: ${inp.arch.join(', ') || 'n/a'}; tiny ${inp.toolVersions.join(', ') || 'n/a'}`);
  const patches = new Map<string, string>();
  for (const t of inp.toggles) for (const p of t.patches) patches.set(p.name, p.sha256);
  const body = f === 'md' ? lines.map((l) => `- ${l}`).join('\n') + '\n' : lines.join('\n') + '\n';
  const pt = renderTable({ columns: [{ header: 'patch' }, { header: 'sha256' }], rows: [...patches].map(([n, h]) => [n, code(h)]) }, f);
  const tt = renderTable(
    {
      columns: [{ header: 'toggle' }, { header: 'record' }, { header: '.config sha256' }],
      rows: inp.toggles.map((t) => [t.toggle, code(t.key), code(t.config)]),
    },
    f,
  );
  return `${body}\n${pt}\n${tt}`;
}

export function budgetLines(r: SizeReport): string[] {
  return (r.budgets ?? []).map((b) => `${b.ok ? 'ok' : 'EXCEEDED'}  ${b.name}${b.toggle ? ` (${b.toggle})` : ''}: ${b.message}${b.justification ? ` — justification: ${b.justification}` : ''}`);
}

export function renderSizeText(r: SizeReport, opts: RenderOptions = {}): string {
  const top = opts.top ?? 10;
  const out: string[] = [];
  const section = (title: string, body: string) => out.push(`\n${title}\n${body.endsWith('\n') ? body : body + '\n'}`);
  out.push(`${runTitle(r)}\n`);
  out.push(headline(r).join('\n') + '\n');
  section('Sizes per toggle', renderTable(togglesTable(r), 'text'));
  section('Turning each option off (queue - flip:<patch>): bytes saved; % of base and cumulative in dec', renderTable(flipTable(r), 'text'));
  if (r.configFlips.length) section(CONFIG_FLIPS_TITLE, renderTable(configFlipTable(r), 'text'));
  section('Each patch at its default (queue - without:<patch>): no-op cost, ideally 0', renderTable(noopTable(r), 'text'));
  section('Interactions: flips that change the same symbols or .config symbols', pairLines(r, false).join('\n'));
  section('Per directory (dec)', r.dirs.length ? renderTable(dirTable(r), 'text') : NO_DIRS);
  if (r.subdirs?.rows.length) section(subdirTitle(r), renderTable(subdirTable(r), 'text'));
  const syms: string[] = [];
  for (const p of r.patches) {
    const parts = patchSymbols(r, p, top, 'text');
    if (parts.length) syms.push(`${p.name}\n${parts.map(indent).join('')}`);
  }
  if (r.allOff.symbols) syms.push(`all-off (queue -> all-off)\n${indent(symbolLines(r.allOff.symbols, top, 'text'))}`);
  section(
    `Per patch: top symbol deltas (bloat-o-meter semantics, compiler-suffix renames matched; the ${top} largest per comparison) and directories`,
    syms.length ? syms.join('\n') : NO_SYMBOL_DELTAS,
  );
  section('.config differences', renderTable({ columns: [{ header: 'toggles' }, { header: 'changes' }], rows: configLines(r) }, 'text'));
  if (r.budgets?.length) section('Budgets', budgetLines(r).join('\n'));
  section('Inputs', inputsText(r, 'text'));
  return out.join('');
}

const details = (summary: string, body: string) => `<details><summary>${summary}</summary>\n\n${body.trimEnd()}\n\n</details>\n`;

export function renderSizeMarkdown(r: SizeReport, opts: RenderOptions = {}): string {
  const top = opts.top ?? 10;
  const out: string[] = [];
  out.push(`### ${runTitle(r)}\n\n`);
  out.push(headline(r, true).join('\n\n') + '\n\n');
  out.push('Bytes saved by turning each option off (`queue - flip:<patch>`); % of base and cumulative in dec:\n\n');
  out.push(renderTable(flipTable(r), 'md'));
  if (r.configFlips.length) out.push(`\n${CONFIG_FLIPS_TITLE}:\n\n${renderTable(configFlipTable(r), 'md')}`);
  if (r.budgets?.length)
    out.push(
      '\n**Budgets**\n\n' +
        budgetLines(r)
          .map((l) => `- ${l}`)
          .join('\n') +
        '\n',
    );
  out.push('\n');
  out.push(details('Sizes per toggle', renderTable(togglesTable(r), 'md')));
  out.push(details('No-op cost per patch (<code>queue - without:&lt;patch&gt;</code>, ideally 0)', renderTable(noopTable(r), 'md')));
  out.push(
    details(
      'Interactions',
      pairLines(r, true)
        .map((l) => `- ${l}`)
        .join('\n'),
    ),
  );
  out.push(details('Per directory (dec)', r.dirs.length ? renderTable(dirTable(r), 'md') : NO_DIRS));
  if (r.subdirs?.rows.length) out.push(details(subdirTitle(r), renderTable(subdirTable(r), 'md')));
  const syms: string[] = [];
  for (const p of r.patches) {
    const parts = patchSymbols(r, p, top, 'md');
    if (parts.length) syms.push(`**${p.name}**\n\n${parts.join('\n')}`);
  }
  if (r.allOff.symbols) syms.push(`**all-off** (queue -> all-off): ${symbolLines(r.allOff.symbols, top, 'md')}`);
  out.push(details(`Top symbol deltas (${top} per comparison)`, syms.join('\n')));
  out.push(details('.config differences', renderTable({ columns: [{ header: 'toggles' }, { header: 'changes' }], rows: configLines(r).map(([a, b]) => [a, b.replace(/CONFIG_\w+/g, '`$&`')]) }, 'md')));
  out.push(details('Inputs', inputsText(r, 'md')));
  return out.join('');
}
