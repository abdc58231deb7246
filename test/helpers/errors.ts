// Asserting that a call is refused the way users see it: with a TinyError (message, exit code,
// diagnostics), not any other exception.

import { expect } from 'vitest';
import { TinyError } from '../../src/util/diagnostics.js';

/** The TinyError `p` rejects with; fails the test when it resolves or throws something else. */
export async function expectTinyError(p: Promise<unknown>): Promise<TinyError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TinyError);
    return e as TinyError;
  }
  throw new Error('expected a TinyError');
}
