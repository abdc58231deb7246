// tiny inline-cost end to end on Linux 2.6.9 (TINY_TREE_2_6, never written to): the webserver
// configuration built once with every inline compiled out of line, in the gcc-12-i386 podman
// container, in a fresh cache. Checks the ranking against the objects themselves (nm on the
// build directory) and the headers against the tree that was compiled (the queue applied to
// TREE, written out by `tiny queue apply --out`: the queue's patches move header lines), that
// the normal build directory is not used, and that asking again is served from the cache.

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeRuntime } from '../../src/toolchain/index.js';
import { sh, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

const SLOW = 60 * 60_000;
const TREE = process.env.TINY_TREE_2_6;
const probe = await probeRuntime('podman');
const skipWhy = !TREE
  ? 'TINY_TREE_2_6 is not set (an unmodified Linux 2.6.9 tree, e.g. ~/.cache/tiny-trees/linux-2.6.9)'
  : !existsSync(join(TREE, 'Makefile'))
    ? `TINY_TREE_2_6=${TREE} is not a kernel tree`
    : !probe.usable
      ? `podman is not usable (${probe.detail})`
      : undefined;

interface Cost {
  name: string;
  copies: number;
  total_bytes: number;
  bytes_per_copy: number;
  header: { file: string; line: number } | null;
  objects: string[];
}
interface Report {
  toggle: string;
  make_variables: Record<string, string>;
  summary: { objects: number; functions: number; total_bytes: number };
  costs: Cost[];
  cached: boolean;
}

if (skipWhy) {
  console.warn(`inline-cost-2.6: skipped: ${skipWhy}`);
  describe('tiny inline-cost on Linux 2.6.9', () => {
    it.skip(`skipped: ${skipWhy}`, () => {});
  });
} else {
  describe('tiny inline-cost on Linux 2.6.9 (webserver, podman, gcc-12-i386)', () => {
    let cache: string | undefined;
    afterAll(async () => {
      if (cache) await rm(cache, { recursive: true, force: true });
    });

    it(
      'ranks the header inlines by bytes x copies, each backed by the objects and the headers',
      async () => {
        cache = await mkdtemp(join(tmpdir(), 'tiny-inline-e2e-'));
        const env = { TINY_CACHE: cache, TINY_RUNTIME: 'podman' };
        const t0 = Date.now();
        const r = await tiny(['inline-cost', '--config', 'webserver', '--tree', resolve(TREE!), '--top', '40', '--json'], { env });
        const firstMs = Date.now() - t0;
        expect(r.code, r.stderr.slice(-4000)).toBe(0);
        const rep = expectJsonOutput('inline-cost', r.stdout) as unknown as Report;
        expect(rep.make_variables.CFLAGS_KERNEL).toBe('-Dalways_inline=__noinline__ -Wno-attributes');
        expect(rep.summary.objects).toBeGreaterThan(200);
        expect(rep.costs).toHaveLength(40);
        for (let i = 1; i < rep.costs.length; i++) expect(rep.costs[i - 1]!.total_bytes).toBeGreaterThanOrEqual(rep.costs[i]!.total_bytes);

        // The measurement built in its own directory; the normal lane only made the .config.
        const builds = await readdir(join(cache, 'builds'));
        expect(builds).toContain('webserver-2.6.9-inline');
        for (const b of builds.filter((x) => x !== 'webserver-2.6.9-inline')) expect(existsSync(join(cache, 'builds', b, 'kernel', 'sched.o')), b).toBe(false);
        const buildDir = join(cache, 'builds', 'webserver-2.6.9-inline');

        // The measured toggle is the whole queue, so its headers are those of the queued tree.
        expect(rep.toggle).toBe('queue');
        const queued = join(cache, 'queued-tree');
        const applied = await tiny(['queue', 'apply', '--tree', resolve(TREE!), '--out', queued], { env });
        expect(applied.code, applied.stderr).toBe(0);

        // Every reported function: its header really defines it inline at that line, and each
        // listed object really holds a local copy (nm), whose sizes add up to the total.
        for (const c of rep.costs.slice(0, 10)) {
          expect(c.copies).toBeGreaterThanOrEqual(2);
          expect(c.objects).toHaveLength(c.copies);
          const lines = readFileSync(join(queued, c.header!.file), 'latin1').split('\n');
          const around = lines.slice(Math.max(0, c.header!.line - 1), c.header!.line + 2).join('\n');
          expect(around).toMatch(/inline/);
          expect(around).toContain(c.name);
          const nm = await sh('nm', ['--size-sort', '-S', ...c.objects], { cwd: buildDir });
          let total = 0;
          for (const line of nm.split('\n')) {
            const f = line.trim().split(/\s+/);
            if (f.length === 4 && f[2] === 't' && f[3]!.replace(/\.\d+/g, '').replace(/(\.(isra|constprop|part|cold|lto_priv|localalias))+$/, '') === c.name) total += parseInt(f[1]!, 16);
          }
          expect(total, c.name).toBe(c.total_bytes);
        }

        // Asking again: from the cache, the same ranking, without a build.
        const t1 = Date.now();
        const again = await tiny(['inline-cost', '--config', 'webserver', '--tree', resolve(TREE!), '--top', '40', '--json'], { env });
        const againMs = Date.now() - t1;
        expect(again.code, again.stderr).toBe(0);
        const rep2 = expectJsonOutput('inline-cost', again.stdout) as unknown as Report;
        expect(rep2.cached).toBe(true);
        expect(rep2.costs).toEqual(rep.costs);
        console.log(
          `inline-cost-2.6: first run ${(firstMs / 1000).toFixed(0)}s, cached run ${(againMs / 1000).toFixed(1)}s; top: ${rep.costs
            .slice(0, 5)
            .map((c) => `${c.name} ${c.copies}x${c.bytes_per_copy}`)
            .join(', ')}`,
        );
      },
      SLOW,
    );
  });
}
