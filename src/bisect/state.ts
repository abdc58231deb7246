// The bisect state file: every step's outcome, kept in the cache so that an interrupted bisect
// resumes where it stopped. One JSON document per bisect, at
//
//   <cache>/bisect/<id>/state.json      id = sha256 of the parameters (first 16 hex)
//   <cache>/bisect/latest               the id of the last bisect started (for --resume)
//
// Re-running the same command (or `tiny bisect --resume`) replays `git bisect run` from the
// start; each step first looks its commit up here, and only builds commits it has no outcome
// for. Steps are appended one at a time with an atomic rename, so a kill leaves a valid file.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../store/index.js';
import { sha256, writeFileAtomic } from '../util/fs.js';
import type { StepStatus } from './threshold.js';

export const STATE_VERSION = 1;

export interface CommitBisectParams {
  mode: 'commits';
  /** The user's repository (absolute); never written to. */
  repo: string;
  goodRef: string;
  badRef: string;
  good: string;
  bad: string;
  /** Directory holding configs/, and the configuration's name (or path). */
  root: string;
  config: string;
  metric: string;
  threshold: string;
  /** Queue directory applied at each step; null: the bare commits. */
  queue: string | null;
  runtime?: string;
  jobs?: number;
}

export interface QueueBisectParams {
  mode: 'queue';
  root: string;
  config: string;
  queue: string;
  /** --tree: the kernel tree the queue is applied to (default: the queue's base). */
  tree?: string;
  /** --allow-other-base: the tree may be none of the queue's pinned bases. */
  allowOtherBase?: boolean;
  metric: string;
  threshold: string;
  runtime?: string;
  jobs?: number;
}

export type BisectParams = CommitBisectParams | QueueBisectParams;

export interface StepRecord {
  /** A commit (commit bisect) or a prefix length (queue bisect, as "prefix:N"). */
  point: string;
  subject?: string;
  status: StepStatus;
  value?: number;
  delta?: number;
  /** Why a step was skipped (the first error). */
  reason?: string;
  /** The build record's key. */
  key?: string;
  /**
   * A skip because tiny could not evaluate the point at all (the configuration or queue could
   * not be read, an internal error), not because of the commit: tried again on resume.
   */
  unevaluated?: boolean;
  durationMs: number;
  at: string;
}

export interface BisectState {
  version: number;
  id: string;
  params: BisectParams;
  /** The scratch clone (commit bisect). */
  scratch?: string;
  goodValue?: number;
  goodKey?: string;
  /** How long measuring the good point took (the first, usually clean, build). */
  goodMs?: number;
  badValue?: number;
  steps: StepRecord[];
  result?: {
    first?: string;
    subject?: string;
    candidates?: string[];
    finishedAt: string;
  };
}

export function bisectId(p: BisectParams): string {
  // runtime and jobs do not change what is measured: left out of the identity.
  const { runtime: _r, jobs: _j, ...rest } = p;
  return sha256(canonicalJson(rest)).slice(0, 16);
}

export function bisectDir(cacheDir: string, id: string): string {
  return join(cacheDir, 'bisect', id);
}

export function statePath(cacheDir: string, id: string): string {
  return join(bisectDir(cacheDir, id), 'state.json');
}

export function newState(p: BisectParams): BisectState {
  return { version: STATE_VERSION, id: bisectId(p), params: p, steps: [] };
}

export async function readState(file: string): Promise<BisectState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const s = JSON.parse(text) as BisectState;
  if (s.version !== STATE_VERSION || !Array.isArray(s.steps)) return undefined;
  return s;
}

export async function writeState(file: string, s: BisectState): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(s, null, 2) + '\n');
}

export async function writeLatest(cacheDir: string, id: string): Promise<void> {
  await mkdir(join(cacheDir, 'bisect'), { recursive: true });
  await writeFileAtomic(join(cacheDir, 'bisect', 'latest'), id + '\n');
}

export async function readLatest(cacheDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(cacheDir, 'bisect', 'latest'), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The recorded outcome of a point, if any (the last one wins). */
export function stepFor(s: BisectState, point: string): StepRecord | undefined {
  const step = s.steps.filter((x) => x.point === point).at(-1);
  return step?.unevaluated ? undefined : step;
}

/** Record a step (replacing an earlier outcome for the same point). */
export function withStep(s: BisectState, step: StepRecord): BisectState {
  return { ...s, steps: [...s.steps.filter((x) => x.point !== step.point), step] };
}

/**
 * Binary search over a monotone predicate on 1..n (the queue bisect): the smallest k whose
 * outcome is bad, given the outcomes known so far. `known(k)` is 'good' | 'bad' | 'skip' |
 * undefined. Returns { next } to test, or { first } when decided (first = n + 1: none is bad),
 * skipping skipped points like git bisect does (the nearest untested neighbour).
 */
export function nextPrefix(n: number, known: (k: number) => StepStatus | undefined): { next: number } | { first: number; skipped: number[] } {
  let lo = 0; // prefix lo is good (0 = the bare base)
  let hi = n + 1; // prefix hi is bad (n + 1 = "beyond the queue")
  for (let k = 1; k <= n; k++) {
    const st = known(k);
    if (st === 'good' && k > lo) lo = k;
  }
  for (let k = n; k >= 1; k--) {
    const st = known(k);
    if (st === 'bad' && k < hi && k > lo) hi = k;
  }
  const open: number[] = [];
  for (let k = lo + 1; k < hi; k++) if (known(k) !== 'skip') open.push(k);
  if (open.length === 0) {
    const skipped: number[] = [];
    for (let k = lo + 1; k < hi; k++) skipped.push(k);
    return { first: hi, skipped };
  }
  // hi = n + 1 is unknown until tested: the full queue must be measured first.
  if (hi === n + 1 && known(n) === undefined) return { next: n };
  return { next: open[Math.floor((open.length - 1) / 2)]! };
}
