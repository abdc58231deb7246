// `tiny queue check --format json`: the mergeability checks of each base in snake_case,
// versioned (schema/output/queue-check.schema.json, docs/output.md). Absent values are null.

import type { HunkResult } from '../patch/types.js';
import type { BaseCheck, ModeOutcome, PairCheck, PatchCheck } from './types.js';

/** The version of `tiny queue check --format json`. */
export const QUEUE_CHECK_OUTPUT_VERSION = 1;

function hunkJson(h: HunkResult): Record<string, unknown> {
  return {
    file: h.file,
    hunk: h.hunk,
    expected_line: h.expectedLine,
    applied_line: h.appliedLine ?? null,
    offset: h.offset,
    fuzz: h.fuzz,
    applied: h.applied,
    patch_line: h.patchLine,
    reason: h.reason ?? null,
  };
}

/** clean, offset N, fuzz N, fails (with its hunks) or skipped (with the reason). */
export function outcomeJson(o: ModeOutcome): Record<string, unknown> {
  switch (o.kind) {
    case 'clean':
      return { kind: 'clean' };
    case 'offset':
      return { kind: 'offset', lines: o.lines };
    case 'fuzz':
      return { kind: 'fuzz', fuzz: o.fuzz };
    case 'fails':
      return { kind: 'fails', failed: o.failed.map(hunkJson) };
    case 'skipped':
      return { kind: 'skipped', reason: o.reason };
  }
}

function patchJson(p: PatchCheck): Record<string, unknown> {
  const inv = p.invasiveness;
  return {
    name: p.name,
    order: outcomeJson(p.order),
    alone: outcomeJson(p.alone),
    reverse: outcomeJson(p.reverse),
    invasiveness: {
      files: inv.files,
      hunks: inv.hunks,
      added: inv.added,
      removed: inv.removed,
      declares_option: inv.declaresOption,
      ...(inv.editsUpstreamOption ? { edits_upstream_option: true } : {}),
      unguarded: inv.unguarded.map((u) => ({ file: u.file, line: u.line, text: u.text })),
    },
    style: p.style.map((s) => ({ kind: s.kind, file: s.file ?? null, line: s.line ?? null, message: s.message })),
  };
}

function pairJson(p: PairCheck): Record<string, unknown> {
  return { a: p.a, b: p.b, files: [...p.files], overlapping_hunks: p.overlappingHunks, swap_conflict: p.swapConflict, detail: p.detail ?? null };
}

export function queueCheckJson(queue: string, results: readonly BaseCheck[]): Record<string, unknown> {
  return {
    schema_version: QUEUE_CHECK_OUTPUT_VERSION,
    queue,
    ok: results.every((r) => r.ok),
    bases: results.map((r) => ({
      version: r.version,
      tree: r.tree,
      ok: r.ok,
      not_for_base: [...r.notForBase],
      patches: r.patches.map(patchJson),
      pairs: r.pairs.map(pairJson),
    })),
  };
}
