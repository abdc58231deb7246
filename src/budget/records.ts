// Budget inputs from stored build records: the sizes of each toggle, and for a flip toggle
// whether its option is off there (read from the .config stored with the record), so that
// `tiny build` and `tiny report --check` judge a run the same way.

import type { BuildRecord, RecordStore } from '../store/index.js';
import { readArtifact } from '../store/index.js';
import { optionOffIn, type ToggleSizes } from './budget.js';

export interface RecordedToggle {
  /** base, queue, all-off, flip:<patch>, without:<patch>. */
  toggle: string;
  record?: BuildRecord;
  /** For flip:<patch>: the Kconfig symbol the patch's option is. */
  option?: string;
}

export async function toggleSizesFromRecords(store: RecordStore, toggles: readonly RecordedToggle[]): Promise<ToggleSizes[]> {
  const out: ToggleSizes[] = [];
  for (const t of toggles) {
    const r = t.record;
    if (r?.status !== 'ok' || !r.measurement) {
      out.push({ toggle: t.toggle });
      continue;
    }
    let optionOff: boolean | undefined;
    if (t.toggle.startsWith('flip:') && t.option) {
      const config = await readArtifact(store, r, 'config').catch(() => undefined);
      optionOff = optionOffIn(config?.toString('utf8'), t.option);
    }
    out.push({ toggle: t.toggle, size: r.measurement.size, files: r.measurement.files, ...(optionOff !== undefined ? { optionOff } : {}) });
  }
  return out;
}
