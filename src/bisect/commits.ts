// `tiny bisect` over kernel commits: git bisect run, with tiny as the run script.
//
//   1. A scratch clone of the user's repository in the cache (git clone --shared --no-checkout:
//      it borrows the repository's objects and never writes to it; the user's HEAD, index,
//      worktree and refs/bisect are untouched).
//   2. The good point is measured first (then the bad point: it must cross the threshold).
//   3. git bisect start --no-checkout BAD GOOD in the scratch clone, then
//      git bisect run <tiny> bisect step --state <state.json>: each step reads BISECT_HEAD,
//      imports that commit into the tree store, applies the queue (or not), builds it in the
//      bisect lane (one worktree + one build directory for every step: incremental), measures
//      the metric and exits 0 (growth < threshold), 1 (growth >= threshold) or 125 (the queue
//      does not apply or the build fails: skip).
//   4. Every step's outcome goes to the state file: re-running the command (or --resume)
//      replays git bisect run and answers known commits from the file without building.
//   5. The first bad commit: its delta against its parent and the symbol diff (bloat-o-meter
//      format); then CONFIRM: the commit reverted on the bad point (its diff applied in reverse,
//      three-way when needed, to a private index: git revert --no-commit without a checkout) rebuilt
//      and measured against the threshold.

import { mkdir, readdir, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../util/fs.js';
import { join, resolve } from 'node:path';
import { bloatOMeter } from '../measure/bloat.js';
import { loadQueue } from '../queue/load.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { planMatrix } from '../matrix/plan.js';
import { TinyError } from '../util/diagnostics.js';
import { stream } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { notice } from '../util/notice.js';
import { gitEnv, gitIn } from '../tree/git.js';
import { userRepo } from '../tree/user-repo.js';
import { BisectBuilder, metricOf, type BasePoint, type PointBuild } from './build.js';
import { bisectDir, newState, readState, statePath, stepFor, withStep, writeLatest, writeState, type BisectState, type CommitBisectParams, type StepRecord } from './state.js';
import { commas, decideStep, describeThreshold, exitFor, metricLabel, parseMetric, parseThreshold, signed, thresholdBytes, tookTag, type Metric, type Threshold } from './threshold.js';

export interface BisectIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface CommitBisectOptions {
  cacheDir: string;
  /** argv that runs `tiny` (e.g. [node, bin/tiny.js]); `bisect step --state F` is appended. */
  tinyArgv: string[];
  io: BisectIO;
}

const IDENT_ENV = {
  GIT_AUTHOR_NAME: 'tiny',
  GIT_AUTHOR_EMAIL: 'tiny@localhost',
  GIT_COMMITTER_NAME: 'tiny',
  GIT_COMMITTER_EMAIL: 'tiny@localhost',
  GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_DATE: '@0 +0000',
};

/**
 * The one scrubbed git environment (no inherited GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE...: with
 * GIT_DIR exported, `git -C scratch bisect start` would act on the user's repository), no user
 * configuration, a fixed identity.
 */
function bisectGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return gitEnv({ ...IDENT_ENV, ...extra });
}

async function git(dir: string, args: string[], allowFail = false) {
  return gitIn(dir, args, { env: IDENT_ENV, allowFail });
}

export async function resolveCommit(repo: string, ref: string): Promise<string> {
  const r = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], true);
  if (r.code !== 0) throw new TinyError(`${repo} has no commit "${ref}"`, 2, [], 'give a branch, a tag or a commit id of that repository');
  return r.stdout.trim();
}

export async function subjectOf(repo: string, commit: string): Promise<string> {
  return (await git(repo, ['log', '-1', '--format=%s', commit], true)).stdout.trim();
}

const short = (c: string) => c.slice(0, 12);

/** Queue + patches a commit bisect applies at each step (none for --no-queue). */
interface StepContext {
  builder: BisectBuilder;
  metric: Metric;
  threshold: Threshold;
  queue?: Queue;
  patches: QueuePatch[];
  scratch: string;
}

