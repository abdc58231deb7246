// Reading a boot's console: /proc/meminfo, the boot probe's markers, and why a boot failed.
// test/fixtures/boot/*.console are real serial transcripts of qemu-system-i386 runs (see
// test/fixtures/boot/README.md); the others are cut to the lines that matter.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleLines, judgeConsole, lastLines, parseMeminfo, parseUptime } from '../../src/boot/console.js';
import { defaultRoot, missingBootOptions } from '../../src/boot/init.js';
import { memArg, qemuArgs, qemuBinary } from '../../src/boot/qemu.js';
import { REPO } from '../helpers/cli.js';

const fixture = (name: string) => readFileSync(join(REPO, 'test/fixtures/boot', name), 'latin1');

describe('parseMeminfo', () => {
  it('reads every "Key: N kB" line in kB, unitless counters as they are', () => {
    const m = parseMeminfo('MemTotal:        14072 kB\nMemFree:         12888 kB\nHugePages_Total:     0\nDirectMap4k:   16256 kB\nActive(anon):  4 kB\nnot a line\n');
    expect(m).toEqual({ MemTotal: 14072, MemFree: 12888, HugePages_Total: 0, DirectMap4k: 16256, 'Active(anon)': 4 });
  });
});

describe('parseUptime', () => {
  it("reads seconds and hundredths, and 2.6.9's negative hundredths printed unsigned as what they are", () => {
    expect(parseUptime('4.42')).toBe(4.42);
    expect(parseUptime('2.4294967281')).toBe(1.85); // 2 s and -15 hundredths, a 32-bit long
    expect(parseUptime('3.18446744073709551615')).toBe(2.99); // -1 hundredth, a 64-bit long
    expect(parseUptime('2.4294967')).toBeNaN(); // neither hundredths nor a wrapped long
    expect(parseUptime('?')).toBeNaN();
  });
});

