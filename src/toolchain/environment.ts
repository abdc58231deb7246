// What every build of a configuration runs in, settled once: the toolchain (which must build
// the ARCH), the runtime, the image (found, or built when missing: ensureImage bootstraps
// offline; for the host runtime an ID of the host compiler) and whether ccache wraps the
// compiler. `tiny build`, `tiny boot`, `tiny inline-cost` (through matrix/setup.ts) and
// `tiny bisect` (bisect/build.ts) all start here, so they say the same things.

import { TinyError } from '../util/diagnostics.js';
import { haveCommand, run } from '../util/exec.js';
import { sha256 } from '../util/fs.js';
import { makeVariablesFor } from './definitions.js';
import { ensureImage, findImage } from './image.js';
import { createRuntime, detectRuntime, parseRuntimeName, type Runtime, type RuntimeName } from './runtime.js';
import type { Toolchain } from './types.js';

export interface BuildEnvironmentOptions {
  toolchain: Toolchain;
  /** The kernel ARCH the builds are for (the toolchain must build it). */
  arch: string;
  /** --runtime (default: $TINY_RUNTIME, else podman, docker, host). */
  runtime?: RuntimeName;
  /** Where a missing image's build keeps its record. */
  cacheDir: string;
  /** Force ccache on or off (default: when the image / the host has it). */
  ccache?: boolean;
  /**
   * A missing image: build it (default), or leave it missing (`tiny plan`: nothing is built,
   * so record keys are unknown) — the environment then has an empty image ID and `imageMissing`.
   */
  missingImage?: 'build' | 'skip';
  /** Progress lines (image builds). */
  onLog?: (line: string) => void;
}

export interface BuildEnvironment {
  runtime: Runtime;
  /** The image ID the builds run in (for the host runtime: an ID of the host compiler). */
  image: { id: string; digest?: string };
  ccache: boolean;
  /** The image was not there and not built (missingImage: 'skip'). */
  imageMissing?: true;
}

/** An ID for the host's compiler (host runtime: no image): its version texts, hashed. */
export async function hostCompilerId(crossCompile: string): Promise<string> {
  const parts: string[] = [];
  for (const cmd of [`${crossCompile}gcc --version`, `${crossCompile}ld --version`, 'make --version']) {
    const r = await run('sh', ['-c', `${cmd} 2>&1 | head -n 1`], { allowFail: true });
    parts.push(r.stdout.trim());
  }
  return `host:${sha256(parts.join('\n')).slice(0, 32)}`;
}

/**
 * detectRuntime, with a shortcut: `podman info` takes seconds, while finding the toolchain's
 * image answers the same question (the engine works) in a fraction of that. Only when the
 * image is not there does the full probe run (with its clear message when the engine is broken).
 */
async function pickRuntime(preferred: RuntimeName | undefined, tc: Toolchain): Promise<{ runtime: Runtime; image?: { id: string; digest?: string } }> {
  const want = preferred ?? parseRuntimeName(process.env.TINY_RUNTIME, 'TINY_RUNTIME');
  if (want === 'host') return { runtime: await detectRuntime('host') };
  for (const name of want ? [want] : (['podman', 'docker'] as const)) {
    const runtime = createRuntime(name);
    const found = await findImage(tc, runtime).catch(() => undefined);
    if (found) return { runtime, image: { id: found.id, ...(found.digest ? { digest: found.digest } : {}) } };
  }
  return { runtime: await detectRuntime(want) };
}

export async function prepareBuildEnvironment(o: BuildEnvironmentOptions): Promise<BuildEnvironment> {
  const log = o.onLog ?? (() => {});
  const { toolchain } = o;
  makeVariablesFor(toolchain, o.arch); // the toolchain must build this arch
  const { runtime, image: found } = await pickRuntime(o.runtime, toolchain);
  if (!runtime.hermetic) log(`runtime: host (no container): the builds are not hermetic and are recorded so`);
  const cross = toolchain.crossCompile[o.arch] ?? '';
  if (runtime.supportsImages && found) return { runtime, image: found, ccache: o.ccache ?? toolchain.packages.includes('ccache') };
  if (runtime.supportsImages && o.missingImage === 'skip') {
    const there = await findImage(toolchain, runtime).catch(() => undefined);
    const ccache = o.ccache ?? toolchain.packages.includes('ccache');
    if (!there) return { runtime, image: { id: '' }, ccache, imageMissing: true };
    return { runtime, image: { id: there.id, ...(there.digest ? { digest: there.digest } : {}) }, ccache };
  }
  if (runtime.supportsImages) {
    const ref = await ensureImage(toolchain, runtime, { cacheDir: o.cacheDir, onLog: log }).catch((e: unknown) => {
      if (e instanceof TinyError) throw new TinyError(`toolchain ${toolchain.name}: no image to build in: ${e.message}`, 1, e.diagnostics, e.hint);
      throw e;
    });
    return { runtime, image: { id: ref.id, ...(ref.digest ? { digest: ref.digest } : {}) }, ccache: o.ccache ?? toolchain.packages.includes('ccache') };
  }
  if (!(await haveCommand(`${cross}gcc`))) {
    throw new TinyError(`the host runtime needs ${cross}gcc on this machine, and it is not there`, 1, [], `install it, or build in the toolchain's container: --runtime podman`);
  }
  return { runtime, image: { id: await hostCompilerId(cross) }, ccache: o.ccache ?? (await haveCommand('ccache')) };
}