async function openContext(state: BisectState, cacheDir: string, onLog?: (l: string) => void): Promise<StepContext> {
  const p = state.params as CommitBisectParams;
  const builder = await BisectBuilder.open({
    root: p.root,
    config: p.config,
    cacheDir,
    ...(p.runtime ? { runtime: p.runtime as 'host' } : {}),
    ...(p.jobs ? { jobs: p.jobs } : {}),
    ...(onLog ? { onLog } : {}),
  });
  let queue: Queue | undefined;
  let patches: QueuePatch[] = [];
  if (p.queue) {
    queue = await loadQueue(p.queue);
    const plan = planMatrix({
      queue,
      version: queue.base.version,
      select: builder.config.queue.select,
      baseSelect: builder.config.queue.baseSelect,
      toolchainSymbols: builder.common.toolchain.needsCompat,
      fragment: builder.config.kconfig.fragment,
    });
    patches = plan.selected;
  }
  return { builder, metric: parseMetric(p.metric), threshold: parseThreshold(p.threshold), ...(queue ? { queue } : {}), patches, scratch: state.scratch! };
}

async function buildCommit(ctx: StepContext, commit: string): Promise<{ base?: BasePoint; build: PointBuild }> {
  const t0 = Date.now();
  let base: BasePoint;
  try {
    base = await ctx.builder.importCommit(ctx.scratch, commit, ctx.queue?.base.version);
  } catch (e) {
    return { build: { status: 'failed', error: `cannot import ${short(commit)}: ${(e as Error).message}`, details: [], durationMs: Date.now() - t0 } };
  }
  const baseDate = ctx.queue?.base.date;
  const build = await ctx.builder.build(base, ctx.patches, { name: ctx.patches.length ? 'bisect-queue' : 'bisect', ...(ctx.queue ? { queue: ctx.queue } : {}), ...(baseDate ? { baseDate } : {}) });
  // The point's time is what it cost: bringing its tree into the store, then the build.
  return { base, build: { ...build, durationMs: Date.now() - t0 } };
}

function stepLine(s: StepRecord, metric: string): string {
  const what = s.status === 'skip' ? `skip (${s.reason ?? 'no value'})` : `${metric} ${commas(s.value!)} (${signed(s.delta!)}) ${s.status}`;
  return `${short(s.point)} ${s.subject ? JSON.stringify(s.subject.length > 60 ? s.subject.slice(0, 57) + '...' : s.subject) : ''}: ${what}`;
}

/** Measure a commit and record it as a step. */
async function measureStep(ctx: StepContext, commit: string, goodValue: number | undefined): Promise<{ step: StepRecord; build: PointBuild }> {
  const { build } = await buildCommit(ctx, commit);
  const value = metricOf(ctx.metric, build);
  const subject = await subjectOf(ctx.scratch, commit);
  const base = { point: commit, subject, durationMs: build.durationMs, at: new Date().toISOString(), ...(build.status === 'ok' ? { key: build.record.key } : {}) };
  let step: StepRecord;
  if (build.status !== 'ok') step = { ...base, status: 'skip', reason: build.error };
  else if (value === undefined) step = { ...base, status: 'skip', reason: `the build has no ${metricLabel(ctx.metric)}` };
  else if (goodValue === undefined) step = { ...base, status: 'good', value, delta: 0 };
  else {
    const d = decideStep(value, goodValue, ctx.threshold);
    step = { ...base, status: d.status, value, delta: d.delta! };
  }
  return { step, build };
}

/**
 * The hidden `tiny bisect step --state FILE`: git bisect run's script. Returns 0 (good), 1 (bad:
 * only for a point measured over the threshold) or 125 (skip: the point could not be evaluated,
 * whatever the reason; git bisect run counts any other code below 128 as bad, so an error here
 * must never become 1).
 */
