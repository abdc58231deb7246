import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bisectId, newState, nextPrefix, readState, stepFor, withStep, writeState, type CommitBisectParams } from '../../src/bisect/state.js';
import type { StepStatus } from '../../src/bisect/threshold.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';

const params: CommitBisectParams = {
  mode: 'commits',
  repo: '/r',
  goodRef: 'v1',
  badRef: 'v2',
  good: 'a'.repeat(40),
  bad: 'b'.repeat(40),
  root: '/x',
  config: 'c',
  metric: 'dec',
  threshold: '+4K',
  queue: null,
};

describe('bisect state', () => {
  it('the id depends on what is measured, not on runtime or jobs', () => {
    expect(bisectId(params)).toMatch(/^[0-9a-f]{16}$/);
    expect(bisectId({ ...params, runtime: 'podman', jobs: 8 })).toBe(bisectId(params));
    expect(bisectId({ ...params, threshold: '+5K' })).not.toBe(bisectId(params));
  });
  it('round-trips through the file and keeps one outcome per point', async () => {
    const dir = await tempDir('tiny-bisect-state-');
    try {
      const file = join(dir, 'b', 'state.json');
      let s = newState(params);
      s = withStep(s, { point: 'c1', status: 'skip', reason: 'x', durationMs: 1, at: 't' });
      s = withStep(s, { point: 'c1', status: 'bad', value: 10, delta: 5, durationMs: 1, at: 't' });
      await writeState(file, { ...s, goodValue: 5 });
      const back = await readState(file);
      expect(back?.goodValue).toBe(5);
      expect(back?.steps).toHaveLength(1);
      expect(stepFor(back!, 'c1')?.status).toBe('bad');
      expect(await readState(join(dir, 'none.json'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Run the prefix search against a truth: prefixes >= firstBad are bad, those in skip fail. */
function search(n: number, firstBad: number, skip: number[] = []): { first: number; tested: number[] } {
  const known = new Map<number, StepStatus>();
  const tested: number[] = [];
  for (let i = 0; i < 50; i++) {
    const r = nextPrefix(n, (k) => known.get(k));
    if (!('next' in r)) return { first: r.first, tested };
    tested.push(r.next);
    known.set(r.next, skip.includes(r.next) ? 'skip' : r.next >= firstBad ? 'bad' : 'good');
  }
  throw new Error('no end');
}

describe('queue bisect: binary search over prefix length', () => {
  it('finds the first bad prefix in about log2(n) + 1 builds', () => {
    for (const n of [1, 2, 5, 8, 13, 64]) {
      for (let bad = 1; bad <= n; bad++) {
        const r = search(n, bad);
        expect(r.first, `n=${n} bad=${bad}`).toBe(bad);
        expect(r.tested.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n + 1)) + 1);
      }
    }
  });
  it('reports n + 1 when even the whole queue is good', () => {
    expect(search(6, 99).first).toBe(7);
  });
  it('steps around a skipped prefix', () => {
    const r = search(8, 6, [4]);
    expect(r.first).toBe(6);
    expect(r.tested).toContain(4);
  });
});
