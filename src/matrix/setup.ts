// Everything a matrix run needs, gathered once: the configuration, the queue, the base tree,
// the toolchain and its image (built when missing: ensureImage bootstraps offline), the
// runtime, the stores, and the plan. The edges (CLI, bench, tests) call this; the runner
// itself only takes plain values.

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadBuildConfig, type BuildConfig } from '../kbuild/buildconfig.js';
import { resolveBases, type ImportedBase } from '../pipeline/bases.js';
import { loadQueue } from '../queue/load.js';
import type { Queue } from '../queue/types.js';
import { openRecordStore } from '../store/index.js';
import { defaultToolchainsDir, loadToolchain, makeVariablesFor } from '../toolchain/definitions.js';
import { ensureImage, findImage } from '../toolchain/image.js';
import { createRuntime, detectRuntime, parseRuntimeName, type Runtime, type RuntimeName } from '../toolchain/runtime.js';
import type { Toolchain } from '../toolchain/types.js';
import { openTreeStore } from '../tree/index.js';
import { TinyError } from '../util/diagnostics.js';
import { haveCommand, run } from '../util/exec.js';
import { sha256 } from '../util/fs.js';
import { TOOL_VERSION } from '../cli/version.js';
import { planMatrix, type Plan } from './plan.js';
import type { MatrixSetup } from './run.js';

export interface PrepareOptions {
  /** Directory holding configs/ (a name is looked up there; a path to a .yaml works too). */
  root: string;
  config: string;
  queueDir: string;
  cacheDir: string;
  /** --tree: a kernel tree (directory or tarball) instead of the queue's base. */
  tree?: string;
  /** --allow-other-base: accept a --tree that is none of the queue's pinned bases. */
  allowOtherBase?: boolean;
  /** --base: one of the versions the queue claims. */
  base?: string;
  runtime?: RuntimeName;
  jobs?: number;
  lanes?: number;
  toolchainsDir?: string;
  /** Force ccache on or off (default: when the image / the host has it). */
  ccache?: boolean;
  /** Progress lines (image builds, imports). */
  onLog?: (line: string) => void;
}

export interface Prepared {
  setup: MatrixSetup;
  plan: Plan;
  queue: Queue;
  config: BuildConfig;
  base: ImportedBase;
  runtime: Runtime;
  toolchain: Toolchain;
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

export async function prepareMatrix(o: PrepareOptions): Promise<Prepared> {
  const log = o.onLog ?? (() => {});
  const config = await loadBuildConfig(o.root, o.config);
  const queue = await loadQueue(o.queueDir);
  const toolchain = await loadToolchain(o.toolchainsDir ?? defaultToolchainsDir(), config.toolchain);
  makeVariablesFor(toolchain, config.arch); // the toolchain must build this arch
  const { runtime, image: found } = await pickRuntime(o.runtime, toolchain);
  if (!runtime.hermetic) log(`runtime: host (no container): the builds are not hermetic and are recorded so`);

  let image: { id: string; digest?: string };
  let ccache: boolean;
  const cross = toolchain.crossCompile[config.arch] ?? '';
  if (runtime.supportsImages && found) {
    image = found;
    ccache = o.ccache ?? toolchain.packages.includes('ccache');
  } else if (runtime.supportsImages) {
    const ref = await ensureImage(toolchain, runtime, { cacheDir: o.cacheDir, onLog: log }).catch((e: unknown) => {
      if (e instanceof TinyError) throw new TinyError(`toolchain ${toolchain.name}: no image to build in: ${e.message}`, 1, e.diagnostics, e.hint);
      throw e;
    });
    image = { id: ref.id, ...(ref.digest ? { digest: ref.digest } : {}) };
    ccache = o.ccache ?? toolchain.packages.includes('ccache');
  } else {
    if (!(await haveCommand(`${cross}gcc`))) {
      throw new TinyError(`the host runtime needs ${cross}gcc on this machine, and it is not there`, 1, [], `install it, or build in the toolchain's container: --runtime podman`);
    }
    image = { id: await hostCompilerId(cross) };
    ccache = o.ccache ?? (await haveCommand('ccache'));
  }

  const treeStore = await openTreeStore(o.cacheDir);
  const records = await openRecordStore(o.cacheDir);
  const [base, ...more] = await resolveBases(queue, treeStore, o.cacheDir, {
    ...(o.tree ? { trees: [o.tree] } : {}),
    ...(o.allowOtherBase ? { allowOtherBase: true } : {}),
    ...(o.base ? { versions: [o.base] } : {}),
  });
  if (!base || more.length) throw new TinyError('tiny build takes exactly one base', 2);
  const baseDate = base.version === queue.base.version ? queue.base.date : [...queue.otherBases].find((b) => b.version === base.version)?.date;

  const plan = planMatrix({
    queue,
    version: base.version,
    select: config.queue.select,
    baseSelect: config.queue.baseSelect,
    toolchainSymbols: toolchain.needsCompat,
    fragment: config.kconfig.fragment,
    configFlips: config.kconfig.flips,
  });

  const setup: MatrixSetup = {
    cacheDir: resolve(o.cacheDir),
    config,
    base,
    ...(baseDate ? { baseDate } : {}),
    treeStore,
    records,
    toolchain,
    runtime,
    image,
    ccache,
    jobs: o.jobs ?? availableParallelism(),
    lanes: o.lanes ?? 1,
    toolVersion: TOOL_VERSION,
  };
  return { setup, plan, queue, config, base, runtime, toolchain };
}
