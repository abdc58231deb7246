// Shards: the toggles of a plan split into N shares for N machines. Pure functions.
//
// Balance. Each toggle weighs what its last build took (or, unknown, an estimate; with no
// durations at all, 1: a split by count). Toggles that share a patch selection share a build
// directory (Kbuild rebuilds only what their .config changes), so they stay together — a
// group is one piece — unless the group alone weighs more than a fair share (total / N): then
// it is cut into consecutive runs of its toggles, each at most a share. The pieces are placed
// largest first, each on the least loaded shard (LPT); ties go to the earlier piece and the
// lower shard. Inside a shard toggles keep the plan's execution order. Same inputs, same split.
//
// Indexes. `--shard I/N` counts from 1, as GitLab's CI_NODE_INDEX does (1..CI_NODE_TOTAL);
// a Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts from 0 (0..completions-1), so it
// names shard JOB_COMPLETION_INDEX + 1.

import { TinyError } from '../util/diagnostics.js';

export interface ShardItem {
  name: string;
  /** Toggles with equal groups share a build directory (Toggle.selection). */
  group: string;
  /** Weight: milliseconds (or 1 each, when balancing by count). */
  weight: number;
}

export interface Shard {
  /** 1-based. */
  index: number;
  /** In the order of the items given (the plan's execution order). */
  toggles: string[];
  /** Sum of the toggles' weights. */
  weight: number;
}

/** The most shards one plan has: GitHub Actions runs at most 256 jobs per matrix. */
export const MAX_SHARDS = 256;

export function checkShardCount(n: number, where = '--shards'): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)
    throw new TinyError(`${where} must be a whole number from 1 to ${MAX_SHARDS}, not ${JSON.stringify(n)}`, 2, [], `${MAX_SHARDS} is GitHub Actions' cap on the jobs of one matrix`);
  return n;
}

interface Piece {
  items: Array<ShardItem & { order: number }>;
  weight: number;
  first: number;
}

/** Cut a group into consecutive runs of at most `share` (a toggle heavier than a share is a run alone). */
function cut(items: Array<ShardItem & { order: number }>, share: number): Piece[] {
  const total = items.reduce((n, i) => n + i.weight, 0);
  const parts = Math.max(1, Math.ceil(total / share - 1e-9));
  const target = total / parts;
  const pieces: Piece[] = [];
  let current: Piece | undefined;
  for (const item of items) {
    if (current && current.weight + item.weight > target + 1e-9 && pieces.length < parts - 1) {
      pieces.push(current);
      current = undefined;
    }
    current ??= { items: [], weight: 0, first: item.order };
    current.items.push(item);
    current.weight += item.weight;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** Split `items` (in execution order) into `n` shards; see the top of this file. */
export function balanceShards(items: readonly ShardItem[], n: number): Shard[] {
  checkShardCount(n);
  const names = new Set<string>();
  for (const i of items) {
    if (names.has(i.name)) throw new Error(`balanceShards: ${i.name} listed twice`);
    names.add(i.name);
    if (!(i.weight >= 0) || !Number.isFinite(i.weight)) throw new Error(`balanceShards: ${i.name} has weight ${i.weight}`);
  }
  const ordered = items.map((i, order) => ({ ...i, order }));
  const groups = new Map<string, typeof ordered>();
  for (const i of ordered) {
    const g = groups.get(i.group);
    if (g) g.push(i);
    else groups.set(i.group, [i]);
  }
  const total = ordered.reduce((s, i) => s + i.weight, 0);
  const share = total / n;
  const pieces: Piece[] = [];
  for (const g of groups.values()) {
    const weight = g.reduce((s, i) => s + i.weight, 0);
    if (weight <= share + 1e-9 || g.length === 1 || share === 0) pieces.push({ items: g, weight, first: g[0]!.order });
    else pieces.push(...cut(g, share));
  }
  pieces.sort((a, b) => b.weight - a.weight || a.first - b.first);
  const shards = Array.from({ length: n }, (_, k) => ({ index: k + 1, items: [] as typeof ordered, weight: 0 }));
  for (const p of pieces) {
    let best = shards[0]!;
    for (const s of shards) if (s.weight < best.weight - 1e-9) best = s;
    best.items.push(...p.items);
    best.weight += p.weight;
  }
  return shards.map((s) => ({ index: s.index, toggles: s.items.sort((a, b) => a.order - b.order).map((i) => i.name), weight: s.weight }));
}

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
  /** Where the index came from: the --shard argument, CI_NODE_INDEX (GitLab) or JOB_COMPLETION_INDEX (Kubernetes). */
  source: 'argument' | 'CI_NODE_INDEX' | 'JOB_COMPLETION_INDEX';
}

function wholeNumber(value: string, what: string, hint: string): number {
  if (!/^\d+$/.test(value.trim())) throw new TinyError(`${what} must be a whole number, not '${value}'`, 2, [], hint);
  return Number(value.trim());
}

/** `--shard I/N` (1 <= I <= N). */
export function parseShardArg(value: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m)
    throw new TinyError(
      `--shard takes I/N (shard I of N, counted from 1) or auto, not '${value}'`,
      2,
      [],
      'e.g. --shard 2/3; --shard auto reads CI_NODE_INDEX/CI_NODE_TOTAL (GitLab) or JOB_COMPLETION_INDEX (Kubernetes)',
    );
  const index = Number(m[1]);
  const count = checkShardCount(Number(m[2]), '--shard I/N: N');
  if (index < 1 || index > count) throw new TinyError(`--shard ${value}: the shard is counted from 1 to ${count}`, 2, [], `e.g. --shard 1/${count} for the first`);
  return { index, count, source: 'argument' };
}

