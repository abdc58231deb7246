import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSymbol, explainDropped, parseKconfigFiles, readKconfigTree, requirements, suggestEnable, type KconfigDb } from '../../src/kbuild/kconfig-deps.js';
import { evalExpr, formatExpr, mapEnv, parseExpr, tokenize, unmetTerms } from '../../src/kbuild/kconfig-expr.js';
import { droppedSymbols, parseDotConfig } from '../../src/kbuild/kconfig.js';

const FAKELINUX = join(import.meta.dirname, '../fixtures/fakelinux');

describe('Kconfig expressions', () => {
  it('parses with Kconfig precedence and prints minimal parentheses', () => {
    expect(formatExpr(parseExpr('NET_ETHERNET && (ISA || EISA || PCI)'))).toBe('NET_ETHERNET && (ISA || EISA || PCI)');
    expect(formatExpr(parseExpr('A || B && !C'))).toBe('A || B && !C');
    expect(formatExpr(parseExpr('(A || B) && !(C && D)'))).toBe('(A || B) && !(C && D)');
    expect(formatExpr(parseExpr('SERIAL_8250=y'))).toBe('SERIAL_8250=y');
    expect(formatExpr(parseExpr('ARCH = "i386"'))).toBe('ARCH="i386"');
    expect(() => parseExpr('A && (B')).toThrow(/missing '\)'/);
    expect(() => parseExpr('A B')).toThrow(/unexpected 'B'/);
  });

  it('tokenizes macros, strings and comments', () => {
    expect(tokenize('def_bool $(cc-option,-m32) # comment')).toEqual([
      { t: 'word', v: 'def_bool' },
      { t: 'macro', v: '$(cc-option,-m32)' },
    ]);
    expect(tokenize('bool "Say \\"hi\\"" if A')).toEqual([
      { t: 'word', v: 'bool' },
      { t: 'str', v: 'Say "hi"' },
      { t: 'word', v: 'if' },
      { t: 'word', v: 'A' },
    ]);
  });

  it('evaluates tristate logic and comparisons against a .config', () => {
    const env = mapEnv(parseDotConfig('CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_N=64\nCONFIG_S="x86"\n'), (s) => ['A', 'B', 'C', 'N', 'S', 'D'].includes(s));
    expect(evalExpr(parseExpr('A && B'), env)).toBe(1);
    expect(evalExpr(parseExpr('A || C'), env)).toBe(2);
    expect(evalExpr(parseExpr('!B'), env)).toBe(1);
    expect(evalExpr(parseExpr('B=y'), env)).toBe(0);
    expect(evalExpr(parseExpr('B!=y'), env)).toBe(2);
    expect(evalExpr(parseExpr('N=64'), env)).toBe(2);
    expect(evalExpr(parseExpr('N>=100'), env)).toBe(0);
    expect(evalExpr(parseExpr('S="x86"'), env)).toBe(2);
    expect(evalExpr(parseExpr('D'), env)).toBe(0);
    expect(evalExpr(parseExpr('D=n'), env)).toBe(2);
  });

  it('names the unmet terms', () => {
    const env = mapEnv(parseDotConfig('CONFIG_NET_ETHERNET=y\n# CONFIG_PCI is not set\nCONFIG_SERIAL_8250=m\nCONFIG_X86_VOYAGER=y\n'), () => true);
    expect(unmetTerms(parseExpr('NET_ETHERNET && PCI'), 2, env).map((t) => t.text)).toEqual(['PCI is n']);
    expect(unmetTerms(parseExpr('NET_PCI && PCI'), 2, env)).toEqual([
      { text: 'NET_PCI is n', fix: { symbol: 'NET_PCI', value: 'y' } },
      { text: 'PCI is n', fix: { symbol: 'PCI', value: 'y' } },
    ]);
    expect(unmetTerms(parseExpr('SERIAL_8250=y'), 2, env)).toEqual([{ text: 'SERIAL_8250=y is false (SERIAL_8250 is m)', fix: { symbol: 'SERIAL_8250', value: 'y' } }]);
    expect(unmetTerms(parseExpr('!X86_VOYAGER'), 2, env)).toEqual([{ text: 'X86_VOYAGER is y', fix: { symbol: 'X86_VOYAGER', value: 'n' } }]);
    const or = unmetTerms(parseExpr('ISA || EISA || PCI'), 2, env);
    expect(or).toHaveLength(1);
    expect(or[0]!.text).toBe('none of ISA, EISA, PCI is set (ISA is n, EISA is n, PCI is n)');
    expect(or[0]!.anyOf?.map((t) => t.fix?.symbol)).toEqual(['ISA', 'EISA', 'PCI']);
  });
});

