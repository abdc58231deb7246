// Which subdirectory built-ins a parent's kbuild command links, in 2.6's and 6.x's forms (the
// command lines as kbuild writes them into .built-in.o.cmd / .built-in.a.cmd).

import { describe, expect, it } from 'vitest';
import { linkedBy } from '../../src/measure/measure.js';

describe('linkedBy', () => {
  it('2.6: ld -r names each input in full', () => {
    const cmd = 'cmd_net/built-in.o :=  i686-linux-gnu-ld -m elf_i386  -r -o net/built-in.o net/socket.o net/core/built-in.o net/ipv4/built-in.o net/unix/built-in.o';
    expect(linkedBy(cmd, 'net', 'ipv4/built-in.o')).toBe(true);
    expect(linkedBy(cmd, 'net', 'ipv6/built-in.o')).toBe(false);
  });

  it('6.x: a printf prefix and relative names piped to ar', () => {
    const cmd = 'cmd_kernel/built-in.a := rm -f kernel/built-in.a;  printf "kernel/%s " fork.o panic.o sched/built-in.a locking/built-in.a | xargs ar cDPrST kernel/built-in.a';
    expect(linkedBy(cmd, 'kernel', 'sched/built-in.a')).toBe(true);
    expect(linkedBy(cmd, 'kernel', 'time/built-in.a')).toBe(false);
    // Another directory's prefix does not count.
    expect(linkedBy(cmd, 'mm', 'sched/built-in.a')).toBe(false);
  });
});
