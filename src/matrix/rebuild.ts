// Rebuild a record from its inputs alone and compare: the base tree from the tree store by its
// hash, the patches by sha256 (the cache's patch store, else the queue), the exact .config
// stored with the record, the same image ID, make variables, environment and targets — in a
// fresh worktree and a fresh build directory, with ccache disabled (a rebuild that took objects
// from the cache the first build filled would prove little). Then every artifact's sha256 is
// compared with the recorded one.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CCACHE_OFF } from '../kbuild/ccache.js';
import { runKbuild } from '../kbuild/make.js';
import { normalizeDotConfig, parseDotConfig, sameConfig } from '../kbuild/kconfig.js';
import { countDiagnostics } from '../measure/diagnostics.js';
import { measureBuild } from '../measure/measure.js';
import type { Queue } from '../queue/types.js';
import { corruptRecordError, inspectRecord, keysWithPrefix, readArtifact, type BuildRecord, type RecordStore } from '../store/index.js';
import { createRuntime, detectRuntime, parseRuntimeName, type Runtime } from '../toolchain/runtime.js';
import { baseCommit, buildSeries, materialize, removeWorktree, type TreeStore } from '../tree/index.js';
import { git } from '../tree/git.js';
import { TinyError } from '../util/diagnostics.js';
import { readStoredPatch } from './memo.js';
import { hostCompilerId } from '../toolchain/environment.js';
import { makeGoals, relativeError } from './run.js';

export async function findRecord(store: RecordStore, ref: string): Promise<BuildRecord> {
  const prefix = ref.trim().toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(prefix))
    throw new TinyError(`'${ref}' is not a record key (or a prefix of at least 4 hex digits)`, 2, [], 'keys are in `tiny build --json` output (key) and in the records/ directory of the cache');
  const keys = await keysWithPrefix(store, prefix);
  if (!keys.length) throw new TinyError(`no record ${ref} in ${store.root}`, 2, [], 'is TINY_CACHE the cache the build used?');
  if (keys.length > 1) throw new TinyError(`record prefix ${ref} is ambiguous: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}`, 2, [], 'give more digits');
  const found = await inspectRecord(store, keys[0]!);
  if (found.state === 'corrupt') throw corruptRecordError(keys[0]!, found);
  if (found.state !== 'ok') throw new TinyError(`no record ${ref} in ${store.root}`, 2, [], 'is TINY_CACHE the cache the build used?');
  return found.record;
}

export interface ArtifactComparison {
  artifact: string;
  recorded?: string;
  rebuilt?: string;
  same: boolean;
}

export interface RebuildResult {
  record: BuildRecord;
  same: boolean;
  artifacts: ArtifactComparison[];
  buildDir: string;
  log: string;
  durationMs: number;
  /** Build failed: why. */
  error?: string;
}

/** The version of `tiny rebuild --format json` (schema/output/rebuild.schema.json). */
export const REBUILD_OUTPUT_VERSION = 1;

/** `tiny rebuild --format json`: the record, the verdict, each artifact's recorded and rebuilt sha256. */
export function rebuildJson(r: RebuildResult): Record<string, unknown> {
  return {
    schema_version: REBUILD_OUTPUT_VERSION,
    key: r.record.key,
    config: r.record.config,
    toggle: r.record.toggle.name,
    image: r.record.inputs.toolchain.image,
    runtime: r.record.inputs.runtime,
    same: r.same && !r.error,
    artifacts: r.artifacts.map((a) => ({ artifact: a.artifact, recorded: a.recorded ?? null, rebuilt: a.rebuilt ?? null, same: a.same })),
    duration_ms: r.durationMs,
    error: r.error ?? null,
    log: r.log,
  };
}

export interface RebuildOptions {
  cacheDir: string;
  treeStore: TreeStore;
  records: RecordStore;
  /** A queue to find patches in when the patch store lacks them. */
  queue?: Queue;
  jobs?: number;
  /** Keep the worktree and build directory (default: removed afterwards). */
  keep?: boolean;
  onLog?: (line: string) => void;
}

async function patchText(opts: RebuildOptions, sha: string, name: string): Promise<Buffer | string> {
  const stored = await readStoredPatch(opts.cacheDir, sha);
  if (stored) return stored;
  const q = opts.queue?.series.find((p) => p.sha256 === sha);
  if (q) return q.text;
  throw new TinyError(`patch ${name} (sha256 ${sha}) is neither in the cache's patch store nor in the queue`, 1, [], 'pass the queue that has it with --queue DIR');
}

async function runtimeFor(record: BuildRecord, onLog: (l: string) => void): Promise<Runtime> {
  const name = parseRuntimeName(record.inputs.runtime, 'record runtime')!;
  const runtime = name === 'host' ? createRuntime('host') : await detectRuntime(name);
  const image = record.inputs.toolchain.image;
  if (runtime.supportsImages) {
    if (!(await runtime.imageInfo(image))) {
      throw new TinyError(
        `the record was built in image ${image}, which ${runtime.name} no longer has`,
        1,
        [],
        `a rebuilt image (tiny toolchain build ${record.inputs.toolchain.name}) gets another ID; the record names the exact image it used`,
      );
    }
  } else {
    const now = await hostCompilerId(record.inputs.makeVariables.CROSS_COMPILE ?? '');
    if (now !== image) onLog(`warning: the host compiler changed since the record (${image}, now ${now}): host builds are not hermetic`);
  }
  return runtime;
}

