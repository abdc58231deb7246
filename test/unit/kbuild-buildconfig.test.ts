import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBuildConfigs, loadBuildConfig, parseBuildConfig, parseSize } from '../../src/kbuild/buildconfig.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';

const ROOT = resolve(import.meta.dirname, '../..');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tiny-buildconfig-'));
  await mkdir(join(tmp, 'configs'));
  await mkdir(join(tmp, 'toolchains/gcc-12-i386'), { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function errorsOf(text: string, name = 'x'): Promise<string[]> {
  try {
    await parseBuildConfig(text, { file: join(tmp, 'configs', `${name}.yaml`), displayFile: `configs/${name}.yaml`, rootDir: tmp });
  } catch (e) {
    expect(e).toBeInstanceOf(TinyError);
    expect((e as TinyError).exitCode).toBe(2);
    return (e as TinyError).diagnostics.map(formatDiagnostic);
  }
  throw new Error('expected the configuration to be rejected');
}

const GOOD = `name: x
toolchain: gcc-12-i386
arch: i386
kconfig:
  base: allnoconfig
  fragment:
    NET: y
targets: [vmlinux]
`;

describe('the shipped configurations', () => {
  it('all load', async () => {
    const names = await listBuildConfigs(ROOT);
    expect(names).toEqual(expect.arrayContaining(['allnoconfig', 'tinyconfig-6.1', 'webserver']));
    for (const name of names) {
      const c = await loadBuildConfig(ROOT, name);
      expect(c.name).toBe(name);
      expect(c.warnings).toEqual([]);
    }
  });

  it('webserver: allnoconfig plus the fragment, compat selected', async () => {
    const c = await loadBuildConfig(ROOT, 'webserver', { cwd: ROOT });
    expect(c).toMatchObject({ toolchain: 'gcc-12-i386', arch: 'i386', targets: ['vmlinux', 'bzImage'], displayFile: 'configs/webserver.yaml' });
    expect(c.kconfig.base).toBe('allnoconfig');
    const want =
      'PCI NET INET UNIX NETDEVICES NET_ETHERNET NET_PCI NE2K_PCI IDE BLK_DEV_IDE BLK_DEV_IDEDISK BLK_DEV_IDEPCI BLK_DEV_GENERIC BLK_DEV_PIIX EXT2_FS BINFMT_ELF SERIAL_8250 SERIAL_8250_CONSOLE'.split(
        ' ',
      );
    for (const s of want) expect(c.kconfig.fragment[s], s).toBe('y');
    expect(c.kconfig.fragment.BLK_DEV_IDEDMA_PCI).toBe('y');
    expect(c.fragmentPositions.NET).toEqual({ line: 21, column: 5 });
  });

  it('tinyconfig-6.1 uses the tinyconfig base', async () => {
    const c = await loadBuildConfig(ROOT, 'tinyconfig-6.1');
    expect(c.kconfig.base).toBe('tinyconfig');
    expect(c.kconfig.fragment).toMatchObject({ PRINTK: 'y', SERIAL_8250_CONSOLE: 'y' });
  });
});

describe('loadBuildConfig', () => {
  it('lists the known configurations for an unknown name', async () => {
    const err = await loadBuildConfig(ROOT, 'websrver').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TinyError);
    expect((err as TinyError).message).toBe("unknown configuration 'websrver'");
    expect((err as TinyError).hint).toMatch(/^did you mean 'webserver'\? known configurations: .*allnoconfig.*webserver/);
    const none = await loadBuildConfig(tmp, 'anything').catch((e: unknown) => e);
    expect((none as TinyError).hint).toMatch(/there is no configs\/\*\.yaml/);
    const traversal = await loadBuildConfig(ROOT, '../package').catch((e: unknown) => e);
    expect(traversal).toBeInstanceOf(TinyError);
  });

  it('loads a configuration by path, with base.file resolved next to it', async () => {
    await writeFile(join(tmp, 'configs', 'fromfile.yaml'), GOOD.replace('name: x', 'name: fromfile').replace('base: allnoconfig', 'base: {file: ../my.config}'));
    const c = await loadBuildConfig(tmp, join(tmp, 'configs', 'fromfile.yaml'));
    expect(c.kconfig.base).toEqual({ file: join(tmp, 'my.config') });
  });
});

describe('parseBuildConfig', () => {
  it('accepts numbers, hex kept as written, strings, budgets and make_vars', async () => {
    const c = await parseBuildConfig(
      `${GOOD.replace('    NET: y\n', '    NET: y\n    LOG_BUF_SHIFT: 14\n    PHYSICAL_START: 0x100000\n    CMDLINE: "console=ttyS0"\n    UNIX: m\n    PRINTK: n\n')}budgets:\n  bzImage: 400K\n  vmlinux: 1.5M\n  text: 300000\n  min_saving_per_patch: 64\nmake_vars:\n  HOSTCFLAGS: -O2 -fcommon\n`,
      { file: join(tmp, 'configs/x.yaml'), rootDir: tmp },
    );
    expect(c.kconfig.fragment).toEqual({ NET: 'y', LOG_BUF_SHIFT: 14, PHYSICAL_START: '0x100000', CMDLINE: 'console=ttyS0', UNIX: 'm', PRINTK: 'n' });
    expect(c.budgets).toEqual([{ limits: { bzImage: 400 * 1024, vmlinux: 1572864, text: 300000, min_saving_per_patch: 64 }, where: `${join(tmp, 'configs/x.yaml')}:15` }]);
    expect(c.makeVars).toEqual({ HOSTCFLAGS: '-O2 -fcommon' });
    expect(c.queue).toEqual({ select: [], baseSelect: [] });
  });

  it('reads kconfig.flips, and points at a bad or repeated symbol', async () => {
    const withFlips = GOOD.replace('targets:', 'kconfig_flips_here:').replace('    NET: y\n', '    NET: y\n  flips: [KALLSYMS, FUTEX]\n').replace('kconfig_flips_here:', 'targets:');
    const c = await parseBuildConfig(withFlips, { file: join(tmp, 'configs/x.yaml'), rootDir: tmp });
    expect(c.kconfig.flips).toEqual(['KALLSYMS', 'FUTEX']);
    expect((await parseBuildConfig(GOOD, { file: join(tmp, 'configs/x.yaml'), rootDir: tmp })).kconfig.flips).toEqual([]);
    expect(await errorsOf(GOOD.replace('    NET: y\n', '    NET: y\n  flips: [CONFIG_KALLSYMS]\n'))).toEqual([
      "configs/x.yaml:8:11: error: 'kconfig.flips[0]' 'CONFIG_KALLSYMS' is not valid here\n  hint: a Kconfig symbol without CONFIG_, e.g. KALLSYMS",
    ]);
    expect(await errorsOf(GOOD.replace('    NET: y\n', '    NET: y\n  flips: [FUTEX, FUTEX]\n'))).toEqual([
      expect.stringMatching(/^configs\/x.yaml:8:\d+: error: 'kconfig.flips' lists 'FUTEX' twice/),
    ]);
  });

  it('points at unknown keys, wrong types and missing keys', async () => {
    expect(await errorsOf('name: x\ntoolchain: gcc-12-i386\narch: i386\nkconfig:\n  base: allnoconfig\n  fragmnt: {}\ntarget: [vmlinux]\n')).toEqual([
      "configs/x.yaml:1:1: error: the configuration is missing 'targets'\n  hint: What to build and measure: vmlinux and/or bzImage.",
      "configs/x.yaml:6:3: error: unknown key 'fragmnt' in kconfig\n  hint: did you mean 'fragment'?",
      "configs/x.yaml:7:1: error: unknown key 'target'\n  hint: did you mean 'targets'?",
    ]);
    expect(await errorsOf(GOOD.replace('targets: [vmlinux]', 'targets: [vmlinux, zImage]'))).toEqual([
      "configs/x.yaml:8:20: error: 'targets[1]' cannot be 'zImage'\n  hint: did you mean 'bzImage'? one of: vmlinux, bzImage",
    ]);
    expect(await errorsOf(GOOD.replace('arch: i386', 'arch: 386 x'))).toEqual(["configs/x.yaml:3:7: error: 'arch' '386 x' is not valid here\n  hint: the kernel ARCH= value in lowercase, e.g. i386"]);
  });

  it('explains bad bases', async () => {
    expect(await errorsOf(GOOD.replace('base: allnoconfig', 'base: allnoconfg'))).toEqual([
      "configs/x.yaml:5:9: error: unknown kconfig base 'allnoconfg'\n  hint: did you mean 'allnoconfig'? write base: allnoconfig, tinyconfig, defconfig, <board>_defconfig, or base: {file: path/to/.config}",
    ]);
    expect(await errorsOf(GOOD.replace('base: allnoconfig', 'base: {path: x.config}'))).toEqual([
      'configs/x.yaml:5:9: error: kconfig.base.file must be the path of a .config file\n  hint: e.g. base: {file: webserver.config} (relative to this configuration file)',
      "configs/x.yaml:5:10: error: unknown key 'path' in kconfig.base\n  hint: a file base has only file: (a .config path)",
    ]);
    expect((await parseBuildConfig(GOOD.replace('base: allnoconfig', 'base: i386_defconfig'), { file: join(tmp, 'configs/x.yaml') })).kconfig.base).toBe('i386_defconfig');
  });

  it('explains bad fragment entries at their line', async () => {
    const text = GOOD.replace('    NET: y\n', '    CONFIG_NET: y\n    INET: true\n    UNIX: yes\n    IPV6: Y\n    LOG_BUF_SHIFT: 1.5\n    bad-name: y\n    EMPTY:\n');
    expect(await errorsOf(text)).toEqual([
      "configs/x.yaml:7:5: error: write 'NET', not 'CONFIG_NET'\n  hint: fragment symbols are written without CONFIG_",
      "configs/x.yaml:8:11: error: INET: 'true' is not a Kconfig value\n  hint: write INET: y (Kconfig values are y, m and n; quote a string that really is 'true')",
      "configs/x.yaml:9:11: error: UNIX: 'yes' is not a Kconfig value\n  hint: write UNIX: y (Kconfig values are y, m and n; quote a string that really is 'yes')",
      "configs/x.yaml:10:11: error: IPV6: 'Y' is not a Kconfig value\n  hint: write IPV6: y (Kconfig values are y, m and n; quote a string that really is 'Y')",
      'configs/x.yaml:11:20: error: LOG_BUF_SHIFT: 1.5 is not an integer\n  hint: int and hex symbols take integers; quote it if the symbol is a string',
      "configs/x.yaml:12:5: error: 'bad-name' is not a Kconfig symbol name\n  hint: use letters, digits and _ only, e.g. PRINTK",
      'configs/x.yaml:13:5: error: EMPTY: empty is not a Kconfig value\n  hint: write y, m, n, a number or a string',
    ]);
  });

  it('budgets per base: a list of sets, each naming its bases (none: every base)', async () => {
    const c = await parseBuildConfig(`${GOOD}budgets:\n  - min_saving_per_patch: 64\n  - bases: ["2.6.9"]\n    bzImage: 363K\n  - bases: ["2.6.11", "2.6.12-rc2"]\n    bzImage: 376K\n`, {
      file: join(tmp, 'configs/x.yaml'),
      displayFile: 'configs/x.yaml',
      rootDir: tmp,
    });
    expect(c.budgets).toEqual([
      { limits: { min_saving_per_patch: 64 }, where: 'configs/x.yaml:10' },
      { bases: ['2.6.9'], limits: { bzImage: 363 * 1024 }, where: 'configs/x.yaml:11' },
      { bases: ['2.6.11', '2.6.12-rc2'], limits: { bzImage: 376 * 1024 }, where: 'configs/x.yaml:13' },
    ]);
  });

  it('budgets per base: a limit given twice for a base, a version YAML reads as a number, unknown keys', async () => {
    expect(await errorsOf(`${GOOD}budgets:\n  - bases: ["2.6.9"]\n    bzImage: 363K\n  - bases: ["2.6.11", "2.6.9"]\n    bzImage: 376K\n`)).toEqual([
      'configs/x.yaml:13:5: error: budget bzImage is given twice for 2.6.9: here and at configs/x.yaml:11\n  hint: keep one: an item without bases: applies on every base, an item naming a base overrides it there',
    ]);
    expect(await errorsOf(`${GOOD}budgets:\n  - bases: [2.6, "2.6.9", "2.6.9"]\n    bzimage: 363K\n`)).toEqual([
      'configs/x.yaml:10:13: error: base 2.6 is not a version string\n  hint: quote it: "2.6"',
      "configs/x.yaml:10:27: error: budgets[0].bases lists '2.6.9' twice\n  hint: remove the repeated version",
      "configs/x.yaml:11:5: error: unknown key 'bzimage' in budgets[0]\n  hint: did you mean 'bzImage'?",
    ]);
    expect(await errorsOf(`${GOOD}budgets:\n  - bases: []\n    bzImage: 363K\n  - 363K\n`)).toEqual([
      'configs/x.yaml:10:12: error: budgets[0].bases is empty\n  hint: bases: lists base versions as the queue names them, e.g. bases: ["2.6.9", "2.6.11"]',
      'configs/x.yaml:12:5: error: budgets[1] must be a mapping of limits, not \'363K\'\n  hint: write it as {bases: ["2.6.9"], bzImage: 363K}',
    ]);
    expect(await errorsOf(`${GOOD}budgets: 363K\n`)).toEqual([
      'configs/x.yaml:9:10: error: budgets must be a mapping of limits or a non-empty list of them, not \'363K\'\n  hint: e.g. budgets: {bzImage: 400K}, or per base: budgets: [{bases: ["2.6.9"], bzImage: 363K}, {bases: ["2.6.11"], bzImage: 376K}]',
    ]);
  });

  it('checks budgets, guard symbols, the name and YAML syntax', async () => {
    expect(await errorsOf(`${GOOD}budgets:\n  bzImage: 400KB\n  dec: lots\n`)).toEqual([
      'configs/x.yaml:10:12: error: budget bzImage: \'400KB\' is not a size\n  hint: write the size as bytes or with K or M, e.g. "400K"',
      'configs/x.yaml:11:8: error: budget dec: \'lots\' is not a size\n  hint: a size is bytes (400000) or a string with K or M (K = 1024), e.g. "400K"',
    ]);
    expect(await errorsOf(`${GOOD}queue:\n  select: [+compat, compat]\n`)).toEqual([
      "configs/x.yaml:10:12: error: guard symbol '+compat' is not valid here\n  hint: a guard symbol is a word such as compat (no + or - prefix: selecting is what the list means)",
    ]);
    expect(await errorsOf(GOOD, 'other')).toEqual(["configs/other.yaml:1:7: error: name 'x' differs from the file name 'other'\n  hint: write name: other, or rename the file to x.yaml"]);
    const syntax = await errorsOf('name: x\n  toolchain: [\n');
    expect(syntax[0]).toBe(
      "configs/x.yaml:1:7: error: Nested mappings are not allowed in compact mappings\n  hint: check the indentation: keys of one mapping line up, and a value containing ': ' needs quotes",
    );
    expect(await errorsOf('name: x\nname: y\n')).toEqual(['configs/x.yaml:2:1: error: Map keys must be unique\n  hint: each key may appear once in a mapping: remove or merge the repeated one']);
    expect(await errorsOf('')).toEqual([
      'configs/x.yaml:1:1: error: the configuration file is empty\n  hint: a configuration has name:, toolchain:, arch:, kconfig: and targets: (see configs/webserver.yaml)',
    ]);
  });

  it('warns about a toolchain without a directory', async () => {
    const c = await parseBuildConfig(GOOD.replace('gcc-12-i386', 'gcc-99-vax'), { file: join(tmp, 'configs/x.yaml'), displayFile: 'configs/x.yaml', rootDir: tmp });
    expect(c.warnings.map(formatDiagnostic)).toEqual([
      "configs/x.yaml:2:12: warning: toolchain 'gcc-99-vax' has no directory toolchains/gcc-99-vax\n  hint: add toolchains/<name>/toolchain.yaml, or pick an existing toolchain",
    ]);
  });
});

describe('toolchain and arch', () => {
  it('rejects an arch the toolchain does not build', async () => {
    await writeFile(join(tmp, 'toolchains/gcc-12-i386/toolchain.yaml'), 'name: gcc-12-i386\narches: [i386]\n');
    expect(await errorsOf(GOOD.replace('arch: i386', 'arch: arm'))).toEqual([
      "configs/x.yaml:3:7: error: toolchain 'gcc-12-i386' does not build arch 'arm' (its arches: i386)\n  hint: pick a toolchain for this arch, or fix the arch",
    ]);
    await rm(join(tmp, 'toolchains/gcc-12-i386/toolchain.yaml'));
  });

  it('rejects an arch without an arches/<ARCH>.yaml, naming the file that would add it', async () => {
    expect(await errorsOf(GOOD.replace('arch: i386', 'arch: i368'))).toEqual([
      "configs/x.yaml:3:7: error: arch 'i368' is not an architecture tiny knows (no arches/i368.yaml): did you mean 'i386'?\n  hint: known: arm, i386, x86_64; another is one file, arches/i368.yaml (schema/arch.schema.json)",
    ]);
  });
});

describe('parseSize', () => {
  it('reads bytes, K and M', () => {
    expect(parseSize(1234)).toBe(1234);
    expect(parseSize('400K')).toBe(409600);
    expect(parseSize('2M')).toBe(2097152);
    expect(parseSize('0.5K')).toBe(512);
    expect(parseSize('400k')).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
    expect(parseSize('x')).toBeUndefined();
  });
});
