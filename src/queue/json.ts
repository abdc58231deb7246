// `tiny queue list --format json`: the series as a versioned snake_case document
// (schema/output/queue-list.schema.json, docs/output.md), not a bare array: a reader can tell
// its version and which guard symbols chose `selected`. Absent values are null.

import { formatGuard } from './guards.js';
import type { Queue } from './types.js';

/** The version of `tiny queue list --format json`. */
export const QUEUE_LIST_OUTPUT_VERSION = 1;

export function queueListJson(q: Queue, select: readonly string[], picked: ReadonlySet<string>): Record<string, unknown> {
  return {
    schema_version: QUEUE_LIST_OUTPUT_VERSION,
    queue: q.name,
    base: q.base.version,
    select: [...select],
    patches: q.series.map((p) => ({
      name: p.name,
      file: p.file,
      summary: p.summary ?? null,
      author: p.author ?? null,
      option: p.option ?? null,
      guards: p.guards.map(formatGuard),
      depends: [...p.depends],
      bases: [...p.bases],
      strip: p.strip,
      reverse: p.reverse,
      sha256: p.sha256,
      selected: picked.has(p.name),
    })),
  };
}
