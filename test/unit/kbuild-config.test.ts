// The configuration flow on the fake kernel tree (test/fixtures/fakelinux): real make, a fake
// Kconfig, seconds. The fake tree comes in two flavours: "modern" (olddefconfig, tinyconfig)
// and "2.6-like" (its scripts/kconfig/Makefile lacks both: oldconfig is fed answers on stdin).

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMakeError, generateConfig, hostRunMake, type GenerateConfigOptions, type MakeRequest, type RunMake } from '../../src/kbuild/config.js';
import { parseDotConfig } from '../../src/kbuild/kconfig.js';
import { run } from '../../src/util/exec.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { sha256 } from '../../src/util/fs.js';
import { expectTinyError } from '../helpers/errors.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/fakelinux');

let tmp: string;
let modern: string;
let old: string;
let n = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tiny-kbuild-config-'));
  modern = join(tmp, 'modern');
  old = join(tmp, 'old');
  await cp(FIXTURE, modern, { recursive: true });
  await cp(FIXTURE, old, { recursive: true });
  // A 2.6-like kconfig Makefile: no olddefconfig, no tinyconfig.
  const mk = join(old, 'scripts/kconfig/Makefile');
  const text = await readFile(mk, 'utf8');
  await writeFile(mk, text.replace(/\.PHONY: olddefconfig\nolddefconfig:[^\n]*\n(\t[^\n]*\n)+/, '').replace(/\.PHONY: tinyconfig\ntinyconfig:[^\n]*\n(\t[^\n]*\n)+/, ''));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A RunMake that records each call. */
function recording(inner: RunMake = hostRunMake({ timeoutSeconds: 60 })): { runMake: RunMake; calls: MakeRequest[] } {
  const calls: MakeRequest[] = [];
  return {
    calls,
    runMake: async (req) => {
      calls.push(req);
      return inner(req);
    },
  };
}

function opts(tree: string, over: Partial<GenerateConfigOptions>): GenerateConfigOptions {
  return { tree, buildDir: join(tmp, `build-${n++}`), arch: 'i386', base: 'allnoconfig', fragment: {}, runMake: hostRunMake({ timeoutSeconds: 60 }), ...over };
}

const WEB = { PCI: 'y', NET: 'y', INET: 'y', UNIX: 'y', NETDEVICES: 'y', NET_ETHERNET: 'y', NET_PCI: 'y', NE2K_PCI: 'y', SERIAL_8250: 'y', SERIAL_8250_CONSOLE: 'y' } as const;

