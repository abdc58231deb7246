// The options build, boot and inline-cost share, as prepareMatrix gets them.
import { describe, expect, it } from 'vitest';
import { matrixOptions, positiveInt } from '../../src/cli/options.js';

describe('cli options', () => {
  it('passes --base as the version string (not its first character)', () => {
    expect(matrixOptions({ config: 'webserver', base: '2.6.9', tree: '/t', jobs: 2 })).toEqual({ config: 'webserver', queueDir: expect.stringMatching(/queue$/), base: '2.6.9', tree: '/t', jobs: 2 });
    expect(matrixOptions({ config: 'c' })).toEqual({ config: 'c', queueDir: expect.stringMatching(/queue$/) });
  });
  it('--jobs and --lanes take a whole number of at least 1', () => {
    expect(positiveInt('--jobs')('4')).toBe(4);
    expect(() => positiveInt('--jobs')('0')).toThrow("--jobs must be a whole number of at least 1, not '0'");
    expect(() => positiveInt('--lanes')('1.5')).toThrow(/--lanes must be a whole number/);
  });
});
