// The inline hunter's arithmetic on real data: `nm --size-sort -S` of five 2.6.9 objects
// (net/ipv4/tcp_output.o, kernel/sched.o, kernel/signal.o, arch/i386/kernel/traps.o and
// process.o) compiled by the gcc-12 i686 cross compiler with the webserver .config and the
// kernel's flags plus -Dalways_inline=__noinline__ (what `tiny inline-cost` adds), and
// excerpts of 2.6.9's own headers. Expected figures were counted from the nm text by hand
// (a Python one-liner), not by the code under test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionName, indexHeaders, inlineCosts, inlineDefinitions, stripComments, summarise } from '../../src/inline/analyse.js';
import { isAggregate, isLinkCommand, splitNmByFile } from '../../src/inline/measure.js';
import { REPO } from '../helpers/cli.js';
import { expectContract } from '../helpers/json-contract.js';

const FIX = join(REPO, 'test/fixtures/inline');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');

describe('inline definitions in headers', () => {
  it('finds the inline functions of include/linux/list.h with their lines, multi-line parameter lists included', () => {
    const defs = inlineDefinitions(read('list.h.excerpt'));
    // The excerpt starts at line 40 of list.h: __list_add is at 47, list_add at 65, list_add_tail at 78.
    expect(defs.map((d) => `${d.name}:${d.line + 39}`)).toEqual(['__list_add:47', 'list_add:65', 'list_add_tail:78']);
  });

  it('finds kmalloc in include/linux/slab.h and not the extern declarations around it', () => {
    const defs = inlineDefinitions(read('slab.h.excerpt'));
    expect(defs.map((d) => d.name)).toEqual(['kmalloc']);
    expect(defs[0]!.line + 59).toBe(77);
  });

  it('skips prototypes, macro bodies and commented-out code', () => {
    const text = [
      'static inline int proto(int x);',
      '#define MAKE(name) \\',
      'static inline int name##_get(void) \\',
      '{ return 0; }',
      '/* static inline int commented(void) { return 1; } */',
      'static inline __attribute_const__ unsigned long',
      'real_one(unsigned long x)',
      '{',
      '\treturn x;',
      '}',
      'extern __inline__ int gnu89(void) { return 2; }',
    ].join('\n');
    expect(inlineDefinitions(text)).toEqual([
      { name: 'real_one', line: 6 },
      { name: 'gnu89', line: 11 },
    ]);
  });

  it('keeps line numbers when stripping comments', () => {
    const s = stripComments('a /* x\ny */ b // c\nd');
    expect(s.split('\n')).toHaveLength(3);
    expect(s).not.toMatch(/[xyc]/);
  });

  it('indexes several headers, the first given first', () => {
    const idx = indexHeaders([
      { file: 'include/asm-i386/bitops.h', text: 'static inline int ffs(int x)\n{\n\treturn x;\n}\n' },
      { file: 'include/linux/bitops.h', text: 'static inline int ffs(int x) { return x; }\nstatic inline int hweight8(int w) { return w; }\n' },
    ]);
    expect(idx.get('ffs')).toEqual([
      { file: 'include/asm-i386/bitops.h', line: 1 },
      { file: 'include/linux/bitops.h', line: 1 },
    ]);
    expect(idx.get('hweight8')).toEqual([{ file: 'include/linux/bitops.h', line: 2 }]);
  });
});

describe('clone suffixes', () => {
  it('folds GCC clones and split parts into their function', () => {
    expect(functionName('kmalloc.constprop.0')).toBe('kmalloc');
    expect(functionName('skb_put.isra.0.cold')).toBe('skb_put');
    expect(functionName('__list_add.part.0')).toBe('__list_add');
    expect(functionName('list_add')).toBe('list_add');
  });
});

