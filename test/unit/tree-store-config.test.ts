// The tree store's git settings are written into its config file in one go, not by a
// `git config` per setting: git must read back every one of them.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configText, openTreeStore, STORE_SETTINGS } from '../../src/tree/store.js';
import { removeDir, tempDir } from '../helpers/kernel-tree-fixture.js';

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(() => removeDir(work));

describe('a new tree store', () => {
  it('has every setting, as git reads it', async () => {
    const store = await openTreeStore(join(work, 'cache'));
    for (const [key, value] of STORE_SETTINGS) {
      const r = spawnSync('git', ['--git-dir', store.gitDir, 'config', '--get', key], { encoding: 'utf8' });
      expect([key, r.status, r.stdout.trim()]).toEqual([key, 0, value]);
    }
    // What `git init` wrote is still there.
    expect(spawnSync('git', ['--git-dir', store.gitDir, 'config', '--get', 'core.bare'], { encoding: 'utf8' }).stdout.trim()).toBe('true');
  });

  it('refuses a setting that would need quoting in the file', () => {
    expect(configText([['user.name', 'tiny']])).toBe('[user]\n\tname = tiny\n');
    expect(() => configText([['user.name', 'a "quoted" name']])).toThrow(/needs quoting/);
    expect(() => configText([['nodot', 'x']])).toThrow(/needs quoting/);
  });
});
