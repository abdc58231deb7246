// `tiny bisect --queue`: the first patch, in series order, whose application makes the kernel
// cross the threshold against the bare base. A binary search over the prefix length k
// (0 = the base with the base patches only, n = the whole queue), each prefix built with the
// configuration in the bisect lane (one build directory: Kbuild rebuilds what the patches
// between two prefixes touched). Options stay at their Kconfig defaults; a fragment symbol
// naming the option of a patch the prefix leaves out is dropped for that prefix. A prefix that
// does not apply or build is skipped (its neighbour is tried), as git bisect skips.
// Outcomes go to the same kind of state file as the commit bisect: re-running resumes.

import { bloatOMeter } from '../measure/bloat.js';
import { planMatrix } from '../matrix/plan.js';
import { resolveBases } from '../pipeline/bases.js';
import { loadQueue } from '../queue/load.js';
import type { QueuePatch } from '../queue/types.js';
import { TinyError } from '../util/diagnostics.js';
import { BisectBuilder, metricOf, type BasePoint, type PointBuild } from './build.js';
import type { BisectIO } from './commits.js';
import { newState, nextPrefix, readState, statePath, stepFor, withStep, writeLatest, writeState, type BisectState, type QueueBisectParams, type StepRecord } from './state.js';
import { commas, decideStep, describeThreshold, metricLabel, parseMetric, parseThreshold, signed, tookTag } from './threshold.js';

export interface QueueBisectResult {
  exitCode: number;
  state: BisectState;
  /** The first patch that crosses the threshold (undefined: none does). */
  first?: string;
  steps: number;
}

