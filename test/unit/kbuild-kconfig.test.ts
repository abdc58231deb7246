import { describe, expect, it } from 'vitest';
import { applyFragment, diffConfigs, droppedSymbols, fragmentValue, normalizeDotConfig, parseDotConfig, renderFragment, sameConfig, sameValue } from '../../src/kbuild/kconfig.js';

const CONFIG_269 = `#
# Automatically generated make config: don't edit
# Linux kernel version: 2.6.9
# Wed Nov 25 19:54:48 2026
#
CONFIG_X86=y
CONFIG_MMU=y

#
# Code maturity level options
#
# CONFIG_EXPERIMENTAL is not set
CONFIG_LOCALVERSION=""
CONFIG_LOG_BUF_SHIFT=14
CONFIG_PHYSICAL_START=0x100000
CONFIG_UNIX=m
CONFIG_CMDLINE="console=ttyS0 root=\\"/dev/hda1\\""
`;

describe('parseDotConfig', () => {
  it('reads set, not-set, numbers and strings', () => {
    const m = parseDotConfig(CONFIG_269);
    expect(m.get('X86')).toBe('y');
    expect(m.get('EXPERIMENTAL')).toBe('n');
    expect(m.get('LOCALVERSION')).toBe('""');
    expect(m.get('LOG_BUF_SHIFT')).toBe('14');
    expect(m.get('PHYSICAL_START')).toBe('0x100000');
    expect(m.get('UNIX')).toBe('m');
    expect(m.get('CMDLINE')).toBe('"console=ttyS0 root=\\"/dev/hda1\\""');
    expect(m.has('Code')).toBe(false);
    expect(m.size).toBe(8);
  });

  it('lets the last line win and tolerates CRLF', () => {
    const m = parseDotConfig('CONFIG_A=y\r\n# CONFIG_A is not set\r\nCONFIG_B=m\r\n');
    expect(m.get('A')).toBe('n');
    expect(m.get('B')).toBe('m');
  });

  it('ignores comments that only look like symbols', () => {
    const m = parseDotConfig('# CONFIG_A is set to something\n#CONFIG_B=y\nCONFIG_C=y\n');
    expect([...m.keys()]).toEqual(['C']);
  });
});

