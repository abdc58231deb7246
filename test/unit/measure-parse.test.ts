// size(1) and nm output parsing, on output captured from GNU binutils 2.40 (Debian bookworm):
// a linked program, a relocatable object, a regular and a thin archive, an empty archive, a
// 2.6 i386 vmlinux, and nm --size-sort with and without -S on 64- and 32-bit ELF.

import { describe, expect, it } from 'vitest';
import { parseBerkeley, parseNm, sumSizes } from '../../src/measure/parse.js';

// `size -B prog`: tabs between columns, right-aligned.
const SIZE_PROG = '   text\t   data\t    bss\t    dec\t    hex\tfilename\n   1325\t    532\t    440\t   2297\t    8f9\tprog\n';
// `size -B vmlinux` of a 2.6.9 i386 build (numbers wider than the header).
const SIZE_VMLINUX = '   text\t   data\t    bss\t    dec\t    hex\tfilename\n1314178\t 208248\t  90096\t1612522\t 189aea\tvmlinux\n';
// `size -B lib.a` (and a thin archive: `ar rcsT`, as kbuild's built-in.a).
const SIZE_ARCHIVE =
  '   text\t   data\t    bss\t    dec\t    hex\tfilename\n' + '    121\t      0\t    404\t    525\t    20d\ta.o (ex lib.a)\n' + '     58\t      4\t      0\t     62\t     3e\tb.o (ex lib.a)\n';
const SIZE_THIN =
  '   text\t   data\t    bss\t    dec\t    hex\tfilename\n' +
  '    121\t      0\t    404\t    525\t    20d\tinit/main.o (ex init/built-in.a)\n' +
  '     58\t      4\t      0\t     62\t     3e\tinit/version.o (ex init/built-in.a)\n';
// Two files in one call.
const SIZE_TWO =
  '   text\t   data\t    bss\t    dec\t    hex\tfilename\n' + ' 360959\t  34802\t  27460\t 423221\t  67535\tdrivers/built-in.o\n' + '  19287\t   1736\t   1540\t  22563\t   5823\tinit/built-in.o\n';

describe('parseBerkeley', () => {
  it('reads a linked program, named as size prints the columns', () => {
    expect(parseBerkeley(SIZE_PROG)).toEqual([{ text: 1325, data: 532, bss: 440, dec: 2297, filename: 'prog' }]);
  });
  it('reads numbers wider than the header', () => {
    const [r] = parseBerkeley(SIZE_VMLINUX);
    expect(r).toMatchObject({ text: 1314178, data: 208248, bss: 90096, dec: 1612522, filename: 'vmlinux' });
    expect(r!.text + r!.data + r!.bss).toBe(r!.dec);
  });
  it('reads archive members, regular and thin', () => {
    const rows = parseBerkeley(SIZE_ARCHIVE);
    expect(rows.map((r) => [r.member, r.archive])).toEqual([
      ['a.o', 'lib.a'],
      ['b.o', 'lib.a'],
    ]);
    expect(sumSizes(rows)).toEqual({ text: 179, data: 4, bss: 404, dec: 587 });
    expect(parseBerkeley(SIZE_THIN).map((r) => r.member)).toEqual(['init/main.o', 'init/version.o']);
  });
  it('reads several files', () => {
    expect(parseBerkeley(SIZE_TWO).map((r) => r.filename)).toEqual(['drivers/built-in.o', 'init/built-in.o']);
  });
  it('an empty archive prints nothing at all', () => {
    expect(parseBerkeley('')).toEqual([]);
    expect(sumSizes([])).toEqual({ text: 0, data: 0, bss: 0, dec: 0 });
  });
  it('refuses output it does not understand (e.g. size -A)', () => {
    expect(() => parseBerkeley('prog  :\nsection   size   addr\n.text   1325   4160\n')).toThrow(/unexpected size/);
  });
});

// `nm --size-sort -S prog` (x86-64).
const NM_S64 = `0000000000004020 0000000000000001 b completed.0
0000000000002000 0000000000000004 R _IO_stdin_used
0000000000004010 0000000000000004 D data_init
00000000000041d0 0000000000000004 b n.0
0000000000001040 000000000000000a T main
0000000000002008 000000000000000c R msg
000000000000037c 0000000000000020 r __abi_tag
0000000000001050 0000000000000022 T _start
0000000000001140 000000000000003d T foo
0000000000004040 0000000000000190 B big
`;
// `nm --size-sort prog` (what bloat-o-meter reads: size type name).
const NM_PLAIN = `0000000000000001 b completed.0
0000000000000004 R _IO_stdin_used
000000000000003d T foo
0000000000000190 B big
`;
// `nm --size-sort -S` of a 32-bit object, and of an archive (member headers, blank lines).
const NM_S32 = `00000190 00000004 b n.0
00000000 0000000c R msg
00000000 00000059 T foo
00000000 00000190 B big
`;
const NM_ARCHIVE = `

a.o:
0000000000000190 0000000000000004 b n.0
0000000000000000 000000000000003d T foo

b.o:
0000000000000000 0000000000000004 D data_init
`;

describe('parseNm', () => {
  it('reads nm --size-sort -S (64-bit)', () => {
    const s = parseNm(NM_S64);
    expect(s).toHaveLength(10);
    expect(s[0]).toEqual({ name: 'completed.0', type: 'b', size: 1 });
    expect(s.find((x) => x.name === 'big')).toEqual({ name: 'big', type: 'B', size: 400 });
    expect(s.find((x) => x.name === 'foo')!.size).toBe(0x3d);
  });
  it('reads nm --size-sort without -S, and 32-bit values', () => {
    expect(parseNm(NM_PLAIN).map((x) => [x.name, x.size])).toEqual([
      ['completed.0', 1],
      ['_IO_stdin_used', 4],
      ['foo', 61],
      ['big', 400],
    ]);
    expect(parseNm(NM_S32).find((x) => x.name === 'foo')).toEqual({ name: 'foo', type: 'T', size: 0x59 });
  });
  it('skips archive member headers and blank lines', () => {
    expect(parseNm(NM_ARCHIVE).map((x) => x.name)).toEqual(['n.0', 'foo', 'data_init']);
  });
});