export async function runBisectStep(stateFile: string, cacheDir: string, io: BisectIO): Promise<number> {
  const state = await readState(stateFile).catch(() => undefined);
  if (state?.params.mode !== 'commits' || !state.scratch || state.goodValue === undefined) {
    io.err(`tiny bisect step: no usable bisect state at ${stateFile}\n`);
    return 128; // git bisect run stops on > 127
  }
  let head = '';
  try {
    head = (await git(state.scratch, ['rev-parse', '--verify', 'BISECT_HEAD'], true)).stdout.trim() || (await git(state.scratch, ['rev-parse', 'HEAD'])).stdout.trim();
    const known = stepFor(state, head);
    const metric = state.params.metric;
    if (known) {
      io.out(`tiny: ${stepLine(known, metric)} [from the state file]\n`);
      return exitFor(known.status);
    }
    const ctx = await openContext(state, cacheDir, (l) => io.err(`tiny: ${l}\n`));
    const { step } = await measureStep(ctx, head, state.goodValue);
    const fresh = (await readState(stateFile)) ?? state;
    await writeState(stateFile, withStep(fresh, step));
    io.out(`tiny: ${stepLine(step, metric)} ${tookTag(step.durationMs)}\n`);
    return exitFor(step.status);
  } catch (e) {
    const reason = e instanceof TinyError ? e.message + (e.hint ? ` (${e.hint})` : '') : `internal error: ${(e as Error)?.message ?? String(e)}`;
    if (head) {
      const step: StepRecord = { point: head, status: 'skip', reason, unevaluated: true, durationMs: 0, at: new Date().toISOString() };
      await writeState(stateFile, withStep((await readState(stateFile).catch(() => undefined)) ?? state, step)).catch(() => {});
    }
    io.out(`tiny: ${head ? short(head) : 'this step'}: cannot evaluate: ${reason}; skipped (exit 125)\n`);
    return 125;
  }
}

export interface CommitBisectResult {
  exitCode: number;
  state: BisectState;
  first?: string;
  confirm?: { reverted: boolean; value?: number; delta?: number; under?: boolean; message: string };
}

/**
 * The lock files a git killed in the scratch clone left (a bisect killed while `git bisect run`
 * moved refs/bisect or BISECT_HEAD): every later git command there would refuse to run. The
 * caller holds the bisect's lock, so no git of a live run of it is at work there.
 */
async function removeKilledGitLocks(scratch: string): Promise<void> {
  const left: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory() && !(dir === scratch && e.name === 'objects')) await walk(path);
      else if (e.isFile() && e.name.endsWith('.lock')) left.push(path);
    }
  };
  await walk(scratch);
  for (const path of left) await rm(path, { force: true });
  if (left.length) notice(`removed ${left.join(', ')}: left by a git killed in the bisect's scratch clone`);
}

/** Ensure the scratch clone of the repository exists (never touching the repository). */
async function ensureScratch(repo: string, dir: string): Promise<string> {
  const scratch = join(dir, 'repo.git');
  const have = await readdir(scratch).then(
    () => true,
    () => false,
  );
  try {
    if (!have) {
      await mkdir(dir, { recursive: true });
      await userRepo(dir, IDENT_ENV).clone(repo, scratch, ['--quiet', '--shared', '--bare']);
    } else {
      await removeKilledGitLocks(scratch);
      // New commits of the repository are visible through the shared objects; refresh the refs.
      await userRepo(scratch, IDENT_ENV).fetch(repo, '+refs/heads/*:refs/heads/*', ['--quiet']);
    }
  } catch (e) {
    const why = (e as Error).message.trim().split('\n').pop();
    throw new TinyError(`cannot ${have ? 'refresh the scratch clone of' : 'clone'} ${repo} for the bisect: ${why}`, 2, [], 'give --repo a git repository (a directory with .git, or a bare one)');
  }
  return scratch;
}

/**
 * Run (or resume) a commit bisect, holding its lock: one run of a bisect at a time. A second run
 * of the same bisect is refused at once; the lock of a run that was killed is taken over.
 */
export async function startCommitBisect(params: CommitBisectParams, o: CommitBisectOptions): Promise<CommitBisectResult> {
  const id = newState(params).id;
  return withLock(join(bisectDir(o.cacheDir, id), 'run.lock'), () => runCommitBisect(params, o), {
    onWait: (pid) => {
      throw new TinyError(
        `bisect ${id} is already running (process ${pid})`,
        2,
        [],
        'wait for it to finish, or stop it; then re-run the same command (or tiny bisect --resume): measured commits are kept',
      );
    },
  });
}