describe('copies in real nm output', () => {
  const byFile = splitNmByFile(read('nm-noinline.txt'));
  const objects = [...byFile].map(([object, symbols]) => ({ object, symbols }));

  it('splits the output of one nm over several objects by file', () => {
    expect([...byFile.keys()]).toEqual(['net/ipv4/tcp_output.o', 'kernel/sched.o', 'kernel/signal.o', 'arch/i386/kernel/traps.o', 'arch/i386/kernel/process.o']);
    expect(byFile.get('kernel/sched.o')!.find((s) => s.name === 'get_current')).toEqual({ name: 'get_current', type: 't', size: 8 });
  });

  it('ranks local functions found in several objects by bytes x copies', () => {
    const costs = inlineCosts(objects);
    expect(costs).toHaveLength(31);
    expect(costs.slice(0, 3).map((c) => [c.name, c.copies, c.totalBytes])).toEqual([
      ['__constant_memcpy', 4, 608],
      ['__constant_c_and_count_memset', 5, 304],
      ['__save_init_fpu', 2, 120],
    ]);
    const gc = costs.find((c) => c.name === 'get_current')!;
    expect(gc).toMatchObject({ copies: 4, totalBytes: 32, bytesPerCopy: 8, minBytes: 8, maxBytes: 8 });
    expect(gc.objects).toEqual(['arch/i386/kernel/process.o', 'arch/i386/kernel/traps.o', 'kernel/sched.o', 'kernel/signal.o']);
    // A function in one object only is no inline copy.
    expect(costs.find((c) => c.name === 'tcp_transmit_skb')).toBeUndefined();
    expect(inlineCosts(objects, { minCopies: 5 }).map((c) => c.name)).toEqual(['__constant_c_and_count_memset', 'constant_test_bit', 'current_thread_info']);
  });

  it('attributes headers and ranks only what a header defines inline', () => {
    const headers = indexHeaders([
      { file: 'include/asm-i386/current.h', text: 'static inline struct task_struct * get_current(void)\n{\n\treturn current_thread_info()->task;\n}\n' },
      { file: 'include/asm-i386/string.h', text: 'static inline void * __constant_memcpy(void * to, const void * from, size_t n)\n{\n}\n' },
    ]);
    const { summary, ranked } = summarise(objects.length, inlineCosts(objects, { headers }));
    expect(ranked.map((c) => [c.name, c.header])).toEqual([
      ['__constant_memcpy', { file: 'include/asm-i386/string.h', line: 1 }],
      ['get_current', { file: 'include/asm-i386/current.h', line: 1 }],
    ]);
    expect(summary).toEqual({ objects: 5, functions: 2, copies: 8, totalBytes: 640, unattributed: { functions: 29, totalBytes: expect.any(Number) } });
  });

  it('leaves linked aggregates out of the objects measured', () => {
    expect(['built-in.o', '.tmp_kallsyms1.o', 'foo.mod.o', 'sched.o'].filter((n) => !isAggregate(n))).toEqual(['sched.o']);
    // The first lines of two .cmd files of the 2.6.9 webserver build: a composite object, a compiled one.
    expect(isLinkCommand('cmd_fs/ext2/ext2.o := i686-linux-gnu-ld -m elf_i386 -z noexecstack --no-warn-rwx-segments  -r -o fs/ext2/ext2.o fs/ext2/balloc.o fs/ext2/bitmap.o\n')).toBe(true);
    expect(
      isLinkCommand('cmd_fs/ext2/inode.o := ccache i686-linux-gnu-gcc -Wp,-MD,fs/ext2/.inode.o.d -nostdinc -iwithprefix include -D__KERNEL__ -c -o fs/ext2/inode.o /tiny/src/fs/ext2/inode.c\n'),
    ).toBe(false);
    expect(isLinkCommand('')).toBe(false);
  });
});

