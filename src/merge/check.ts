// Mergeability of a queue on one base, computed in memory: each patch in series order, alone
// (with its declared depends), and reversed off the top of the full stack; pairwise overlaps
// and order conflicts; invasiveness and guards; style. Pure: file contents come in as data.

import type { ApplyOutcome, ParsedPatch } from '../patch/types.js';
import { filePath, patchStats } from '../patch/parse.js';
import type { QueuePatch } from '../queue/types.js';
import { declaresOption, editsUpstreamOption, unguardedChanges } from './guarded.js';
import { HunkOverlaps } from './overlap.js';
import { FileState } from './state.js';
import { styleIssues } from './style.js';
import type { BaseCheck, ModeOutcome, PairCheck, PatchCheck } from './types.js';

export interface CheckInput {
  version: string;
  tree: string;
  series: readonly QueuePatch[];
  /** Contents of every file the series touches, as in the base tree (undefined = absent). */
  baseFiles: ReadonlyMap<string, string | undefined>;
  /** The base tree's symlinks among those paths and their directories (path -> target). */
  baseLinks?: ReadonlyMap<string, string>;
  /** Compute pairwise order conflicts (applies each overlapping pair both ways). */
  pairs?: boolean;
  /** How a patch file is named in path errors (default: its file as queue.yaml names it). */
  patchFile?: (p: QueuePatch) => string;
}

/** Is this patch meant for `version`? An empty `bases` list means every base. */
export function meantFor(p: QueuePatch, version: string): boolean {
  return p.bases.length === 0 || p.bases.includes(version);
}

