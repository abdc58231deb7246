// The matrix runner: every toggle of a plan built (or served from the store) and measured.
//
// Per toggle:
//   1. its patch selection as commits of the tree store (buildSeries: memoized, no checkout)
//   2. its fragment (flip toggles wait for the queue point's .config: the options' defaults)
//   3. its final .config: from the config memo when these exact inputs were configured before,
//      else generated in a lane (worktree moved to the commit, generateConfig with make in the
//      container) — a requested symbol Kconfig drops fails the toggle, naming the dependency
//   4. the record key from every input; a stored ok record is served as is ("cached")
//   5. else make -jN in the lane's build directory (reused across toggles and runs: Kbuild
//      rebuilds what changed; ccache is shared by all lanes), measure, save the record
// A failing toggle (patch does not apply, Kconfig drops a symbol, the compiler fails) is
// reported with its first error and never stops the others.
//
// Lanes: one worktree and one build directory each, under the cache, kept across runs. A lane
// is taken by one toggle at a time; a build takes the free lane whose build directory was last
// built nearest to it (order.ts nearestLane; lane-state.ts keeps that across runs), then the one
// that last held its patch selection (only .config changes). Each lane's make runs with -jN;
// two lanes (the default in a container on two cores or more, setup.ts defaultLanes) keep the
// cores busier than one, because an incremental make of a kernel is mostly serial.
//
// Seeded lanes (container runtimes, --lanes > 1): a lane never built before does not make its
// own first build, which on a cold ccache is every object again. Its worktree is checked out at
// the commit of the run's first build beside that build's make; once the make is done, the lane
// gets a copy of the build directory (cp -a: times kept), its files take the times of the same
// files of the first build's lane (alignTimes: the same commit), and make decides there as it
// did in the first lane: only what the lane's toggles change is compiled. Its container starts
// as soon as the copy is in place, and git's index of its worktree is refreshed to the new times
// beside its builds at the seeded commit (those need no move; a move waits for the refresh).
// Kbuild's .cmd files name /tiny/src and /tiny/build, the same paths in every lane's container;
// on the host runtime they name the lane's own directories, so host lanes are never seeded.
// Measured on the bench matrix (2 cores, a cold cache, alternating): the ten toggles after the
// first took 11.3–11.8 s in two lanes against 15.9–18.3 s in one, the same records byte for
// byte. A run of one toggle seeds nothing.
//
// Head start (RunOptions.headStart, one lane to build at first): buildOrder configures the first
// toggle, starts its build at once (a full build on a cold cache: minutes) and configures the others meanwhile
// in a Kconfig lane of their own (a sparse worktree of what Kconfig reads, and a build
// directory, used for Kconfig only), so the Kconfig rounds, patch series and worktree moves of
// every other toggle — serial, latency-bound work — run under the first build instead of before
// it. They run at the build's priority: given the lowest CPU weight (--cpu-shares=2) they
// finished late, and the next toggles waited for their Kconfig (loop / tiny 0.75 against 0.80
// on the bench matrix). The lane's worktree is sparse because its checkout competes with that
// build for the cores: the whole 2.6.9 tree is 16,448 files, Kconfig reads 1,279. The first
// toggle is configured in that lane too, while lane 0 checks out its tree (about 2.5 s each; one
// after the other before). The first build is the first toggle of the order whatever the
// others' .configs are (the order starts there), so nothing waits for it. The host programs
// the Kconfig lane built for that first tree (fixdep, conf...) go to the build directory that
// builds it, when it has none (handHostTools): its make does not compile them again.

import { existsSync, lstatSync, lutimesSync, mkdirSync, readdirSync, utimesSync, type Stats } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateConfig } from '../kbuild/config.js';
import { readKconfigTree, type KconfigDb } from '../kbuild/kconfig-deps.js';
import { buildDate, buildEnv, type BuildDate } from '../kbuild/env.js';
import { ccacheContainer, parseStatsLog, PROBE_WRAPPER, PROBE_WRAPPER_DIR, redactUrl, STATS_LOG_NAME, type CcacheStats } from '../kbuild/ccache.js';
import { normalizeDotConfig, parseDotConfig, sameConfig } from '../kbuild/kconfig.js';
import { containerRunMake, extraMakeVars, kbuildMounts, kbuildVars, makeGoals, runKbuild, type ContainerUse, type KbuildSpec } from '../kbuild/make.js';
import type { BuildConfig } from '../kbuild/buildconfig.js';
import { lacksHostTools, readHostTools, writeHostTools, type HostToolFile } from '../kbuild/host-tools.js';
import { countDiagnostics } from '../measure/diagnostics.js';
import { measureBuild } from '../measure/measure.js';
import type { FirstError, MeasureTools } from '../measure/types.js';
import type { QueuePatch } from '../queue/types.js';
import { inspectRecord, lookup, recordKey, save, stageArtifacts, type BuildInputs, type BuildRecord, type RecordStore } from '../store/index.js';
import type { RemoteStore } from '../store/remote.js';
import { CONTAINER_PATHS, type ContainerSession, type Runtime } from '../toolchain/runtime.js';
import type { Toolchain } from '../toolchain/types.js';
import { buildSeries, materialize, worktreeFor, type TreeStore } from '../tree/index.js';
import { otherArchesLeftOut } from '../toolchain/arch.js';
import { seriesPatchOf as seriesPatch } from '../pipeline/series.js';
import { TinyError, formatDiagnostic } from '../util/diagnostics.js';
import { notice } from '../util/notice.js';
import { isNoSpace, looksLikeNoSpace, pathInMessage, withPath } from '../util/nospace.js';
import { sha256, writeFileAtomic } from '../util/fs.js';
import {
  baseMemoKey,
  configMemoKey,
  KCONFIG_SPARSE,
  configMemoDir,
  kconfigBaseId,
  kconfigIdentityOf,
  readConfigMemo,
  readKconfigId,
  storePatch,
  writeConfigMemo,
  writeKconfigId,
  type ConfigMemoInputs,
} from './memo.js';
import { git, gitIn } from '../tree/git.js';
import { run } from '../util/exec.js';
import type { MakeRequest, RunMake } from '../kbuild/config.js';
import { needsDefaults, resolveFragment, type Plan, type Toggle } from './plan.js';
import { buildOrder as buildOrderOf, nearestLane, otherGlobalFlags, sameBuilds, startAtLanes, type BuildItem, type LaneState } from './order.js';
import { readLaneState, writeLaneState } from './lane-state.js';

export interface MatrixSetup {
  cacheDir: string;
  config: BuildConfig;
  base: { version: string; commit: string; tree: string };
  /** The queue's base.date, when the base is the queue's own. */
  baseDate?: string;
  treeStore: TreeStore;
  records: RecordStore;
  toolchain: Toolchain;
  runtime: Runtime;
  /** The image ID the builds run in (for the host runtime: an ID of the host compiler). */
  image: { id: string; digest?: string };
  /** Wrap the compiler in ccache (the image has it / the host has it). */
  ccache: boolean;
  /**
   * ccache's remote storage shared with other machines (redis://, redis+unix:, http://): ccache
   * looks there after its local directory and stores new results there too (kbuild/ccache.ts).
   */
  ccacheRemote?: string;
  /**
   * `tiny build --no-ccache`: ccache neither read nor filled this run (CCACHE_DISABLE). CC keeps
   * it, so the keys are those of a build with the cache (kbuild/ccache.ts).
   */
  ccacheOff?: boolean;
  /** make -jN */
  jobs: number;
  /** Parallel lanes (build directories); default 1. */
  lanes?: number;
  /** A remote record store (TINY_STORE_URL): asked before a toggle is built, offered what is built. */
  remoteStore?: RemoteStore;
  toolVersion: string;
  /** size and nm (default: the host's). */
  measureTools?: MeasureTools;
}

