// The latest-run index after a partial run (`tiny build --only`): its toggles replace theirs,
// the others stay when the previous run was made from the same inputs, in plan order.

import { describe, expect, it } from 'vitest';
import { mergeRunEntries } from '../../src/matrix/run-index.js';
import type { RunEntry } from '../../src/store/index.js';

const key = (c: string) => c.repeat(64);
const entry = (toggle: string, c: string, status: RunEntry['status'] = 'ok'): RunEntry => ({ toggle, key: key(c), status });
const ORDER = ['base', 'queue', 'all-off', 'flip:a', 'without:a'];

describe('mergeRunEntries', () => {
  it('same inputs: the new entries replace theirs, the others stay, in plan order', () => {
    const previous = { inputs: 'i1', toggles: [entry('base', 'a'), entry('queue', 'b'), entry('flip:a', 'c', 'failed')] };
    expect(mergeRunEntries(previous, [entry('flip:a', 'd'), entry('all-off', 'e')], 'i1', ORDER)).toEqual({
      toggles: [entry('base', 'a'), entry('queue', 'b'), entry('all-off', 'e'), entry('flip:a', 'd')],
      dropped: false,
    });
  });

  it('other inputs: only the new entries, and it says the others were dropped', () => {
    const previous = { inputs: 'i1', toggles: [entry('base', 'a'), entry('queue', 'b')] };
    expect(mergeRunEntries(previous, [entry('queue', 'f')], 'i2', ORDER)).toEqual({ toggles: [entry('queue', 'f')], dropped: true });
    // Nothing of the old run is lost when the new one covers every toggle it had.
    expect(mergeRunEntries(previous, [entry('base', 'g'), entry('queue', 'f')], 'i2', ORDER).dropped).toBe(false);
  });

  it('no previous run: the new entries', () => {
    expect(mergeRunEntries(undefined, [entry('queue', 'f')], 'i1', ORDER)).toEqual({ toggles: [entry('queue', 'f')], dropped: false });
  });
});
