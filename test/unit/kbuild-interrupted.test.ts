// A make killed mid-build leaves objects Kbuild takes for finished ones; the next build make
// removes what the killed one wrote, and a make that exits by itself leaves nothing to remove.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { beginMake, discardKilledMake, endMake, MAKE_RUNNING } from '../../src/kbuild/interrupted.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A build directory with kernel/sched.o and init/main.o from an earlier, finished make. */
async function buildDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tiny-killed-make-'));
  dirs.push(d);
  await mkdir(join(d, 'kernel'));
  await mkdir(join(d, 'init'));
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of ['kernel/sched.o', 'kernel/.sched.o.cmd', 'init/main.o']) {
    await writeFile(join(d, f), 'finished');
    await utimes(join(d, f), hourAgo, hourAgo);
  }
  return d;
}

describe('a build make that was killed', () => {
  it('leaves its marker; the next make removes what it wrote (never the .config), then the marker', async () => {
    const d = await buildDir();
    await beginMake(d);
    expect(existsSync(join(d, MAKE_RUNNING))).toBe(true);
    // The killed make: a half-written object with its sources' .cmd still there, a new
    // built-in.o, and the .config it rewrote.
    await writeFile(join(d, 'kernel/profile.o'), 'half');
    await writeFile(join(d, 'kernel/built-in.o'), 'linked from the half object');
    await writeFile(join(d, '.config'), 'CONFIG_X=y\n');

    expect(await discardKilledMake(d)).toBe(2);
    expect(['kernel/profile.o', 'kernel/built-in.o', MAKE_RUNNING].filter((f) => existsSync(join(d, f)))).toEqual([]);
    expect(['kernel/sched.o', 'kernel/.sched.o.cmd', 'init/main.o', '.config'].filter((f) => existsSync(join(d, f)))).toHaveLength(4);
  });

  it('a make that exited by itself (even with errors) leaves nothing for the next one to remove', async () => {
    const d = await buildDir();
    await beginMake(d);
    await writeFile(join(d, 'kernel/profile.o'), 'whole');
    await endMake(d);
    expect(existsSync(join(d, MAKE_RUNNING))).toBe(false);
    expect(await discardKilledMake(d)).toBe(0);
    expect(existsSync(join(d, 'kernel/profile.o'))).toBe(true);
  });

  it('a build directory tiny has not built in yet: nothing to do', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'tiny-killed-make-'));
    dirs.push(parent);
    const d = join(parent, 'new');
    expect(await discardKilledMake(d)).toBe(0);
    await beginMake(d);
    expect(existsSync(join(d, MAKE_RUNNING))).toBe(true);
  });
});
