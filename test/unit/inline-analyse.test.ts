// The inline hunter's arithmetic on real data: nm output of objects from a 2.6.9 webserver
// build with every inline compiled out of line (CFLAGS_KERNEL=-Dalways_inline=noinline, the
// build `tiny inline-cost` makes), and excerpts of 2.6.9's own headers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionName, indexHeaders, inlineCosts, inlineDefinitions, stripComments, summarise } from '../../src/inline/analyse.js';
import { isAggregate, splitNmByFile } from '../../src/inline/measure.js';
import { REPO } from '../helpers/cli.js';

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