export type ToggleState = 'queued' | 'waiting' | 'lane' | 'tree' | 'config' | 'building' | 'measuring' | 'cached' | 'built' | 'failed' | 'interrupted' | 'not-applicable';
/**
 * not-applicable: a flip of a symbol Kconfig hides at the queue point (its dependencies are off
 * there, e.g. an option of the VT in a configuration without VT): flipping it alone cannot change
 * the kernel, so nothing is built and the run does not fail for it.
 */
export type ToggleStatus = 'cached' | 'built' | 'failed' | 'interrupted' | 'not-applicable';

export interface ToggleResult {
  toggle: Toggle;
  status: ToggleStatus;
  /** The record key (absent when the toggle failed before its .config existed). */
  key?: string;
  record?: BuildRecord;
  /** One line: why it failed. */
  error?: string;
  /** Further lines (Kconfig diagnostics, the first compiler error with context). */
  details?: string[];
  firstError?: FirstError;
  /** Full logs (config generation, build). */
  logs: string[];
  durationMs: number;
  lane?: number;
  /** Where this run spent the toggle's time (absent when it failed before configuring). */
  timings?: ToggleTimings;
  /**
   * The toggle this one is the same build as (the same patches and the same final .config: the
   * same record key), earlier in the run: built once, this one served from its record.
   */
  sameAs?: string;
}

/**
 * Where one toggle's time went in this run, in ms: what `tiny build --timings` prints. A phase
 * that did not run (a .config from the memo, a record from the store) is 0.
 */
export interface ToggleTimings {
  /** The patch selection as commits of the tree store. */
  series: number;
  /** Generating the final .config (base target, fragment, oldconfig rounds, survival check), container starts included. */
  kconfig: number;
  /** The lane's worktree moved to the selection and .config written. */
  tree: number;
  /** make in the container, its start left out. */
  make: number;
  /** size, nm, per-directory sizes, artifact hashes. */
  measure: number;
  /** The record written (artifacts copied into the store). */
  record: number;
  /** Container invocations (Kconfig's makes and the build's). */
  containers: number;
  /** Their starts: from invoking the engine until the command ran in the container. */
  containerStart: number;
  total: number;
}

export function emptyTimings(): ToggleTimings {
  return { series: 0, kconfig: 0, tree: 0, make: 0, measure: 0, record: 0, containers: 0, containerStart: 0, total: 0 };
}

export interface ToggleEvent {
  toggle: Toggle;
  state: ToggleState;
  /** Since the toggle started (0 for queued). */
  elapsedMs: number;
  lane?: number;
  message?: string;
}

export interface RunOptions {
  onEvent?: (e: ToggleEvent) => void;
  /** Set `aborted` (Ctrl-C): toggles not started are reported as interrupted. */
  signal?: { aborted: boolean };
  /**
   * One long-lived container per lane (runtimes that have them), the lane's Kconfig makes and
   * builds run in it by exec instead of a container start each. The caller must close() the
   * runner (the containers are also removed when the process exits, and a leftover of a killed
   * run when the next run opens its lane).
   */
  sessions?: boolean;
  /**
   * One lane to build at first (one lane, or lanes to be seeded): buildOrder starts building the first toggle as soon as it is configured, and
   * configures the others in a Kconfig lane meanwhile (see the top of the file). runToggle of
   * that toggle then takes over the build under way.
   */
  headStart?: boolean;
}

interface Lane {
  index: number;
  src: string;
  build: string;
  busy: boolean;
  lastSelection?: string;
  /** What its build directory was last built for (lane-state.ts): which builds are near it. */
  built?: LaneState;
  session?: ContainerSession;
  /** Check out only these paths (the Kconfig lane: what Kconfig reads, memo.ts KCONFIG_SPARSE). */
  sparse?: readonly string[];
  /** Never built: waits for a copy of the run's first build (see "Seeded lanes" above). */
  unseeded?: boolean;
  /**
   * The commit this run checked the lane's worktree out at (or seeded it at), until it moves
   * again. Containers mount the worktree read-only, so it still holds that commit: moving there
   * again needs no look (git's status of 9,000 files just written, whose times share the index's
   * second: 0.1-0.6 s on 2.6.9, on the way to the run's first make).
   */
  checkedOutAt?: string;
  /** A seeded lane's index refresh (seedFrom), waited for before its worktree moves. */
  refreshing?: Promise<unknown>;
}

interface ConfigOutcome {
  text: string;
  sha256: string;
  commit: string;
  sourceTree: string;
  fromMemo: boolean;
  log?: string;
  /** Time spent generating it (0 from the memo). */
  ms: number;
  /** Container invocations of the generation and their starts (ms). */
  containers: number;
  containerStartMs: number;
  /** Time spent committing the patch selection (0 when memoized). */
  seriesMs: number;
  /** Time spent moving the lane's worktree for Kconfig. */
  treeMs: number;
  /** When it was ready (ms since the epoch). */
  readyAt: number;
}

/** Beside a lane's build directory while it is seeded: the copy, renamed over it when complete. */
const SEED_SCRATCH = '.seeding';

/**
 * Give every file of the worktree `to` the times of the same file of `from`, both checked out at
 * the same commit (a seeded lane, and the lane whose build directory it got). Objects kept from
 * an earlier run are older than a fresh checkout's files, and make would build them all again;
 * with the times of the tree they were built from, it decides as it would in that tree. A file
 * whose size differs, or that `from` lacks, gets the present time: rebuilt, never skipped.
 * git sees the changed times and compares those files' contents when a move touches them.
 */
function alignTimes(from: string, to: string, top = true): void {
  for (const e of readdirSync(to, { withFileTypes: true })) {
    if (top && e.name === '.git') continue;
    const dst = join(to, e.name);
    const src = join(from, e.name);
    if (e.isDirectory()) {
      if (existsSync(src)) alignTimes(src, dst, false);
      continue;
    }
    const a = lstatOrUndefined(src);
    const b = lstatOrUndefined(dst);
    if (!b) continue;
    // Not the same file (only in this tree, another size or kind): now, newer than any object.
    const same = a && a.size === b.size && a.isSymbolicLink() === b.isSymbolicLink();
    const [at, mt] = same ? [a.atime, a.mtime] : [new Date(), new Date()];
    if (b.isSymbolicLink()) lutimesSync(dst, at, mt);
    else utimesSync(dst, at, mt);
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '_');
}

export { makeGoals } from '../kbuild/make.js';

export function laneDirs(setup: Pick<MatrixSetup, 'cacheDir' | 'config' | 'base' | 'treeStore'>, index: number): { src: string; build: string } {
  const id = `${setup.config.name}-${setup.base.version}-lane${index}`;
  return { src: worktreeFor(setup.treeStore, id), build: join(setup.cacheDir, 'builds', safeName(id)) };
}

/** The Kconfig lane of a head start: a worktree and build directory for Kconfig only. */
export function kconfigLaneDirs(setup: Pick<MatrixSetup, 'cacheDir' | 'config' | 'base' | 'treeStore'>): { src: string; build: string } {
  const id = `${setup.config.name}-${setup.base.version}-kconfig`;
  return { src: worktreeFor(setup.treeStore, id), build: join(setup.cacheDir, 'builds', safeName(id)) };
}

export function logDir(cacheDir: string, config: string): string {
  return join(cacheDir, 'logs', safeName(config));
}