describe('generateConfig on a modern (fake) tree', () => {
  it('keeps every requested symbol, with olddefconfig', async () => {
    const { runMake, calls } = recording();
    const o = opts(modern, { fragment: { ...WEB, LOG_BUF_SHIFT: 16, LOCALVERSION: '-tiny' }, runMake });
    const r = await generateConfig(o);
    expect(r.updateTarget).toBe('olddefconfig');
    expect(calls.map((c) => c.targets.join(' '))).toEqual(['allnoconfig', 'olddefconfig']);
    expect(calls[0]!.vars).toMatchObject({ O: o.buildDir, ARCH: 'i386', KCONFIG_NOTIMESTAMP: '1' });
    expect(calls[1]!.input).toBeUndefined();
    expect(r.rounds).toBe(1);
    for (const [sym, v] of Object.entries(WEB)) expect(r.symbols[sym], sym).toBe(v);
    expect(r.symbols.LOG_BUF_SHIFT).toBe('16');
    expect(r.symbols.LOCALVERSION).toBe('"-tiny"');
    expect(r.symbols.CRC32).toBe('y'); // selected by NE2K_PCI
    expect(r.symbols.IPV6).toBe('y'); // newly visible symbols take their defaults
    expect(r.sha256).toBe(sha256(r.config));
    expect(await readFile(join(o.buildDir, '.config'), 'utf8')).toBe(r.config);
    expect(r.warnings).toEqual([]);
  });

  it('builds a vmlinux whose size follows the configuration', async () => {
    const small = opts(modern, {});
    const big = opts(modern, { fragment: WEB });
    await generateConfig(small);
    await generateConfig(big);
    const sizes: number[] = [];
    for (const o of [small, big]) {
      await run('make', [`O=${o.buildDir}`, 'ARCH=i386', 'vmlinux', 'bzImage'], { cwd: modern });
      const out = await run('size', [join(o.buildDir, 'vmlinux')]);
      sizes.push(Number(out.stdout.split('\n')[1]!.trim().split(/\s+/)[3]));
      const nm = await run('nm', [join(o.buildDir, 'vmlinux')]);
      expect(nm.stdout).toContain('start_kernel');
    }
    expect(sizes[1]!).toBeGreaterThan(sizes[0]! + 4000);
  });

  it('does nothing more when the base already has the fragment', async () => {
    const r = await generateConfig(opts(modern, { fragment: { NET: 'n', X86: 'y' } }));
    expect(r.rounds).toBe(0);
    expect(r.makeCalls.map((c) => c.targets[0])).toEqual(['allnoconfig']);
  });

  it('runs tinyconfig, defconfig and a .config file as bases', async () => {
    const tiny = await generateConfig(opts(modern, { base: 'tinyconfig', fragment: { TTY: 'y', PRINTK: 'y' } }));
    expect(tiny.symbols.EXPERT).toBe('y');
    expect(tiny.base).toBe('tinyconfig');
    const def = await generateConfig(opts(modern, { base: 'defconfig' }));
    expect(def.symbols.NET_ETHERNET).toBe('y');
    const file = join(tmp, 'base.config');
    await writeFile(file, 'CONFIG_NET=y\nCONFIG_INET=y\n# CONFIG_IPV6 is not set\n');
    const fromFile = await generateConfig(opts(modern, { base: { file }, fragment: { UNIX: 'y' } }));
    expect(fromFile.symbols).toMatchObject({ NET: 'y', INET: 'y', IPV6: 'n', UNIX: 'y' });
    expect(fromFile.makeCalls.map((c) => c.targets[0])).toEqual(['olddefconfig', 'olddefconfig']);
  });

  it('sets a member of a choice by unsetting the others', async () => {
    const r = await generateConfig(opts(modern, { fragment: { PCI: 'y', PCI_GODIRECT: 'y' } }));
    expect(r.symbols).toMatchObject({ PCI_GODIRECT: 'y', PCI_GOANY: 'n', PCI_GOBIOS: 'n' });
  });

  it('rejects a fragment whose dependency is off, naming it, at the fragment line', async () => {
    const e = await expectTinyError(
      generateConfig(opts(modern, { fragment: { NET: 'y', NETDEVICES: 'y', NET_ETHERNET: 'y', NE2K_PCI: 'y' }, source: { file: 'configs/x.yaml', positions: { NE2K_PCI: { line: 9, column: 5 } } } })),
    );
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('1 requested Kconfig symbol did not survive allnoconfig + fragment: NE2K_PCI');
    expect(e.diagnostics).toEqual([
      {
        severity: 'error',
        file: 'configs/x.yaml',
        line: 9,
        column: 5,
        message: 'CONFIG_NE2K_PCI=y was dropped (now not set): depends on NET_PCI && PCI (drivers/Kconfig:17), and NET_PCI is n and PCI is n',
        hint: 'add NET_PCI: y, PCI: y to the fragment',
      },
    ]);
  });

  it('warns instead, for a symbol left to the base (the option of a queue patch this base does not get)', async () => {
    const r = await generateConfig(
      opts(modern, {
        fragment: { NET: 'y', NETDEVICES: 'y', NET_ETHERNET: 'y', NE2K_PCI: 'y' },
        source: { file: 'configs/x.yaml', positions: { NE2K_PCI: { line: 9, column: 5 } } },
        leftToBase: { NE2K_PCI: 'its patch ne2k is not meant for 6.1' },
      }),
    );
    expect(r.symbols.NE2K_PCI).toBeUndefined();
    expect(r.warnings).toContainEqual({
      severity: 'warning',
      file: 'configs/x.yaml',
      line: 9,
      column: 5,
      message: "CONFIG_NE2K_PCI keeps this tree's value (not set): its patch ne2k is not meant for 6.1",
      hint: 'port the patch to this base (tiny queue rebase) to make the option settable here',
    });
  });

  it('rejects a symbol the tree does not define', async () => {
    const e = await expectTinyError(generateConfig(opts(modern, { fragment: { NET: 'y', NE2000_PCI: 'y' } })));
    expect(e.diagnostics.map((d) => d.message)).toEqual(['CONFIG_NE2000_PCI is not defined in this tree (no `config NE2000_PCI` in any Kconfig file read from Kconfig)']);
    expect(e.diagnostics[0]!.file).toMatch(/\.config$/);
  });

  it('warns about `X: n` for a symbol the tree does not define', async () => {
    const r = await generateConfig(opts(modern, { fragment: { NE2000_PCI: 'n' } }));
    expect(r.warnings.map((w) => w.message)).toEqual(['NE2000_PCI: n has no effect: NE2000_PCI is not defined in this tree']);
  });

  it('rejects fragment keys that are not symbols before running make', async () => {
    const { runMake, calls } = recording();
    const e = await expectTinyError(generateConfig(opts(modern, { fragment: { CONFIG_NET: 'y', 'BAD-NAME': 'y' }, runMake })));
    expect(e.diagnostics.map((d) => d.message)).toEqual(["write 'NET', not 'CONFIG_NET'", "'BAD-NAME' is not a Kconfig symbol name"]);
    expect(calls).toEqual([]);
  });
});

