// make in the toolchain container: the kernel tree mounted read-only at /tiny/src, the build
// directory read-write at /tiny/build, the ccache directory read-write at /tiny/ccache (shared
// by every toggle and lane), --network=none, and only the environment from kbuild/env.ts.
//
//   make -C /tiny/src O=/tiny/build ARCH=i386 CROSS_COMPILE=i686-linux-gnu- \
//        KCONFIG_NOTIMESTAMP=1 CC="ccache i686-linux-gnu-gcc" ... -jN vmlinux bzImage
//
// containerRunMake adapts this to generateConfig's RunMake, which speaks host paths (it reads
// and writes buildDir/.config itself): O= and the tree are mapped to the container paths, and
// the answers oldconfig reads on stdin go through a file in the build directory (containers
// run without stdin). The same make variables are used for configuring and for building, so
// Kconfig's view of the compiler (6.x records CC_VERSION_TEXT in .config) never changes
// between the two.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CONTAINER_PATHS, type ContainerSession, type Mount, type Runtime, type RunOutcome, type RunSpec } from '../toolchain/runtime.js';
import type { StreamName } from '../toolchain/proc.js';
import { TinyError } from '../util/diagnostics.js';
import type { MakeRequest, RunMake } from './config.js';
import { beginMake, endMake } from './interrupted.js';

export interface KbuildSpec {
  runtime: Runtime;
  /** Image ID (sha256:...) the commands run in; ignored by the host runtime. */
  image: string;
  /** Host path of the kernel tree (mounted read-only at /tiny/src). */
  src: string;
  /** Host path of the build directory (read-write at /tiny/build). */
  build: string;
  /** Host path of the ccache directory (read-write at /tiny/ccache); none: no ccache mount. */
  ccache?: string;
  /** The command's whole environment (kbuild/env.ts buildEnv). */
  env: Record<string, string>;
  /** Append make's output here. */
  logFile?: string;
  /** The container's network: none (default), or host when ccache reaches a remote storage. */
  network?: 'none' | 'host';
  onLine?: (line: string, stream: StreamName) => void;
  /**
   * A long-lived container with these mounts, environment and network (a matrix lane's): the
   * commands run in it instead of a container each.
   */
  session?: ContainerSession;
  /** Told of every container invocation: how long until the command ran in it, and in all. */
  onContainer?: (use: ContainerUse) => void;
}

/** One container invocation, timed: the engine's start (until the command ran) and the whole call. */
export interface ContainerUse {
  /** From invoking the engine until the command began inside (undefined when unknown). */
  startMs?: number;
  wallMs: number;
}

/** The make variables of every make of a build (configuring and building alike). */
export interface KbuildVarsInput {
  arch: string;
  crossCompile: string;
  /** Use ccache as the compiler wrapper (CC="ccache ${CROSS_COMPILE}gcc"). */
  ccache: boolean;
  /** The toolchain's make variables, then the configuration's (later ones win). */
  toolchainVars?: Record<string, string>;
  configVars?: Record<string, string>;
}

/**
 * The variables besides O=, ARCH= and CROSS_COMPILE= (which generateConfig adds itself): CC
 * with ccache, then the toolchain's and the configuration's own variables.
 */
export function extraMakeVars(v: KbuildVarsInput): Record<string, string> {
  return {
    ...(v.ccache ? { CC: `ccache ${v.crossCompile}gcc` } : {}),
    ...(v.toolchainVars ?? {}),
    ...(v.configVars ?? {}),
  };
}

/** Every make variable on a build's command line, in order (what records keep). */
export function kbuildVars(v: KbuildVarsInput): Record<string, string> {
  return {
    O: CONTAINER_PATHS.build,
    ARCH: v.arch,
    ...(v.crossCompile ? { CROSS_COMPILE: v.crossCompile } : {}),
    // generateConfig passes it too: modern Kconfig then leaves the date out of .config.
    KCONFIG_NOTIMESTAMP: '1',
    ...extraMakeVars(v),
  };
}

export function kbuildMounts(spec: Pick<KbuildSpec, 'src' | 'build' | 'ccache'>): Mount[] {
  return [
    { host: resolve(spec.src), container: CONTAINER_PATHS.src, readonly: true },
    { host: resolve(spec.build), container: CONTAINER_PATHS.build, readonly: false },
    ...(spec.ccache ? [{ host: resolve(spec.ccache), container: CONTAINER_PATHS.ccache, readonly: false }] : []),
  ];
}

/** Host paths of the tree and build dir in `value` -> their container paths. */
export function toContainerPath(value: string, spec: Pick<KbuildSpec, 'src' | 'build' | 'ccache'>): string {
  const pairs: Array<[string, string]> = [
    [resolve(spec.build), CONTAINER_PATHS.build],
    [resolve(spec.src), CONTAINER_PATHS.src],
  ];
  if (spec.ccache) pairs.push([resolve(spec.ccache), CONTAINER_PATHS.ccache]);
  pairs.sort((a, b) => b[0].length - a[0].length);
  for (const [host, container] of pairs) {
    if (value === host) return container;
    if (value.startsWith(host + '/')) return container + value.slice(host.length);
  }
  return value;
}