/** A 2.6-style tree in memory: arch/i386/Kconfig is the root. */
const TREE_26: Record<string, string> = {
  'arch/i386/Kconfig': `
mainmenu "Linux Kernel Configuration"

config X86
	bool
	default y

menu "Code maturity level options"

config EXPERIMENTAL
	bool "Prompt for development and/or incomplete code/drivers"
	---help---
	  Some of the various things that Linux supports (such as network
	  drivers, file systems, network protocols, etc.) can be in a state

config X86_VOYAGER
	bool "Voyager (NCR)"

endmenu

config PCI
	bool "PCI support" if !X86_VISWS
	depends on !X86_VOYAGER
	default y
	help
	  Find out whether you have a PCI motherboard.

choice
	prompt "PCI access mode"
	depends on PCI && !X86_VISWS
	default PCI_GOANY

config PCI_GOBIOS
	bool "BIOS"

config PCI_GOANY
	bool "Any"

endchoice

config PCI_DIRECT
	bool
	depends on PCI && (PCI_GODIRECT || PCI_GOANY)
	default y

source "drivers/Kconfig"

source "lib/Kconfig"
`,
  'drivers/Kconfig': `
menu "Device Drivers"
source "drivers/net/Kconfig"
source "drivers/ide/Kconfig"
source "drivers/serial/Kconfig"
endmenu
`,
  'drivers/net/Kconfig': `
config NETDEVICES
	depends on NET
	bool "Network device support"

menu "Ethernet (10 or 100Mbit)"
	depends on NETDEVICES

config NET_ETHERNET
	bool "Ethernet (10 or 100Mbit)"

config NET_PCI
	bool "EISA, VLB, PCI and on board controllers"
	depends on NET_ETHERNET && (ISA || EISA || PCI)

config NE2K_PCI
	tristate "PCI NE2000 and clones support (see help)"
	depends on NET_PCI && PCI
	select CRC32

endmenu

config NET
	bool "Networking support"
`,
  'drivers/ide/Kconfig': `
config IDE
	tristate "ATA/ATAPI/MFM/RLL support"

if IDE

config BLK_DEV_IDE
	tristate "Enhanced ATA/ATAPI/MFM/RLL disk/cdrom/tape/floppy support"

if BLK_DEV_IDE

config BLK_DEV_IDEDMA_PCI
	bool "Generic PCI bus-master DMA support"
	depends on PCI

if BLK_DEV_IDEDMA_PCI

config BLK_DEV_PIIX
	tristate "Intel PIIXn chipsets support"
	help
	  This driver adds explicit support for Intel PIIX and ICH chips.
	default y

endif
endif
endif
`,
  'drivers/serial/Kconfig': `
config SERIAL_8250
	tristate "8250/16550 and compatible serial support"
	depends on (BROKEN || !SPARC64)
	select SERIAL_CORE

config SERIAL_8250_CONSOLE
	bool "Console on 8250/16550 and compatible serial port"
	depends on SERIAL_8250=y
	select SERIAL_CORE_CONSOLE

config SERIAL_CORE
	tristate

config SERIAL_V850E
	bool "V850E on-chip UART"
	depends V850E_UART && V850E_ME2
`,
  'lib/Kconfig': `
menu "Library routines"

config CRC32
	tristate "CRC32 functions"
	default y

config LOG_BUF_SHIFT
	int "Kernel log buffer size" if DEBUG_KERNEL
	range 12 21
	default 14

endmenu

config ISA
	bool "ISA support"
`,
};

function db26(): KconfigDb {
  return parseKconfigFiles('arch/i386/Kconfig', (p) => TREE_26[p]);
}

