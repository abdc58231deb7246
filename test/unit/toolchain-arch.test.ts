// The arch table: arches/<ARCH>.yaml, checked by schema/arch.schema.json, read by
// src/toolchain/arch.ts. Every place that needs a fact about an ARCH asks it.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qemuArgs, qemuBinary } from '../../src/boot/qemu.js';
import { archDirs, archNames, findArch, loadArch, loadArches, otherArchesLeftOut, srcArch } from '../../src/toolchain/arch.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tiny-arches-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Write arches/<name>.yaml in a fresh directory and return what loading it says. */
async function errorsOf(name: string, text: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmp, 'arches-'));
  await writeFile(join(dir, `${name}.yaml`), text);
  try {
    loadArch(name, { dir, cwd: tmp });
  } catch (e) {
    expect(e).toBeInstanceOf(TinyError);
    expect((e as TinyError).exitCode).toBe(2);
    return (e as TinyError).diagnostics.map((d) => formatDiagnostic(d).replace(/^arches-\w+\//, 'arches/'));
  }
  throw new Error('expected the file to be rejected');
}

describe('the shipped arches', () => {
  it('load, one file per ARCH the toolchains build', () => {
    expect(archNames()).toEqual(['arm', 'i386', 'x86_64']);
    expect(loadArches().map((a) => a.name)).toEqual(['arm', 'i386', 'x86_64']);
  });

  it('i386: SRCARCH x86, the bzImage where 2.6.9 and later kernels leave it, qemu-system-i386 on the PC machine', () => {
    const a = loadArch('i386');
    expect(a).toMatchObject({
      srcarch: 'x86',
      dirs: ['i386', 'x86_64', 'x86'],
      bootImage: { target: 'bzImage', paths: ['arch/i386/boot/bzImage', 'arch/x86/boot/bzImage'] },
      measureTools: { size: 'size', nm: 'nm' },
      qemu: { binary: 'qemu-system-i386', machine: 'pc', console: 'ttyS0', package: 'qemu-system-x86' },
    });
    expect(qemuBinary('x86_64')).toBe('qemu-system-x86_64');
    expect(qemuArgs({ arch: 'i386', kernel: 'bzImage', root: { kind: 'initramfs', file: 'r.cpio' }, memKiB: 8192 }).join(' ')).toMatch(/^-machine pc .* -append console=ttyS0 panic=1 /);
  });

  it('arm: its own SRCARCH and arch/ directory by default, and no qemu', () => {
    expect(loadArch('arm')).toMatchObject({ srcarch: 'arm', dirs: ['arm'], bootImage: { target: 'zImage', paths: ['arch/arm/boot/zImage'] } });
    expect(loadArch('arm').qemu).toBeUndefined();
    expect(() => qemuBinary('arm')).toThrow('tiny boot runs i386 and x86_64 kernels (the arches with a qemu: entry), not arm');
  });

  it('an unknown ARCH: an error naming the known ones and the file that adds it', () => {
    const e = (() => {
      try {
        loadArch('i368');
      } catch (x) {
        return x as TinyError;
      }
      throw new Error('no error');
    })();
    expect(e.message).toBe("unknown ARCH 'i368' (did you mean 'i386'?)");
    expect(e.hint).toMatch(/^known: arm, i386, x86_64; to add it, write .*arches\/i368\.yaml \(schema: schema\/arch\.schema\.json\)$/);
    // Tree-level helpers take an ARCH without a file as its own source directory.
    expect(findArch('sparc64')).toBeUndefined();
    expect(srcArch('sparc64')).toBe('sparc64');
    expect(archDirs('sparc64')).toEqual(['sparc64']);
  });
});

describe("a build lane's worktree leaves out the other architectures", () => {
  // 2.6.9's arch/ (abridged) and include/.
  const arch = ['alpha', 'arm', 'i386', 'ppc', 'sparc64', 'um', 'x86_64'];
  const include = ['acpi', 'asm-alpha', 'asm-arm', 'asm-generic', 'asm-i386', 'asm-ppc', 'asm-sparc64', 'asm-um', 'asm-x86_64', 'linux', 'net'];

  it('i386 keeps arch/i386 and arch/x86_64 (2.6 shares files between them) and their headers, asm-generic, and all else', () => {
    expect(otherArchesLeftOut('i386', arch, include)).toEqual([
      '/*',
      '!/arch/alpha/',
      '!/include/asm-alpha/',
      '!/arch/arm/',
      '!/include/asm-arm/',
      '!/arch/ppc/',
      '!/include/asm-ppc/',
      '!/arch/sparc64/',
      '!/include/asm-sparc64/',
      '!/arch/um/',
      '!/include/asm-um/',
      // Kconfig reads every arch's Kconfig files (6.1's crypto/Kconfig sources arch/arm/crypto/Kconfig).
      '/arch/**/Kconfig*',
    ]);
  });

  it('6.1 has no include/asm-*: only arch/ directories go; a tree of only the own arch leaves nothing out', () => {
    expect(otherArchesLeftOut('arm', ['arm', 'arm64', 'x86'], ['linux', 'uapi'])).toEqual(['/*', '!/arch/arm64/', '!/arch/x86/', '/arch/**/Kconfig*']);
    expect(otherArchesLeftOut('x86_64', ['x86'], ['linux'])).toBeUndefined();
  });

  it('an ARCH without a file in arches/ gets the whole tree: which directories its build reads is not known', () => {
    expect(otherArchesLeftOut('sparc64', arch, include)).toBeUndefined();
  });
});

describe('adding an architecture is adding a file', () => {
  it('TINY_ARCHES=DIR: SRCARCH for Kconfig, the boot image, qemu', async () => {
    const dir = await mkdtemp(join(tmp, 'mine-'));
    await writeFile(
      join(dir, 'sparc64.yaml'),
      'name: sparc64\ndescription: 64-bit SPARC\nsrcarch: sparc\nboot_image:\n  target: image\n  paths: [arch/sparc/boot/image]\nqemu:\n  binary: qemu-system-sparc64\n  machine: sun4u\n  console: ttyS0\n  package: qemu-system-sparc\n',
    );
    const saved = process.env.TINY_ARCHES;
    process.env.TINY_ARCHES = dir;
    try {
      expect(srcArch('sparc64')).toBe('sparc');
      expect(archDirs('sparc64')).toEqual(['sparc64', 'sparc']);
      expect(qemuBinary('sparc64')).toBe('qemu-system-sparc64');
      expect(qemuArgs({ arch: 'sparc64', kernel: 'image', root: { kind: 'initramfs', file: 'r' }, memKiB: 65536 }).slice(0, 2)).toEqual(['-machine', 'sun4u']);
    } finally {
      if (saved === undefined) delete process.env.TINY_ARCHES;
      else process.env.TINY_ARCHES = saved;
    }
  });
});

describe('a broken arches/<ARCH>.yaml: file:line:column, what is wrong, the fix', () => {
  const GOOD = 'name: mips\ndescription: MIPS\nsrcarch: mips\n';

  it('an unknown key, with the nearest known one', async () => {
    expect(await errorsOf('mips', GOOD + 'qemu:\n  binary: qemu-system-mips\n  machin: malta\n  console: ttyS0\n  package: qemu-system-mips\n')).toEqual([
      "arches/mips.yaml:5:3: error: qemu is missing 'machine'\n  hint: qemu -machine, e.g. pc.",
      "arches/mips.yaml:6:3: error: unknown key 'machin' in qemu\n  hint: did you mean 'machine'?",
    ]);
  });

  it('a missing key, a wrong type, a bad path', async () => {
    expect(await errorsOf('mips', 'name: mips\ndescription: MIPS\ndirs: mips\nboot_image:\n  target: vmlinux.bin\n  paths: [../vmlinux.bin]\n')).toEqual([
      "arches/mips.yaml:1:1: error: the architecture is missing 'srcarch'\n  hint: The kernel's SRCARCH: the directory under arch/ holding its sources in current kernels (i386 and x86_64 share arch/x86 since 2.6.24). Equal to name when the architecture has a directory of its own.",
      "arches/mips.yaml:3:7: error: 'dirs' must be a list, not 'mips'\n  hint: The directories under arch/ that hold this ARCH's code in some kernel version, its own first (2.6's x86_64 builds files of arch/i386; both moved to arch/x86). Default: [name, srcarch].",
      "arches/mips.yaml:6:11: error: 'boot_image.paths[0]' value '../vmlinux.bin' is not valid",
    ]);
  });

  it('a name that is not the file name; a YAML syntax error', async () => {
    expect(await errorsOf('mips', GOOD.replace('name: mips', 'name: mipsel'))).toEqual([
      "arches/mips.yaml:1:7: error: name 'mipsel' is not the file's name 'mips'\n  hint: write name: mips (or rename the file to mipsel.yaml)",
    ]);
    expect((await errorsOf('mips', GOOD + 'dirs: [mips\n'))[0]).toMatch(/^arches\/mips\.yaml:5:\d+: error: YAML syntax: /);
  });
});