/** make goals for the targets: an image target builds vmlinux too (2.6's top Makefile is not safe with both goals under -j). */
export function makeGoals(targets: readonly string[]): string[] {
  const images = targets.filter((t) => t !== 'vmlinux');
  return images.length ? images : ['vmlinux'];
}

/** make's argument vector: -C /tiny/src, VAR=value..., [-jN], [-k], goals. */
export function makeArgv(vars: Record<string, string>, goals: readonly string[], jobs?: number, keepGoing = false): string[] {
  return ['make', '-C', CONTAINER_PATHS.src, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...(jobs && jobs > 0 ? [`-j${jobs}`] : []), ...(keepGoing ? ['-k'] : []), ...goals];
}

/**
 * The command begins by writing the time (ns since the epoch) to this file of the build
 * directory, then execs what was asked: the engine's start cost is then known exactly (the
 * container shares the host's clock). `;` not `&&`: an image without GNU date still builds.
 */
const BEGAN_FILE = '.tiny-began';

function timedCommand(cmd: string[]): string[] {
  return ['sh', '-c', `date +%s%N >${CONTAINER_PATHS.build}/${BEGAN_FILE} 2>/dev/null; exec "$@"`, 'sh', ...cmd];
}

/** What GNU make itself exits with (done, -q's "not up to date", an error): any other status is a kill. */
const MAKE_EXIT_STATUSES = new Set([0, 1, 2]);

/**
 * Every make in a build directory — a build's, Kconfig's (which compiles fixdep and conf there)
 * — first removes what a killed make left, and is marked until it exits by itself
 * (interrupted.ts): Kbuild would take a half-written object for a finished one.
 */
async function run(spec: KbuildSpec, cmd: string[], timeoutMs?: number, keepBytes?: number): Promise<RunOutcome> {
  await beginMake(spec.build);
  const outcome = await runInBuildDir(spec, cmd, timeoutMs, keepBytes);
  if (!outcome.timedOut && MAKE_EXIT_STATUSES.has(outcome.code)) await endMake(spec.build);
  return outcome;
}

async function runInBuildDir(spec: KbuildSpec, cmd: string[], timeoutMs?: number, keepBytes?: number): Promise<RunOutcome> {
  const began = join(spec.build, BEGAN_FILE);
  const timed = spec.onContainer !== undefined;
  if (timed) await rm(began, { force: true });
  const t0 = Date.now();
  const runSpec: RunSpec = {
    image: spec.image,
    workdir: CONTAINER_PATHS.build,
    mounts: kbuildMounts(spec),
    env: spec.env,
    network: spec.network ?? 'none',
    cmd: timed ? timedCommand(cmd) : cmd,
    ...(spec.logFile ? { logFile: spec.logFile } : {}),
    ...(spec.onLine ? { onLine: spec.onLine } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(keepBytes !== undefined ? { keepBytes } : {}),
  };
  const r = await (spec.session ? spec.session.run(runSpec) : spec.runtime.runInContainer(runSpec));
  if (timed) {
    const wallMs = Date.now() - t0;
    const ns = Number((await readFile(began, 'utf8').catch(() => '')).trim());
    const startMs = Number.isFinite(ns) && ns > 0 ? Math.min(wallMs, Math.max(0, Math.round(ns / 1e6 - t0))) : undefined;
    await rm(began, { force: true });
    spec.onContainer!({ ...(startMs !== undefined ? { startMs } : {}), wallMs });
  }
  return r;
}

const STDIN_FILE = '.tiny-stdin';

/** A RunMake for generateConfig that runs make in the toolchain container (see the top). */
export function containerRunMake(spec: KbuildSpec, opts: { timeoutMs?: number } = {}): RunMake {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  return async (req: MakeRequest) => {
    if (resolve(req.cwd) !== resolve(spec.src)) {
      throw new TinyError(`containerRunMake: make was asked to run in ${req.cwd}, not in the mounted tree ${spec.src}`, 2);
    }
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.vars)) vars[k] = toContainerPath(v, spec);
    let cmd = makeArgv(vars, req.targets);
    const stdinFile = join(spec.build, STDIN_FILE);
    if (req.input !== undefined && req.input !== '') {
      await writeFile(stdinFile, req.input);
      cmd = ['sh', '-c', `exec "$@" < ${CONTAINER_PATHS.build}/${STDIN_FILE}`, 'make', ...cmd];
    }
    try {
      const r = await run(spec, cmd, timeoutMs, 256 * 1024);
      const note = r.timedOut ? `\nmake timed out after ${Math.round(timeoutMs / 1000)}s (a Kconfig question answered forever?)` : '';
      return { code: r.timedOut && r.code === 0 ? 124 : r.code, output: r.output + note };
    } finally {
      if (req.input) await rm(stdinFile, { force: true });
    }
  };
}

export interface KbuildRun {
  vars: Record<string, string>;
  targets: readonly string[];
  jobs: number;
  timeoutMs?: number;
  /** make -k: build every object that can be built (a measurement that needs objects, not vmlinux). */
  keepGoing?: boolean;
}

/** Build `targets` (make -jN) in the container. The outcome's output is the log's tail. */
export async function runKbuild(spec: KbuildSpec, r: KbuildRun): Promise<RunOutcome> {
  return run(spec, makeArgv(r.vars, r.targets, r.jobs, r.keepGoing), r.timeoutMs, 4 * 1024 * 1024);
}