export class MatrixRunner {
  readonly date: BuildDate;
  readonly env: Record<string, string>;
  readonly vars: Record<string, string>;
  private readonly lanes: Lane[];
  /** The head start's Kconfig lane (made on first use), and who holds it. */
  private kconfigLane?: Lane;
  private kconfigLaneQueue: Promise<unknown> = Promise.resolve();
  /** Configure in the Kconfig lane (while the head start builds in lane 0). */
  private configureAside = false;
  /**
   * The host programs (kbuild/host-tools.ts) the Kconfig lane built for the first tree it
   * configured, for the build lane that builds that tree first; taken once.
   */
  private hostTools?: { commit: string; files: HostToolFile[] };
  private hostToolsRead = false;
  /** Toggles whose run began in buildOrder (the head start): runToggle takes over the promise. */
  private readonly early = new Map<string, Promise<ToggleResult>>();
  /** The last event of each toggle, to replay for the head start, begun before anyone listened. */
  private readonly lastEvents = new Map<string, ToggleEvent>();
  private readonly waiters: Array<() => void> = [];
  private readonly series = new Map<string, Promise<{ commit: string; tree: string }>>();
  private readonly configs = new Map<string, Promise<ConfigOutcome>>();
  private readonly kconfigIds = new Map<string, Promise<string>>();
  /** The first toggle of this run with each record key, and its result to come. */
  private readonly keyOwners = new Map<string, { name: string; result: Promise<ToggleResult> }>();
  private readonly settlers = new Map<string, (r: ToggleResult) => void>();
  /** The Kconfig rules of each Kconfig identity (parsing 2.6's takes ~0.3 s: once per run, not per toggle). */
  private readonly kconfigDbs = new Map<string, KconfigDb>();
  private defaultsPromise?: Promise<Map<string, string>>;
  private readonly ccacheDir: string;
  /** ccache settings on top of the recorded environment (not build inputs: kbuild/ccache.ts), and the network they need. */
  private readonly ccacheEnv: Record<string, string>;
  private readonly network: 'none' | 'host';
  /** Write kbuild/ccache.ts's PROBE_WRAPPER into each lane's build directory (containers with ccache). */
  private readonly probeWrapper: boolean;

  constructor(
    readonly setup: MatrixSetup,
    readonly plan: Plan,
    private readonly opts: RunOptions = {},
  ) {
    this.date = buildDate(setup.base.version, setup.baseDate);
    this.env = buildEnv(this.date, { ccache: setup.ccache });
    const cross = setup.toolchain.crossCompile[setup.config.arch] ?? '';
    this.vars = kbuildVars({ arch: setup.config.arch, crossCompile: cross, ccache: setup.ccache, toolchainVars: setup.toolchain.makeVariables, configVars: setup.config.makeVars });
    this.ccacheDir = join(setup.cacheDir, 'ccache');
    const cc = ccacheContainer({
      ccache: setup.ccache,
      ...(setup.ccacheOff ? { off: true } : {}),
      ...(setup.ccacheRemote ? { remote: setup.ccacheRemote } : {}),
      image: setup.image.id,
      hermetic: setup.runtime.hermetic,
      cacheDir: setup.cacheDir,
    });
    this.ccacheEnv = cc.env;
    this.network = cc.network;
    this.probeWrapper = cc.probeWrapper;
    this.lanes = Array.from({ length: Math.max(1, setup.lanes ?? 1) }, (_, i) => {
      const dirs = laneDirs(setup, i);
      const built = readLaneState(dirs.build);
      return { index: i, ...dirs, busy: false, ...(built ? { built } : {}) };
    });
    // A lane with no vmlinux has never finished a build (or was never made): it is seeded.
    // Lane 0 always builds for itself, so some lane is always there to take a toggle.
    if (setup.runtime.hermetic) for (const l of this.lanes.slice(1)) if (!existsSync(join(l.build, 'vmlinux'))) l.unseeded = true;
  }

  private emit(toggle: Toggle, state: ToggleState, started: number, extra: { lane?: number; message?: string } = {}): void {
    const e: ToggleEvent = { toggle, state, elapsedMs: state === 'queued' ? 0 : Date.now() - started, ...extra };
    this.lastEvents.set(toggle.name, e);
    this.opts.onEvent?.(e);
  }

  /** What stopped the whole run (a full disk): the toggles after it are left out, the CLI says why. */
  fatal?: unknown;

  private get aborted(): boolean {
    return this.opts.signal?.aborted === true || this.fatal !== undefined;
  }

  // --- lanes -----------------------------------------------------------------------------------

