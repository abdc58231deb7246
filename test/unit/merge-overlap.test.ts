// Overlapping hunks are found where the patches really meet, not where their @@ numbers happen
// to: every patch's numbers are those of the tree before it, which the earlier patches shifted.

import { describe, expect, it } from 'vitest';
import { checkBase } from '../../src/merge/check.js';
import { parsePatch } from '../../src/patch/parse.js';
import type { QueuePatch } from '../../src/queue/types.js';

/** A 40-line Kconfig: "line 1" ... "line 40". */
const BASE = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

function patch(name: string, body: string): QueuePatch {
  const text = `--- a/init/Kconfig\n+++ b/init/Kconfig\n${body}`;
  return { name, file: `${name}.patch`, path: `/q/${name}.patch`, guards: [], depends: [], bases: [], strip: 1, reverse: false, text, sha256: name, parsed: parsePatch(text), line: 1 };
}

/**
 * Ten new lines after "line 5" (everything below moves down by ten), and one after "line 18"
 * (base numbers 17-20, as its @@ says: numbers of the tree before the patch).
 */
const FIRST = patch(
  'first',
  `@@ -4,4 +4,14 @@\n line 4\n line 5\n${Array.from({ length: 10 }, (_, i) => `+new ${i}\n`).join('')} line 6\n line 7\n` + '@@ -17,4 +27,5 @@\n line 17\n line 18\n+first too\n line 19\n line 20\n',
);

/** FIRST's first hunk alone. */
const TEN = patch('ten', `@@ -4,4 +4,14 @@\n line 4\n line 5\n${Array.from({ length: 10 }, (_, i) => `+new ${i}\n`).join('')} line 6\n line 7\n`);

function check(series: QueuePatch[]) {
  return checkBase({ version: '2.6.9', tree: 't', series, baseFiles: new Map([['init/Kconfig', BASE]]), pairs: false });
}
const overlaps = (series: QueuePatch[]) => check(series).pairs.map((p) => [p.a, p.b, p.overlappingHunks]);

describe('overlapping hunks in a series', () => {
  it('a later hunk whose numbers the first patch shifted onto its own does not overlap it', () => {
    // Base lines 8-11, far from both of FIRST's hunks; after FIRST they are 18-21, which its
    // second hunk's @@ (17-20, base numbers) would seem to meet.
    const later = patch('at-line-9', '@@ -18,4 +18,5 @@\n line 8\n line 9\n+mine\n line 10\n line 11\n');
    expect(check([FIRST, later]).patches.map((p) => p.order.kind)).toEqual(['clean', 'clean']);
    expect(overlaps([FIRST, later])).toEqual([['first', 'at-line-9', 0]]);
  });

  it("a later hunk that reads the first patch's new lines overlaps it, whatever its numbers say", () => {
    // "new 8" and "new 9" are lines 14-15 after TEN; its @@ says 4-7.
    const onTop = patch('after-new-9', '@@ -14,4 +14,5 @@\n new 8\n new 9\n+mine\n line 6\n line 7\n');
    expect(check([TEN, onTop]).patches.map((p) => p.order.kind)).toEqual(['clean', 'clean']);
    expect(overlaps([TEN, onTop])).toEqual([['ten', 'after-new-9', 1]]);
  });

  it("a hunk that reads only the first patch's context overlaps it too (it needs that context to apply)", () => {
    const onContext = patch('before-line-4', '@@ -1,4 +1,5 @@\n line 1\n line 2\n+mine\n line 3\n line 4\n');
    expect(overlaps([FIRST, onContext])).toEqual([['first', 'before-line-4', 1]]);
  });

  it('a patch that did not apply is compared by its @@ numbers as written (nothing better is known)', () => {
    const broken = patch('broken', '@@ -4,5 +4,5 @@\n nowhere a\n nowhere b\n-nowhere x\n+mine\n nowhere c\n nowhere d\n');
    expect(check([FIRST, broken]).patches.map((p) => p.order.kind)).toEqual(['clean', 'fails']);
    expect(overlaps([FIRST, broken])).toEqual([['first', 'broken', 1]]);
  });
});

describe('pairs of patches swapped', () => {
  const pairsOf = (series: QueuePatch[]) => checkBase({ version: '2.6.9', tree: 't', series, baseFiles: new Map([['init/Kconfig', BASE]]) }).pairs.map((p) => [p.a, p.b, p.swapConflict, p.detail]);
  const a10 = patch('a10', '@@ -9,3 +9,3 @@\n line 9\n-line 10\n+A10\n line 11\n');
  const b10 = patch('b10', '@@ -9,3 +9,3 @@\n line 9\n-line 10\n+B10\n line 11\n');
  // Three lines of leading context, so that fuzz (which drops up to two) still needs A10.
  const onA10 = patch('on-a10', '@@ -8,6 +8,7 @@\n line 8\n line 9\n A10\n+after A10\n line 11\n line 12\n line 13\n');
  const at30 = patch('at-30', '@@ -29,3 +29,4 @@\n line 29\n line 30\n+mine\n line 31\n');
  const at20 = { ...patch('at-20', '@@ -19,3 +19,4 @@\n line 19\n line 20\n+mine\n line 21\n'), depends: ['a10'] };

  it('patches on other lines of one file swap cleanly', () => {
    expect(pairsOf([a10, at30])).toEqual([['a10', 'at-30', false, undefined]]);
  });

  it('a patch built on an earlier one it does not declare: the pair conflicts when swapped', () => {
    expect(pairsOf([a10, onA10])).toEqual([['a10', 'on-a10', true, 'on-a10 fails when on-a10 is applied before a10']]);
  });

  it('two patches of one line: the later one does not apply after the first, and is not compared', () => {
    expect(pairsOf([a10, b10])).toEqual([['a10', 'b10', false, 'not compared: b10 needs earlier patches it does not declare in depends']]);
  });

  it('a declared depends is said, and a pair with depends starts from the base with them applied', () => {
    expect(pairsOf([a10, at20, at30])).toEqual([
      ['a10', 'at-20', false, 'at-20 depends on a10'],
      ['a10', 'at-30', false, undefined],
      ['at-20', 'at-30', false, undefined],
    ]);
    const onA10WithDep = { ...onA10, name: 'on-a10-dep', depends: ['a10'] };
    expect(pairsOf([a10, onA10WithDep, at20])).toEqual([
      ['a10', 'on-a10-dep', false, 'on-a10-dep depends on a10'],
      ['a10', 'at-20', false, 'at-20 depends on a10'],
      ['on-a10-dep', 'at-20', false, undefined],
    ]);
  });
});
