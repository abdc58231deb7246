// Kconfig configuration on a real Linux 6.1 tree, extracted from the Debian linux-source
// tarball (TINY_TARBALL_6_1, or /usr/src/linux-source-6.1.tar.xz, or the orig tarball in
// ~/.cache/tiny-src). The extraction (without C sources, which Kconfig does not read) is
// cached under the temp directory and only read afterwards: every build goes to O=.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuildConfig } from '../../src/kbuild/buildconfig.js';
import { generateConfig, hostRunMake, type GenerateConfigOptions } from '../../src/kbuild/config.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { haveCommand, run } from '../../src/util/exec.js';
import { skippedSuite } from '../helpers/trees.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SLOW = 900_000;
const CANDIDATES = [process.env.TINY_TARBALL_6_1, '/usr/src/linux-source-6.1.tar.xz', join(homedir(), '.cache/tiny-src/linux_6.1.176.orig.tar.xz')].filter((p): p is string => !!p);
const TARBALL = CANDIDATES.find((p) => existsSync(p));

/** Extract once (minus C sources and docs) into a cache directory; returns the tree. */
async function extracted(tarball: string): Promise<string> {
  const st = await stat(tarball);
  const cache = join(tmpdir(), 'tiny-e2e-trees', `${basename(tarball).replace(/\.tar\.\w+$/, '')}-${st.size}-${Math.floor(st.mtimeMs)}`);
  const done = join(cache, '.extracted');
  if (!existsSync(done)) {
    await rm(cache, { recursive: true, force: true });
    await mkdir(cache, { recursive: true });
    const excludes = ['*/Documentation/*/*', '*/drivers/*.[ch]', '*/sound/*.[ch]', '*/fs/*.[ch]', '*/net/*.[ch]', '*/arch/*/*.[chS]', '*/tools/testing/*', '*/LICENSES/*'];
    await run('tar', ['-xJf', tarball, '-C', cache, ...excludes.map((e) => `--exclude=${e}`)]);
    await writeFile(done, '');
  }
  const dirs = (await readdir(cache, { withFileTypes: true })).filter((d) => d.isDirectory());
  if (dirs.length !== 1) throw new Error(`expected one directory in ${cache}`);
  return join(cache, dirs[0]!.name);
}

if (!TARBALL) {
  skippedSuite('kbuild-config-6.1', 'Kconfig on Linux 6.1', `no Linux 6.1 tarball (set TINY_TARBALL_6_1, or apt install linux-source-6.1; looked at ${CANDIDATES.join(', ')})`);
} else {
  describe('Kconfig on Linux 6.1', () => {
    let tmp: string;
    let tree: string;
    let cross: string | undefined;
    let n = 0;
    const timings: string[] = [];

    beforeAll(async () => {
      const t = Date.now();
      tree = await extracted(TARBALL);
      timings.push(`extract (or reuse) ${TARBALL}: ${((Date.now() - t) / 1000).toFixed(1)}s`);
      tmp = await mkdtemp(join(tmpdir(), 'tiny-e2e-kconfig61-'));
      // Kconfig 6.1 asks the compiler what it supports: use the i386 cross compiler when present.
      cross = (await haveCommand('i686-linux-gnu-gcc')) ? 'i686-linux-gnu-' : undefined;
    }, SLOW);

    afterAll(async () => {
      if (timings.length) console.log(`Kconfig on 6.1:\n  ${timings.join('\n  ')}`);
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    const gen = async (label: string, over: Partial<GenerateConfigOptions>) => {
      const t = Date.now();
      try {
        return await generateConfig({
          tree,
          buildDir: join(tmp, `build-${n++}`),
          arch: 'i386',
          ...(cross ? { crossCompile: cross } : {}),
          base: 'tinyconfig',
          fragment: {},
          runMake: hostRunMake({ timeoutSeconds: 600 }),
          ...over,
        });
      } finally {
        timings.push(`${label}: ${((Date.now() - t) / 1000).toFixed(1)}s`);
      }
    };

    it(
      'tinyconfig-6.1: every requested symbol survives, with olddefconfig',
      async () => {
        const cfg = await loadBuildConfig(ROOT, 'tinyconfig-6.1');
        const r = await gen('tinyconfig-6.1 (tinyconfig + fragment + olddefconfig)', {
          arch: cfg.arch,
          base: cfg.kconfig.base,
          fragment: cfg.kconfig.fragment,
          source: { file: cfg.displayFile, positions: cfg.fragmentPositions },
        });
        expect(r.updateTarget).toBe('olddefconfig');
        for (const [sym, v] of Object.entries(cfg.kconfig.fragment)) expect(r.symbols[sym], sym).toBe(v);
        expect(r.symbols.X86_32).toBe('y');
        expect(r.symbols.EXPERT).toBe('y'); // from tinyconfig
      },
      SLOW,
    );

    it(
      'rejects a symbol whose dependency is off and one the tree lacks',
      async () => {
        const err = await gen('dropped + undefined', { fragment: { NE2K_PCI: 'y', BLK_DEV_PIIX: 'y' } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TinyError);
        const [ne2k, piix] = (err as TinyError).diagnostics;
        expect(ne2k!.message).toMatch(/^CONFIG_NE2K_PCI=y was dropped \(now not set\): /);
        expect(ne2k!.message).toContain('inside `if NETDEVICES` (drivers/net/Kconfig:');
        expect(ne2k!.message).toContain('and NETDEVICES is n');
        expect(ne2k!.hint).toMatch(/^add .*NETDEVICES: y.* to the fragment/);
        // The old IDE layer (and its PIIX driver) left the kernel in 4.x.
        expect(piix!.message).toBe('CONFIG_BLK_DEV_PIIX is not defined in this tree (no `config BLK_DEV_PIIX` in any Kconfig file read from Kconfig)');
      },
      SLOW,
    );
  });
}
