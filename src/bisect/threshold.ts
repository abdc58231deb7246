// The pure core of `tiny bisect`: what is measured (the metric), how much growth is too much
// (the threshold), and the decision of one step. No I/O.
//
//   --metric    dec | text | data | bss     size(1) of vmlinux (Berkeley columns)
//               vmlinux | bzImage           the file's size in bytes
//               symbol:NAME                 nm --size of NAME in vmlinux (0 when absent; the
//                                           sizes of every symbol of that name, summed)
//   --threshold +N | +N% | +NK | +N.NM      growth vs the good point that makes a commit bad:
//                                           bytes (K = 1024, M = 1024*1024), or a percentage
//                                           of the good point's value
// A step is bad when value - good >= threshold (an increase below the threshold is good).

import type { BerkeleySize, SymbolEntry } from '../measure/types.js';
import { TinyError } from '../util/diagnostics.js';
import { commas } from '../util/format.js';

export type SizeField = 'dec' | 'text' | 'data' | 'bss';
export type Metric = { kind: 'size'; field: SizeField } | { kind: 'file'; name: 'vmlinux' | 'bzImage' } | { kind: 'symbol'; name: string };

export interface Threshold {
  kind: 'bytes' | 'percent';
  /** Bytes, or a percentage (may be fractional). */
  value: number;
  /** As the user wrote it. */
  text: string;
}

const THRESHOLD_RE = /^\+?\s*([0-9]+(?:\.[0-9]+)?)\s*([KkMm%]?)$/;

export function parseThreshold(text: string): Threshold {
  const m = THRESHOLD_RE.exec(text.trim());
  if (!m) {
    throw new TinyError(`threshold "${text}" is not +N, +N%, +NK or +NM`, 2, [], 'e.g. --threshold +12K (bytes, K = 1024), --threshold +2% (of the good point), --threshold +500');
  }
  const n = Number(m[1]);
  const unit = m[2]!.toUpperCase();
  if (unit === '%') return { kind: 'percent', value: n, text: text.trim() };
  const bytes = n * (unit === 'K' ? 1024 : unit === 'M' ? 1024 * 1024 : 1);
  if (!Number.isInteger(bytes)) throw new TinyError(`threshold "${text}" is not a whole number of bytes`, 2);
  if (bytes <= 0) throw new TinyError(`threshold "${text}" must be more than 0 bytes`, 2, [], 'a bisect looks for growth: give the smallest increase that counts as a regression');
  return { kind: 'bytes', value: bytes, text: text.trim() };
}

/** The threshold in bytes for a good point's value (a percentage rounds up: +1% of 1001 is 11). */
export function thresholdBytes(t: Threshold, goodValue: number): number {
  if (t.kind === 'bytes') return t.value;
  return Math.max(1, Math.ceil((goodValue * t.value) / 100));
}

const SIZE_FIELDS: readonly SizeField[] = ['dec', 'text', 'data', 'bss'];

export function parseMetric(text: string): Metric {
  const t = text.trim();
  if ((SIZE_FIELDS as readonly string[]).includes(t)) return { kind: 'size', field: t as SizeField };
  if (t === 'vmlinux' || t === 'bzImage') return { kind: 'file', name: t };
  if (t.startsWith('symbol:') && t.length > 'symbol:'.length) return { kind: 'symbol', name: t.slice('symbol:'.length) };
  throw new TinyError(`metric "${text}" is not one of dec, text, data, bss, vmlinux, bzImage, symbol:NAME`, 2);
}

export function metricLabel(m: Metric): string {
  return m.kind === 'size' ? m.field : m.kind === 'file' ? m.name : `symbol:${m.name}`;
}

export interface MeasuredBuild {
  size: BerkeleySize;
  files: Record<string, { bytes: number }>;
  symbols?: readonly SymbolEntry[];
}

/** The metric's value of a build; undefined when the build lacks it (no bzImage target). */
export function metricValue(m: Metric, b: MeasuredBuild): number | undefined {
  switch (m.kind) {
    case 'size':
      return b.size[m.field];
    case 'file':
      return b.files[m.name]?.bytes;
    case 'symbol':
      if (!b.symbols) return undefined;
      return b.symbols.filter((s) => s.name === m.name).reduce((a, s) => a + s.size, 0);
  }
}

export type StepStatus = 'good' | 'bad' | 'skip';

export interface StepDecision {
  status: StepStatus;
  /** git bisect run's exit code: 0 good, 1 bad, 125 skip. */
  exit: 0 | 1 | 125;
  delta?: number;
}

/** One step: skip when there is no value, else bad when the growth reaches the threshold. */
export function decideStep(value: number | undefined, goodValue: number, t: Threshold): StepDecision {
  if (value === undefined) return { status: 'skip', exit: 125 };
  const delta = value - goodValue;
  return delta >= thresholdBytes(t, goodValue) ? { status: 'bad', exit: 1, delta } : { status: 'good', exit: 0, delta };
}

export function exitFor(status: StepStatus): 0 | 1 | 125 {
  return status === 'good' ? 0 : status === 'bad' ? 1 : 125;
}

// commas lives in util (budgets and reports use it too); bisect's renderers keep importing it from here.
export { commas };

/** +1,234 / -56 / +0 */
export function signed(n: number): string {
  return n > 0 ? `+${commas(n)}` : n < 0 ? commas(n) : '+0';
}

/** What a point cost, as each bisect line ends: "[12.3s]". */
export function tookTag(ms: number): string {
  return `[${(ms / 1000).toFixed(1)}s]`;
}

/** A threshold as text with its byte value: "+2% (208 bytes)", "+12K (12,288 bytes)". */
export function describeThreshold(t: Threshold, goodValue?: number): string {
  if (t.kind === 'bytes') return `${t.text.startsWith('+') ? t.text : '+' + t.text}${/[KkMm]$/.test(t.text) ? ` (${commas(t.value)} bytes)` : ' bytes'}`;
  return `${t.text.startsWith('+') ? t.text : '+' + t.text}${goodValue !== undefined ? ` (${commas(thresholdBytes(t, goodValue))} bytes)` : ''}`;
}
