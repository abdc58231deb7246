// `tiny queue apply --timings`: where an apply's time went, in one line on stderr.

import type { ApplyTimings } from '../tree/index.js';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * "timings: base 7.12 s, series 1.41 s, checkout 3.05 s (beside the series), move 0.21 s; total
 * 11.93 s". `baseMs`: finding the base in the store, or importing it.
 */
export function renderApplyTimings(baseMs: number, t: ApplyTimings, totalMs: number): string {
  const beside = t.move !== undefined ? ` (beside the series), move ${s(t.move)}` : '';
  return `timings: base ${s(baseMs)}, series ${s(t.series)}, checkout ${s(t.checkout)}${beside}; total ${s(totalMs)}`;
}
