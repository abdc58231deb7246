// A make that was killed (Ctrl-C, a timeout, kill -9 of tiny) can leave objects that look
// finished: gcc -pipe's assembler writes a valid object from the part of the assembly it got
// before cc1 died, and the gcc that would have deleted it died too. Kbuild then finds the
// object newer than its sources, with the same command line in its .cmd file, and links it:
// a kernel with functions missing, which may even link (a 2.6.9 build failed only because
// start_kernel() called one of them). So every make in a build directory (a build's, and
// Kconfig's, which compiles fixdep and conf there) leaves a marker there while it runs, removed
// when make exits by itself; a make that finds the marker first removes what the killed make
// wrote after it (every file newer than the marker but the .config tiny wrote), and Kbuild
// builds those again.

import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The marker's name in the build directory. */
export const MAKE_RUNNING = '.tiny-make-running';

/** Files a killed make's leftovers never include: what tiny itself writes before the make. */
const KEPT = new Set([MAKE_RUNNING, '.config']);

/**
 * If a make in `buildDir` was killed, remove every file it wrote (newer than its marker, the
 * marker last). Returns how many files were removed; 0 when no make was killed there.
 */
export async function discardKilledMake(buildDir: string): Promise<number> {
  const marker = join(buildDir, MAKE_RUNNING);
  const since = await stat(marker).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (since === undefined) return 0;
  let removed = 0;
  const walk = async (dir: string, top: boolean): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path, false);
      else if (!(top && KEPT.has(e.name))) {
        const s = await stat(path).catch(() => undefined);
        if (s && s.mtimeMs >= since) {
          await rm(path, { force: true });
          removed++;
        }
      }
    }
  };
  await walk(buildDir, true);
  await rm(marker, { force: true });
  return removed;
}

/** Before a make in `buildDir`: clean up after a killed one, then mark this one as running. */
export async function beginMake(buildDir: string): Promise<void> {
  await discardKilledMake(buildDir);
  await mkdir(buildDir, { recursive: true });
  await writeFile(join(buildDir, MAKE_RUNNING), `${new Date().toISOString()}\n`);
}

/** After a make that exited by itself (any status): nothing it wrote is suspect. */
export async function endMake(buildDir: string): Promise<void> {
  await rm(join(buildDir, MAKE_RUNNING), { force: true });
}
