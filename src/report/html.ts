// The size report as ONE self-contained HTML file: inline CSS, inline SVG charts (a waterfall
// of savings along the series, a per-directory bar chart), the tables of the text report and
// collapsible details. No script, no font, no image, no link to anything: it opens from disk.

import { changeLabel } from '../diff/rename.js';
import {
  budgetLines,
  configLines,
  dirLine,
  dirTable,
  flipTable,
  headline,
  metricLabel,
  NO_DIRS,
  noopTable,
  num,
  pairLines,
  runTitle,
  signed,
  symbolSummary,
  togglesTable,
  topChanges,
  unavailableNote,
  type RenderOptions,
} from './render-size.js';
import type { Comparison, SizeReport } from './size-report.js';
import { barChartSvg, esc, group, waterfallSvg, type BarRow, type WaterfallStep, type WaterfallTotal } from './svg.js';
import type { Table } from './table.js';

function htmlTable(t: Table, cls = ''): string {
  const align = (i: number) => (t.columns[i]?.align === 'right' ? ' class="num"' : '');
  const head = t.columns.map((c, i) => `<th${align(i)}>${esc(c.header)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${align(i)}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The waterfall's steps: from the bare base, the queue's no-op cost, then each option turned off. */
export function waterfallData(r: SizeReport): { steps: WaterfallStep[]; totals: WaterfallTotal[]; from: string } {
  const steps: WaterfallStep[] = [];
  const noop = r.noop.change?.dec;
  const fromBase = noop !== undefined && noop !== null;
  if (fromBase) steps.push({ label: 'queue (no-op cost)', value: 0 - noop });
  for (const p of r.patches) {
    const v = p.flip?.saved?.dec;
    if (v !== undefined && v !== null) steps.push({ label: p.name, value: v });
  }
  const totals: WaterfallTotal[] = [{ label: 'sum of steps', value: steps.reduce((s, x) => s + x.value, 0), kind: 'predicted' }];
  const measured = fromBase ? r.allOffVsBase.change?.dec : r.allOff.change?.dec;
  if (measured !== undefined && measured !== null) totals.push({ label: 'all-off (measured)', value: 0 - measured, kind: 'measured' });
  return { steps, totals, from: fromBase ? 'base' : 'queue' };
}

/** Bytes all-off saves per directory against the queue (dec), largest saving first. */
export function dirBars(r: SizeReport): BarRow[] {
  if (!r.allOff.available) return [];
  return r.dirs
    .map((d) => ({ label: d.dir, value: (d.queue?.dec ?? 0) - (d.allOff?.dec ?? 0), note: `queue ${num(d.queue?.dec)}, all-off ${num(d.allOff?.dec)}` }))
    .sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1));
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7f8; color: #263238; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid #cfd8dc; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
.meta { color: #546e7a; margin: 0 0 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.card { background: #fff; border: 1px solid #dfe5e8; border-radius: 6px; padding: 10px 14px; min-width: 180px; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { color: #546e7a; font-size: 12px; }
.good { color: #2e7d32; } .bad { color: #c62828; }
figure { margin: 0; background: #fff; border: 1px solid #dfe5e8; border-radius: 6px; padding: 12px; overflow-x: auto; }
figcaption { color: #546e7a; font-size: 12px; margin-top: 6px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dfe5e8; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eceff1; font-weight: 600; }
td.num, th.num { text-align: right; }
td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.wrap { overflow-x: auto; }
details { background: #fff; border: 1px solid #dfe5e8; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
ul { margin: 6px 0; padding-left: 22px; }
.failed { background: #ffebee; border: 1px solid #ef9a9a; border-radius: 6px; padding: 8px 12px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
`;

function card(value: string, key: string, cls = ''): string {
  return `<div class="card"><div class="v${cls ? ` ${cls}` : ''}">${esc(value)}</div><div class="k">${esc(key)}</div></div>`;
}

function symbolDetails(r: SizeReport, title: string, c: Comparison | undefined, top: number): string {
  if (!c) return '';
  if (!c.available) return `<details><summary>${esc(title)}: n/a</summary><p>${esc(unavailableNote(c, r))}</p></details>`;
  if (!c.symbols) return `<details><summary>${esc(title)}: no stored symbol tables</summary></details>`;
  const shown = topChanges(c.symbols, top);
  const table: Table = {
    columns: [{ header: 'symbol' }, { header: 'old', align: 'right' }, { header: 'new', align: 'right' }, { header: 'delta', align: 'right' }],
    rows: shown.map((x) => [changeLabel(x), x.old === undefined ? '-' : String(x.old), x.new === undefined ? '-' : String(x.new), signed(x.delta)]),
  };
  const more = c.symbols.changes.length - shown.length;
  return (
    `<details><summary>${esc(title)} <span class="mono">${esc(symbolSummary(c.symbols))}</span></summary>` +
    `<div class="wrap">${shown.length ? htmlTable(table) : '<p>no symbol changed</p>'}</div>${more > 0 ? `<p>${more} more changed symbols (in --format json)</p>` : ''}` +
    `${c.dirs.length ? `<p>${esc(dirLine(c))}</p>` : ''}</details>`
  );
}

export function renderSizeHtml(r: SizeReport, opts: RenderOptions = {}): string {
  const top = opts.top ?? 10;
  const img = metricLabel('image', r);
  const wf = waterfallData(r);
  const bars = dirBars(r);
  const saved = r.interactions.allOff;
  const base = r.baseSizes;
  const pctOf = (v: number | null | undefined, b: number | null | undefined) => (v === null || v === undefined || !b ? '' : ` (${((v * 100) / b).toFixed(2)}% of base)`);
  const cards: string[] = [];
  if (saved) {
    cards.push(card(`${group(saved.dec ?? 0)} B`, `all-off saves, vmlinux dec${pctOf(saved.dec, base?.dec)}`, (saved.dec ?? 0) >= 0 ? 'good' : 'bad'));
    if (saved.image !== null) cards.push(card(`${group(saved.image)} B`, `all-off saves, ${img}${pctOf(saved.image, base?.image)}`, saved.image >= 0 ? 'good' : 'bad'));
  }
  if (r.noop.change?.dec !== undefined && r.noop.change.dec !== null)
    cards.push(
      r.optionsOffByConfig
        ? card(`${signed(r.noop.change.dec)} B`, "queue with the configuration's option values vs base (dec)")
        : card(`${signed(r.noop.change.dec)} B`, 'no-op cost of the queue (dec)', r.noop.change.dec === 0 ? 'good' : r.noop.change.dec > 0 ? 'bad' : ''),
    );
  if (r.interactions.difference?.dec !== undefined && r.interactions.difference.dec !== null)
    cards.push(card(`${signed(r.interactions.difference.dec)} B`, 'interaction: sum of single flips - all-off (dec)'));
  cards.push(card(`${r.toggles.length - r.failed.length}/${r.toggles.length}`, 'toggles built', r.failed.length ? 'bad' : 'good'));

  const body: string[] = [];
  body.push(`<h1>Size report: ${esc(r.config)}</h1>`);
  body.push(`<p class="meta">${esc(runTitle(r))}</p>`);
  body.push(`<div class="cards">${cards.join('')}</div>`);
  body.push(
    headline(r)
      .map((l) => `<p>${esc(l)}</p>`)
      .join('\n'),
  );
  if (r.failed.length) body.push(`<div class="failed"><strong>Failed toggles:</strong> ${esc(r.failed.join(', '))}</div>`);

  body.push('<h2>Savings along the series</h2>');
  body.push(
    `<figure>${waterfallSvg(wf.steps, wf.totals, { id: 'waterfall', title: `Bytes saved (vmlinux dec) from the ${wf.from} along the series`, unit: 'bytes saved (dec)' })}` +
      `<figcaption><span class="legend"><span><i style="background:#2e7d32"></i>saves</span><span><i style="background:#c62828"></i>grows</span><span><i style="background:#1565c0"></i>sum of the steps</span><span><i style="background:#37474f"></i>all options off, measured</span></span><br>` +
      `Each step: what turning that patch's option off saves against the queue (flip:&lt;patch&gt;), starting from the ${esc(wf.from)}${wf.from === 'base' ? ' with the queue’s no-op cost' : ''}. ` +
      `The measured bar is the all-off kernel; its gap to the sum is how the patches interact.</figcaption></figure>`,
  );
  body.push('<h2>Per directory</h2>');
  body.push(
    `<figure>${barChartSvg(bars, { id: 'dirs', title: 'Bytes saved per top-level directory by turning every option off (dec)', unit: 'bytes saved, queue - all-off (dec)' })}` +
      `<figcaption>${
        bars.length ? 'Built-in objects of each top-level directory, size(1) dec: queue minus all-off.' : esc(r.allOff.available ? `no data: ${NO_DIRS}` : `no data: ${unavailableNote(r.allOff, r)}`)
      }</figcaption></figure>`,
  );

  body.push('<h2>Bytes saved per patch</h2>');
  body.push(`<p>Turning each option off alone (<code>queue - flip:&lt;patch&gt;</code>); % of base and cumulative in dec.</p>`);
  body.push(`<div class="wrap">${htmlTable(flipTable(r))}</div>`);
  body.push('<h2>No-op cost</h2>');
  body.push(`<p>Each patch with its option at the default (<code>queue - without:&lt;patch&gt;</code>): ideally 0.</p>`);
  body.push(`<div class="wrap">${htmlTable(noopTable(r))}</div>`);
  if (r.budgets?.length)
    body.push(
      `<h2>Budgets</h2><ul>${budgetLines(r)
        .map((l) => `<li>${esc(l)}</li>`)
        .join('')}</ul>`,
    );
  body.push('<h2>Interactions</h2>');
  body.push(
    `<ul>${pairLines(r, false)
      .map((l) => `<li>${esc(l)}</li>`)
      .join('')}</ul>`,
  );
  body.push('<h2>Sizes per toggle</h2>');
  body.push(`<div class="wrap">${htmlTable(togglesTable(r))}</div>`);
  body.push('<h2>Per directory (dec)</h2>');
  body.push(r.dirs.length ? `<div class="wrap">${htmlTable(dirTable(r))}</div>` : `<p>${esc(NO_DIRS)}</p>`);

  body.push(`<h2>Top symbol deltas</h2><p>bloat-o-meter’s semantics; the ${top} largest changes of each comparison.</p>`);
  for (const p of r.patches) {
    body.push(`<h3>${esc(p.name)}</h3>`);
    body.push(symbolDetails(r, `option off (queue → flip:${p.name})`, p.flip, top));
    body.push(symbolDetails(r, `at its default (without:${p.name} → queue)`, p.atDefault, top));
  }
  body.push('<h3>all options off</h3>');
  body.push(symbolDetails(r, 'queue → all-off', r.allOff, top));

  body.push('<h2>.config differences</h2>');
  body.push(`<div class="wrap">${htmlTable({ columns: [{ header: 'toggles' }, { header: 'changes' }], rows: configLines(r) })}</div>`);

  const inp = r.inputs;
  body.push('<h2>Inputs</h2>');
  body.push(
    '<ul>' +
      `<li>tree: ${inp.trees.map((t) => `<code>${esc(t)}</code>`).join(', ') || 'n/a'}</li>` +
      `<li>toolchain: ${inp.toolchains.map((t) => `${esc(t.name)} <code>${esc(t.image)}</code>`).join(', ') || 'n/a'}</li>` +
      `<li>runtime: ${esc(inp.runtimes.join(', ') || 'n/a')}; arch: ${esc(inp.arch.join(', ') || 'n/a')}; tiny ${esc(inp.toolVersions.join(', ') || 'n/a')}</li>` +
      '</ul>',
  );
  const patches = new Map<string, string>();
  for (const t of inp.toggles) for (const p of t.patches) patches.set(p.name, p.sha256);
  body.push(`<div class="wrap">${htmlTable({ columns: [{ header: 'patch' }, { header: 'sha256' }], rows: [...patches] })}</div>`);
  const artifactNames = [...new Set(inp.toggles.flatMap((t) => Object.keys(t.artifacts)))].filter((n) => n !== '.config').sort();
  body.push(
    `<div class="wrap">${htmlTable({
      columns: [{ header: 'toggle' }, { header: 'record' }, { header: '.config sha256' }, ...artifactNames.map((n) => ({ header: `${n} sha256` }))],
      rows: inp.toggles.map((t) => [t.toggle, t.key, t.config, ...artifactNames.map((n) => t.artifacts[n] ?? '-')]),
    })}</div>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="tiny report">`,
    `<title>${esc(runTitle(r))}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    `<body><main data-config="${esc(r.config)}" data-toggles="${r.toggles.length}" data-failed="${r.failed.length}">`,
    ...body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
