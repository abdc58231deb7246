// What a lane's build directory was last built for, kept in that directory for the next run:
// read back as written, and anything else in its place (torn, another version, a stray file)
// is an unknown state, never an error.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDotConfig } from '../../src/kbuild/kconfig.js';
import { readLaneState, writeLaneState } from '../../src/matrix/lane-state.js';

describe('the state a lane keeps in its build directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-lane-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back the patches and the .config it was built with', async () => {
    const config = '#\n# Linux kernel version: 2.6.9\n#\nCONFIG_X86=y\n# CONFIG_CC_OPTIMIZE_FOR_SIZE is not set\nCONFIG_LOG_BUF_SHIFT=14\n';
    await writeLaneState(dir, ['aa', 'bb'], config);
    const read = readLaneState(dir)!;
    expect(read).toEqual({ patches: ['aa', 'bb'], config: parseDotConfig(config) });
    expect(read.patches).toEqual(['aa', 'bb']);
    expect(read.config.get('X86')).toBe('y');
    expect(read.config.get('CC_OPTIMIZE_FOR_SIZE')).toBe('n');
    expect(read.config.get('LOG_BUF_SHIFT')).toBe('14');
  });

  it('a directory never built, a torn file or another version is an unknown state', async () => {
    expect(readLaneState(dir)).toBeUndefined();
    expect(readLaneState(join(dir, 'missing'))).toBeUndefined();
    const file = join(dir, '.tiny-lane-built.json');
    await writeFile(file, '{"v":1,"patches":["aa"],"con');
    expect(readLaneState(dir)).toBeUndefined();
    await writeFile(file, JSON.stringify({ v: 2, patches: [], config: '' }));
    expect(readLaneState(dir)).toBeUndefined();
    await writeFile(file, JSON.stringify({ v: 1, patches: [1], config: '' }));
    expect(readLaneState(dir)).toBeUndefined();
  });
});