describe('parseKconfigFiles', () => {
  it('follows source statements and records definitions with their blocks', () => {
    const db = db26();
    expect(db.problems).toEqual([]);
    expect(db.files).toEqual(['arch/i386/Kconfig', 'drivers/Kconfig', 'drivers/net/Kconfig', 'drivers/ide/Kconfig', 'drivers/serial/Kconfig', 'lib/Kconfig']);
    const [ne2k] = db.symbols.get('NE2K_PCI')!;
    expect(ne2k).toMatchObject({ file: 'drivers/net/Kconfig', line: 16, type: 'tristate', prompts: [{ text: 'PCI NE2000 and clones support (see help)' }] });
    expect(ne2k!.dependsOn.map((d) => formatExpr(d.value))).toEqual(['NET_PCI && PCI']);
    expect(ne2k!.selects.map((s) => s.value)).toEqual(['CRC32']);
    // The "Device Drivers" menu around it has no dependency, so it is no requirement.
    expect(requirements(ne2k!).map((r) => r.text)).toEqual(['inside menu "Ethernet (10 or 100Mbit)", which depends on NETDEVICES', 'depends on NET_PCI && PCI']);
    expect(db.selectedBy.get('CRC32')).toEqual([{ by: 'NE2K_PCI', kind: 'select', file: 'drivers/net/Kconfig', line: 19 }]);
  });

  it('records if blocks, choices, prompt conditions, old `depends` without on, and skips help text', () => {
    const db = db26();
    expect(requirements(db.symbols.get('BLK_DEV_PIIX')![0]!).map((r) => r.text)).toEqual(['inside `if IDE`', 'inside `if BLK_DEV_IDE`', 'inside `if BLK_DEV_IDEDMA_PCI`']);
    // The help text ends at the first line indented less than its first line.
    expect(db.symbols.get('BLK_DEV_PIIX')![0]!.defaults.map((d) => formatExpr(d.value))).toEqual(['y']);
    const goany = db.symbols.get('PCI_GOANY')![0]!;
    expect(goany.choice?.members).toEqual(['PCI_GOBIOS', 'PCI_GOANY']);
    expect(goany.choice?.title).toBe('PCI access mode');
    expect(formatExpr(db.symbols.get('PCI')![0]!.prompts[0]!.cond!)).toBe('!X86_VISWS');
    expect(formatExpr(db.symbols.get('SERIAL_V850E')![0]!.dependsOn[0]!.value)).toBe('V850E_UART && V850E_ME2');
    expect(db.symbols.get('SERIAL_CORE')![0]!.prompts).toEqual([]);
    expect(db.symbols.get('LOG_BUF_SHIFT')![0]!.ranges).toHaveLength(1);
    expect(describeSymbol(db, 'SERIAL_8250_CONSOLE')).toBe(
      'SERIAL_8250_CONSOLE (bool) at drivers/serial/Kconfig:7: "Console on 8250/16550 and compatible serial port"\n  depends on SERIAL_8250=y\n  selects SERIAL_CORE_CONSOLE',
    );
  });

  it('reports what it cannot read or close, and carries on', () => {
    const db = parseKconfigFiles('Kconfig', (p) => ({ Kconfig: 'source "missing/Kconfig"\nif FOO\nconfig A\n\tbool "a"\n\tfrobnicate\n' })[p]);
    expect(db.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'Kconfig:1: cannot read sourced file missing/Kconfig',
      "Kconfig:5: unknown Kconfig keyword 'frobnicate'",
      'Kconfig:2: if is never closed',
    ]);
    expect(db.symbols.has('A')).toBe(true);
  });

  it('reads a modern tree: top-level Kconfig, $(SRCARCH), macros, rsource', () => {
    const files: Record<string, string> = {
      Kconfig: 'mainmenu "Linux/$(ARCH) $(KERNELVERSION) Kernel Configuration"\nsource "scripts/Kconfig.include"\nsource "arch/$(SRCARCH)/Kconfig"\n',
      'scripts/Kconfig.include': 'cc-option = $(success,true)\nif-success = $(shell,{ $(1); } && echo "$(2)")\n$(error-if,$(failure,true),no)\n',
      'arch/x86/Kconfig': 'config X86_32\n\tdef_bool y\n\tdepends on !64BIT\nrsource "Kconfig.cpu"\n',
      'arch/x86/Kconfig.cpu': 'config M486\n\tbool "486" if $(cc-option,-march=i486)\n',
    };
    const db = parseKconfigFiles('Kconfig', (p) => files[p], { SRCARCH: 'x86', ARCH: 'i386' });
    expect(db.problems).toEqual([]);
    expect([...db.symbols.keys()]).toEqual(['X86_32', 'M486']);
    expect(db.symbols.get('X86_32')![0]!.defaults).toHaveLength(1);
  });

  it('reads the fake kernel tree from disk', () => {
    const db = readKconfigTree(FAKELINUX, { arch: 'i386' });
    expect(db.root).toBe('Kconfig');
    expect(db.problems).toEqual([]);
    expect(db.files).toContain('arch/x86/Kconfig');
    expect(db.symbols.get('NE2K_PCI')![0]!.file).toBe('drivers/Kconfig');
  });
});