describe('judgeConsole', () => {
  it('a boot that reached init: MemTotal, MemFree, the guest uptime, the banner', () => {
    const v = judgeConsole(fixture('2.6.9-webserver-16M.console'), { timedOut: false, code: 0 });
    expect(v.booted).toBe(true);
    expect(v.banner).toMatch(/^Linux version 2\.6\.9 /);
    expect(v.meminfo!.MemTotal).toBeGreaterThan(v.meminfo!.MemFree!);
    expect(v.uptimeAtInit).toBeGreaterThan(0);
    expect(v.initErrors).toEqual([]);
    // "Memory: 13956k/16256k available (1203k kernel code, 1888k reserved, ...)": the kernel's own count.
    expect(v.reservedKiB).toBe(1888);
  });

  it('a kernel that cannot take the initramfs panics looking for a root device', () => {
    // The webserver kernel before BLK_DEV_INITRD was added to the configuration, given the probe as -initrd.
    const text = fixture('2.6.9-no-initrd.console');
    const v = judgeConsole(text, { timedOut: false, code: 0 });
    expect(v).toMatchObject({ booted: false, failure: 'panic', reason: 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,43)' });
    expect(lastLines(text, 3)).toEqual([
      'Please append a correct "root=" boot option',
      'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,43)',
      ' <0>Rebooting in 1 seconds..',
    ]);
  });

  it('a BUG wins over the panic that follows it', () => {
    // docs/compat.md: 2.6.9 built by gcc 12 without the bitops fix, at -m 64.
    const text = [
      'Linux version 2.6.9 (tiny@tiny.localhost) (gcc version 12.2.0 (Debian 12.2.0-14) ) #1',
      '------------[ cut here ]------------',
      'kernel BUG at mm/page_alloc.c:206!',
      'invalid operand: 0000 [#1]',
      'EIP is at free_pages_bulk+0x17f/0x280',
      'Kernel panic - not syncing: Attempted to kill the idle task!',
    ].join('\r\n');
    expect(judgeConsole(text, { timedOut: false, code: 0 })).toMatchObject({ booted: false, failure: 'bug', reason: 'kernel BUG at mm/page_alloc.c:206!' });
  });

  it('an oops, a hang, a reset before the kernel spoke, an init that could not read /proc', () => {
    expect(judgeConsole('Linux version 6.1.0\nBUG: kernel NULL pointer dereference, address: 00000000\n', { timedOut: false, code: 0 })).toMatchObject({ failure: 'bug' });
    expect(judgeConsole('Unable to handle kernel paging request at virtual address 0000\n', { timedOut: true, code: null })).toMatchObject({ failure: 'oops' });
    expect(judgeConsole('Linux version 2.6.9\nCalibrating delay loop...\n', { timedOut: true, code: null })).toMatchObject({ failure: 'timeout', reason: 'hung: no init output before the timeout' });
    expect(judgeConsole('', { timedOut: true, code: null }).reason).toMatch(/no console output at all/);
    expect(judgeConsole('', { timedOut: true, code: null }).reason).toContain('too little memory to unpack the kernel?');
    // Under mem= the loader had the whole machine: the kernel itself stopped.
    expect(judgeConsole('', { timedOut: true, code: null }, { memLimitedByKernel: true }).reason).toContain('the kernel stopped before its first message, or it has no printk');
    expect(judgeConsole('', { timedOut: false, code: 0 })).toMatchObject({ failure: 'exited' });
    expect(judgeConsole('Linux version 2.6.9\nFreeing unused kernel memory: 116k freed\n', { timedOut: false, code: 0 })).toMatchObject({ failure: 'no-init' });
    const noProc =
      'tiny-init: started\ntiny-init: error: mount /proc: errno 19\ntiny-init: uptime ?\ntiny-init: error: /proc/uptime: errno 2\ntiny-init: meminfo begin\ntiny-init: error: /proc/meminfo: errno 2\ntiny-init: meminfo end\n';
    expect(judgeConsole(noProc, { timedOut: false, code: 0 })).toMatchObject({ booted: false, failure: 'init-error', reason: 'mount /proc: errno 19; /proc/uptime: errno 2; /proc/meminfo: errno 2' });
  });

  it('a 6.1 kernel without PROC_FS reaches init, which says it cannot mount /proc', () => {
    // configs/tinyconfig-6.1.yaml before PROC_FS was added (tinyconfig answers n), -m 20M.
    const v = judgeConsole(fixture('6.1-tinyconfig-no-procfs-20M.console'), { timedOut: false, code: 0 });
    expect(v).toMatchObject({ booted: false, failure: 'init-error', reason: 'mount /proc: errno 19; /proc/uptime: errno 2; /proc/meminfo: errno 2' });
    // tinyconfig's small log buffer: the banner was dropped before the serial console came up.
    expect(fixture('6.1-tinyconfig-no-procfs-20M.console')).toMatch(/^\*\* \d+ printk messages dropped \*\*/);
    expect(v.banner).toBeUndefined();
  });

  it('console lines: CR LF folded, the unfinished last line kept', () => {
    expect(consoleLines('a\r\nb\r\nc')).toEqual(['a', 'b', 'c']);
    expect(consoleLines('a\n')).toEqual(['a']);
  });
});

describe('qemu command line and kernel requirements', () => {
  it('TCG PC machine, serial console on stdio, nothing else, no reboot', () => {
    expect(qemuBinary('i386')).toBe('qemu-system-i386');
    expect(() => qemuBinary('arm')).toThrow(/not arm/);
    expect(memArg(16384)).toBe('16M');
    expect(memArg(2056)).toBe('2056K');
    expect(qemuArgs({ arch: 'i386', kernel: 'bzImage', root: { kind: 'initramfs', file: 'i.cpio' }, memKiB: 2056 }).join(' ')).toBe(
      '-machine pc -accel tcg -m 2056K -kernel bzImage -initrd i.cpio -append console=ttyS0 panic=1 -nodefaults -display none -monitor none -serial stdio -nic none -no-reboot',
    );
  });

  it('a root disk: hda from a snapshot, mounted read-only by number; mem= limits the kernel', () => {
    expect(qemuArgs({ arch: 'i386', kernel: 'bzImage', root: { kind: 'disk', file: 'root.ext2' }, memKiB: 32768, kernelMemKiB: 2048 }).join(' ')).toBe(
      '-machine pc -accel tcg -m 32M -kernel bzImage -drive file=root.ext2,format=raw,if=ide,index=0,media=disk,snapshot=on ' +
        '-append console=ttyS0 panic=1 root=0300 rootfstype=ext2 ro mem=2M -nodefaults -display none -monitor none -serial stdio -nic none -no-reboot',
    );
  });

  it('names what a .config lacks to run the probe', () => {
    const ok = 'CONFIG_BLK_DEV_INITRD=y\nCONFIG_PROC_FS=y\nCONFIG_BINFMT_ELF=y\nCONFIG_SERIAL_8250_CONSOLE=y\n';
    expect(missingBootOptions(ok)).toEqual([]);
    expect(missingBootOptions(ok.replace('CONFIG_PROC_FS=y', '# CONFIG_PROC_FS is not set')).map((m) => m.symbol)).toEqual(['PROC_FS']);
    expect(missingBootOptions('').map((m) => m.symbol)).toEqual(['BLK_DEV_INITRD', 'PROC_FS', 'BINFMT_ELF', 'SERIAL_8250_CONSOLE']);
    expect(missingBootOptions('', 'disk').map((m) => m.symbol)).toEqual(['BLK_DEV_IDEDISK', 'EXT2_FS', 'PROC_FS', 'BINFMT_ELF', 'SERIAL_8250_CONSOLE']);
  });

  it('picks the initramfs when the kernel has initrd support, else the IDE disk it can mount', () => {
    const common = 'CONFIG_PROC_FS=y\nCONFIG_BINFMT_ELF=y\nCONFIG_SERIAL_8250_CONSOLE=y\n';
    expect(defaultRoot(common + 'CONFIG_BLK_DEV_INITRD=y\nCONFIG_BLK_DEV_IDEDISK=y\nCONFIG_EXT2_FS=y\n')).toBe('initramfs');
    expect(defaultRoot(common + 'CONFIG_BLK_DEV_IDEDISK=y\nCONFIG_EXT2_FS=y\n')).toBe('disk');
    // Neither: the initramfs, whose missing option the user is told about.
    expect(defaultRoot(common + 'CONFIG_EXT2_FS=y\n')).toBe('initramfs');
  });
});
