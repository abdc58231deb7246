// Kconfig configuration on a real Linux 2.6.9 tree (TINY_TREE_2_6 = an unmodified tree; it is
// copied to /tmp first and never written to). Host make and the host gcc build the kconfig
// programs: 2.6.9's scripts/kconfig builds with gcc 12 as it is (warnings only).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuildConfig } from '../../src/kbuild/buildconfig.js';
import { generateConfig, hostRunMake, type GenerateConfigOptions } from '../../src/kbuild/config.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { run } from '../../src/util/exec.js';
import { skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TREE = TREE_2_6;
const SLOW = 600_000;

if (!TREE) {
  skippedSuite('kbuild-config-2.6', 'Kconfig on Linux 2.6.9', 'TINY_TREE_2_6 is not set (point it at an unmodified Linux 2.6.9 tree, e.g. ~/.cache/tiny-trees/linux-2.6.9)');
} else {
  describe('Kconfig on Linux 2.6.9', () => {
    let tmp: string;
    let tree: string;
    let n = 0;
    const timings: string[] = [];

    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'tiny-e2e-kconfig26-'));
      tree = join(tmp, 'linux-2.6.9');
      await run('cp', ['-a', resolve(TREE), tree]);
    }, SLOW);

    afterAll(async () => {
      if (timings.length) console.log(`Kconfig on 2.6.9:\n  ${timings.join('\n  ')}`);
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    const gen = async (label: string, over: Partial<GenerateConfigOptions>) => {
      const t = Date.now();
      try {
        return await generateConfig({
          tree,
          buildDir: join(tmp, `build-${n++}`),
          arch: 'i386',
          base: 'allnoconfig',
          fragment: {},
          runMake: hostRunMake({ timeoutSeconds: 300 }),
          ...over,
        });
      } finally {
        timings.push(`${label}: ${((Date.now() - t) / 1000).toFixed(1)}s`);
      }
    };

    it(
      'allnoconfig',
      async () => {
        const r = await gen('allnoconfig', {});
        expect(r.updateTarget).toBe('oldconfig'); // 2.6.9 has no olddefconfig
        expect(r.rounds).toBe(0);
        expect(r.symbols).toMatchObject({ X86: 'y', MMU: 'y', NET: 'n', PCI: 'n', EXPERIMENTAL: 'n' });
        expect(r.config).toMatch(/^# Linux kernel version: 2\.6\.9$/m);
        expect(r.config).not.toMatch(/^# \w{3} \w{3} [ \d]\d /m); // the date line is gone
      },
      SLOW,
    );

    it(
      'webserver: every requested symbol survives',
      async () => {
        const cfg = await loadBuildConfig(ROOT, 'webserver');
        const r = await gen('webserver (allnoconfig + fragment + oldconfig)', {
          arch: cfg.arch,
          base: cfg.kconfig.base,
          fragment: cfg.kconfig.fragment,
          makeVars: cfg.makeVars,
          source: { file: cfg.displayFile, positions: cfg.fragmentPositions },
        });
        // A requested n holds as well when Kconfig never asks (IPV6 on 2.6.9 is EXPERIMENTAL: not in the .config at all).
        for (const [sym, v] of Object.entries(cfg.kconfig.fragment)) expect(r.symbols[sym] ?? (v === 'n' ? 'n' : undefined), sym).toBe(v);
        expect(r.rounds).toBeGreaterThanOrEqual(1);
        expect(r.symbols.CRC32).toBe('y'); // selected by NE2K_PCI
        expect(r.symbols.PCI_GOANY).toBe('y'); // the choice's default
      },
      SLOW,
    );

    it(
      'rejects symbols whose dependency is off, naming the unmet dependency',
      async () => {
        const err = await gen('dropped dependencies', { fragment: { PCI: 'y', NET: 'y', NE2K_PCI: 'y', IDE: 'y', BLK_DEV_IDE: 'y', BLK_DEV_PIIX: 'y' } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TinyError);
        const e = err as TinyError;
        expect(e.exitCode).toBe(2);
        expect(e.message).toBe('2 requested Kconfig symbols did not survive allnoconfig + fragment: NE2K_PCI, BLK_DEV_PIIX');
        const [ne2k, piix] = e.diagnostics;
        expect(ne2k!.message).toContain('CONFIG_NE2K_PCI=y was dropped (now not set)');
        expect(ne2k!.message).toContain('which depends on NETDEVICES (drivers/net/Kconfig:');
        expect(ne2k!.message).toContain('depends on NET_PCI && PCI (drivers/net/Kconfig:1540), and NET_PCI is n');
        expect(ne2k!.hint).toBe('add NETDEVICES: y, NET_PCI: y, NET_ETHERNET: y to the fragment');
        expect(piix!.message).toBe('CONFIG_BLK_DEV_PIIX=y was dropped (now not set): inside `if BLK_DEV_IDEDMA_PCI` (drivers/ide/Kconfig:427), and BLK_DEV_IDEDMA_PCI is n');
        // The hint follows the chain: BLK_DEV_IDEDMA_PCI itself depends on BLK_DEV_IDEPCI.
        expect(piix!.hint).toBe('add BLK_DEV_IDEDMA_PCI: y, BLK_DEV_IDEPCI: y to the fragment');
      },
      SLOW,
    );

    it(
      'rejects a symbol the tree does not define',
      async () => {
        // PRINTK became optional with linux-tiny; 2.6.9 itself has no such symbol.
        const err = await gen('undefined symbol', { fragment: { PRINTK: 'y' } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TinyError);
        expect((err as TinyError).diagnostics.map((d) => d.message)).toEqual(['CONFIG_PRINTK is not defined in this tree (no `config PRINTK` in any Kconfig file read from arch/i386/Kconfig)']);
      },
      SLOW,
    );

    it('says that tinyconfig does not exist in 2.6.9', async () => {
      const err = await gen('tinyconfig (refused)', { base: 'tinyconfig' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TinyError);
      expect((err as TinyError).message).toMatch(/base 'tinyconfig' is not available in this tree.*3\.17/);
    });
  });
}
