// Kconfig's host programs handed from the build directory that configured a tree to a fresh
// one: the same bytes and modes, in the same order in time, all newer than the tree's sources
// and none in the future (make would warn of clock skew).

import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lacksHostTools, readHostTools, writeHostTools } from '../../src/kbuild/host-tools.js';
import { removeDir, tempDir as makeTempDir } from '../helpers/kernel-tree-fixture.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDir(d);
});
async function tempDir(): Promise<string> {
  const d = await makeTempDir('tiny-host-tools-');
  dirs.push(d);
  return d;
}

/** What Kconfig's make leaves: fixdep, then conf.o, libkconfig.so and conf, each after the one before. */
async function configuredBuildDir(): Promise<string> {
  const d = await tempDir();
  await mkdir(join(d, 'scripts/basic'), { recursive: true });
  await mkdir(join(d, 'scripts/kconfig/lxdialog'), { recursive: true });
  const files: Array<[string, string, number]> = [
    ['scripts/basic/fixdep', 'ELF fixdep', 0o755],
    ['scripts/basic/.fixdep.cmd', 'cmd_scripts/basic/fixdep := gcc ...', 0o644],
    ['scripts/kconfig/conf.o', 'conf.o', 0o644],
    ['scripts/kconfig/libkconfig.so', 'so', 0o755],
    ['scripts/kconfig/conf', 'ELF conf \xe9', 0o755],
    ['scripts/kconfig/lxdialog/.keep', '', 0o644],
  ];
  const start = Date.now() / 1000 - 3600;
  for (const [i, [p, text, mode]] of files.entries()) {
    await writeFile(join(d, p), Buffer.from(text, 'latin1'), { mode });
    await utimes(join(d, p), start + i, start + i);
  }
  await symlink('conf', join(d, 'scripts/kconfig/conf-link'));
  // Not Kconfig's: stays where it is.
  await writeFile(join(d, '.config'), 'CONFIG_X=y\n');
  return d;
}

describe("Kconfig's host programs, handed to a fresh build directory", () => {
  it('arrive with the same bytes, modes and links; nothing else is copied', async () => {
    const from = await configuredBuildDir();
    const to = await tempDir();
    expect(await lacksHostTools(to)).toBe(true);
    const files = await readHostTools(from);
    await writeHostTools(to, files!);
    expect(await lacksHostTools(to)).toBe(false);
    expect(readFileSync(join(to, 'scripts/kconfig/conf'))).toEqual(Buffer.from('ELF conf \xe9', 'latin1'));
    expect(lstatSync(join(to, 'scripts/basic/fixdep')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(to, 'scripts/basic/.fixdep.cmd')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(to, 'scripts/kconfig/conf-link'))).toBe('conf');
    expect(lstatSync(join(to, 'scripts/kconfig/lxdialog/.keep')).isFile()).toBe(true);
    expect(() => lstatSync(join(to, '.config'))).toThrow();
  });

  it('keep their order in time, newer than anything before the hand-over and never in the future', async () => {
    const from = await configuredBuildDir();
    const to = await tempDir();
    const before = Date.now();
    await writeHostTools(to, (await readHostTools(from))!);
    const after = Date.now();
    const mtime = (p: string) => Number(lstatSync(join(to, p), { bigint: true }).mtimeNs) / 1e6;
    const order = ['scripts/basic/fixdep', 'scripts/basic/.fixdep.cmd', 'scripts/kconfig/conf.o', 'scripts/kconfig/libkconfig.so', 'scripts/kconfig/conf'].map(mtime);
    for (let i = 1; i < order.length; i++) expect(order[i]!, `file ${i} after file ${i - 1}`).toBeGreaterThan(order[i - 1]!);
    expect(order[0]!).toBeGreaterThan(before - 1000);
    expect(order.at(-1)!).toBeLessThanOrEqual(after);
  });

  it('a build directory without fixdep has nothing to hand over', async () => {
    const d = await tempDir();
    await mkdir(join(d, 'scripts/kconfig'), { recursive: true });
    await writeFile(join(d, 'scripts/kconfig/conf'), 'x');
    expect(await readHostTools(d)).toBeUndefined();
  });
});
