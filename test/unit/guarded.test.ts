// The "is every change under its option" check of `tiny queue check`: Makefile lines.

import { describe, expect, it } from 'vitest';
import { declaresOption, editsUpstreamOption, unguardedChanges } from '../../src/merge/guarded.js';
import { parsePatch } from '../../src/patch/parse.js';

const before = 'serial-8250-y :=\nserial-8250-$(CONFIG_PCI) += 8250_pci.o\nobj-y += core.o\n';

function check(newLine: string) {
  const after = before.replace('serial-8250-$(CONFIG_PCI) += 8250_pci.o', newLine);
  const patch = parsePatch(
    ['--- a/drivers/serial/Makefile', '+++ b/drivers/serial/Makefile', '@@ -1,3 +1,3 @@', ' serial-8250-y :=', '-serial-8250-$(CONFIG_PCI) += 8250_pci.o', `+${newLine}`, ' obj-y += core.o', ''].join(
      '\n',
    ),
  );
  return unguardedChanges(
    patch,
    'SERIAL_8250_PCI',
    () => before,
    () => after,
  );
}

describe('unguarded changes in a Makefile', () => {
  it('accepts an object moved from another condition to the option', () => {
    expect(check('serial-8250-$(CONFIG_SERIAL_8250_PCI) += 8250_pci.o')).toEqual([]);
  });

  it('accepts an object made conditional on the option', () => {
    const before = 'obj-y := initramfs_data.o\n';
    const after = 'obj-$(CONFIG_INITRAMFS) := initramfs_data.o\n';
    const patch = parsePatch(['--- a/usr/Makefile', '+++ b/usr/Makefile', '@@ -1 +1 @@', `-${before.trim()}`, `+${after.trim()}`, ''].join('\n'));
    expect(
      unguardedChanges(
        patch,
        'INITRAMFS',
        () => before,
        () => after,
      ),
    ).toEqual([]);
  });

  it('still reports a line whose object changes too', () => {
    expect(check('serial-8250-$(CONFIG_SERIAL_8250_PCI) += 8250_other.o')).toEqual([{ file: 'drivers/serial/Makefile', line: 2, text: '-serial-8250-$(CONFIG_PCI) += 8250_pci.o' }]);
  });
});

describe('unguarded changes in a file the patch creates', () => {
  const patch = parsePatch(
    [
      'diff --git a/lib/xz/xz_crc32.c b/lib/xz/xz_crc32.c',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/lib/xz/xz_crc32.c',
      '@@ -0,0 +1,2 @@',
      '+int xz_crc32_table[256];',
      '+void xz_crc32_init(void) {}',
      'diff --git a/arch/i386/boot/compressed/misc.c b/arch/i386/boot/compressed/misc.c',
      '--- a/arch/i386/boot/compressed/misc.c',
      '+++ b/arch/i386/boot/compressed/misc.c',
      '@@ -1,1 +1,2 @@',
      ' #include "inflate.c"',
      '+#include "unxz.c"',
      '',
    ].join('\n'),
  );
  const files: Record<string, string> = {
    'lib/xz/xz_crc32.c': 'int xz_crc32_table[256];\nvoid xz_crc32_init(void) {}\n',
    'arch/i386/boot/compressed/misc.c': '#include "inflate.c"\n#include "unxz.c"\n',
  };

  it('counts none of its lines: only what includes or links it can cost anything', () => {
    const found = unguardedChanges(
      patch,
      'KERNEL_GZIP',
      (p) => (p === 'lib/xz/xz_crc32.c' ? undefined : '#include "inflate.c"\n'),
      (p) => files[p],
    );
    expect(found).toEqual([{ file: 'arch/i386/boot/compressed/misc.c', line: 2, text: '#include "unxz.c"' }]);
  });
});

describe("where a patch's option is declared", () => {
  const kconfig = 'config DEBUG_BUGVERBOSE\n\tbool "Verbose BUG() reporting (adds 70K)" if DEBUG_KERNEL && EMBEDDED\n\tdefault !EMBEDDED\n';
  const patch = parsePatch(
    [
      '--- a/lib/Kconfig.debug',
      '+++ b/lib/Kconfig.debug',
      '@@ -1,3 +1,3 @@',
      ' config DEBUG_BUGVERBOSE',
      '-\tbool "Verbose BUG() reporting (adds 70K)" if DEBUG_KERNEL && EMBEDDED',
      '+\tbool "Verbose BUG() reporting (adds 70K)" if EMBEDDED',
      ' \tdefault !EMBEDDED',
      '',
    ].join('\n'),
  );

  it("a port that edits the option upstream declares: not declared by the patch, but upstream's", () => {
    expect(declaresOption(patch, 'DEBUG_BUGVERBOSE')).toBe(false);
    expect(editsUpstreamOption(patch, 'DEBUG_BUGVERBOSE', () => kconfig)).toBe(true);
    expect(editsUpstreamOption(patch, 'DEBUG_BUGVERBOSE', () => 'config OTHER\n')).toBe(false);
  });
});
