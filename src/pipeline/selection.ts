// Which patches of a queue a command uses: meant for the base, picked by guards (--select)
// and/or by name (--only, which pulls in declared depends).

import { meantFor } from '../merge/check.js';
import { selectPatches } from '../queue/guards.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { TinyError } from '../util/diagnostics.js';

export interface Selection {
  patches: QueuePatch[];
  notes: string[];
}

export function selectForApply(queue: Queue, version: string | undefined, opts: { only?: string[]; symbols?: string[] }): Selection {
  const notes: string[] = [];
  let series = version === undefined ? [...queue.series] : queue.series.filter((p) => meantFor(p, version));
  const skipped = queue.series.length - series.length;
  if (skipped) notes.push(`${skipped} patches are not meant for ${version} and are left out`);
  if (opts.symbols) series = selectPatches(series, new Set(opts.symbols));
  if (opts.only?.length) {
    const byName = new Map(queue.series.map((p) => [p.name, p]));
    const unknown = opts.only.filter((n) => !byName.has(n));
    if (unknown.length) {
      throw new TinyError(`--only names unknown patches: ${unknown.join(', ')}`, 2, [], 'run `tiny queue list` to see the names');
    }
    const wanted = new Set<string>();
    const add = (n: string) => {
      if (wanted.has(n)) return;
      wanted.add(n);
      for (const d of byName.get(n)!.depends) {
        if (!opts.only!.includes(d)) notes.push(`${d} added: ${n} depends on it`);
        add(d);
      }
    };
    opts.only.forEach(add);
    series = queue.series.filter((p) => wanted.has(p.name));
  }
  return { patches: series, notes: [...new Set(notes)] };
}
