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
  const meant = version === undefined ? [...queue.series] : queue.series.filter((p) => meantFor(p, version));
  const skipped = queue.series.length - meant.length;
  if (skipped) notes.push(`${skipped} patches are not meant for ${version} and are left out`);
  // No --select is the empty symbol set, as guards(1) reads it and `tiny queue list` shows it:
  // a '+sym' patch (the compat series' +compat-gcc12) needs its symbol to be picked.
  const picked = selectPatches(meant, new Set(opts.symbols ?? []));
  if (!opts.only?.length && picked.length < meant.length) {
    const left = meant.filter((p) => !picked.includes(p));
    const symbols = [...new Set(left.flatMap((p) => p.guards.filter((g) => g.include && !g.negate && g.symbol).map((g) => g.symbol)))];
    notes.push(
      `${left.length === 1 ? '1 patch is left out by its guards' : `${left.length} patches are left out by their guards`} (${namesOf(left)})` +
        (symbols.length && !opts.symbols ? `: --select ${symbols.join(',')} picks ${left.length === 1 ? 'it' : 'them'}` : ''),
    );
  }
  let series = picked;
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
    // Named patches are taken whatever their guards say, but only in their variant for this base.
    series = meant.filter((p) => wanted.has(p.name));
    const absent = [...wanted].filter((n) => !series.some((p) => p.name === n));
    if (absent.length) {
      throw new TinyError(`--only names patches not meant for ${version}: ${absent.join(', ')}`, 2, [], "their `bases:` in queue.yaml leave this base out; `tiny queue list` shows each patch's bases");
    }
  }
  return { patches: series, notes: [...new Set(notes)] };
}

/** "a, b, c and 4 more": a note stays one line however long the series. */
function namesOf(patches: readonly QueuePatch[], shown = 4): string {
  const names = patches.map((p) => p.name);
  return names.length <= shown + 1 ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
