// How many lanes `tiny build` uses when --lanes is not given (src/matrix/setup.ts defaultLanes).

import { describe, expect, it } from 'vitest';
import { defaultLanes } from '../../src/matrix/setup.js';

describe('default lanes', () => {
  it('two in a container runtime on two cores or more: the second is seeded from the first build', () => {
    expect(defaultLanes({ hermetic: true }, 2)).toBe(2);
    expect(defaultLanes({ hermetic: true }, 64)).toBe(2);
  });

  it('one on a single core, and one on the host runtime, whose lanes cannot be seeded', () => {
    expect(defaultLanes({ hermetic: true }, 1)).toBe(1);
    expect(defaultLanes({ hermetic: false }, 8)).toBe(1);
  });
});