describe('explainDropped', () => {
  const db = db26();
  const explain = (config: string, fragment: Record<string, string | number>) => {
    const final = parseDotConfig(config);
    return droppedSymbols(fragment, final).map((d) => explainDropped(db, d, final, fragment));
  };

  it('names the unmet dependency and suggests what to add', () => {
    const [e] = explain('CONFIG_NET=y\nCONFIG_NETDEVICES=y\nCONFIG_NET_ETHERNET=y\nCONFIG_PCI=y\n# CONFIG_NET_PCI is not set\n', { NE2K_PCI: 'y' });
    expect(e!.message).toBe('CONFIG_NE2K_PCI=y was dropped (now not set): depends on NET_PCI && PCI (drivers/net/Kconfig:18), and NET_PCI is n');
    expect(e!.hint).toBe('add NET_PCI: y to the fragment');
    expect(e!.suggest).toEqual({ NET_PCI: 'y' });
  });

  it('follows the chain of missing dependencies for the hint', () => {
    const [e] = explain('# CONFIG_NET is not set\n# CONFIG_PCI is not set\n', { NE2K_PCI: 'y' });
    expect(e!.message).toContain('inside menu "Ethernet (10 or 100Mbit)", which depends on NETDEVICES (drivers/net/Kconfig:6), and NETDEVICES is n');
    expect(e!.message).toContain('depends on NET_PCI && PCI (drivers/net/Kconfig:18), and NET_PCI is n and PCI is n');
    expect(e!.suggest).toEqual({ NETDEVICES: 'y', NET_PCI: 'y', PCI: 'y', NET: 'y', NET_ETHERNET: 'y' });
  });

  it('points at a dependency that is itself a dropped fragment symbol', () => {
    const [, e] = explain('# CONFIG_NET_PCI is not set\n', { NET_PCI: 'y', NE2K_PCI: 'y', NETDEVICES: 'y' });
    expect(e!.symbol).toBe('NE2K_PCI');
    expect(e!.hint).toBe('add PCI: y to the fragment; NETDEVICES, NET_PCI are in the fragment but did not survive either: fix those first');
  });

  it('says when the fragment itself rules a symbol out (NE2K_PCI: y with NET_PCI: n)', () => {
    const [e] = explain('CONFIG_NET=y\nCONFIG_NETDEVICES=y\nCONFIG_NET_ETHERNET=y\nCONFIG_PCI=y\n# CONFIG_NET_PCI is not set\n', { NET_PCI: 'n', NE2K_PCI: 'y' });
    expect(e!.symbol).toBe('NE2K_PCI');
    expect(e!.hint).toBe('the fragment itself rules it out with NET_PCI: n: change that, or drop NE2K_PCI');
  });

  it('explains if blocks (BLK_DEV_PIIX needs BLK_DEV_IDEDMA_PCI on 2.6.9)', () => {
    const [e] = explain('CONFIG_PCI=y\nCONFIG_IDE=y\nCONFIG_BLK_DEV_IDE=y\n# CONFIG_BLK_DEV_IDEDMA_PCI is not set\n', { IDE: 'y', BLK_DEV_IDE: 'y', BLK_DEV_PIIX: 'y' });
    expect(e!.message).toBe('CONFIG_BLK_DEV_PIIX=y was dropped (now not set): inside `if BLK_DEV_IDEDMA_PCI` (drivers/ide/Kconfig:16), and BLK_DEV_IDEDMA_PCI is n');
    expect(e!.hint).toBe('add BLK_DEV_IDEDMA_PCI: y to the fragment');
  });

  it('explains comparisons and negations', () => {
    const [e] = explain('CONFIG_SERIAL_8250=m\nCONFIG_MODULES=y\n', { SERIAL_8250_CONSOLE: 'y' });
    expect(e!.message).toContain('depends on SERIAL_8250=y (drivers/serial/Kconfig:9), and SERIAL_8250=y is false (SERIAL_8250 is m)');
    expect(e!.hint).toBe('add SERIAL_8250: y to the fragment');
    const [p] = explain('CONFIG_X86_VOYAGER=y\n', { PCI: 'y' });
    expect(p!.message).toContain('depends on !X86_VOYAGER (arch/i386/Kconfig:23), and X86_VOYAGER is y');
    expect(p!.hint).toBe('add X86_VOYAGER: n to the fragment');
  });

  it('reports a symbol the tree does not define, with a near miss', () => {
    const [e, f] = explain('', { NE2K_PCII: 'y', PRINTK: 'y' });
    expect(e!.defined).toBe(false);
    expect(e!.message).toBe('CONFIG_NE2K_PCII is not defined in this tree (no `config NE2K_PCII` in any Kconfig file read from arch/i386/Kconfig)');
    expect(e!.hint).toMatch(/^did you mean NE2K_PCI\?/);
    expect(f!.message).toContain('CONFIG_PRINTK is not defined in this tree');
  });

  it('explains symbols without a prompt, selected symbols, choices and m without modules', () => {
    const [noPrompt] = explain('', { SERIAL_CORE: 'y' });
    expect(noPrompt!.message).toContain('SERIAL_CORE has no prompt (drivers/serial/Kconfig:12)');
    expect(noPrompt!.hint).toBe('enable a symbol that selects it instead: SERIAL_8250');

    const [selected] = explain('CONFIG_NE2K_PCI=y\nCONFIG_CRC32=y\n', { CRC32: 'n' });
    expect(selected!.message).toBe('CONFIG_CRC32=n was dropped (now y): it is selected by NE2K_PCI (y, drivers/net/Kconfig:19)');
    expect(selected!.suggest).toEqual({ NE2K_PCI: 'n' });

    const [choice] = explain('CONFIG_PCI=y\nCONFIG_PCI_GOANY=y\n# CONFIG_PCI_GOBIOS is not set\n', { PCI_GOBIOS: 'y' });
    expect(choice!.message).toContain('member of the choice "PCI access mode" (arch/i386/Kconfig:28) and PCI_GOANY is y instead');

    const [m] = explain('CONFIG_NE2K_PCI=y\n', { NE2K_PCI: 'm' });
    expect(m!.message).toContain('loadable modules are off (MODULES is not set)');
    const [mBool] = explain('CONFIG_NET_PCI=y\n', { NET_PCI: 'm' });
    expect(mBool!.message).toContain('NET_PCI is a bool symbol');
  });

  it('explains a prompt hidden by its condition and a value out of range', () => {
    const [e] = explain('CONFIG_LOG_BUF_SHIFT=14\n', { LOG_BUF_SHIFT: 17 });
    expect(e!.message).toContain('its prompt "Kernel log buffer size" is shown only if DEBUG_KERNEL');
    const [r] = explain('CONFIG_DEBUG_KERNEL=y\nCONFIG_LOG_BUF_SHIFT=14\n', { LOG_BUF_SHIFT: 40 });
    expect(r!.message).toContain('must be within 12..21');
  });

  it('suggestEnable leaves an unmet || to the user', () => {
    const s = suggestEnable(db, 'NET_PCI', 2, parseDotConfig('CONFIG_NET=y\nCONFIG_NETDEVICES=y\n# CONFIG_PCI is not set\n'));
    expect(s.add).toEqual({ NET_ETHERNET: 'y' });
    // EISA is not defined in this tree: only ISA and PCI can satisfy it.
    expect(s.anyOf).toEqual([['ISA', 'PCI']]);
    const one = suggestEnable(
      parseKconfigFiles('K', (p) => (p === 'K' ? 'config A\n\tbool "a"\n\tdepends on B || C\nconfig B\n\tbool "b"\n' : undefined)),
      'A',
      2,
      new Map(),
    );
    expect(one).toEqual({ add: { B: 'y' }, anyOf: [], blocked: [] });
  });
});
