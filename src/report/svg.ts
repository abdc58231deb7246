// Inline SVG charts for the HTML report: a waterfall of savings along the series and a
// horizontal bar chart per directory. Plain strings, no script, no external resource; every
// bar is a <rect class="bar"> carrying its numbers in data-* attributes and a <title> tooltip.

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1234567 -> "1,234,567" (deterministic, whatever the locale). */
export function group(n: number): string {
  const s = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

const fmt = (n: number) => (n > 0 ? `+${group(n)}` : group(n));

/** Tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (lo === hi) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
    if (lo === hi) hi = 1;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v));
  if (ticks[ticks.length - 1]! < hi) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export interface WaterfallStep {
  label: string;
  /** Bytes saved by this step (negative: it grows). */
  value: number;
}

export interface WaterfallTotal {
  label: string;
  value: number;
  kind: 'predicted' | 'measured';
}

const COLORS = { save: '#2e7d32', grow: '#c62828', predicted: '#1565c0', measured: '#37474f', axis: '#90a4ae', grid: '#eceff1', text: '#263238' };

/**
 * Savings along the series: each step floats from the running total before it to the running
 * total after it; the totals stand on zero.
 */
export function waterfallSvg(steps: readonly WaterfallStep[], totals: readonly WaterfallTotal[], opts: { id: string; title: string; unit: string }): string {
  const n = steps.length + totals.length;
  const m = { top: 34, right: 20, bottom: 120, left: 84 };
  const plotW = Math.max(n * 72, 640);
  const slot = Math.min(120, plotW / Math.max(1, n));
  const W = m.left + plotW + m.right;
  const H = 420;
  const plotH = H - m.top - m.bottom;
  let run = 0;
  const bars: Array<{ label: string; from: number; to: number; kind: string; value: number }> = [];
  for (const s of steps) {
    bars.push({ label: s.label, from: run, to: run + s.value, kind: s.value >= 0 ? 'save' : 'grow', value: s.value });
    run += s.value;
  }
  for (const t of totals) bars.push({ label: t.label, from: 0, to: t.value, kind: t.kind, value: t.value });
  const ticks = niceTicks(Math.min(0, ...bars.flatMap((b) => [b.from, b.to])), Math.max(0, ...bars.flatMap((b) => [b.from, b.to])));
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const y = (v: number) => r1(m.top + plotH - ((v - lo) / (hi - lo)) * plotH);
  const out: string[] = [];
  out.push(
    `<svg id="${esc(opts.id)}" class="chart waterfall" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(opts.id)}-title" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">`,
  );
  out.push(`<title id="${esc(opts.id)}-title">${esc(opts.title)}</title>`);
  for (const t of ticks) {
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? COLORS.axis : COLORS.grid}" stroke-width="1"/>`);
    out.push(`<text x="${m.left - 8}" y="${y(t) + 4}" text-anchor="end" fill="${COLORS.text}">${esc(group(t))}</text>`);
  }
  out.push(`<text x="${16}" y="${r1(m.top + plotH / 2)}" transform="rotate(-90 16 ${r1(m.top + plotH / 2)})" text-anchor="middle" fill="${COLORS.text}">${esc(opts.unit)}</text>`);
  bars.forEach((b, i) => {
    const x = r1(m.left + i * slot + slot * 0.18);
    const w = r1(slot * 0.64);
    const top = y(Math.max(b.from, b.to));
    const h = Math.max(1, r1(y(Math.min(b.from, b.to)) - top));
    const color = COLORS[b.kind as keyof typeof COLORS];
    out.push(
      `<rect class="bar" data-kind="${b.kind === 'save' || b.kind === 'grow' ? 'step' : b.kind}" data-label="${esc(b.label)}" data-value="${b.value}" data-from="${b.from}" data-to="${b.to}" x="${x}" y="${top}" width="${w}" height="${h}" fill="${color}" rx="2"><title>${esc(b.label)}: ${esc(fmt(b.value))} ${esc(opts.unit)}</title></rect>`,
    );
    if (i < steps.length && i + 1 < bars.length && bars[i + 1]!.kind !== 'predicted' && bars[i + 1]!.kind !== 'measured')
      out.push(`<line x1="${x + w}" x2="${x + slot}" y1="${y(b.to)}" y2="${y(b.to)}" stroke="${COLORS.axis}" stroke-dasharray="3 2"/>`);
    const labelY = b.to >= b.from ? top - 5 : top + h + 13;
    out.push(`<text class="value" x="${x + w / 2}" y="${r1(labelY)}" text-anchor="middle" fill="${COLORS.text}">${esc(i < steps.length ? fmt(b.value) : group(b.value))}</text>`);
    const lx = x + w / 2;
    const ly = m.top + plotH + 14;
    out.push(
      `<text class="label" x="${lx}" y="${ly}" transform="rotate(-35 ${lx} ${ly})" text-anchor="end" fill="${COLORS.text}">${esc(b.label.length > 24 ? b.label.slice(0, 23) + '…' : b.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface BarRow {
  label: string;
  value: number;
  /** Shown after the value, e.g. the sizes compared. */
  note?: string;
}

/** One horizontal bar per row, from a zero axis (savings right, growth left). */
export function barChartSvg(rows: readonly BarRow[], opts: { id: string; title: string; unit: string }): string {
  const rowH = 26;
  const m = { top: 16, right: 90, bottom: 34, left: 150 };
  const plotW = 520;
  const W = m.left + plotW + m.right;
  const H = m.top + Math.max(1, rows.length) * rowH + m.bottom;
  const ticks = niceTicks(Math.min(0, ...rows.map((r) => r.value)), Math.max(0, ...rows.map((r) => r.value)), 4);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const x = (v: number) => r1(m.left + ((v - lo) / (hi - lo)) * plotW);
  const out: string[] = [];
  out.push(
    `<svg id="${esc(opts.id)}" class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(opts.id)}-title" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">`,
  );
  out.push(`<title id="${esc(opts.id)}-title">${esc(opts.title)}</title>`);
  const bottom = m.top + rows.length * rowH;
  for (const t of ticks) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${bottom}" stroke="${t === 0 ? COLORS.axis : COLORS.grid}"/>`);
    out.push(`<text x="${x(t)}" y="${bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${esc(group(t))}</text>`);
  }
  out.push(`<text x="${m.left + plotW / 2}" y="${H - 2}" text-anchor="middle" fill="${COLORS.text}">${esc(opts.unit)}</text>`);
  rows.forEach((r, i) => {
    const yy = m.top + i * rowH;
    const x0 = x(Math.min(0, r.value));
    const w = Math.max(1, r1(x(Math.max(0, r.value)) - x0));
    out.push(`<text class="label" x="${m.left - 8}" y="${yy + rowH / 2 + 4}" text-anchor="end" fill="${COLORS.text}">${esc(r.label)}</text>`);
    out.push(
      `<rect class="bar" data-label="${esc(r.label)}" data-value="${r.value}" x="${x0}" y="${yy + 5}" width="${w}" height="${rowH - 10}" fill="${r.value >= 0 ? COLORS.save : COLORS.grow}" rx="2"><title>${esc(r.label)}: ${esc(fmt(r.value))} ${esc(opts.unit)}${r.note ? ` (${esc(r.note)})` : ''}</title></rect>`,
    );
    // Past the end of a saving; right of the zero axis for growth (left of it is the label column).
    const tx = r.value >= 0 ? x0 + w + 6 : x(0) + 6;
    out.push(`<text class="value" x="${r1(tx)}" y="${yy + rowH / 2 + 4}" fill="${COLORS.text}">${esc(group(r.value))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