export async function runQueueBisect(params: QueueBisectParams, o: { cacheDir: string; io: BisectIO }): Promise<QueueBisectResult> {
  const { io, cacheDir } = o;
  const metric = parseMetric(params.metric);
  const threshold = parseThreshold(params.threshold);
  const file = statePath(cacheDir, newState(params).id);
  let state = (await readState(file)) ?? newState(params);
  await writeLatest(cacheDir, state.id);
  await writeState(file, state);

  const builder = await BisectBuilder.open({
    root: params.root,
    config: params.config,
    cacheDir,
    ...(params.runtime ? { runtime: params.runtime as 'host' } : {}),
    ...(params.jobs ? { jobs: params.jobs } : {}),
    onLog: (l) => io.err(`tiny: ${l}\n`),
  });
  const queue = await loadQueue(params.queue);
  const [base] = await resolveBases(queue, builder.common.treeStore, cacheDir, params.tree ? { trees: [params.tree], allowOtherBase: params.allowOtherBase === true } : {});
  if (!base) throw new TinyError('no base tree for the queue', 2);
  const plan = planMatrix({
    queue,
    version: base.version,
    select: builder.config.queue.select,
    baseSelect: builder.config.queue.baseSelect,
    toolchainSymbols: builder.common.toolchain.needsCompat,
    fragment: builder.config.kconfig.fragment,
  });
  const basePatches = plan.basePatches;
  const series = plan.queuePatches;
  const n = series.length;
  if (!n) throw new TinyError(`configuration ${params.config} selects no queue patch: nothing to bisect`, 1);
  const baseDate = base.version === queue.base.version ? queue.base.date : undefined;
  const fragmentSyms = new Set(Object.keys(builder.config.kconfig.fragment));
  const point: BasePoint = { version: base.version, commit: base.commit, tree: base.tree };

  const prefixPatches = (k: number): QueuePatch[] => {
    const inPrefix = new Set(series.slice(0, k).map((p) => p.name));
    return plan.selected.filter((p) => basePatches.includes(p) || inPrefix.has(p.name));
  };
  const dropFor = (k: number) => series.slice(k).flatMap((p) => (p.option && fragmentSyms.has(p.option) ? [p.option] : []));
  const builds = new Map<number, PointBuild>();
  const buildPrefix = async (k: number): Promise<PointBuild> => {
    let b = builds.get(k);
    if (!b) {
      b = await builder.build(point, prefixPatches(k), { name: `bisect-prefix-${k}`, drop: dropFor(k), ...(baseDate ? { baseDate } : {}) });
      builds.set(k, b);
    }
    return b;
  };
  const label = (k: number) => (k === 0 ? 'base (no queue patch)' : `+${series[k - 1]!.name} (${k}/${n})`);

  io.out(
    `tiny bisect --queue ${state.id}: ${metricLabel(metric)} growth ≥ ${describeThreshold(threshold)} over the ${n} patches of ${queue.name} on ${base.version}, configuration ${params.config}\n`,
  );
  if (state.steps.length) io.out(`resuming: ${state.steps.length} prefixes already measured (state: ${file})\n`);

  if (state.goodValue === undefined) {
    const b = await buildPrefix(0);
    const v = metricOf(metric, b);
    if (v === undefined) throw new TinyError(`the bare base does not build: ${b.status === 'failed' ? b.error : `no ${metricLabel(metric)}`}`, 1);
    state = {
      ...withStep(state, {
        point: 'prefix:0',
        subject: 'base',
        status: 'good',
        value: v,
        delta: 0,
        durationMs: b.durationMs,
        at: new Date().toISOString(),
        ...(b.status === 'ok' ? { key: b.record.key } : {}),
      }),
      goodValue: v,
    };
    await writeState(file, state);
  }
  const goodValue = state.goodValue!;
  io.out(`base: ${metricLabel(metric)} ${commas(goodValue)}; threshold ${describeThreshold(threshold, goodValue)}\n`);

  let steps = 0;
  const known = (k: number) => stepFor(state, `prefix:${k}`)?.status;
  for (;;) {
    const nx = nextPrefix(n, known);
    if (!('next' in nx)) {
      if (nx.first > n) {
        io.out(`\nno patch crosses the threshold: the whole queue is ${signed((stepFor(state, `prefix:${n}`)?.value ?? goodValue) - goodValue)} against the base\n`);
        return { exitCode: 1, state, steps };
      }
      const k = nx.first;
      const patch = series[k - 1]!;
      io.out(`\nfirst patch over the threshold: ${patch.name}${patch.summary ? ` — ${patch.summary}` : ''} (${k}/${n}), after ${steps} build${steps === 1 ? '' : 's'}\n`);
      if (nx.skipped.length) io.out(`(prefixes ${nx.skipped.join(', ')} did not build: the first bad patch may be earlier, down to ${series[nx.skipped[0]! - 1]!.name})\n`);
      const prev = await buildPrefix(k - 1);
      const cur = await buildPrefix(k);
      if (prev.status === 'ok' && cur.status === 'ok') {
        const a = metricOf(metric, prev)!;
        const b = metricOf(metric, cur)!;
        io.out(`${metricLabel(metric)}: ${commas(a)} -> ${commas(b)} (${signed(b - a)}) against the prefix before it; ${signed(b - goodValue)} against the base\n\n`);
        io.out(bloatOMeter(prev.symbols, cur.symbols));
      }
      state = { ...state, result: { first: patch.name, finishedAt: new Date().toISOString() } };
      await writeState(file, state);
      return { exitCode: 0, state, first: patch.name, steps };
    }
    const k = nx.next;
    const b = await buildPrefix(k);
    steps++;
    const v = metricOf(metric, b);
    const common = { point: `prefix:${k}`, subject: series[k - 1]!.name, durationMs: b.durationMs, at: new Date().toISOString(), ...(b.status === 'ok' ? { key: b.record.key } : {}) };
    let step: StepRecord;
    if (v === undefined) step = { ...common, status: 'skip', reason: b.status === 'failed' ? b.error : `no ${metricLabel(metric)}` };
    else {
      const d = decideStep(v, goodValue, threshold);
      step = { ...common, status: d.status, value: v, delta: d.delta! };
    }
    state = withStep(state, step);
    await writeState(file, state);
    io.out(`  ${label(k)}: ${step.status === 'skip' ? `skip (${step.reason})` : `${metricLabel(metric)} ${commas(step.value!)} (${signed(step.delta!)}) ${step.status}`} ${tookTag(b.durationMs)}\n`);
  }
}
