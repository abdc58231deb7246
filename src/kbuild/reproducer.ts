// The reproducer of a build record: the one command that runs the recorded make again in the
// recorded image, pinned by its ID (as TuxMake's reproducer is), from the record's inputs
// alone, with the engine flags tiny runs builds with (src/toolchain/runtime.ts: no network, no
// capabilities, only the recorded environment). $SRC is the source tree the record names
// (source_tree), $BUILD a directory holding the record's .config; the engine's user mapping
// and the ccache volume are left out (neither changes the bytes). `tiny rebuild KEY` does the
// same and compares the artifacts.

import { CONTAINER_PATHS, DEFAULT_PATH, ENGINES } from '../toolchain/runtime.js';
import { makeArgv, makeGoals } from './make.js';

export interface ReproducerInputs {
  /** podman, docker or host. */
  runtime: string;
  toolchain: { image: string };
  makeVariables: Record<string, string>;
  env: Record<string, string>;
  targets: string[];
}

export interface Reproducer {
  /** The image the command runs in (null for the host runtime: the host's compiler). */
  image: string | null;
  /** A shell command line. */
  command: string;
}

/** A word for sh: bare when safe, else single-quoted. "$SRC"-style references stay expandable. */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  if (/^"\$[A-Z]+"[A-Za-z0-9_:./-]*$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function reproducerOf(i: ReproducerInputs): Reproducer {
  const make = makeArgv(i.makeVariables, makeGoals(i.targets));
  if (i.runtime === 'podman' || i.runtime === 'docker') {
    const f = ENGINES[i.runtime];
    const env = 'PATH' in i.env ? i.env : { PATH: DEFAULT_PATH, ...i.env };
    const argv = [
      f.bin,
      ...f.run,
      ...f.cleanEnv,
      '--network=none',
      '--hostname=tiny',
      `--workdir=${CONTAINER_PATHS.build}`,
      '--volume',
      `"$SRC":${CONTAINER_PATHS.src}:ro`,
      '--volume',
      `"$BUILD":${CONTAINER_PATHS.build}:rw`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      i.toolchain.image,
      ...make,
    ];
    return { image: i.toolchain.image, command: argv.map(shellWord).join(' ') };
  }
  // The host runtime: the same make on this machine, the container paths replaced by the
  // directories ($SRC, $BUILD, and $CCACHE for ccache's), in double quotes so they expand.
  const mapped = (s: string) =>
    s
      .replace(/["\\`$]/g, '\\$&')
      .split(CONTAINER_PATHS.build)
      .join('$BUILD')
      .split(CONTAINER_PATHS.src)
      .join('$SRC')
      .split(CONTAINER_PATHS.ccache)
      .join('$CCACHE');
  const word = (s: string) => (mapped(s) === s.replace(/["\\`$]/g, '\\$&') ? shellWord(s) : `"${mapped(s)}"`);
  const parts = ['cd "$BUILD" &&', 'env -i PATH="$PATH"', ...Object.entries(i.env).map(([k, v]) => word(`${k}=${v}`)), ...make.map(word)];
  return { image: null, command: parts.join(' ') };
}
