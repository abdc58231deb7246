// The real kernel sources tests run against, found the same way by every test, and the way a
// test that cannot find one says so (a skipped suite whose title says why).

import { existsSync, readdirSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { probeRuntime, type RuntimeProbe } from '../../src/toolchain/runtime.js';

/** An unmodified Linux 2.6.9 tree (never written to), e.g. ~/.cache/tiny-trees/linux-2.6.9. */
export const TREE_2_6 = process.env.TINY_TREE_2_6;

/** Where queue/queue.yaml's later bases are unpacked (their last source; docs/compat.md). */
export function laterTreeDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tiny-trees', `linux-${version}`);
}

/** A later base: its variable when set, else its directory under ~/.cache/tiny-trees when there. */
function laterTree(variable: string, version: string): string | undefined {
  const set = process.env[variable];
  if (set) return set;
  const dir = laterTreeDir(version);
  return existsSync(join(dir, 'Makefile')) ? dir : undefined;
}

/** The unmodified 2.6.11 tree the queue claims: $TINY_TREE_2_6_NEXT, else ~/.cache/tiny-trees/linux-2.6.11. */
export const TREE_2_6_11 = laterTree('TINY_TREE_2_6_NEXT', '2.6.11');
/** The unmodified 2.6.12-rc2 tree the queue claims: $TINY_TREE_2_6_12, else ~/.cache/tiny-trees/linux-2.6.12-rc2. */
export const TREE_2_6_12 = laterTree('TINY_TREE_2_6_12', '2.6.12-rc2');
/** Why a test of a later base cannot run here (undefined when it can). */
export function laterTreeMissing(version: string, variable: string): string {
  return `no unmodified ${version} tree: set ${variable}, or unpack it into ${laterTreeDir(version)} as docs/compat.md says`;
}

/** Debian's Linux 6.1 source as scripts/setup.sh leaves it: $TINY_DEBIAN_SRC, else ~/.cache/tiny-src. */
export const DEBIAN_SRC = process.env.TINY_DEBIAN_SRC ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tiny-src');
/** The file name of its orig tarball (linux_6.1.N.orig.tar.xz), when there is one. */
export const DEBIAN_ORIG = existsSync(DEBIAN_SRC) ? readdirSync(DEBIAN_SRC).find((f) => /^linux_6\.1\.\d+\.orig\.tar\.xz$/.test(f)) : undefined;
/** Debian's patch directory (debian/patches, with its series file). */
export const DEBIAN_PATCHES = join(DEBIAN_SRC, 'debian', 'patches');
/** The orig tarball and the patch series are both there. */
export const HAVE_DEBIAN_SERIES = DEBIAN_ORIG !== undefined && existsSync(join(DEBIAN_PATCHES, 'series'));
export const DEBIAN_SRC_MISSING = `Debian's linux 6.1 source not found in ${DEBIAN_SRC} (run scripts/setup.sh, or set TINY_DEBIAN_SRC)`;

/**
 * Probe podman once; `skipWhy` says why podman tests cannot run here, undefined when they can,
 * and in CI (where a missing podman must fail the test, not skip it).
 */
export async function podman(): Promise<{ probe: RuntimeProbe; skipWhy: string | undefined }> {
  const probe = await probeRuntime('podman');
  const skipWhy = !probe.usable && !process.env.CI ? `podman is not usable (${probe.detail}); fix: ${probe.fix ?? 'install podman'}` : undefined;
  return { probe, skipWhy };
}

/** A suite that does not run: warns `<tag>: skipped: <why>` and lists one skipped test saying why. */
export function skippedSuite(tag: string, title: string, why: string): void {
  console.warn(`${tag}: skipped: ${why}`);
  describe(title, () => {
    it.skip(`skipped: ${why}`, () => {});
  });
}

/** Every path below `dir` with its mode, size and mtime, sorted: equal before and after = not modified. */
export async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = await lstat(p);
      out.push(`${p} ${st.mode} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}
