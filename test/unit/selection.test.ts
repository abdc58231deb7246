// Which patches `tiny queue apply` takes: guards as guards(1) reads them (no --select is the empty
// symbol set), --only by name with depends, and always the variant meant for the base.
import { describe, expect, it } from 'vitest';
import { selectForApply } from '../../src/pipeline/selection.js';
import { parseGuard } from '../../src/queue/guards.js';
import type { Queue, QueuePatch } from '../../src/queue/types.js';

function patch(name: string, extra: { guards?: string[]; bases?: string[]; depends?: string[]; file?: string } = {}): QueuePatch {
  return {
    name,
    file: extra.file ?? `patches/${name}.patch`,
    path: `/q/${extra.file ?? `patches/${name}.patch`}`,
    guards: (extra.guards ?? []).map((g) => parseGuard(g)!),
    depends: extra.depends ?? [],
    bases: extra.bases ?? [],
    strip: 1,
    reverse: false,
    text: '',
    sha256: '',
    parsed: { files: [] } as unknown as QueuePatch['parsed'],
    line: 1,
  };
}

const queue = {
  series: [
    patch('compat-gcc12', { guards: ['+compat-gcc12'] }),
    patch('printk'),
    patch('ide-proc', { bases: ['2.6.9'] }),
    patch('ide-proc', { bases: ['2.6.11'], file: 'patches/2.6.11/ide-proc.patch' }),
    patch('slob', { depends: ['printk'] }),
  ],
} as unknown as Queue;

const names = (s: { patches: QueuePatch[] }) => s.patches.map((p) => p.file);

describe('selectForApply', () => {
  it('leaves a +sym patch out without --select, and says which symbol picks it', () => {
    const s = selectForApply(queue, '2.6.9', {});
    expect(names(s)).toEqual(['patches/printk.patch', 'patches/ide-proc.patch', 'patches/slob.patch']);
    expect(s.notes).toContain('1 patch is left out by its guards (compat-gcc12): --select compat-gcc12 picks it');
  });

  it('picks it with --select, with no note', () => {
    const s = selectForApply(queue, '2.6.9', { symbols: ['compat-gcc12'] });
    expect(names(s)[0]).toBe('patches/compat-gcc12.patch');
    expect(s.notes.filter((n) => n.includes('guards'))).toEqual([]);
  });

  it('takes the variant of a patch meant for the base, with --only too', () => {
    expect(names(selectForApply(queue, '2.6.11', {}))).toContain('patches/2.6.11/ide-proc.patch');
    const only = selectForApply(queue, '2.6.11', { only: ['ide-proc'] });
    expect(names(only)).toEqual(['patches/2.6.11/ide-proc.patch']);
  });

  it('adds declared depends to --only, and names them', () => {
    const s = selectForApply(queue, '2.6.9', { only: ['slob'] });
    expect(names(s)).toEqual(['patches/printk.patch', 'patches/slob.patch']);
    expect(s.notes).toContain('printk added: slob depends on it');
  });

  it('refuses --only of a patch not meant for the base', () => {
    const q = { series: [patch('ide-proc', { bases: ['2.6.9'] })] } as unknown as Queue;
    expect(() => selectForApply(q, '2.6.11', { only: ['ide-proc'] })).toThrow(/--only names patches not meant for 2.6.11: ide-proc/);
  });
});