async function runCommitBisect(params: CommitBisectParams, o: CommitBisectOptions): Promise<CommitBisectResult> {
  const { io, cacheDir } = o;
  const metric = parseMetric(params.metric);
  const threshold = parseThreshold(params.threshold);
  const fresh = newState(params);
  const file = statePath(cacheDir, fresh.id);
  let state = (await readState(file)) ?? fresh;
  await writeLatest(cacheDir, state.id);
  const resumed = state.steps.length > 0;
  state.scratch = await ensureScratch(params.repo, bisectDir(cacheDir, state.id));
  await writeState(file, state);
  io.out(
    `tiny bisect ${state.id}: ${metricLabel(metric)} growth ≥ ${describeThreshold(threshold)} between ${params.goodRef} (${short(params.good)}) and ${params.badRef} (${short(params.bad)}), configuration ${params.config}, ${params.queue ? `queue ${params.queue}` : 'no queue'}\n`,
  );
  if (resumed) io.out(`resuming: ${state.steps.length} point${state.steps.length > 1 ? 's' : ''} already measured (state: ${file})\n`);

  const ctx = await openContext(state, cacheDir, (l) => io.err(`tiny: ${l}\n`));

  // The good point first: its value is what every step is compared with.
  if (state.goodValue === undefined) {
    io.out(`measuring the good point ${short(params.good)} ...\n`);
    const { step, build } = await measureStep(ctx, params.good, undefined);
    if (build.status !== 'ok' || step.value === undefined) {
      throw new TinyError(
        `the good point ${params.goodRef} (${short(params.good)}) does not build or has no ${metricLabel(metric)}: ${step.reason ?? ''}`,
        1,
        [],
        build.status === 'failed' ? build.details.join('\n') || undefined : undefined,
      );
    }
    state = { ...withStep(state, step), goodValue: step.value, goodKey: step.key!, goodMs: step.durationMs };
    await writeState(file, state);
  }
  const goodValue = state.goodValue!;
  const took = (point: string) => {
    const ms = state.steps.find((st) => st.point === point)?.durationMs;
    return ms === undefined ? '' : ` ${tookTag(ms)}`;
  };
  io.out(`good ${short(params.good)}: ${metricLabel(metric)} ${commas(goodValue)}; threshold ${describeThreshold(threshold, goodValue)}${took(params.good)}\n`);
  if (state.badValue === undefined) {
    io.out(`measuring the bad point ${short(params.bad)} ...\n`);
    const { step } = await measureStep(ctx, params.bad, goodValue);
    if (step.status === 'skip') throw new TinyError(`the bad point ${params.badRef} (${short(params.bad)}) does not build: ${step.reason ?? ''}`, 1);
    state = { ...withStep(state, step), badValue: step.value! };
    await writeState(file, state);
    if (step.status !== 'bad') {
      io.out(`bad ${short(params.bad)}: ${metricLabel(metric)} ${commas(step.value!)} (${signed(step.delta!)}): below the threshold — nothing to bisect\n`);
      return { exitCode: 1, state };
    }
  }
  io.out(`bad  ${short(params.bad)}: ${metricLabel(metric)} ${commas(state.badValue!)} (${signed(state.badValue! - goodValue)})${took(params.bad)}\n`);

  // git bisect run in the scratch clone.
  const scratch = state.scratch!;
  await git(scratch, ['bisect', 'reset'], true);
  await git(scratch, ['bisect', 'start', '--no-checkout', params.bad, params.good]);
  const stepArgs = [...o.tinyArgv.slice(1), 'bisect', 'step', '--state', file];
  io.out(`$ git bisect run ${['tiny', 'bisect', 'step', '--state', file].join(' ')}\n`);
  // The steps run inside the scratch clone: they get the cache as an absolute path (a relative
  // TINY_CACHE would name another directory there).
  // All of git bisect run's output is kept: its verdict ("is the first bad commit", "could be any
  // of" and the candidates) is read from it below.
  const r = await stream('git', ['-C', scratch, 'bisect', 'run', o.tinyArgv[0]!, ...stepArgs], {
    cwd: scratch,
    env: bisectGitEnv({ TINY_CACHE: resolve(cacheDir) }),
    keepBytes: Number.MAX_SAFE_INTEGER,
    onLine: (line) => {
      if (/^(running|Bisecting:|\[[0-9a-f]{40}\]|tiny: )/.test(line) || /first bad commit|could be any of|cannot bisect/i.test(line)) io.out(`  ${line}\n`);
      else if (/^[0-9a-f]{40}$/.test(line.trim())) io.out(`  ${line}\n`);
    },
  });
  const log = (await git(scratch, ['bisect', 'log'], true)).stdout;
  await writeFileAtomic(join(bisectDir(cacheDir, state.id), 'bisect.log'), log);
  state = (await readState(file)) ?? state;

  let first: string | undefined;
  let candidates: string[] | undefined;
  if (/is the first bad commit/.test(r.output)) {
    first = (await git(scratch, ['rev-parse', '--verify', 'refs/bisect/bad'])).stdout.trim();
  } else if (/could be any of/.test(r.output)) {
    const after = r.output.split(/could be any of:?/)[1] ?? '';
    candidates = [...after.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!);
  }
  await git(scratch, ['bisect', 'reset'], true);

  // The steps git bisect run asked for (the good and bad points were measured before it).
  const between = state.steps.filter((s) => s.point !== params.good && s.point !== params.bad);
  const unevaluated = between.filter((s) => s.unevaluated);
  if (between.length > 0 && between.every((s) => s.status === 'skip')) {
    state = { ...state, result: { ...(candidates ? { candidates } : {}), finishedAt: new Date().toISOString() } };
    await writeState(file, state);
    const reasons = [...new Set(between.map((s) => s.reason ?? 'no value'))];
    throw new TinyError(
      `every step of the bisect was skipped (${between.length} commit${between.length === 1 ? '' : 's'}): no first bad commit can be named`,
      1,
      [],
      `${unevaluated.length ? 'tiny could not evaluate them' : 'none of them built'}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; and ${reasons.length - 3} more` : ''}\n  fix that, then re-run the same command (or tiny bisect --resume): measured commits are kept`,
    );
  }
  // git bisect run counts every exit code below 128 but 0 and 125 as bad: a first bad commit
  // is only an answer when tiny measured it bad (or it is the bad point itself).
  if (first && first !== params.bad && stepFor(state, first)?.status !== 'bad') {
    state = { ...state, result: { finishedAt: new Date().toISOString() } };
    await writeState(file, state);
    throw new TinyError(
      `git bisect run named ${short(first)} as the first bad commit, but tiny never measured it over the threshold: the answer is not trusted`,
      1,
      [],
      `a step failed in a way git counted as bad; see ${join(bisectDir(cacheDir, state.id), 'bisect.log')} and re-run the same command`,
    );
  }

  if (!first) {
    state = { ...state, result: { ...(candidates ? { candidates } : {}), finishedAt: new Date().toISOString() } };
    await writeState(file, state);
    if (candidates?.length) {
      io.out(`\nno single first bad commit: skipped commits (build or queue failures) hide it; it is one of:\n`);
      for (const c of candidates) io.out(`  ${short(c)} ${await subjectOf(scratch, c)}\n`);
      return { exitCode: 1, state };
    }
    throw new TinyError(`git bisect run did not name a first bad commit (exit ${r.code})`, 1, [], r.output.split('\n').slice(-8).join('\n'));
  }

  const subject = await subjectOf(scratch, first);
  state = { ...state, result: { first, subject, finishedAt: new Date().toISOString() } };
  await writeState(file, state);
  const steps = state.steps.filter((s) => s.point !== params.good && s.point !== params.bad);
  io.out(`\nfirst bad commit: ${first} ${subject}\n`);
  io.out(`(${steps.length} step${steps.length === 1 ? '' : 's'}, ${steps.filter((s) => s.status === 'skip').length} skipped)\n`);

  // Its delta against its parent, and the symbol diff.
  const firstBuild = await buildCommit(ctx, first);
  const parent = (await git(scratch, ['rev-parse', '--verify', '--quiet', `${first}^`], true)).stdout.trim();
  if (parent && firstBuild.build.status === 'ok') {
    const parentBuild = await buildCommit(ctx, parent);
    if (parentBuild.build.status === 'ok') {
      const a = metricOf(metric, parentBuild.build)!;
      const b = metricOf(metric, firstBuild.build)!;
      const sa = parentBuild.build.record.measurement!.size;
      const sb = firstBuild.build.record.measurement!.size;
      io.out(
        `${metricLabel(metric)}: ${commas(a)} -> ${commas(b)} (${signed(b - a)}) against its parent ${short(parent)}; text ${signed(sb.text - sa.text)}, data ${signed(sb.data - sa.data)}, bss ${signed(sb.bss - sa.bss)}, dec ${signed(sb.dec - sa.dec)}\n\n`,
      );
      io.out(bloatOMeter(parentBuild.build.symbols, firstBuild.build.symbols));
    } else {
      io.out(`its parent ${short(parent)} does not build (${parentBuild.build.error}): no delta against it\n`);
    }
  }

  const confirm = await confirmRevert(ctx, scratch, params.bad, first, subject, goodValue, threshold, metric, io);
  return { exitCode: 0, state, first, confirm };
}

/** Revert `first` on `bad` (three-way merge, no checkout) and rebuild. */
async function confirmRevert(
  ctx: StepContext,
  scratch: string,
  bad: string,
  first: string,
  subject: string,
  goodValue: number,
  threshold: Threshold,
  metric: Metric,
  io: BisectIO,
): Promise<CommitBisectResult['confirm']> {
  io.out(`\nconfirm: revert ${short(first)} on the bad point ${short(bad)} and rebuild\n`);
  const parent = (await git(scratch, ['rev-parse', '--verify', '--quiet', `${first}^`], true)).stdout.trim();
  if (!parent) {
    const message = `${short(first)} has no parent: it cannot be reverted`;
    io.out(`  ${message}\n`);
    return { reverted: false, message };
  }
  // git revert --no-commit, without a checkout: the commit's diff applied in reverse (with a
  // three-way fallback) to a private index holding the bad point's tree.
  const index = join(scratch, 'tiny-confirm.index');
  const env = { ...IDENT_ENV, GIT_INDEX_FILE: index };
  await gitIn(scratch, ['read-tree', bad], { env });
  // The diff stays bytes: kernel sources hold Latin-1, a UTF-8 round trip would change them.
  const diff = (await gitIn(scratch, ['diff', '--binary', '--full-index', parent, first], { env: IDENT_ENV, binary: true })).stdoutBuffer!;
  let applied = await gitIn(scratch, ['apply', '--cached', '-R'], { env, input: diff, allowFail: true });
  if (applied.code !== 0) {
    await gitIn(scratch, ['read-tree', bad], { env });
    applied = await gitIn(scratch, ['apply', '--cached', '--3way', '-R'], { env, input: diff, allowFail: true });
  }
  if (applied.code !== 0) {
    const files = [
      ...new Set([...applied.stderr.matchAll(/(?:patch failed|conflicts?|Applied patch to|error: )[: ]*'?([^\s:']+)/g)].map((x) => x[1]!).filter((f) => f.includes('/') || f.includes('.'))),
    ];
    const message = `${short(first)} does not revert cleanly on ${short(bad)}${files.length ? ` (conflicts in ${files.join(', ')})` : ''}: not confirmed`;
    io.out(`  ${message}\n`);
    await rm(index, { force: true });
    return { reverted: false, message };
  }
  const tree = (await gitIn(scratch, ['write-tree'], { env })).stdout.trim();
  await rm(index, { force: true });
  const commit = (await gitIn(scratch, ['commit-tree', tree, '-p', bad, '-m', `Revert "${subject}"\n\nThis reverts commit ${first}.`], { env: IDENT_ENV })).stdout.trim();
  await git(scratch, ['update-ref', 'refs/tiny/confirm', commit]);
  const { build } = await buildCommit(ctx, commit);
  const value = metricOf(metric, build);
  if (value === undefined) {
    const message = `the revert ${short(commit)} does not build (${build.status === 'failed' ? build.error : 'no value'}): not confirmed`;
    io.out(`  ${message}\n`);
    return { reverted: true, message };
  }
  const delta = value - goodValue;
  const under = delta < thresholdBytes(threshold, goodValue);
  const message = under
    ? `confirmed: with ${short(first)} reverted, ${metricLabel(metric)} is ${commas(value)} (${signed(delta)} vs good): back under the threshold ${describeThreshold(threshold, goodValue)}`
    : `NOT confirmed: with ${short(first)} reverted, ${metricLabel(metric)} is ${commas(value)} (${signed(delta)} vs good): still over the threshold ${describeThreshold(threshold, goodValue)} — other commits grow it too`;
  io.out(`  ${message} ${tookTag(build.durationMs)}\n`);
  return { reverted: true, value, delta, under, message };
}

export function resolveParams(p: Omit<CommitBisectParams, 'good' | 'bad'> & { good?: string; bad?: string }): CommitBisectParams {
  return { ...p, repo: resolve(p.repo), root: resolve(p.root), queue: p.queue ? resolve(p.queue) : null, good: p.good!, bad: p.bad! };
}
