// Building one point of a bisect: a tree (a commit of the user's repository imported into the
// tree store, or the queue's base) plus a patch selection, with the configuration, measured.
//
// It is the matrix runner's single-toggle path (MatrixRunner.runToggle: series commits in the
// tree store, the .config from the memo or generated in the lane, the record store, make in the
// toolchain container, measureBuild) with a one-toggle plan. Every step of one configuration
// uses the same lane, so ONE worktree and ONE build directory are reused across steps and
// Kbuild rebuilds only what changed between two commits. The lane belongs to the configuration
// name "<config>+bisect": bisect builds never disturb `tiny build`'s lanes, and their records
// stay out of `tiny report` for the configuration (the record key does not include the name,
// so a bisect point that `tiny build` already built is served from the store).

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadBuildConfig, type BuildConfig } from '../kbuild/buildconfig.js';
import { MatrixRunner, type MatrixSetup, type ToggleResult } from '../matrix/run.js';
import type { Plan, Toggle } from '../matrix/plan.js';
import type { SymbolEntry } from '../measure/types.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { openRecordStore, readSymbols, type BuildRecord } from '../store/index.js';
import { defaultToolchainsDir, loadToolchain } from '../toolchain/definitions.js';
import { prepareBuildEnvironment } from '../toolchain/environment.js';
import type { RuntimeName } from '../toolchain/runtime.js';
import { importBase, openTreeStore } from '../tree/index.js';
import { TOOL_VERSION } from '../util/version.js';
import { gitIn } from '../tree/git.js';
import { metricValue, type Metric } from './threshold.js';

export interface BuilderOptions {
  root: string;
  config: string;
  cacheDir: string;
  runtime?: RuntimeName;
  jobs?: number;
  toolchainsDir?: string;
  onLog?: (line: string) => void;
}

export interface BasePoint {
  version: string;
  commit: string;
  tree: string;
}

export type PointBuild =
  | { status: 'ok'; record: BuildRecord; symbols: SymbolEntry[]; cached: boolean; durationMs: number }
  | { status: 'failed'; error: string; details: string[]; durationMs: number };

export class BisectBuilder {
  private constructor(
    readonly common: Omit<MatrixSetup, 'base'>,
    readonly config: BuildConfig,
  ) {}

  static async open(o: BuilderOptions): Promise<BisectBuilder> {
    const log = o.onLog ?? (() => {});
    const config = await loadBuildConfig(o.root, o.config);
    const toolchain = await loadToolchain(o.toolchainsDir ?? defaultToolchainsDir(), config.toolchain);
    const { runtime, image, ccache } = await prepareBuildEnvironment({ toolchain, arch: config.arch, cacheDir: o.cacheDir, ...(o.runtime ? { runtime: o.runtime } : {}), onLog: log });
    const common: Omit<MatrixSetup, 'base'> = {
      cacheDir: resolve(o.cacheDir),
      config: { ...config, name: `${config.name}+bisect` },
      treeStore: await openTreeStore(o.cacheDir),
      records: await openRecordStore(o.cacheDir),
      toolchain,
      runtime,
      image,
      ccache,
      jobs: o.jobs ?? availableParallelism(),
      lanes: 1,
      toolVersion: TOOL_VERSION,
    };
    return new BisectBuilder(common, config);
  }

  /** A commit of a git repository (a scratch clone) as a base of the tree store. */
  async importCommit(repo: string, commit: string, fallbackVersion = '0.0'): Promise<BasePoint> {
    const version = (await makefileVersion(repo, commit)) ?? fallbackVersion;
    return importBase(this.common.treeStore, { kind: 'git', repo, ref: commit }, { version });
  }

  /** Build `patches` on `base` as one toggle, in the bisect lane; measured and recorded. */
  async build(base: BasePoint, patches: readonly QueuePatch[], opts: { name: string; queue?: Queue; drop?: string[]; baseDate?: string }): Promise<PointBuild> {
    // (`set`: options at a fixed value, none here — the plan module's newer Toggle field.)
    const toggle: Toggle = Object.assign(
      {
        name: opts.name,
        kind: (patches.length ? 'queue' : 'base') as Toggle['kind'],
        description: `bisect point ${opts.name}`,
        patches: [...patches],
        flip: [] as string[],
        drop: opts.drop ?? [],
        selection: patches.map((p) => p.name).join('\n'),
      },
      { set: {} },
    );
    const plan: Plan = { toggles: [toggle], selected: [...patches], basePatches: [], queuePatches: [...patches], symbols: [], baseSymbols: [], notes: [] };
    const setup: MatrixSetup = {
      ...this.common,
      // The lane (worktree + build directory) is named after config and version: one per bisect configuration.
      base: { version: base.version, commit: base.commit, tree: base.tree },
      ...(opts.baseDate ? { baseDate: opts.baseDate } : {}),
    };
    const runner = new MatrixRunner(setup, plan);
    const r: ToggleResult = await runner.runToggle(toggle);
    if ((r.status === 'built' || r.status === 'cached') && r.record?.measurement) {
      const symbols = (await readSymbols(this.common.records, r.record)) ?? [];
      return { status: 'ok', record: r.record, symbols, cached: r.status === 'cached', durationMs: r.durationMs };
    }
    return { status: 'failed', error: r.error ?? r.status, details: r.details ?? [], durationMs: r.durationMs };
  }
}

/** The metric of a successful build. */
export function metricOf(metric: Metric, b: PointBuild): number | undefined {
  if (b.status !== 'ok') return undefined;
  const m = b.record.measurement!;
  return metricValue(metric, { size: m.size, files: m.files, symbols: b.symbols });
}

/** VERSION.PATCHLEVEL.SUBLEVEL of a commit's top-level Makefile (read from the repository). */
export async function makefileVersion(repo: string, commit: string): Promise<string | undefined> {
  const r = await gitIn(repo, ['show', `${commit}:Makefile`], { allowFail: true });
  if (r.code !== 0) return undefined;
  const get = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\S*)`, 'm').exec(r.stdout)?.[1];
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  if (!v || !p) return undefined;
  const s = get('SUBLEVEL');
  return s ? `${v}.${p}.${s}` : `${v}.${p}`;
}
