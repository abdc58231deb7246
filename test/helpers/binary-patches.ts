// git binary patches made by real git, for the tests of a queue that holds one: a "logo" of
// every byte value (NULs among them) created, then changed, in a scratch repository.

import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where the logo goes in a tree. */
export const LOGO_PATH = 'drivers/video/logo.bin';

/** `length` bytes of every value, a different sequence for each `step`. */
export function logoBytes(length: number, step: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * step + (i >> 3)) % 256));
}

/**
 * `git diff --binary` of the logo created with `logo` (a literal) in the repository `dir` (made
 * here), and with `edited` the change to it (a delta), and that change as git writes it without
 * --binary ("Binary files ... differ": no data).
 */
export async function logoPatches(dir: string, logo: Buffer, edited?: Buffer): Promise<{ create: Buffer; edit?: Buffer; editWithoutData?: Buffer }> {
  const g = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir }).stdout;
  await mkdir(dirname(join(dir, LOGO_PATH)), { recursive: true });
  g('init', '-q');
  await writeFile(join(dir, LOGO_PATH), logo);
  g('add', '-A');
  const create = g('diff', '--cached', '--binary');
  if (!edited) return { create };
  g('commit', '-q', '-m', 'logo');
  await writeFile(join(dir, LOGO_PATH), edited);
  return { create, edit: g('diff', '--binary'), editWithoutData: g('diff', '--full-index') };
}
