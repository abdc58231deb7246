// Sharding end to end on Linux 2.6.9 (TINY_TREE_2_6, by default the shared tarball unpacked by
// test/global-setup.ts): `webserver --only queue,flip:elf-core,flip:dmi,flip:doublefault` built
// once unsharded and once as 3 shards in 3 caches, in the gcc-12-i386 podman container, the
// shards sharing a local redis-server as ccache's remote storage (the containers reach it
// through the host's network, the only network they get). Split by count, shard 1 builds two
// flips first; shards 2 and 3 then run at once with the remote read-only, each in a fresh build
// directory. Their toggles differ from shard 1's in a few objects, so nearly every compilation
// of shards 2 and 3 is a remote hit on an object shard 1 compiled (357 of 359 here): the shared
// cache is what makes a shard cheap. The merged exports equal the unsharded run: same keys, every artifact the same size
// and sha256.
//
// Stock 2.6.9 wrote the device number of the build container's / into the bzImage, which
// differs with what else runs; the compat patch compat-root-dev-none makes it 0:0, and this
// test is what found it (an import rightly called two builds of one key a conflict).
//
// Phase 2 of `npm test` runs it after the other 2.6.9 files: two full builds and the shards'
// cache hits, 4.5 minutes on 2 cores (the same flow on the fake kernel:
// test/integration/shard-cli.test.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRecords, openRecordStore } from '../../src/store/index.js';
import { createRuntime, defaultToolchainsDir, ensureImage, loadToolchain } from '../../src/toolchain/index.js';
import { tiny } from '../helpers/cli.js';
import { missingPrerequisites } from '../helpers/prereqs.js';
import { podman, skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const TREE = TREE_2_6 ?? '';
const SLOW = 90 * 60_000;
const ONLY = 'queue,flip:elf-core,flip:dmi,flip:doublefault';
const buildArgs = (config: string) => ['build', '--config', config, '--tree', resolve(TREE), '--only', ONLY, '--runtime', 'podman'];
const { probe, skipWhy: podmanSkipWhy } = await podman();
const skipWhy = !TREE || !existsSync(TREE) ? 'no Linux 2.6.9 tree (TINY_TREE_2_6, or ../shared/kernels/linux-2.6.9.tar.xz)' : ((await missingPrerequisites('redis-server')) ?? podmanSkipWhy);

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write('PING\r\n'));
    c.on('data', (b) => {
      c.destroy();
      res(b.toString().startsWith('+PONG'));
    });
    c.on('error', () => res(false));
  });
}

async function content(cache: string): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of await listRecords(await openRecordStore(cache), { status: 'ok' })) {
    out[r.key] = Object.fromEntries(
      Object.entries(r.artifacts)
        .filter(([n]) => n !== 'log')
        .map(([n, a]) => [n, `${a!.bytes} ${a!.sha256}`]),
    );
  }
  return out;
}

if (skipWhy) {
  if (process.env.CI) throw new Error(`shard-2.6 cannot run in CI: ${skipWhy}`);
  skippedSuite('shard-2.6', 'tiny build --shard on Linux 2.6.9', skipWhy);
} else {
  describe('tiny build --shard on Linux 2.6.9: 3 shards, 3 caches, one redis; merged = unsharded', () => {
    let redis: ChildProcess;
    let port: number;
    let root: string;
    let BUILD: string[];
    const cache = (name: string) => join(root, name);
    const timings: string[] = [];

    beforeAll(async () => {
      if (!probe.usable) throw new Error(`podman is required in CI: ${probe.detail}`);
      await ensureImage(await loadToolchain(defaultToolchainsDir(), 'gcc-12-i386'), createRuntime('podman'), { onLog: (l) => console.log(`image: ${l}`) });
      const parent = process.env.TINY_E2E_CACHE ?? tmpdir();
      await mkdir(parent, { recursive: true });
      root = await mkdtemp(join(parent, 'tiny-e2e-shard26-'));
      BUILD = buildArgs('webserver');
      port = await freePort();
      redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      for (let i = 0; !(await answers(port)); i++) {
        if (i > 100) throw new Error('redis-server did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }, SLOW);

    afterAll(async () => {
      redis?.kill('SIGTERM');
      console.log(`shard-2.6 timings:\n  ${timings.join('\n  ')}`);
      if (!process.env.TINY_KEEP) await rm(root, { recursive: true, force: true });
    });

    const step = async (label: string, args: string[], env: Record<string, string>) => {
      const t0 = Date.now();
      const r = await tiny(args, { env: { ...env } });
      timings.push(
        `${label}: ${((Date.now() - t0) / 1000).toFixed(0)}s; ${r.stderr
          .split('\n')
          .filter((l) => l.startsWith('tiny: ccache:'))
          .join(' ')}`,
      );
      expect(r.code, r.stderr.slice(-4000)).toBe(0);
      return r;
    };

    it(
      'unsharded, then shard 1, then shards 2 and 3 at once; the merged exports equal the unsharded run',
      async () => {
        await step('unsharded', BUILD, { TINY_CACHE: cache('unsharded') });
        const remote = `redis://127.0.0.1:${port}`;
        const one = await step('shard 1/3', [...BUILD, '--shard', '1/3', '--ccache-remote', remote], { TINY_CACHE: cache('s1') });
        expect(one.stderr).toContain('tiny: shard 1/3, split by toggle count: flip:doublefault, flip:dmi');
        await Promise.all([
          step('shard 2/3', [...BUILD, '--shard', '2/3', '--ccache-remote', `${remote}|read-only`], { TINY_CACHE: cache('s2') }),
          step('shard 3/3', [...BUILD, '--shard', '3/3', '--ccache-remote', `${remote}|read-only`], { TINY_CACHE: cache('s3') }),
        ]);
        for (const s of ['s2', 's3']) {
          const records = await listRecords(await openRecordStore(cache(s)), { config: 'webserver' });
          // Each flip differs from shard 1's builds in a few objects: all the others are remote hits.
          const hits = records.reduce((n, r) => n + (r.ccache?.stats.remote_hits ?? 0), 0);
          const calls = records.reduce((n, r) => n + (r.ccache?.stats.calls ?? 0), 0);
          expect(calls).toBeGreaterThan(300);
          expect(hits, `${s}: ${JSON.stringify(records.map((r) => r.ccache))}`).toBeGreaterThanOrEqual(Math.floor(calls * 0.9));
          for (const r of records) expect(r.ccache?.compiler_check).toBe(`string:${r.inputs.toolchain.image}`);
        }
        const tars = [];
        for (const s of ['s1', 's2', 's3']) {
          const out = join(root, `${s}.tar`);
          await step(`export ${s}`, ['store', 'export', '--config', 'webserver', '--out', out], { TINY_CACHE: cache(s) });
          tars.push(out);
        }
        await step('import', ['store', 'import', ...tars], { TINY_CACHE: cache('merged') });
        const merged = await content(cache('merged'));
        expect(Object.keys(merged).length).toBe(4);
        expect(merged).toEqual(await content(cache('unsharded')));
        const report = await step('report', ['report', '--config', 'webserver', '--check'], { TINY_CACHE: cache('merged') });
        expect(report.stdout).toMatch(/^flip:dmi\s+ok\s/m);
      },
      SLOW,
    );
  });
}
