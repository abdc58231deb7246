// Build-log diagnostics: counts and the first error with its context. Two kinds of samples:
// logs in the exact shape of a 2.6.9 kbuild run with gcc 12 / binutils 2.40 (quiet-mode lines,
// include chains, source excerpts, -j interleaving, ld and make cascades; the quoted source
// lines are made up), and logs produced here by the host gcc, ld and make.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countDiagnostics } from '../../src/measure/diagnostics.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const KBUILD_ERROR = `  CC      init/main.o
  HOSTCC  usr/gen_init_cpio
In file included from include/linux/security.h:34,
                 from init/main.c:36:
include/linux/skbuff.h: In function ‘skb_add_data’:
include/linux/skbuff.h:1016:61: warning: pointer targets in passing argument 2 of ‘copy_it’ differ in signedness [-Wpointer-sign]
 1016 |                                  copy_it(skb, to),
      |                                               ^~
      |                                               |
      |                                               unsigned char *
In file included from include/linux/skbuff.h:30:
include/net/checksum.h:30:69: note: expected ‘char *’ but argument is of type ‘unsigned char *’
   30 | unsigned int copy_it(const char *src, char *dst,
      |                                       ~~~~~~^~~
  CC      arch/i386/kernel/process.o
In file included from include/linux/kernel.h:17,
                 from include/asm/system.h:5,
                 from include/asm/processor.h:18:
arch/i386/kernel/process.c: In function ‘release_thread’:
include/asm/bug.h:14:2: warning: ‘asm’ operand 1 probably does not match constraints
   14 |  __asm__ __volatile__("trap")
      |  ^~~~~~~
arch/i386/kernel/process.c:343:25: note: in expansion of macro ‘BUG’
  343 |                         BUG();
      |                         ^~~
include/asm/bug.h:14:2: error: impossible constraint in ‘asm’
   14 |  __asm__ __volatile__("trap")
      |  ^~~~~~~
arch/i386/kernel/process.c:343:25: note: in expansion of macro ‘BUG’
  343 |                         BUG();
      |                         ^~~
In file included from include/linux/nfs_fs.h:15,
                 from init/do_mounts.c:10:
include/linux/pagemap.h: In function ‘fault_in’:
include/linux/pagemap.h:225:23: warning: variable ‘c’ set but not used [-Wunused-but-set-variable]
  225 |         volatile char c;
      |                       ^
make[1]: *** [scripts/Makefile.build:190: arch/i386/kernel/process.o] Error 1
make: *** [Makefile:705: arch/i386/kernel] Error 2
make: *** Waiting for unfinished jobs....
  CC      init/initramfs.o
`;

const LD_ERRORS = `  LD      init/mounts.o
  LD      init/built-in.o
i686-linux-gnu-ld: init/version.o: in function \`generic_fls':
version.c:(.text+0x0): multiple definition of \`generic_fls'; init/main.o:main.c:(.text+0x0): first defined here
i686-linux-gnu-ld: init/mounts.o: in function \`prefetch':
(.text+0xd0): multiple definition of \`prefetch'; init/main.o:main.c:(.text+0xd0): first defined here
make[1]: *** [scripts/Makefile.build:256: init/built-in.o] Error 1
make: *** [Makefile:705: init] Error 2
`;

const SCRIPT_FAILURE = `make: Entering directory '/tmp/k269'
  CHK     include/linux/version.h
  UPD     include/linux/version.h
mv: cannot stat 'include/linux/version.h.tmp': No such file or directory
make[1]: *** [/tmp/k269/Makefile:817: include/linux/version.h] Error 1
make: *** [Makefile:111: vmlinux] Error 2
make: *** Waiting for unfinished jobs....
`;

const NOISE_OK = `  AS      arch/i386/kernel/head.o
/src/arch/i386/kernel/head.S: Assembler messages:
/src/arch/i386/kernel/head.S:417: Warning: ignoring fill value in section \`.bss.page_aligned'
  LD      arch/i386/kernel/acpi/built-in.o
i686-linux-gnu-ld: warning: arch/i386/kernel/acpi/wakeup.o: missing .note.GNU-stack section implies executable stack
i686-linux-gnu-ld: NOTE: This behaviour is deprecated and will be removed in a future version of the linker
  CC      net/core/skbuff.o
/src/net/core/skbuff.c: In function ‘kfree_skb’:
/src/net/core/skbuff.c:226:17: warning: format not a string literal [-Wformat-security]
  226 |                 printk(KERN_WARNING "Warning: kfree_skb passed an skb: 1:2: error: still");
      |                 ^~~~~~
WARNING: modpost: vmlinux.o(.text+0x1234): Section mismatch in reference from the function foo() to the function .init.text:bar()
.config:12:warning: symbol value 'm' invalid for FOO
`;

describe('countDiagnostics on kbuild-shaped logs', () => {
  it('counts warnings and errors and shows the first error with its include chain, header and notes', () => {
    const d = countDiagnostics(KBUILD_ERROR);
    expect(d.warnings).toBe(3);
    expect(d.errors).toBe(1);
    expect(d.makeErrors).toBe(2);
    expect(d.firstError).toMatchObject({ kind: 'compiler', file: 'include/asm/bug.h', line: 14, column: 2, message: 'impossible constraint in ‘asm’', logLine: 26 });
    expect(d.firstError!.context).toEqual([
      'In file included from include/linux/kernel.h:17,',
      '                 from include/asm/system.h:5,',
      '                 from include/asm/processor.h:18:',
      'arch/i386/kernel/process.c: In function ‘release_thread’:',
      'include/asm/bug.h:14:2: error: impossible constraint in ‘asm’',
      '   14 |  __asm__ __volatile__("trap")',
      '      |  ^~~~~~~',
      'arch/i386/kernel/process.c:343:25: note: in expansion of macro ‘BUG’',
      '  343 |                         BUG();',
      '      |                         ^~~',
    ]);
  });

  it('counts ld errors and names the object when ld leaves the file out', () => {
    const d = countDiagnostics(LD_ERRORS);
    expect(d).toMatchObject({ warnings: 0, errors: 2, makeErrors: 2 });
    expect(d.firstError).toMatchObject({ kind: 'linker', file: 'version.c', message: expect.stringMatching(/^multiple definition of `generic_fls'/) });
    expect(d.firstError!.context[0]).toBe("i686-linux-gnu-ld: init/version.o: in function `generic_fls':");
    const second = countDiagnostics(LD_ERRORS.split('\n').slice(4).join('\n'));
    expect(second.firstError!.file).toBe('init/mounts.o');
  });

  it('a failure with no compiler message is one error, shown with the lines before make’s', () => {
    const d = countDiagnostics(SCRIPT_FAILURE);
    expect(d).toMatchObject({ warnings: 0, errors: 1, makeErrors: 2 });
    expect(d.firstError).toMatchObject({ kind: 'make', file: '/tmp/k269/Makefile', line: 817, logLine: 5 });
    expect(d.firstError!.context).toEqual([
      '  CHK     include/linux/version.h',
      '  UPD     include/linux/version.h',
      "mv: cannot stat 'include/linux/version.h.tmp': No such file or directory",
      'make[1]: *** [/tmp/k269/Makefile:817: include/linux/version.h] Error 1',
    ]);
  });

  it('gas, ld, modpost and Kconfig warnings count; ld notes and quoted source do not', () => {
    const d = countDiagnostics(NOISE_OK);
    expect(d).toEqual({ warnings: 5, errors: 0, makeErrors: 0 });
  });

  it('make’s own errors, ANSI colours and CRLF', () => {
    expect(countDiagnostics("make: *** No rule to make target 'foo.o', needed by 'all'.  Stop.\n")).toMatchObject({
      errors: 1,
      firstError: { kind: 'make', file: 'make', message: "No rule to make target 'foo.o', needed by 'all'.  Stop." },
    });
    expect(countDiagnostics('Makefile:3: *** missing separator.  Stop.\n').firstError).toMatchObject({ file: 'Makefile', line: 3 });
    const colored = '\x1b[01m\x1b[Ka.c:1:5:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kexpected ‘;’\r\n';
    expect(countDiagnostics(colored).firstError).toMatchObject({ file: 'a.c', line: 1, column: 5, message: 'expected ‘;’' });
    expect(countDiagnostics('make: *** [Makefile:9: x] Error 1 (ignored)\n')).toEqual({ warnings: 0, errors: 0, makeErrors: 0 });
    expect(countDiagnostics('i686-linux-gnu-gcc: error: unrecognized command-line option ‘-mfoo’\n').firstError).toMatchObject({
      kind: 'compiler',
      file: 'i686-linux-gnu-gcc',
    });
    expect(countDiagnostics('ERROR: modpost: "foo" [drivers/x.ko] undefined!\n').firstError).toMatchObject({ kind: 'modpost' });
  });

  it('an empty or clean log', () => {
    expect(countDiagnostics('')).toEqual({ warnings: 0, errors: 0, makeErrors: 0 });
    expect(countDiagnostics('  CC      init/main.o\n  LD      vmlinux\nKernel: arch/i386/boot/bzImage is ready\n')).toEqual({
      warnings: 0,
      errors: 0,
      makeErrors: 0,
    });
  });
});

// ---- logs made here by the host toolchain
const toolsWhy = await missingPrerequisites('gcc', 'make');

describe.skipIf(toolsWhy !== undefined)(`countDiagnostics on real gcc/ld/make output${toolsWhy ? ` (skipped: ${toolsWhy})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-diag-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sh = (cmd: string) => {
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    return r.stdout + r.stderr;
  };

  it('a compile error in a header under recursive make', () => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub/defs.h'), 'static inline int twice(int x) { return x * 2 + undeclared_thing; }\n');
    writeFileSync(join(dir, 'sub/main.c'), '#include "defs.h"\nint unused_fn(void) { int unused; return 0; }\nint main(void) { char *p = 5; return twice(1) + (long)p; }\n');
    writeFileSync(join(dir, 'sub/Makefile'), 'all: main.o\nmain.o: main.c\n\t$(CC) -Wall -fdiagnostics-color=always -c -o $@ $<\n');
    writeFileSync(join(dir, 'Makefile'), 'all:\n\t$(MAKE) -C sub\n');
    const log = sh('make 2>&1');
    const d = countDiagnostics(log);
    expect(d.errors).toBe(1);
    expect(d.makeErrors).toBe(2);
    expect(d.warnings).toBeGreaterThanOrEqual(2); // unused variable, int-conversion (+ return-type on some gcc)
    expect(d.firstError).toMatchObject({ kind: 'compiler', file: 'defs.h', line: 1, message: expect.stringContaining('undeclared_thing') });
    // include chain, function header, the error, the excerpt and the note
    expect(d.firstError!.context[0]).toBe('In file included from main.c:1:');
    expect(d.firstError!.context[1]).toMatch(/^defs\.h: In function .twice.:$/);
    expect(d.firstError!.context.some((l) => l.includes('note: each undeclared identifier'))).toBe(true);
    expect(d.firstError!.context.some((l) => l.includes('unused_fn'))).toBe(false);
  });

  it('an undefined reference at link time', () => {
    writeFileSync(join(dir, 'link.c'), 'extern int missing_symbol(int);\nint main(void) { return missing_symbol(3); }\n');
    const log = sh('gcc -o link link.c 2>&1');
    const d = countDiagnostics(log);
    expect(d).toMatchObject({ warnings: 0, errors: 1, makeErrors: 0 });
    expect(d.firstError).toMatchObject({ kind: 'linker', file: 'link.c', message: "undefined reference to `missing_symbol'" });
    expect(d.firstError!.context).toHaveLength(2);
    expect(d.firstError!.context[0]).toMatch(/ld: .*: in function `main':$/);
  });

  it('a missing header is a fatal error', () => {
    writeFileSync(join(dir, 'inc.c'), '#include <no/such/header.h>\nint x;\n');
    const d = countDiagnostics(sh('gcc -c inc.c -o inc.o 2>&1'));
    expect(d).toMatchObject({ errors: 1, firstError: { file: 'inc.c', line: 1, message: 'no/such/header.h: No such file or directory' } });
  });
});
