// `tiny queue apply --timings`: the line on stderr.
import { describe, expect, it } from 'vitest';
import { renderApplyTimings } from '../../src/report/apply-timings.js';

describe('apply timings', () => {
  it('names the checkout beside the series and the move after it', () => {
    expect(renderApplyTimings(7120, { series: 1410, checkout: 3050, move: 210 }, 11930)).toBe('timings: base 7.12 s, series 1.41 s, checkout 3.05 s (beside the series), move 0.21 s; total 11.93 s');
  });

  it('has no move when the checkout came after the series (a memoized series, a worktree reused)', () => {
    expect(renderApplyTimings(40, { series: 5, checkout: 2300 }, 2400)).toBe('timings: base 0.04 s, series 0.01 s, checkout 2.30 s; total 2.40 s');
  });
});
