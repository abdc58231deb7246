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
import { defaultToolchainsDir, loadToolchain } from '../toolchain/definitions.js';
import { prepareBuildEnvironment } from '../toolchain/environment.js';
import type { Runtime, RuntimeName } from '../toolchain/runtime.js';
import type { Toolchain } from '../toolchain/types.js';
import { openTreeStore } from '../tree/index.js';
import { TinyError } from '../util/diagnostics.js';
import { TOOL_VERSION } from '../util/version.js';
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
  /** ccache's remote storage (--ccache-remote / $TINY_CCACHE_REMOTE); default: the configuration's ccache.remote. */
  ccacheRemote?: string;
  /** --no-ccache: ccache neither read nor filled this run, the keys unchanged (MatrixSetup.ccacheOff). */
  ccacheOff?: boolean;
  /**
   * What to do when the toolchain's image is not there: build it (default), or go on without
   * one (`tiny plan`: nothing is built, and record keys are then unknown) — the prepared setup
   * then has an empty image ID and `imageMissing`.
   */
  missingImage?: 'build' | 'skip';
  /** Progress lines (image builds, imports). */
  onLog?: (line: string) => void;
  /** Symbols added to the configuration's fragment (a variant of every toggle: tiny boot --kmalloc). */
  extraFragment?: BuildConfig['kconfig']['fragment'];
}

export interface Prepared {
  setup: MatrixSetup;
  plan: Plan;
  queue: Queue;
  config: BuildConfig;
  base: ImportedBase;
  runtime: Runtime;
  toolchain: Toolchain;
  /** The image was not there and not built (missingImage: 'skip'). */
  imageMissing?: true;
}

export async function prepareMatrix(o: PrepareOptions): Promise<Prepared> {
  const log = o.onLog ?? (() => {});
  const loaded = await loadBuildConfig(o.root, o.config);
  const config = o.extraFragment ? { ...loaded, kconfig: { ...loaded.kconfig, fragment: { ...loaded.kconfig.fragment, ...o.extraFragment } } } : loaded;
  const queue = await loadQueue(o.queueDir);
  const toolchain = await loadToolchain(o.toolchainsDir ?? defaultToolchainsDir(), config.toolchain);
  const { runtime, image, ccache, imageMissing } = await prepareBuildEnvironment({
    toolchain,
    arch: config.arch,
    cacheDir: o.cacheDir,
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.ccache !== undefined ? { ccache: o.ccache } : {}),
    ...(o.missingImage ? { missingImage: o.missingImage } : {}),
    onLog: log,
  });

  if (!ccache && o.ccacheRemote) {
    throw new TinyError(
      `--ccache-remote: this build does not use ccache (${runtime.supportsImages ? `the image of ${toolchain.name} has no ccache` : 'ccache is not installed on this machine'})`,
      2,
      [],
      runtime.supportsImages ? `add ccache to the packages of toolchains/${toolchain.name}` : 'apt-get install ccache',
    );
  }
  /** The remote the run would use: the option's, else the configuration's. */
  const remote = o.ccacheRemote ?? config.ccache?.remote;
  if (o.ccacheOff && o.ccacheRemote) throw new TinyError('--no-ccache and --ccache-remote: a run with ccache off reads no remote either', 2, [], 'leave one of them out');
  if (!ccache && config.ccache?.remote) log(`ccache.remote of ${config.name} is not used: this build runs without ccache`);
  else if (o.ccacheOff && config.ccache?.remote) log(`ccache.remote of ${config.name} is not used: --no-ccache`);
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
    ...(ccache && o.ccacheOff ? { ccacheOff: true } : {}),
    ...(ccache && !o.ccacheOff && remote ? { ccacheRemote: remote } : {}),
    jobs: o.jobs ?? availableParallelism(),
    lanes: o.lanes ?? defaultLanes(runtime),
    toolVersion: TOOL_VERSION,
  };
  return { setup, plan, queue, config, base, runtime, toolchain, ...(imageMissing ? { imageMissing: true as const } : {}) };
}

/**
 * Lanes when --lanes is not given: two in a container runtime on two cores or more, else one.
 * The second lane is seeded with a copy of the first build (run.ts), so it costs a checkout and
 * a copy, never a second full build; after that the two take turns on the incremental toggles,
 * whose make is mostly serial (the descent, the links, the compression): on the bench matrix (2
 * cores, a fresh cache each, alternating) a run took 55.6–61.9 s in two lanes against 63.3–68.8 s
 * in one (three runs each), with the same records. The host runtime cannot seed a lane
 * (Kbuild's .cmd files name the lane's own paths), so it keeps one.
 */
export function defaultLanes(runtime: Pick<Runtime, 'hermetic'>, cores = availableParallelism()): number {
  return runtime.hermetic && cores >= 2 ? 2 : 1;
}