describe('fragment values', () => {
  it('keeps tristates and numbers, quotes strings', () => {
    expect(fragmentValue('y')).toBe('y');
    expect(fragmentValue('n')).toBe('n');
    expect(fragmentValue(14)).toBe('14');
    expect(fragmentValue('0x1000')).toBe('0x1000');
    expect(fragmentValue('console=ttyS0')).toBe('"console=ttyS0"');
    expect(fragmentValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(fragmentValue('"already"')).toBe('"already"');
  });

  it('quotes everything for a string symbol', () => {
    expect(fragmentValue('y', 'string')).toBe('"y"');
    expect(fragmentValue(12, 'string')).toBe('"12"');
  });

  it('renders a fragment as .config lines in order', () => {
    expect(renderFragment({ NET: 'y', PRINTK: 'n', LOG_BUF_SHIFT: 15, LOCALVERSION: '-tiny' })).toBe(
      'CONFIG_NET=y\n# CONFIG_PRINTK is not set\nCONFIG_LOG_BUF_SHIFT=15\nCONFIG_LOCALVERSION="-tiny"\n',
    );
  });

  it('compares hex and decimal numerically', () => {
    expect(sameValue('0x10', '0x0010')).toBe(true);
    expect(sameValue('010', '10')).toBe(true);
    expect(sameValue('y', 'm')).toBe(false);
    expect(sameValue('"a"', '"a"')).toBe(true);
  });
});

describe('applyFragment', () => {
  it('replaces existing lines in place and appends new symbols', () => {
    const out = applyFragment(CONFIG_269, { EXPERIMENTAL: 'y', X86: 'y', LOG_BUF_SHIFT: 16, NET: 'y', MMU: 'n' });
    const lines = out.split('\n');
    expect(lines).toContain('CONFIG_EXPERIMENTAL=y');
    expect(lines).not.toContain('# CONFIG_EXPERIMENTAL is not set');
    expect(lines).toContain('# CONFIG_MMU is not set');
    expect(lines.indexOf('CONFIG_EXPERIMENTAL=y')).toBe(CONFIG_269.split('\n').indexOf('# CONFIG_EXPERIMENTAL is not set'));
    expect(lines.at(-2)).toBe('CONFIG_NET=y');
    expect(out.endsWith('\n')).toBe(true);
    expect(parseDotConfig(out).get('LOG_BUF_SHIFT')).toBe('16');
  });

  it('keeps one line for a symbol written twice', () => {
    const out = applyFragment('CONFIG_A=y\nCONFIG_B=y\n# CONFIG_A is not set\n', { A: 'm' });
    expect(out).toBe('CONFIG_A=m\nCONFIG_B=y\n');
  });

  it('unsets extra symbols (the other members of a choice)', () => {
    const out = applyFragment('CONFIG_PCI_GOANY=y\n', { PCI_GODIRECT: 'y' }, { unset: ['PCI_GOANY', 'PCI_GOBIOS'] });
    expect(out).toBe('# CONFIG_PCI_GOANY is not set\n# CONFIG_PCI_GOBIOS is not set\nCONFIG_PCI_GODIRECT=y\n');
  });

  it('is a no-op when everything is in place', () => {
    const cfg = parseDotConfig(CONFIG_269);
    expect(sameConfig(parseDotConfig(applyFragment(CONFIG_269, { X86: 'y', EXPERIMENTAL: 'n', LOG_BUF_SHIFT: 14 })), cfg)).toBe(true);
  });
});

describe('droppedSymbols', () => {
  const actual = parseDotConfig(CONFIG_269);
  it('lists each symbol whose value differs, with absent ones marked', () => {
    const dropped = droppedSymbols({ X86: 'y', UNIX: 'y', NET: 'y', EXPERIMENTAL: 'n', SWAP: 'n', LOG_BUF_SHIFT: 14, PHYSICAL_START: '0x0100000' }, actual);
    expect(dropped).toEqual([
      { symbol: 'UNIX', requested: 'y', actual: 'm', absent: false },
      { symbol: 'NET', requested: 'y', actual: 'n', absent: true },
    ]);
  });

  it('compares strings with their quotes', () => {
    expect(droppedSymbols({ LOCALVERSION: '' }, actual)).toEqual([]);
    expect(droppedSymbols({ LOCALVERSION: '-tiny' }, actual)).toEqual([{ symbol: 'LOCALVERSION', requested: '"-tiny"', actual: '""', absent: false }]);
  });
});

describe('diffConfigs', () => {
  it('reports added, removed and changed symbols, sorted', () => {
    const a = parseDotConfig('CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_N=0x10\n');
    const b = parseDotConfig('CONFIG_A=m\nCONFIG_C=y\nCONFIG_D=y\nCONFIG_N=0x0010\n');
    expect(diffConfigs(a, b)).toEqual({
      added: [['D', 'y']],
      removed: [['B', 'y']],
      changed: [
        ['A', 'y', 'm'],
        ['C', 'n', 'y'],
      ],
    });
  });
});

describe('normalizeDotConfig', () => {
  it("drops 2.6's date line from the header only", () => {
    const out = normalizeDotConfig(CONFIG_269);
    expect(out).not.toContain('Wed Nov 25');
    expect(out.split('\n').slice(0, 4)).toEqual(['#', "# Automatically generated make config: don't edit", '# Linux kernel version: 2.6.9', '#']);
    expect(normalizeDotConfig(out)).toBe(out);
    const body = 'CONFIG_A=y\n# Wed Nov 25 19:54:48 2026\n';
    expect(normalizeDotConfig(body)).toBe(body);
  });
});