/** The declared depends of a patch, transitively, in series order. */
export function dependencyClosure(series: readonly QueuePatch[], name: string): QueuePatch[] {
  const byName = new Map(series.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const visit = (n: string) => {
    const p = byName.get(n);
    if (!p) return;
    for (const d of p.depends)
      if (!seen.has(d)) {
        seen.add(d);
        visit(d);
      }
  };
  visit(name);
  return series.filter((p) => seen.has(p.name));
}

export function checkBase(input: CheckInput): BaseCheck {
  const series = input.series.filter((p) => meantFor(p, input.version));
  const notForBase = input.series.filter((p) => !meantFor(p, input.version)).map((p) => p.name);
  const fresh = () => new FileState(input.baseFiles, input.baseLinks);
  const fileOf = input.patchFile ?? ((p: QueuePatch) => p.file);

  // (a) In series order. Keep the state before each patch for the guard analysis.
  const stack = fresh();
  const order = new Map<string, ModeOutcome>();
  const invasiveness = new Map<string, PatchCheck['invasiveness']>();
  const failedInOrder = new Set<string>();
  const overlaps = new HunkOverlaps();
  series.forEach((p, index) => {
    const before = stack.clone();
    const { outcome, hunks } = stack.applyWithHunks(p.parsed, p.reverse, fileOf(p));
    if (outcome.kind !== 'fails') overlaps.record(index, p.parsed, p.reverse, hunks, before.read);
    order.set(p.name, outcome);
    if (outcome.kind === 'fails') failedInOrder.add(p.name);
    invasiveness.set(p.name, invasivenessOf(p, before, outcome.kind === 'fails' ? null : stack.clone()));
  });

  // (b) Alone on the base, with its declared depends. A patch without depends that applies
  // leaves its state for the pair checks (the same base plus the same patch).
  const closures = new Map<string, QueuePatch[]>();
  const closureOf = (name: string): QueuePatch[] => {
    let c = closures.get(name);
    if (!c) {
      c = dependencyClosure(series, name);
      closures.set(name, c);
    }
    return c;
  };
  const alone = new Map<string, ModeOutcome>();
  const aloneOnBase = new Map<string, FileState>();
  for (const p of series) {
    const state = fresh();
    const deps = closureOf(p.name);
    const badDep = deps.find((d) => state.apply(d.parsed, d.reverse, fileOf(d)).kind === 'fails');
    const outcome: ModeOutcome = badDep ? { kind: 'skipped', reason: `dependency ${badDep.name} does not apply` } : state.apply(p.parsed, p.reverse, fileOf(p));
    alone.set(p.name, outcome);
    if (!deps.length && outcome.kind !== 'fails') aloneOnBase.set(p.name, state);
  }

  // (c) Reversed, alone, off the top of the full stack: can this patch be backed out while
  // every later patch stays? (Popping in order always works when pushing did; this does not
  // when a later patch builds on this one's lines.)
  const reverse = new Map<string, ModeOutcome>();
  for (const p of series) {
    if (failedInOrder.has(p.name)) reverse.set(p.name, { kind: 'skipped', reason: 'not applied in order' });
    else reverse.set(p.name, stack.clone().apply(p.parsed, !p.reverse, fileOf(p)));
  }

  const patches: PatchCheck[] = series.map((p) => ({
    name: p.name,
    order: order.get(p.name)!,
    alone: alone.get(p.name)!,
    reverse: reverse.get(p.name)!,
    invasiveness: invasiveness.get(p.name)!,
    style: styleIssues(p.parsed),
  }));
  const pairs = pairChecks(series, { fresh, closureOf, alone, aloneOnBase }, input.pairs ?? true, fileOf, (i, j) =>
    failedInOrder.has(series[i]!.name) || failedInOrder.has(series[j]!.name) ? undefined : overlaps.between(i, j),
  );
  return {
    version: input.version,
    tree: input.tree,
    patches,
    pairs,
    notForBase,
    ok: failedInOrder.size === 0,
  };
}

function invasivenessOf(p: QueuePatch, before: FileState, after: FileState | null): PatchCheck['invasiveness'] {
  const stats = patchStats(p.parsed);
  const option = p.option;
  return {
    ...stats,
    declaresOption: option ? declaresOption(p.parsed, option) : null,
    ...(option && !declaresOption(p.parsed, option) && editsUpstreamOption(p.parsed, option, before.read) ? { editsUpstreamOption: true } : {}),
    unguarded: option && after ? unguardedChanges(p.parsed, option, before.read, after.read) : [],
  };
}

interface Range {
  start: number;
  end: number;
}

function hunkRanges(patch: ParsedPatch): Map<string, Range[]> {
  const out = new Map<string, Range[]>();
  for (const f of patch.files) {
    const path = f.oldPath ?? filePath(f);
    const list = out.get(path) ?? [];
    for (const h of f.hunks) list.push({ start: h.oldStart, end: h.oldStart + Math.max(h.oldLines, 1) });
    out.set(path, list);
  }
  return out;
}

/**
 * Pairs of patches touching the same files: overlapping hunks, and whether swapping them fails.
 * `overlapsOf(i, j)`: the hunk pairs that share a line in the series applied in order
 * (overlap.ts); undefined when either patch did not apply, and then their @@ ranges as written
 * are compared, which is all there is.
 */
/** What the pair checks take from the alone checks. */
interface AloneChecks {
  fresh: () => FileState;
  closureOf: (name: string) => QueuePatch[];
  alone: ReadonlyMap<string, ModeOutcome>;
  /** The base plus the patch, for each patch without depends that applies alone. */
  aloneOnBase: ReadonlyMap<string, FileState>;
}

function pairChecks(
  series: readonly QueuePatch[],
  { fresh, closureOf, alone, aloneOnBase }: AloneChecks,
  swap: boolean,
  fileOf: (p: QueuePatch) => string,
  overlapsOf: (i: number, j: number) => number | undefined,
): PairCheck[] {
  const ranges = series.map((p) => hunkRanges(p.parsed));
  const byFile = new Map<string, number[]>();
  ranges.forEach((r, i) => {
    for (const f of r.keys()) byFile.set(f, [...(byFile.get(f) ?? []), i]);
  });
  const shared = new Map<string, string[]>(); // "i,j" -> files
  for (const [file, idx] of byFile) {
    for (let x = 0; x < idx.length; x++)
      for (let y = x + 1; y < idx.length; y++) {
        const key = `${idx[x]},${idx[y]}`;
        shared.set(key, [...(shared.get(key) ?? []), file]);
      }
  }
  const out: PairCheck[] = [];
  for (const [key, files] of shared) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    const a = series[i]!;
    const b = series[j]!;
    let overlapping = overlapsOf(i, j);
    if (overlapping === undefined) {
      overlapping = 0;
      for (const f of files) for (const ra of ranges[i]!.get(f)!) for (const rb of ranges[j]!.get(f)!) if (ra.start < rb.end && rb.start < ra.end) overlapping++;
    }
    const pair: PairCheck = { a: a.name, b: b.name, files: files.sort(), overlappingHunks: overlapping, swapConflict: false };
    if (swap) {
      const related = closureOf(b.name).some((d) => d.name === a.name);
      if (related) pair.detail = `${b.name} depends on ${a.name}`;
      else {
        const depsA = closureOf(a.name);
        const depsB = closureOf(b.name);
        // Only a pair that applies in its own order (on the base with its declared depends)
        // can conflict when swapped; otherwise one of them needs undeclared earlier patches.
        // Without depends, the base plus one of them is what its alone check left.
        let unmet: QueuePatch | null;
        // b then a, from where the pair starts (run only when a then b applied).
        let swapped: () => { first: ModeOutcome; second?: ModeOutcome };
        if (!depsA.length && !depsB.length) {
          const afterA = aloneOnBase.get(a.name);
          unmet = !afterA ? a : afterA.clone().apply(b.parsed, b.reverse, fileOf(b)).kind === 'fails' ? b : null;
          swapped = () => {
            const afterB = aloneOnBase.get(b.name);
            return afterB ? { first: alone.get(b.name)!, second: afterB.clone().apply(a.parsed, a.reverse, fileOf(a)) } : { first: alone.get(b.name)! };
          };
        } else {
          const state = fresh();
          const deps = new Set([...depsA, ...depsB].map((d) => d.name));
          for (const d of series) if (deps.has(d.name)) state.apply(d.parsed, d.reverse, fileOf(d));
          const natural = state.clone();
          unmet = natural.apply(a.parsed, a.reverse, fileOf(a)).kind === 'fails' ? a : natural.apply(b.parsed, b.reverse, fileOf(b)).kind === 'fails' ? b : null;
          swapped = () => {
            const first = state.apply(b.parsed, b.reverse, fileOf(b));
            return first.kind === 'fails' ? { first } : { first, second: state.apply(a.parsed, a.reverse, fileOf(a)) };
          };
        }
        if (unmet) {
          pair.detail = `not compared: ${unmet.name} needs earlier patches it does not declare in depends`;
          out.push(pair);
          continue;
        }
        const { first, second } = swapped();
        if (first.kind === 'fails' || second?.kind === 'fails') {
          pair.swapConflict = true;
          pair.detail = `${first.kind === 'fails' ? b.name : a.name} fails when ${b.name} is applied before ${a.name}`;
        }
      }
    }
    out.push(pair);
  }
  const position = new Map(series.map((p, i) => [p.name, i]));
  return out.sort((p, q) => position.get(p.a)! - position.get(q.a)!);
}

export function describeOutcome(o: ModeOutcome | ApplyOutcome): string {
  switch (o.kind) {
    case 'clean':
      return 'clean';
    case 'offset':
      return `offset ${o.lines > 0 ? '+' : ''}${o.lines}`;
    case 'fuzz':
      return `fuzz ${o.fuzz}`;
    case 'fails':
      return `FAILS (${o.failed.map((h) => `${h.file} hunk #${h.hunk}`).join(', ')})`;
    case 'skipped':
      return `skipped: ${o.reason}`;
  }
}