  /**
   * A free lane; `onWait` when none is free yet. For a build (`build`: its patches and .config),
   * the lane last built nearest to it (order.ts nearestLane); on a tie, or for Kconfig, the one
   * that last held `selection`, then one not used yet in this run.
   */
  private async acquire(selection: string, onWait?: () => void, build?: LaneState): Promise<Lane> {
    for (let waited = false; ; waited = true) {
      const free = this.lanes.filter((l) => !l.busy && !l.unseeded);
      const rank = (l: Lane) => (l.lastSelection === selection ? 0 : l.lastSelection === undefined ? 1 : 2);
      const preferred = [...free].sort((a, b) => rank(a) - rank(b));
      const states = preferred.map((l) => l.built);
      const lane = build ? preferred[nearestLane(build, states)] : preferred[0];
      if (lane) {
        lane.busy = true;
        return lane;
      }
      if (!waited) onWait?.();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(lane: Lane): void {
    lane.busy = false;
    this.waiters.shift()?.();
  }

  // --- seeded lanes (see the top of the file) ----------------------------------------------------

  /** A build has claimed the seeding: its make is the one the unseeded lanes get a copy of. */
  private seedClaimed = false;
  /**
   * False when the run has one toggle (buildOrder): an extra lane would never be used, so it is
   * neither checked out nor copied into (for 6.1, a checkout of 70,000 files and a build
   * directory of hundreds of MB), and stays unseeded for a later run.
   */
  private seedingWanted = true;

  private get unseededLanes(): Lane[] {
    return this.lanes.filter((l) => l.unseeded);
  }

  /**
   * The first build of the run claims the seeding: the unseeded lanes are checked out at its
   * commit beside its make. Returns their checkout (false when it failed), or undefined when
   * this build seeds nothing (nothing to seed, or another build claimed it).
   */
  private claimSeeding(commit: string, selection: string): Promise<boolean> | undefined {
    if (this.seedClaimed || !this.seedingWanted || !this.unseededLanes.length) return undefined;
    this.seedClaimed = true;
    return Promise.all(this.unseededLanes.map((l) => this.moveLane(l, commit, selection))).then(
      () => true,
      () => false,
    );
  }

  /**
   * Copy the seed build's directory to every unseeded lane (into a scratch directory beside it,
   * then renamed over it: a kill leaves the lane unseeded, never half copied), then let them go.
   * A full disk stops the run; any other failure lets the lanes build for themselves.
   */
  private async seedFrom(from: Lane, commit: string, checkout: Promise<boolean>): Promise<void> {
    try {
      if (!(await checkout)) throw new Error('its checkout failed');
      for (const lane of this.unseededLanes) {
        // A container opened on the old directory would keep it: none is open before seeding.
        await lane.session?.close();
        lane.session = undefined;
        const scratch = `${lane.build}${SEED_SCRATCH}`;
        await rm(scratch, { recursive: true, force: true });
        try {
          await run('cp', ['-a', '--', from.build, scratch]);
          alignTimes(from.src, lane.src);
          // make decides by these times only: the copy's objects against the same times it
          // was built against, whenever this lane was checked out.
          // The index's stat data must match the new times, or the next forced move takes every
          // file for changed and writes it again (new times: everything rebuilt). --refresh
          // compares the contents of the files whose stat changed (every file: 0.4 s on 2.6.9),
          // and records the new stat. The lane's builds at the seeded commit need no move, so
          // it runs beside them; a move waits for it (moveLane).
          lane.refreshing = gitIn(lane.src, ['update-index', '-q', '--refresh'], { allowFail: true }).catch(() => undefined);
          await rm(lane.build, { recursive: true, force: true });
          await rename(scratch, lane.build);
          lane.checkedOutAt = commit;
          lane.built = from.built;
          // Its container sees the new directory only if started now: the earlier one was closed.
          this.startContainer(lane);
        } catch (e) {
          await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
          throw e;
        }
        lane.unseeded = false;
      }
    } catch (e) {
      if (await looksLikeNoSpace(e, this.setup.cacheDir)) this.fatal ??= e;
      else notice(`a lane could not be seeded from lane ${from.index} (${(e as Error).message.split('\n')[0]}): it builds for itself`);
    } finally {
      this.letUnseededGo();
    }
  }

  /** The unseeded lanes take toggles from now on (seeded or not), and whoever waits for a lane looks again. */
  private letUnseededGo(): void {
    for (const l of this.lanes) l.unseeded = false;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async moveLane(lane: Lane, commit: string, selection: string): Promise<void> {
    if (lane.checkedOutAt === commit) {
      lane.lastSelection = selection;
      return;
    }
    lane.checkedOutAt = undefined;
    await lane.refreshing;
    lane.refreshing = undefined;
    // A build lane leaves out the other architectures' directories (fewer files to write,
    // compare and move); the Kconfig lane has its own patterns.
    if (lane.index >= 0 && lane.sparse === undefined) lane.sparse = (await this.buildLanePatterns()) ?? [];
    await materialize(this.setup.treeStore, commit, lane.src, { force: true, ...(lane.sparse?.length ? { sparse: lane.sparse } : {}) });
    // On the host, make runs with the worktree writable: it is looked at again on every move.
    if (this.setup.runtime.hermetic) lane.checkedOutAt = commit;
    lane.lastSelection = selection;
  }

  private buildLanePatternsOnce?: Promise<string[] | undefined>;

  /** The build lanes' sparse patterns (toolchain/arch.ts otherArchesLeftOut), from the base's arch/ and include/. */
  private buildLanePatterns(): Promise<string[] | undefined> {
    this.buildLanePatternsOnce ??= (async () => {
      const dirsUnder = async (dir: string) => {
        const r = await git(this.setup.treeStore.gitDir, ['ls-tree', '-d', '--name-only', `${this.setup.base.commit}:${dir}`], { allowFail: true });
        return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
      };
      return otherArchesLeftOut(this.setup.config.arch, await dirsUnder('arch'), await dirsUnder('include'));
    })();
    return this.buildLanePatternsOnce;
  }

  /**
   * The host programs the Kconfig lane built, into a build directory that has none, when its
   * tree is the commit they were built from (kbuild/host-tools.ts says why make then takes them).
   * Only the run's first build can use them: they are let go after it.
   */
  private async handHostTools(lane: Lane, commit: string): Promise<void> {
    const tools = this.hostTools;
    this.hostTools = undefined;
    if (!tools || tools.commit !== commit || !(await lacksHostTools(lane.build))) return;
    try {
      await writeHostTools(lane.build, tools.files);
    } catch (e) {
      // Files are written whole or not at all: make builds the missing ones itself.
      if (await looksLikeNoSpace(e, this.setup.cacheDir)) throw e;
    }
  }

  /** The lane's build directory, with what its makes find first on PATH (kbuild/ccache.ts). */
  private async prepareBuildDir(lane: Lane): Promise<void> {
    await mkdir(lane.build, { recursive: true });
    // A seeding's copy that a killed run left.
    await rm(`${lane.build}${SEED_SCRATCH}`, { recursive: true, force: true });
    if (!this.probeWrapper) return;
    const file = join(lane.build, PROBE_WRAPPER_DIR, 'ccache');
    if ((await readFile(file, 'utf8').catch(() => undefined)) === PROBE_WRAPPER) return;
    await writeFileAtomic(file, PROBE_WRAPPER, 0o755);
  }

  private kbuildSpec(lane: Lane, logFile?: string, onContainer?: (u: ContainerUse) => void): KbuildSpec {
    const spec: KbuildSpec = {
      ...(onContainer ? { onContainer } : {}),
      runtime: this.setup.runtime,
      image: this.setup.image.id,
      src: lane.src,
      build: lane.build,
      ...(this.setup.ccache ? { ccache: this.ccacheDir } : {}),
      env: { ...this.env, ...this.ccacheEnv },
      network: this.network,
      ...(logFile ? { logFile } : {}),
    };
    const open = this.setup.runtime.openSession;
    if (this.opts.sessions && open) {
      const name = `tiny-lane-${sha256(resolve(lane.build)).slice(0, 16)}`;
      lane.session ??= open.call(this.setup.runtime, {
        name,
        controlDir: join(this.setup.cacheDir, 'tmp', name),
        image: spec.image,
        mounts: kbuildMounts(spec),
        env: spec.env,
        network: spec.network ?? 'none',
      });
      spec.session = lane.session;
    }
    return spec;
  }

  /** Stop the lanes' containers (sessions). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.lanes, ...(this.kconfigLane ? [this.kconfigLane] : [])].map(async (l) => {
        // A seeded lane's index refresh finishes: killed half-way it would leave git's lock.
        await l.refreshing;
        await l.session?.close();
        l.session = undefined;
      }),
    );
  }

  /** Container starts of the lanes' sessions so far (count, ms). */
  sessionStarts(): { count: number; ms: number } {
    return [...this.lanes, ...(this.kconfigLane ? [this.kconfigLane] : [])].reduce((a, l) => ({ count: a.count + (l.session?.starts.count ?? 0), ms: a.ms + (l.session?.starts.ms ?? 0) }), {
      count: 0,
      ms: 0,
    });
  }

  /** What a record says of the compiler cache of one build. */
  private ccacheNote(stats: CcacheStats): BuildRecord['ccache'] {
    const check = this.ccacheEnv.CCACHE_COMPILERCHECK ?? this.env.CCACHE_COMPILERCHECK;
    return {
      ...(this.setup.ccacheRemote ? { remote: redactUrl(this.setup.ccacheRemote) } : {}),
      ...(check ? { compiler_check: check } : {}),
      stats,
    };
  }

  // --- inputs ----------------------------------------------------------------------------------

  private seriesFor(t: Toggle): Promise<{ commit: string; tree: string }> {
    let p = this.series.get(t.selection);
    if (!p) {
      p = (async () => {
        if (!t.patches.length) return { commit: this.setup.base.commit, tree: this.setup.base.tree };
        const r = await buildSeries(this.setup.treeStore, this.setup.base.commit, t.patches.map(seriesPatch), { stopOnFailure: true });
        if (r.failure) {
          throw new TinyError(
            `patch ${r.failure.name} does not apply on ${this.setup.base.version}: ${r.failure.hunks.join(', ') || r.failure.stderr.trim().split('\n')[0]}`,
            1,
            [],
            'run `tiny queue check` to see every patch',
          );
        }
        const top = r.commits.at(-1)!;
        return { commit: top.commit, tree: top.tree };
      })();
      this.series.set(t.selection, p);
    }
    return p;
  }

  /** What Kconfig reads of a source tree, hashed (memoized per tree). */
  private kconfigIdentity(tree: string): Promise<string> {
    let p = this.kconfigIds.get(tree);
    if (!p) {
      p = (async () => {
        const known = await readKconfigId(this.setup.cacheDir, tree);
        if (known) return known;
        const r = await git(this.setup.treeStore.gitDir, ['ls-tree', '-r', '--full-tree', tree]);
        const id = kconfigIdentityOf(r.stdout);
        await writeKconfigId(this.setup.cacheDir, tree, id);
        return id;
      })();
      this.kconfigIds.set(tree, p);
    }
    return p;
  }

  /** The Kconfig rules of a worktree, parsed once per Kconfig identity (the same files, the same rules). */
  private kconfigDb(identity: string, src: string): KconfigDb {
    let db = this.kconfigDbs.get(identity);
    if (!db) {
      db = readKconfigTree(src, { arch: this.setup.config.arch });
      this.kconfigDbs.set(identity, db);
    }
    return db;
  }

  /**
   * generateConfig's make, with `make <base target>` served from the memo when the same
   * Kconfig inputs were configured before (flip toggles share the queue point's base .config).
   */
  private memoRunMake(inner: RunMake, baseKey: string, buildDir: string): RunMake {
    const target = this.setup.config.kconfig.base;
    return async (req: MakeRequest) => {
      const isBase = typeof target === 'string' && req.targets.length === 1 && req.targets[0] === target && !req.input;
      if (isBase) {
        const memo = await readConfigMemo(this.setup.cacheDir, baseKey);
        if (memo !== undefined) {
          await mkdir(buildDir, { recursive: true });
          await writeFile(join(buildDir, '.config'), memo);
          return { code: 0, output: `(make ${target}: .config from tiny's memo of the same Kconfig inputs)\n` };
        }
      }
      const r = await inner(req);
      if (isBase && r.code === 0) {
        const text = await readFile(join(buildDir, '.config'), 'utf8').catch(() => undefined);
        if (text !== undefined) await writeConfigMemo(this.setup.cacheDir, baseKey, text);
      }
      return r;
    };
  }

  /**
   * The flipped symbols a flip toggle cannot change: absent from the queue point's .config (not
   * even "is not set"), because Kconfig hides them there. Empty when the defaults are unknown:
   * configuring the toggle then fails with the reason.
   */
  private async hiddenAtQueuePoint(t: Toggle): Promise<string[]> {
    if (!needsDefaults(t)) return [];
    const defaults = await this.defaults().catch(() => undefined);
    return defaults ? t.flip.filter((sym) => !defaults.has(sym)) : [];
  }

  /** Option defaults: the .config of the queue point. */
  defaults(): Promise<Map<string, string>> {
    this.defaultsPromise ??= (async () => {
      const q = this.plan.toggles.find((t) => t.kind === 'queue');
      if (!q) throw new TinyError('the plan has no queue point to take option defaults from', 2);
      try {
        return parseDotConfig((await this.configOf(q)).text);
      } catch (e) {
        throw new TinyError(`the options' defaults are unknown: the queue point's .config could not be made (${(e as Error).message.split('\n')[0]})`, 1);
      }
    })();
    return this.defaultsPromise;
  }

  /** The toggle's final .config: from the memo, or generated in a lane. */
  configOf(t: Toggle, onPhase?: (state: ToggleState, lane?: number) => void): Promise<ConfigOutcome> {
    let p = this.configs.get(t.name);
    if (!p) {
      p = this.makeConfig(t, onPhase);
      this.configs.set(t.name, p);
    }
    return p;
  }

  /**
   * The toggle's record when the store has it and its .config (and, for a flip, the queue
   * point's) is in the config memo: no lane, no make, so it is safe without the cache's build
   * lock — `tiny boot` uses it to boot a stored kernel while a matrix runs. undefined otherwise.
   */
  async storedRecord(t: Toggle): Promise<BuildRecord | undefined> {
    const key = await this.knownKey(t);
    if (key === undefined) return undefined;
    const r = await lookup(this.setup.records, key);
    return r?.status === 'ok' ? r : undefined;
  }

  /**
   * The toggle's record key when its .config (and, for a flip, the queue point's) is in the
   * config memo: no lane, no make. undefined when Kconfig has to run first (`tiny plan` says
   * "key after Kconfig").
   */
  async knownKey(t: Toggle): Promise<string | undefined> {
    const memoText = async (x: Toggle, defaults?: Map<string, string>): Promise<string | undefined> => {
      const { tree } = await this.seriesFor(x);
      const fragment = resolveFragment(x, this.setup.config.kconfig.fragment, defaults);
      return readConfigMemo(this.setup.cacheDir, configMemoKey({ ...(await this.memoInputs(tree)), fragment }));
    };
    let defaults: Map<string, string> | undefined;
    if (needsDefaults(t)) {
      const q = this.plan.toggles.find((x) => x.kind === 'queue');
      const text = q ? await memoText(q) : undefined;
      if (text === undefined) return undefined;
      defaults = parseDotConfig(text);
    }
    const text = await memoText(t, defaults);
    if (text === undefined) return undefined;
    return recordKey(this.inputsFor(t, sha256(text)));
  }

  private async memoInputs(tree: string): Promise<Omit<ConfigMemoInputs, 'fragment'>> {
    const s = this.setup;
    return {
      kconfig: await this.kconfigIdentity(tree),
      arch: s.config.arch,
      base: await kconfigBaseId(s.config.kconfig.base),
      makeVariables: this.vars,
      image: s.image.id,
      runtime: s.runtime.name,
      toolVersion: s.toolVersion,
    };
  }

  private async makeConfig(t: Toggle, onPhase?: (state: ToggleState, lane?: number) => void): Promise<ConfigOutcome> {
    const s = this.setup;
    const t0 = Date.now();
    const { commit, tree } = await this.seriesFor(t);
    const seriesMs = Date.now() - t0;
    if (needsDefaults(t)) onPhase?.('waiting');
    const fragment = resolveFragment(t, s.config.kconfig.fragment, needsDefaults(t) ? await this.defaults() : undefined);
    const memoInputs = await this.memoInputs(tree);
    const memoKey = configMemoKey({ ...memoInputs, fragment });
    const memo = await readConfigMemo(s.cacheDir, memoKey);
    if (memo !== undefined) return { text: memo, sha256: sha256(memo), commit, sourceTree: tree, fromMemo: true, ms: 0, containers: 0, containerStartMs: 0, seriesMs, treeMs: 0, readyAt: Date.now() };

    const aside = this.configureAside;
    // A .config not in the memo means a build is likely to follow: start the containers of the
    // Kconfig lane and lane 0 now, beside the checkouts (about 1.2 and 0.6 s each on a cold run).
    if (aside) for (const l of [this.kconfigLaneOf(), this.lanes[0]!]) this.startContainer(l);
    const lane = aside ? await this.takeKconfigLane() : await this.acquire(t.selection);
    const log = join(logDir(s.cacheDir, s.config.name), `${safeName(t.name)}.config.log`);
    try {
      onPhase?.('tree', lane.index);
      const t1 = Date.now();
      await this.moveLane(lane, commit, t.selection);
      const treeMs = Date.now() - t1;
      onPhase?.('config', lane.index);
      await this.prepareBuildDir(lane);
      await rm(log, { force: true });
      const cross = s.toolchain.crossCompile[s.config.arch] ?? '';
      let containers = 0;
      let containerStartMs = 0;
      const onContainer = (u: ContainerUse) => {
        containers++;
        containerStartMs += u.startMs ?? 0;
      };
      const gen = await generateConfig({
        tree: lane.src,
        buildDir: lane.build,
        arch: s.config.arch,
        crossCompile: cross,
        base: s.config.kconfig.base,
        fragment,
        makeVars: extraMakeVars({ arch: s.config.arch, crossCompile: cross, ccache: s.ccache, toolchainVars: s.toolchain.makeVariables, configVars: s.config.makeVars }),
        runMake: this.memoRunMake(containerRunMake(this.kbuildSpec(lane, log, onContainer)), baseMemoKey(memoInputs), lane.build),
        source: { file: s.config.displayFile, positions: s.config.fragmentPositions },
        ...(this.plan.leftToBase ? { leftToBase: this.plan.leftToBase } : {}),
        kconfig: () => this.kconfigDb(memoInputs.kconfig, lane.src),
      });
      // Warnings (an option left to this base, an n for a symbol the tree lacks) go to the Kconfig log.
      if (gen.warnings.length) await appendFile(log, gen.warnings.map((w) => formatDiagnostic(w) + '\n').join(''));
      await writeConfigMemo(s.cacheDir, memoKey, gen.config);
      // Read before the lane is let go: the next toggle's Kconfig may rebuild them at another commit.
      // Only for a lane 0 that has built nothing: a warm one has its own.
      if (aside && !this.hostToolsRead) {
        this.hostToolsRead = true;
        const files = (await lacksHostTools(this.lanes[0]!.build)) ? await readHostTools(lane.build).catch(() => undefined) : undefined;
        if (files) this.hostTools = { commit, files };
      }
      return { text: gen.config, sha256: gen.sha256, commit, sourceTree: tree, fromMemo: false, log, ms: gen.ms, containers, containerStartMs, seriesMs, treeMs, readyAt: Date.now() };
    } finally {
      if (aside) this.releaseKconfigLane(lane);
      else this.release(lane);
    }
  }

  /** The Kconfig lane, for one toggle's Kconfig at a time. */
  private async takeKconfigLane(): Promise<Lane> {
    const prev = this.kconfigLaneQueue;
    let done!: () => void;
    this.kconfigLaneQueue = new Promise<void>((resolve) => (done = resolve));
    await prev;
    const lane = this.kconfigLaneOf();
    lane.busy = true;
    this.kconfigLaneRelease = done;
    return lane;
  }

  private kconfigLaneOf(): Lane {
    this.kconfigLane ??= { index: -1, ...kconfigLaneDirs(this.setup), busy: false, sparse: KCONFIG_SPARSE };
    return this.kconfigLane;
  }

  /**
   * Start a lane's container ahead of its first command (runtimes with sessions). Its worktree
   * directory is made first, empty, for the mount: git checks a new worktree out into an empty
   * directory, the same one the container sees. Anything that fails here fails again, and is
   * reported, when the lane runs its first command.
   */
  private startContainer(lane: Lane): void {
    if (!this.opts.sessions || !this.setup.runtime.openSession || lane.session) return;
    const session = this.kbuildSpec(lane).session;
    if (!session) return;
    try {
      // Synchronous, so that the start is under way (and close() stops it) from here on.
      mkdirSync(lane.src, { recursive: true });
    } catch {
      return;
    }
    session.open().catch(() => undefined);
  }

  private kconfigLaneRelease?: () => void;

  private releaseKconfigLane(lane: Lane): void {
    lane.busy = false;
    this.kconfigLaneRelease?.();
  }

  inputsFor(t: Toggle, configSha: string): BuildInputs {
    const s = this.setup;
    return {
      baseTree: s.base.tree,
      patches: t.patches.map((p) => p.sha256),
      config: configSha,
      toolchain: { name: s.toolchain.name, image: s.image.id },
      arch: s.config.arch,
      makeVariables: this.vars,
      env: this.env,
      targets: [...s.config.targets],
      toolVersion: s.toolVersion,
      runtime: s.runtime.name,
    };
  }

  /**
   * Toggles that cannot be built because the first patch of their series does not apply on the
   * base (a queue given another tree than its base): one failure per such patch, with the
   * toggles it dooms. One git apply per distinct first patch.
   */
  async firstPatchFailures(toggles: readonly Toggle[]): Promise<Array<{ error: TinyError; toggles: Toggle[] }>> {
    const byFirst = new Map<string, Toggle[]>();
    for (const t of toggles) {
      const first = t.patches[0];
      if (first) byFirst.set(first.name, [...(byFirst.get(first.name) ?? []), t]);
    }
    const s = this.setup;
    const out: Array<{ error: TinyError; toggles: Toggle[] }> = [];
    for (const [name, group] of byFirst) {
      const r = await buildSeries(s.treeStore, s.base.commit, [seriesPatch(group[0]!.patches[0]!)], { stopOnFailure: true });
      if (!r.failure) continue;
      const why = r.failure.hunks.join(', ') || r.failure.stderr.trim().split('\n')[0];
      out.push({
        error: new TinyError(
          `patch ${name}, the first of the series, does not apply on ${s.base.version} (tree ${s.base.tree.slice(0, 12)}): ${why}`,
          1,
          [],
          'is this the tree the queue is for? `tiny queue check --tree DIR` shows every patch there; to carry the queue to it: `tiny queue rebase --tree DIR`',
        ),
        toggles: group,
      });
    }
    return out;
  }

  // --- one toggle ------------------------------------------------------------------------------

  /** Build (or serve) one toggle. Never throws: any error becomes a failed toggle. */
  async runToggle(t: Toggle): Promise<ToggleResult> {
    const early = this.early.get(t.name);
    if (early) {
      // The head start: begun in buildOrder, maybe before anyone listened to its events.
      this.early.delete(t.name);
      const last = this.lastEvents.get(t.name);
      if (last) this.opts.onEvent?.(last);
      const r = await early;
      const final = this.lastEvents.get(t.name);
      if (final && final !== last) this.opts.onEvent?.(final);
      return r;
    }
    const started = Date.now();
    const settled = (r: ToggleResult): ToggleResult => {
      this.settlers.get(t.name)?.(r);
      this.settlers.delete(t.name);
      return r;
    };
    try {
      return settled(await this.runToggleInner(t, started));
    } catch (e) {
      // A full disk stops the run (every toggle after it would fail the same way); anything
      // else (a vanished runtime...) fails this toggle with the reason, and the others go on.
      if (await looksLikeNoSpace(e, this.setup.cacheDir)) this.fatal ??= e;
      const r = failure(e, '');
      const result: ToggleResult = { toggle: t, durationMs: Date.now() - started, logs: [], ...r, status: this.aborted ? 'interrupted' : 'failed' };
      this.emit(t, result.status, started, r.error ? { message: r.error } : {});
      return settled(result);
    }
  }

  private async runToggleInner(t: Toggle, started: number): Promise<ToggleResult> {
    const logs: string[] = [];
    let timings: ToggleTimings | undefined;
    let configuredBefore = 0;
    // Waiting for a free lane is not the toggle's time (another toggle's build is under way).
    let laneWaitMs = 0;
    const done = (r: Omit<ToggleResult, 'toggle' | 'durationMs' | 'logs'>): ToggleResult => {
      const result: ToggleResult = {
        toggle: t,
        durationMs: Date.now() - started,
        logs,
        ...r,
        ...(timings ? { timings: { ...timings, total: Date.now() - started + configuredBefore - laneWaitMs } } : {}),
      };
      this.emit(t, r.status, started, { ...(r.lane !== undefined ? { lane: r.lane } : {}), ...(r.error ? { message: r.error } : {}) });
      return result;
    };
    if (this.aborted) return done({ status: 'interrupted', error: 'interrupted before it started' });
    this.emit(t, 'tree', started);
    const hidden = await this.hiddenAtQueuePoint(t);
    if (hidden.length) {
      return done({
        status: 'not-applicable',
        error: `${hidden.map((s) => `CONFIG_${s}`).join(', ')} is not in the queue point's .config: Kconfig hides it there (its dependencies are off), so flipping it alone changes nothing`,
      });
    }

    let cfg: ConfigOutcome;
    try {
      cfg = await this.configOf(t, (state, lane) => this.emit(t, state, started, lane !== undefined ? { lane } : {}));
      if (cfg.log) logs.push(cfg.log);
      timings = { ...emptyTimings(), series: cfg.seriesMs, kconfig: cfg.fromMemo ? 0 : cfg.ms, tree: cfg.treeMs, containers: cfg.containers, containerStart: cfg.containerStartMs };
      // Configured ahead of the builds (buildOrder): that time is the toggle's too.
      if (cfg.readyAt <= started) configuredBefore = cfg.seriesMs + cfg.treeMs + cfg.ms;
    } catch (e) {
      if (await looksLikeNoSpace(e, this.setup.cacheDir)) throw e;
      if (this.aborted) return done({ status: 'interrupted', error: 'interrupted while configuring' });
      return done(failure(e, join(logDir(this.setup.cacheDir, this.setup.config.name), `${safeName(t.name)}.config.log`)));
    }

    const inputs = this.inputsFor(t, cfg.sha256);
    const key = recordKey(inputs);
    // The same build as an earlier toggle of this run: built (or served) once, for both.
    const owner = this.keyOwners.get(key);
    if (owner && owner.name !== t.name) {
      const first = await owner.result;
      if (first.status === 'built' || first.status === 'cached') return done({ status: 'cached', key, ...(first.record ? { record: first.record } : {}), sameAs: owner.name });
      return done({
        status: first.status === 'interrupted' ? 'interrupted' : 'failed',
        key,
        sameAs: owner.name,
        error: `same .config as ${owner.name}, which ${first.status === 'interrupted' ? 'was interrupted' : `failed: ${first.error ?? ''}`}`,
      });
    }
    if (!owner) this.keyOwners.set(key, { name: t.name, result: new Promise<ToggleResult>((resolve) => this.settlers.set(t.name, resolve)) });
    const found = await inspectRecord(this.setup.records, key);
    // A damaged record (a truncated metadata.json) is built again and replaced, and said.
    if (found.state === 'corrupt') notice(`record ${key.slice(0, 12)} of ${t.name} is corrupt (${found.path}: ${found.why}): building it again`);
    let stored = found.state === 'ok' ? found.record : undefined;
    // Not here (or failed here): the remote record store may have it (TINY_STORE_URL).
    if (stored?.status !== 'ok' && this.setup.remoteStore && (await this.setup.remoteStore.fetch(key))) stored = await lookup(this.setup.records, key);
    if (stored?.status === 'ok') return done({ status: 'cached', key, record: stored });
    if (this.aborted) return done({ status: 'interrupted', key, error: 'interrupted before building' });

    const asked = Date.now();
    // What the lane will hold once built: it picks the lane, and the lane keeps it (lane-state.ts).
    const wants: LaneState = { patches: t.patches.map((p) => p.sha256), config: parseDotConfig(cfg.text) };
    const lane = await this.acquire(t.selection, () => this.emit(t, 'lane', started), wants);
    laneWaitMs = Date.now() - asked;
    // build() lets the lane go as soon as nothing more is read from it (before its record is
    // written); once only, or two makes could share the lane.
    let held = true;
    const letGo = () => {
      if (held) this.release(lane);
      held = false;
    };
    try {
      return await this.build(t, lane, wants, cfg, inputs, key, started, logs, found.state !== 'absent', done, timings, letGo);
    } finally {
      letGo();
    }
  }

  private async build(
    t: Toggle,
    lane: Lane,
    wants: LaneState,
    cfg: ConfigOutcome,
    inputs: BuildInputs,
    key: string,
    started: number,
    logs: string[],
    replace: boolean,
    done: (r: Omit<ToggleResult, 'toggle' | 'durationMs' | 'logs'>) => ToggleResult,
    timings: ToggleTimings,
    letGo: () => void,
  ): Promise<ToggleResult> {
    const s = this.setup;
    const durations: Record<string, number> = cfg.fromMemo ? {} : { config: cfg.ms };
    const startedAt = new Date(started).toISOString();
    let t0 = Date.now();
    this.emit(t, 'tree', started, { lane: lane.index });
    await this.moveLane(lane, cfg.commit, t.selection);
    await this.prepareBuildDir(lane);
    const dotConfig = join(lane.build, '.config');
    const current = await readFile(dotConfig, 'utf8').catch(() => undefined);
    if (current !== cfg.text) await writeFile(dotConfig, cfg.text);
    await writeLaneState(lane.build, wants.patches, cfg.text);
    lane.built = wants;
    await this.handHostTools(lane, cfg.commit);
    durations.tree = Date.now() - t0;
    timings.tree += durations.tree;

    const log = join(logDir(s.cacheDir, s.config.name), `${safeName(t.name)}.log`);
    await mkdir(logDir(s.cacheDir, s.config.name), { recursive: true });
    await rm(log, { force: true });
    logs.push(log);
    this.emit(t, 'building', started, { lane: lane.index });
    const statsLog = join(lane.build, STATS_LOG_NAME);
    await rm(statsLog, { force: true });
    // The run's first build seeds the lanes never built: they are checked out beside its make.
    const seedCheckout = this.claimSeeding(cfg.commit, t.selection);
    t0 = Date.now();
    let buildStart = 0;
    const onContainer = (u: ContainerUse) => {
      timings.containers++;
      buildStart += u.startMs ?? 0;
    };
    let outcome: Awaited<ReturnType<typeof runKbuild>>;
    try {
      outcome = await runKbuild(this.kbuildSpec(lane, log, onContainer), { vars: this.vars, targets: makeGoals(s.config.targets), jobs: s.jobs });
    } catch (e) {
      void seedCheckout?.then(() => this.letUnseededGo());
      throw e;
    }
    // The copy runs beside the measuring; the lanes waiting for it start when it is done. The
    // lane is not released (its next make would change what is being copied) until then.
    const interrupted = this.aborted || outcome.code === 130 || outcome.code === 143;
    const seeding = seedCheckout && !interrupted ? this.seedFrom(lane, cfg.commit, seedCheckout) : undefined;
    if (seedCheckout && interrupted) void seedCheckout.then(() => this.letUnseededGo());
    try {
      durations.build = Date.now() - t0;
      timings.containerStart += buildStart;
      timings.make = durations.build - buildStart;
      const ccache = s.ccache && !s.ccacheOff ? this.ccacheNote(parseStatsLog(await readFile(statsLog, 'utf8').catch(() => ''))) : undefined;
      const logText = await readFile(log, 'utf8').catch(() => outcome.output);
      const diag = countDiagnostics(logText);
      if (diag.firstError) diag.firstError = relativeError(diag.firstError, [lane.src, CONTAINER_PATHS.src, lane.build, CONTAINER_PATHS.build]);

      const draftBase = {
        inputs,
        config: s.config.name,
        toggle: { name: t.name, description: t.description },
        patches: t.patches.map((p) => ({ name: p.name, sha256: p.sha256, ...(p.strip !== 1 ? { strip: p.strip } : {}), ...(p.reverse ? { reverse: true } : {}) })),
        sourceTree: cfg.sourceTree,
        baseVersion: s.base.version,
        hermetic: s.runtime.hermetic,
        ...(s.image.digest ? { imageDigest: s.image.digest } : {}),
        startedAt,
        ...(ccache ? { ccache } : {}),
      };
      for (const p of t.patches) await storePatch(s.cacheDir, p.sha256, await patchBytes(p));

      if (outcome.code !== 0) {
        if (this.aborted || outcome.code === 130 || outcome.code === 143) return done({ status: 'interrupted', key, lane: lane.index, error: `interrupted while building (log: ${log})` });
        if (isNoSpace(logText)) throw withPath(Object.assign(new Error(`make: No space left on device (log: ${log})`), { output: logText }), pathInMessage(logText) ?? lane.build);
        const fe = diag.firstError;
        const error = fe
          ? `${fe.file}${fe.line !== undefined ? `:${fe.line}` : ''}${fe.column !== undefined ? `:${fe.column}` : ''}: ${fe.message}`
          : `make exited with ${outcome.code}${outcome.timedOut ? ' (timed out)' : ''}`;
        // Keep the failure in the store too (its log and .config), for `tiny rebuild` and history.
        await save(
          s.records,
          {
            ...draftBase,
            key,
            status: 'failed',
            finishedAt: new Date().toISOString(),
            durationsMs: durations,
            diagnostics: { warnings: diag.warnings, errors: diag.errors, ...(fe ? { firstError: fe } : {}) },
          },
          { config: dotConfig, symbols: [], log },
          { replace: true },
        ).catch(() => undefined);
        return done({ status: 'failed', key, lane: lane.index, error, ...(fe ? { firstError: fe, details: fe.context } : {}) });
      }

      // Kconfig rewrites .config during the build (2.6 adds a date line): it must still be the
      // configuration the key names; the record keeps exactly that text.
      const after = await readFile(dotConfig, 'utf8');
      if (after !== cfg.text) {
        if (!sameConfig(parseDotConfig(normalizeDotConfig(after)), parseDotConfig(cfg.text))) {
          return done({ status: 'failed', key, lane: lane.index, error: `Kconfig changed .config during the build (see ${dotConfig}): the configuration is not stable` });
        }
        await writeFile(dotConfig, cfg.text);
      }

      this.emit(t, 'measuring', started, { lane: lane.index });
      t0 = Date.now();
      const m = await measureBuild({ buildDir: lane.build, arch: s.config.arch, targets: s.config.targets, ...(s.measureTools ? { tools: s.measureTools } : {}) });
      durations.measure = Date.now() - t0;
      timings.measure = durations.measure;
      const { symbols, ...measurement } = m;
      const imageTarget = s.config.targets.find((x) => x !== 'vmlinux');
      const imageFile = imageTarget ? m.files[imageTarget] : undefined;
      t0 = Date.now();
      const staged = await stageArtifacts(s.records, {
        vmlinux: join(lane.build, 'vmlinux'),
        ...(imageFile ? { image: join(lane.build, imageFile.path) } : {}),
        config: dotConfig,
        ...(m.files['System.map'] ? { systemMap: join(lane.build, 'System.map') } : {}),
        symbols,
        log,
      });
      // Nothing more is read from the lane: its next toggle's make may start while this record
      // is written from the copies (on 2.6.9, 0.05-0.15 s a toggle; a 6.x vmlinux with debug
      // info takes seconds to compress). Not before the seeding has copied its build directory.
      await seeding;
      letGo();
      const saved = await save(
        s.records,
        {
          ...draftBase,
          key,
          status: 'ok',
          finishedAt: new Date().toISOString(),
          durationsMs: { ...durations, total: Date.now() - started },
          measurement,
          diagnostics: { warnings: diag.warnings, errors: diag.errors },
        },
        staged.artifacts,
        { replace },
      ).finally(() => staged.discard());
      timings.record = Date.now() - t0;
      await s.remoteStore?.push(key);
      return done({ status: 'built', key, record: saved.record, lane: lane.index });
    } finally {
      await seeding;
    }
  }

  /**
   * The toggles in the order to build them: every toggle's final .config first (from the memo,
   * or Kconfig in a lane), then the same builds next to each other (the second is served from
   * the first's record) and the distinct builds in the order that changes least between
   * neighbours (order.ts). Toggles that cannot be configured (or that a flip cannot change)
   * come last, in the given order: running them reports why.
   */
  async buildOrder(toggles: readonly Toggle[]): Promise<Toggle[]> {
    const items: BuildItem[] = [];
    const rest: Toggle[] = [];
    const byName = new Map(toggles.map((t) => [t.name, t]));
    let next = 0;
    const configured = new Map<string, BuildItem>();
    const configure = async (t: Toggle): Promise<boolean> => {
      try {
        if ((await this.hiddenAtQueuePoint(t)).length) return false;
        const started = Date.now();
        const cfg = await this.configOf(t, (state, lane) => this.emit(t, state, started, lane !== undefined ? { lane } : {}));
        configured.set(t.name, { name: t.name, key: recordKey(this.inputsFor(t, cfg.sha256)), patches: t.patches.map((p) => p.sha256), config: parseDotConfig(cfg.text) });
        return true;
      } catch {
        return false; /* runToggle reports it */
      }
    };
    const worker = async () => {
      while (next < toggles.length) {
        const t = toggles[next++]!;
        if (this.aborted) continue;
        await configure(t);
      }
    };
    if (toggles.length < 2) this.seedingWanted = false;
    if (this.opts.headStart && this.lanes.filter((l) => !l.unseeded).length === 1) {
      // The first toggle that configures is where the order starts: build it now, configure the
      // rest aside in the Kconfig lane meanwhile. Its own Kconfig runs aside too, while lane 0
      // checks out its tree (the Kconfig lane's sparse tree is a tenth of it).
      this.configureAside = true;
      // A cache that never ran Kconfig has no .config to serve: every toggle runs Kconfig and the
      // first one builds. The containers of the Kconfig lane and lane 0 start now, beside the
      // first toggle's patch series, instead of after it (makeConfig starts them otherwise, once
      // the memo has missed; a cached re-run starts none).
      if (!existsSync(configMemoDir(this.setup.cacheDir))) for (const l of [this.kconfigLaneOf(), this.lanes[0]!]) this.startContainer(l);
      try {
        while (next < toggles.length && !this.aborted) {
          const t = toggles[next++]!;
          const lane0 = this.lanes[0]!;
          // A failure (the series, a full disk) is the toggle's run's to report: it moves lane 0 again.
          const checkout = this.seriesFor(t)
            .then(({ commit }) => this.moveLane(lane0, commit, t.selection))
            .catch(() => undefined);
          const ok = await configure(t);
          await checkout;
          // Lane 0 left by an earlier run with other global compiler flags (a flip of
          // CC_OPTIMIZE_FOR_SIZE last): building this toggle there would compile everything, so
          // every .config comes first and the order starts where the lane stands (startAtLanes).
          const held = lane0.built;
          if (ok && held && otherGlobalFlags(held, configured.get(t.name)!)) break;
          if (ok) {
            this.early.set(t.name, this.runToggle(t));
            break;
          }
        }
        await worker();
      } finally {
        this.configureAside = false;
      }
    } else {
      await Promise.all(this.lanes.map(() => worker()));
    }
    for (const t of toggles) {
      const it = configured.get(t.name);
      if (it) items.push(it);
      else rest.push(t);
    }
    const same = sameBuilds(items);
    const out: Toggle[] = [];
    // Where the lanes stand (built by an earlier run): a lane left at other global flags than
    // the order's first build takes its nearest build first.
    const lanesBuilt = this.lanes.map((l) => (l.unseeded ? undefined : l.built));
    for (const name of startAtLanes(buildOrderOf(items), items, lanesBuilt)) {
      out.push(byName.get(name)!);
      for (const [follower, owner] of same) if (owner === name) out.push(byName.get(follower)!);
    }
    return [...out, ...rest];
  }

  /** Run toggles with one worker per lane (the CLI drives runToggle itself, through listr2). */
  async runAll(toggles: readonly Toggle[]): Promise<ToggleResult[]> {
    const results = new Map<string, ToggleResult>();
    for (const t of toggles) this.emit(t, 'queued', Date.now());
    let next = 0;
    const worker = async () => {
      while (next < toggles.length) {
        const t = toggles[next++]!;
        results.set(t.name, await this.runToggle(t));
      }
    };
    await Promise.all(this.lanes.map(() => worker()));
    return toggles.map((t) => results.get(t.name)!);
  }
}

async function patchBytes(p: QueuePatch): Promise<Buffer | string> {
  try {
    const b = await readFile(p.path);
    if (sha256(b) === p.sha256) return b;
  } catch {
    /* fall back to the text */
  }
  return p.text;
}

/** Paths in a first error relative to the tree / build dir (the container's or the lane's). */
export function relativeError(fe: FirstError, roots: string[]): FirstError {
  const strip = (text: string) => roots.reduce((t, r) => t.split(`${r.replace(/\/+$/, '')}/`).join(''), text);
  return { ...fe, file: strip(fe.file), message: strip(fe.message), context: fe.context.map(strip) };
}

function failure(e: unknown, configLog: string): Omit<ToggleResult, 'toggle' | 'durationMs' | 'logs'> {
  if (e instanceof TinyError) {
    const details = e.diagnostics.map((d) => formatDiagnostic(d));
    return { status: 'failed', error: e.message.split('\n')[0]!, details: [...details, ...(e.hint ? [`hint: ${e.hint}`] : [])] };
  }
  const err = e as Error & { output?: string; hint?: string };
  if (err?.name === 'ConfigMakeError') {
    const fe = countDiagnostics(err.output ?? '').firstError;
    return {
      status: 'failed',
      error: fe ? `configuring: ${fe.file}${fe.line !== undefined ? `:${fe.line}` : ''}: ${fe.message}` : `configuring: ${err.message.split('\n')[0]}`,
      details: [...(fe?.context ?? err.message.split('\n').slice(1, 12)), ...(err.hint ? [`hint: ${err.hint}`] : []), `log: ${configLog}`],
      ...(fe ? { firstError: fe } : {}),
    };
  }
  return { status: 'failed', error: `${err?.message ?? String(e)}`.split('\n')[0]! };
}