export async function rebuildRecord(record: BuildRecord, opts: RebuildOptions): Promise<RebuildResult> {
  const log = opts.onLog ?? (() => {});
  const started = Date.now();
  const runtime = await runtimeFor(record, log);
  const inputs = record.inputs;

  // The base tree, by its hash.
  const tree = await git(opts.treeStore.gitDir, ['cat-file', '-t', inputs.baseTree], { allowFail: true });
  if (tree.code !== 0 || tree.stdout.trim() !== 'tree') {
    throw new TinyError(`the base tree ${inputs.baseTree} is not in the tree store ${opts.treeStore.gitDir}`, 1, [], 'import the base again (tiny queue check --tree <the tree> does)');
  }
  const base = await baseCommit(opts.treeStore, inputs.baseTree, record.baseVersion ?? 'rebuild');
  const patches = [];
  for (const [i, sha] of inputs.patches.entries()) {
    const meta = record.patches[i];
    const name = meta?.name ?? `patch-${i + 1}`;
    patches.push({ name, text: await patchText(opts, sha, name), strip: meta?.strip ?? 1, reverse: meta?.reverse ?? false });
  }
  const series = patches.length ? await buildSeries(opts.treeStore, base, patches) : undefined;
  if (series?.failure) throw new TinyError(`patch ${series.failure.name} does not apply to the base tree again: ${series.failure.hunks.join(', ')}`, 1);
  const top = series?.commits.at(-1) ?? { commit: base, tree: inputs.baseTree };
  if (record.sourceTree && top.tree !== record.sourceTree) {
    throw new TinyError(`the patched source is tree ${top.tree}, but the record built ${record.sourceTree}`, 1, [], 'the patches were applied differently (strip level? reverse?)');
  }

  // Fresh directories.
  const id = `${record.key.slice(0, 16)}-${randomBytes(4).toString('hex')}`;
  const root = join(opts.cacheDir, 'rebuild', id);
  const src = join(root, 'src');
  const build = join(root, 'build');
  const ccache = join(root, 'ccache');
  await mkdir(build, { recursive: true });
  await mkdir(ccache, { recursive: true });
  const logFile = join(root, 'build.log');
  try {
    await materialize(opts.treeStore, top.commit, src);
    const config = await readArtifact(opts.records, record, 'config');
    if (!config) throw new TinyError(`record ${record.key} has no stored .config`, 1);
    await writeFile(join(build, '.config'), config);

    const env = { ...inputs.env, ...CCACHE_OFF };
    log(`rebuilding ${record.config} ${record.toggle.name} (${record.key.slice(0, 12)}) in ${build}`);
    const outcome = await runKbuild(
      { runtime, image: inputs.toolchain.image, src, build, ccache, env, logFile },
      { vars: inputs.makeVariables, targets: makeGoals(inputs.targets), jobs: opts.jobs ?? availableParallelism() },
    );
    if (outcome.code !== 0) {
      const fe = countDiagnostics(await readFile(logFile, 'utf8').catch(() => outcome.output)).firstError;
      const e = fe ? relativeError(fe, [src, '/tiny/src', build, '/tiny/build']) : undefined;
      return {
        record,
        same: record.status === 'failed',
        artifacts: [],
        buildDir: build,
        log: logFile,
        durationMs: Date.now() - started,
        error: e ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}` : `make exited with ${outcome.code}`,
      };
    }
    const after = await readFile(join(build, '.config'), 'utf8');
    const wanted = config.toString('utf8');
    if (after !== wanted && sameConfig(parseDotConfig(normalizeDotConfig(after)), parseDotConfig(wanted))) await writeFile(join(build, '.config'), wanted);
    const m = await measureBuild({ buildDir: build, arch: inputs.arch, targets: inputs.targets });
    const recorded = record.measurement?.sha256 ?? {};
    const names = [...new Set([...Object.keys(recorded), ...Object.keys(m.sha256)])].filter((n) => n in recorded);
    const artifacts = names.map((n) => ({
      artifact: n,
      ...(recorded[n] ? { recorded: recorded[n] } : {}),
      ...(m.sha256[n] ? { rebuilt: m.sha256[n] } : {}),
      same: recorded[n] !== undefined && recorded[n] === m.sha256[n],
    }));
    return { record, same: artifacts.every((a) => a.same), artifacts, buildDir: build, log: logFile, durationMs: Date.now() - started };
  } finally {
    if (!opts.keep) {
      await removeWorktree(opts.treeStore, src);
      // The log stays (it is small) unless the rebuild matched.
      await rm(src, { recursive: true, force: true });
      await rm(build, { recursive: true, force: true });
      await rm(ccache, { recursive: true, force: true });
    }
  }
}
