// How the user runs tiny, for the commands hints print, decided by the path of the running bin:
//  - `tiny ...` when the `tiny` on PATH is this very installation (a global install, or a
//    checkout linked with npm link);
//  - the bin's own path for a global install whose bin directory is not on PATH (npx would
//    fetch another tiny from the registry);
//  - `npx tiny ...` otherwise: tiny as a project's dependency (node_modules/tiny next to the
//    project's package.json), or a checkout run from its own directory.

import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This installation's bin/tiny.js. */
export const PACKAGE_BIN = fileURLToPath(new URL('../../bin/tiny.js', import.meta.url));

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first `tiny` on `pathEnv` (PATH's syntax), resolved through its symlinks. */
export function tinyOnPath(pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'tiny');
    if (executable(candidate)) return real(candidate);
  }
  return undefined;
}

/** The command that runs this tiny (see the top): 'tiny', 'npx tiny' or the bin's path. */
export function tinyCommand(bin = PACKAGE_BIN, pathEnv = process.env.PATH): string {
  const self = real(bin) ?? bin;
  if (tinyOnPath(pathEnv) === self) return 'tiny';
  const root = dirname(dirname(self));
  const holder = dirname(dirname(root));
  // npm's global root is PREFIX/lib/node_modules: no package.json beside it, unlike a project's.
  if (basename(dirname(root)) === 'node_modules' && !existsSync(join(holder, 'package.json'))) return self;
  return 'npx tiny';
}

/**
 * The command that sets up podman and mmdebstrap (scripts/setup-containers.sh, shipped with the
 * package): relative when the current directory is tiny's own (a checkout), else by its full path
 * (a global install or a project's dependency, where ./scripts/ is not tiny's).
 */
export function setupContainersCommand(cwd = process.cwd()): string {
  const root = dirname(dirname(PACKAGE_BIN));
  const rel = 'scripts/setup-containers.sh';
  return `sudo bash ${real(cwd) === real(root) ? rel : join(root, rel)}`;
}

/** setupContainersCommand() for the directory tiny started in. */
export const SETUP_CONTAINERS = setupContainersCommand();