describe('the report as a table', () => {
  it('renders name, copies, bytes per copy, spread, total and header, and says what is left out', async () => {
    const { renderInlineReport } = await import('../../src/inline/render.js');
    const byFile = splitNmByFile(read('nm-noinline.txt'));
    const objects = [...byFile].map(([object, symbols]) => ({ object, symbols }));
    const headers = indexHeaders([{ file: 'include/asm-i386/current.h', text: 'static inline struct task_struct * get_current(void)\n{\n}\n' }]);
    const { summary, ranked } = summarise(objects.length, inlineCosts(objects, { headers }));
    const text = renderInlineReport(
      {
        config: 'webserver',
        toggle: 'base',
        base: { version: '2.6.9', tree: 'f3d196d3b703' },
        toolchain: { name: 'gcc-12-i386', image: 'sha256:x' },
        key: 'k',
        makeVariables: { CFLAGS_KERNEL: '-Dalways_inline=__noinline__ -Wno-attributes' },
        makeStatus: 2,
        errors: 3,
        compileErrors: 0,
        undefinedReferences: ['div_ll_X_l_rem', 'generic_fls', 'prefetch'],
        summary,
        costs: ranked,
        durationMs: 1,
      },
      'text',
      10,
    );
    expect(text).toContain('5 objects built with CFLAGS_KERNEL="-Dalways_inline=__noinline__ -Wno-attributes"');
    expect(text).toMatch(/^get_current\s+4\s+8\s+32\s+include\/asm-i386\/current\.h:1$/m);
    expect(text).toContain('30 further names');
    expect(text).toContain('vmlinux did not link, as expected: 3 gnu89 `extern inline` functions without an out-of-line body (div_ll_X_l_rem, generic_fls, prefetch); every object compiled');
  });

  it('as JSON: snake_case, versioned, the top N costs', async () => {
    const { inlineJson } = await import('../../src/inline/render.js');
    const byFile = splitNmByFile(read('nm-noinline.txt'));
    const objects = [...byFile].map(([object, symbols]) => ({ object, symbols }));
    const headers = indexHeaders([
      { file: 'include/asm-i386/current.h', text: 'static inline struct task_struct * get_current(void)\n{\n}\n' },
      { file: 'include/asm-i386/string.h', text: 'static inline void * __constant_memcpy(void * to, const void * from, size_t n)\n{\n}\n' },
    ]);
    const { summary, ranked } = summarise(objects.length, inlineCosts(objects, { headers }));
    const doc = inlineJson(
      {
        config: 'webserver',
        toggle: 'queue',
        base: { version: '2.6.9', tree: 'f3d196d3b703a5e53b5a5a8b2b7b6b9b1d0b1c2d' },
        toolchain: { name: 'gcc-12-i386', image: `sha256:${'d3'.repeat(32)}` },
        key: '5e'.repeat(32),
        makeVariables: { ARCH: 'i386', CFLAGS_KERNEL: '-Dalways_inline=__noinline__ -Wno-attributes' },
        makeStatus: 2,
        firstError: 'mm/slab.c:3110:9: error: oops',
        errors: 1,
        compileErrors: 1,
        undefinedReferences: ['prefetch'],
        summary,
        costs: ranked,
        durationMs: 81_000,
      },
      1,
    );
    expectContract('output/inline-cost', doc);
    expect(doc).toMatchObject({ schema_version: 1, top: 1, cached: false, summary: { total_bytes: 640 }, make_variables: { CFLAGS_KERNEL: '-Dalways_inline=__noinline__ -Wno-attributes' } });
    expect(doc.costs).toEqual([
      {
        name: '__constant_memcpy',
        copies: 4,
        total_bytes: 608,
        bytes_per_copy: 152,
        min_bytes: 32,
        max_bytes: 224,
        header: { file: 'include/asm-i386/string.h', line: 1 },
        candidates: 1,
        objects: expect.any(Array),
      },
    ]);
  });

  it('tells link failures from compiler errors in a build log', async () => {
    const { linkFailures } = await import('../../src/inline/run.js');
    // Lines of the 2.6.9 webserver measurement build's log.
    const log = [
      "i686-linux-gnu-ld: drivers/built-in.o: in function `input_event.part.0':",
      "input.c:(.text+0x4b193): undefined reference to `prefetch'",
      "sched.c:(.text+0x1c2): undefined reference to `div_ll_X_l_rem'",
      "input.c:(.text+0x4b1e0): undefined reference to `prefetch'",
      'make[1]: *** [/tiny/src/Makefile:703: .tmp_vmlinux1] Error 1',
    ].join('\n');
    expect(linkFailures(log)).toEqual({ compileErrors: 0, undefined: ['div_ll_X_l_rem', 'prefetch'] });
    expect(linkFailures("/tiny/src/mm/slab.c:3110:9: error: 'x' undeclared (first use in this function)\n").compileErrors).toBe(1);
  });
});