describe('generateConfig on a 2.6-like (fake) tree', () => {
  it('feeds oldconfig a finite stream of default answers', async () => {
    const { runMake, calls } = recording();
    const r = await generateConfig(opts(old, { fragment: WEB, runMake }));
    expect(r.updateTarget).toBe('oldconfig');
    const upd = calls.filter((c) => c.targets[0] === 'oldconfig');
    expect(upd.length).toBeGreaterThan(0);
    for (const c of upd) {
      expect(typeof c.input).toBe('string');
      expect(c.input!.length).toBeGreaterThan(1000);
      expect(c.input!.trim()).toBe('');
    }
    for (const [sym, v] of Object.entries(WEB)) expect(r.symbols[sym], sym).toBe(v);
    expect(r.symbols.IPV6).toBe('y');
  });

  it('gives the same bytes twice although the old Kconfig dates its output', async () => {
    const a = opts(old, { fragment: WEB });
    const r1 = await generateConfig(a);
    const r2 = await generateConfig(opts(old, { fragment: WEB }));
    expect(r1.config).not.toMatch(/^# \w{3} \w{3} /m);
    expect(r1.sha256).toBe(r2.sha256);
    expect(parseDotConfig(await readFile(join(a.buildDir, '.config'), 'utf8')).get('NE2K_PCI')).toBe('y');
  });

  it('says clearly that tinyconfig does not exist there', async () => {
    const { runMake, calls } = recording();
    const e = await expectTinyError(generateConfig(opts(old, { base: 'tinyconfig', runMake })));
    expect(e.message).toMatch(/base 'tinyconfig' is not available in this tree/);
    expect(e.hint).toMatch(/use base: allnoconfig/);
    expect(calls).toEqual([]);
  });
});

describe('generateConfig with a scripted make', () => {
  /** A make that writes `configs[i]` to .config on its i-th call. */
  function scripted(buildDir: string, configs: string[], result: { code: number; output: string } = { code: 0, output: '' }): RunMake {
    let i = 0;
    return async () => {
      const text = configs[Math.min(i++, configs.length - 1)]!;
      await writeFile(join(buildDir, '.config'), text);
      return result;
    };
  }

  it('stops after maxRounds when .config never settles', async () => {
    const o = opts(modern, { fragment: { A: 'y' }, maxRounds: 3 });
    const flip = [
      '# CONFIG_A is not set\nCONFIG_B=1\n',
      '# CONFIG_A is not set\nCONFIG_B=2\n',
      '# CONFIG_A is not set\nCONFIG_B=3\n',
      '# CONFIG_A is not set\nCONFIG_B=4\n',
      '# CONFIG_A is not set\nCONFIG_B=5\n',
    ];
    o.runMake = scripted(o.buildDir, flip);
    await expect(generateConfig(o)).rejects.toThrow(TinyError);
    const calls: string[] = [];
    const inner = scripted(o.buildDir, flip);
    o.runMake = async (req) => {
      calls.push(req.targets[0]!);
      return inner(req);
    };
    await generateConfig(o).catch(() => undefined);
    expect(calls).toEqual(['allnoconfig', 'olddefconfig', 'olddefconfig', 'olddefconfig']);
  });

  it('reports a make failure with the output and a hint for kconfig build errors', async () => {
    const o = opts(modern, {});
    o.runMake = async () => ({ code: 2, output: '  HOSTCC  scripts/kconfig/conf.o\nscripts/kconfig/lex.zconf.c:1: error: redefinition\nmake[1]: *** [scripts/kconfig/conf.o] Error 1\n' });
    const err = await generateConfig(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigMakeError);
    expect((err as ConfigMakeError).message).toContain('make allnoconfig failed with exit code 2');
    expect((err as ConfigMakeError).hint).toMatch(/HOSTCFLAGS/);
  });

  it('rejects an ARCH the tree does not have', async () => {
    const e = await expectTinyError(generateConfig(opts(modern, { arch: 'sparc64' })));
    expect(e.message).toBe('ARCH=sparc64 is not an architecture of this tree (no arch/sparc64)');
  });
});
