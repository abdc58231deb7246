// The "is every change under its option" check of `tiny queue check`: Makefile lines.

import { describe, expect, it } from 'vitest';
import { unguardedChanges } from '../../src/merge/guarded.js';
import { parsePatch } from '../../src/patch/parse.js';

const before = 'serial-8250-y :=\nserial-8250-$(CONFIG_PCI) += 8250_pci.o\nobj-y += core.o\n';

function check(newLine: string) {
  const after = before.replace('serial-8250-$(CONFIG_PCI) += 8250_pci.o', newLine);
  const patch = parsePatch(
    [
      '--- a/drivers/serial/Makefile',
      '+++ b/drivers/serial/Makefile',
      '@@ -1,3 +1,3 @@',
      ' serial-8250-y :=',
      '-serial-8250-$(CONFIG_PCI) += 8250_pci.o',
      `+${newLine}`,
      ' obj-y += core.o',
      '',
    ].join('\n'),
  );
  return unguardedChanges(patch, 'SERIAL_8250_PCI', () => before, () => after);
}

describe('unguarded changes in a Makefile', () => {
  it('accepts an object moved from another condition to the option', () => {
    expect(check('serial-8250-$(CONFIG_SERIAL_8250_PCI) += 8250_pci.o')).toEqual([]);
  });

  it('still reports a line whose object changes too', () => {
    expect(check('serial-8250-$(CONFIG_SERIAL_8250_PCI) += 8250_other.o')).toEqual([
      { file: 'drivers/serial/Makefile', line: 2, text: '-serial-8250-$(CONFIG_PCI) += 8250_pci.o' },
    ]);
  });
});