/**
 * `--shard auto`: the shard from the environment a CI engine gives each job.
 *   GitLab `parallel: N`:  CI_NODE_INDEX (1..N) and CI_NODE_TOTAL (N): shard CI_NODE_INDEX of N
 *   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0..N-1), N from `count` (--shards, or the
 *                           plan file's shard count): shard JOB_COMPLETION_INDEX + 1 of N
 * `count`, when given with CI_NODE_TOTAL, must agree with it.
 */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>, count?: number): ShardSpec {
  const node = env.CI_NODE_INDEX;
  const total = env.CI_NODE_TOTAL;
  const job = env.JOB_COMPLETION_INDEX;
  if (node !== undefined && node !== '' && job !== undefined && job !== '') {
    throw new TinyError('--shard auto: both CI_NODE_INDEX and JOB_COMPLETION_INDEX are set: which one names the shard is ambiguous', 2, [], 'give the shard explicitly: --shard I/N');
  }
  if (node !== undefined && node !== '') {
    const hint = 'GitLab sets CI_NODE_INDEX (from 1) and CI_NODE_TOTAL in the jobs of a `parallel: N` job';
    const index = wholeNumber(node, 'CI_NODE_INDEX', hint);
    if (total === undefined || total === '') throw new TinyError('--shard auto: CI_NODE_INDEX is set but CI_NODE_TOTAL is not', 2, [], hint);
    const n = checkShardCount(wholeNumber(total, 'CI_NODE_TOTAL', hint), 'CI_NODE_TOTAL');
    if (count !== undefined && count !== n)
      throw new TinyError(`--shard auto: CI_NODE_TOTAL is ${n} but the plan has ${count} shards`, 2, [], `make the job's parallel: ${count}, or the plan with --shards ${n}`);
    if (index < 1 || index > n) throw new TinyError(`CI_NODE_INDEX=${index} is outside 1..${n} (CI_NODE_TOTAL)`, 2, [], hint);
    return { index, count: n, source: 'CI_NODE_INDEX' };
  }
  if (job !== undefined && job !== '') {
    const hint = 'a Kubernetes Indexed Job (completionMode: Indexed) sets JOB_COMPLETION_INDEX from 0 to completions - 1';
    const index0 = wholeNumber(job, 'JOB_COMPLETION_INDEX', hint);
    if (count === undefined) throw new TinyError('--shard auto: JOB_COMPLETION_INDEX does not say how many shards there are', 2, [], "pass --shards N (the Job's completions), or --plan FILE");
    if (index0 >= count) throw new TinyError(`JOB_COMPLETION_INDEX=${index0} is outside 0..${count - 1} (${count} shards)`, 2, [], "the Job's completions must equal the number of shards");
    return { index: index0 + 1, count, source: 'JOB_COMPLETION_INDEX' };
  }
  throw new TinyError('--shard auto: neither CI_NODE_INDEX (GitLab) nor JOB_COMPLETION_INDEX (Kubernetes) is set', 2, [], 'give the shard explicitly: --shard I/N');
}
