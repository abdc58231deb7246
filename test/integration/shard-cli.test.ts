// The fake-kernel matrix built as 3 shards in 3 processes, each with its own cache, sharing
// compiled objects through a local redis-server as ccache's remote storage; the shards'
// records exported, imported into a fourth cache, and compared with an unsharded run's: the
// same keys, and every artifact the same size and sha256. Shard 1 builds first, writing to
// the remote; shards 2 and 3 then run at once with the remote read-only (ccache's
// `|read-only` attribute), so each remote hit they count is an object shard 1 compiled.
// Shard 2 takes its index as GitLab gives it (CI_NODE_INDEX, from 1), shard 3 as a Kubernetes
// Indexed Job does (JOB_COMPLETION_INDEX, from 0).

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, createConnection } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordStore, listRecords, type BuildRecord } from '../../src/store/index.js';
import { tempCache, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

const FIX = 'test/fixtures/build';
const BUILD = ['build', '--config', `${FIX}/configs/fake-tiny.yaml`, '--queue', `${FIX}/fake-queue`, '--runtime', 'host'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => {
      c.write('PING\r\n');
    });
    c.on('data', (b) => {
      c.destroy();
      resolve(b.toString().startsWith('+PONG'));
    });
    c.on('error', () => resolve(false));
  });
}

/** Every ok record of a cache: key -> artifact name -> {bytes, sha256} (not the build log: make prints host paths). */
async function storeContent(cache: string): Promise<Record<string, Record<string, { bytes: number; sha256: string }>>> {
  const out: Record<string, Record<string, { bytes: number; sha256: string }>> = {};
  for (const r of await listRecords(await openRecordStore(cache), { status: 'ok' })) {
    out[r.key] = Object.fromEntries(
      Object.entries(r.artifacts)
        .filter(([name]) => name !== 'log')
        .map(([name, a]) => [name, { bytes: a!.bytes, sha256: a!.sha256 }]),
    );
  }
  return out;
}

async function builtRecords(cache: string): Promise<BuildRecord[]> {
  return listRecords(await openRecordStore(cache), { config: 'fake-tiny' });
}

describe('tiny build --shard: 3 shards, 3 caches, one redis as ccache remote storage, merged = unsharded', () => {
  let redis: ChildProcess;
  let port: number;
  const caches: Record<string, string> = {};
  let tmp: string;

  beforeAll(async () => {
    port = await freePort();
    redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; !(await answers(port)); i++) {
      if (i > 100) throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const name of ['unsharded', 's1', 's2', 's3', 'merged', 'plan']) caches[name] = await tempCache(`tiny-shard-${name}-`);
    tmp = await tempCache('tiny-shard-files-');
  });

  afterAll(async () => {
    redis?.kill('SIGTERM');
    for (const dir of [...Object.values(caches), tmp]) await rm(dir, { recursive: true, force: true });
  });

  it('an unsharded run builds every toggle', async () => {
    const r = await tiny(BUILD, { env: { TINY_CACHE: caches.unsharded } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^6 toggles: 5 built, 1 cached, 0 failed/m);
  });

  it('tiny plan splits the 6 toggles into 3 shards (by count: no build times in a fresh cache)', async () => {
    const plan = join(tmp, 'plan.json');
    const r = await tiny(['plan', ...BUILD.slice(1), '--shards', '3', '--format', 'json', '--out', plan], { env: { TINY_CACHE: caches.plan } });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectJsonOutput('plan', await readFile(plan, 'utf8')) as unknown as { balance: string; shards: Array<{ toggles: string[] }> };
    expect(doc.balance).toBe('count');
    expect(doc.shards.map((s) => s.toggles)).toEqual([
      ['flip:banner-option', 'all-off'],
      ['queue', 'without:panic-reason'],
      ['without:banner-option', 'base'],
    ]);
  });

  it('tiny plan --emit k8s writes the Jobs with this plan inside; --emit needs --image', async () => {
    const out = join(tmp, 'tiny.yaml');
    const r = await tiny(['plan', ...BUILD.slice(1), '--shards', '3', '--emit', 'k8s', '--image', 'registry.example.org/tiny-ci@sha256:' + '0'.repeat(64), '--out', out], {
      env: { TINY_CACHE: caches.plan },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^tiny: k8s: 3 shards of fake-tiny \(6 toggles, the plan [0-9a-f]{12} inside the Job\)$/m);
    const [shards, merge] = parseAllDocuments(await readFile(out, 'utf8')).map((d) => d.toJS());
    expect(shards.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const planEnv = shards.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'TINY_PLAN');
    expect(JSON.parse(planEnv.value)).toEqual(JSON.parse(await readFile(join(tmp, 'plan.json'), 'utf8')));
    expect(merge.metadata.name).toBe('fake-tiny-merge');
    const bad = await tiny(['plan', ...BUILD.slice(1), '--emit', 'github'], { env: { TINY_CACHE: caches.plan } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('tiny: --emit github needs --image: the image every job runs');
  });

  it('shard 1 builds its toggles and fills the remote cache', async () => {
    const r = await tiny([...BUILD, '--plan', join(tmp, 'plan.json'), '--shard', '1/3', '--ccache-remote', `redis://127.0.0.1:${port}`], { env: { TINY_CACHE: caches.s1 } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tiny: shard 1/3 of the plan ${join(tmp, 'plan.json')}: flip:banner-option, all-off`);
    expect(r.stdout).toMatch(/^2 toggles: 1 built, 1 cached, 0 failed/m);
    expect(r.stderr).toMatch(new RegExp(`^tiny: ccache: 0 of \\d+ compilations were hits \\(0 from the remote redis://127\\.0\\.0\\.1:${port}\\)$`, 'm'));
  });

  it('shards 2 (CI_NODE_INDEX=2) and 3 (JOB_COMPLETION_INDEX=2) run at once and hit objects shard 1 compiled', async () => {
    const remote = `redis://127.0.0.1:${port}|read-only`;
    const plan = join(tmp, 'plan.json');
    const [two, three] = await Promise.all([
      tiny([...BUILD, '--plan', plan, '--shard', 'auto', '--ccache-remote', remote], { env: { TINY_CACHE: caches.s2, CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' } }),
      tiny([...BUILD, '--plan', plan, '--shard', 'auto', '--ccache-remote', remote], { env: { TINY_CACHE: caches.s3, JOB_COMPLETION_INDEX: '2' } }),
    ]);
    expect(two.code, two.stderr).toBe(0);
    expect(three.code, three.stderr).toBe(0);
    expect(two.stderr).toContain(`tiny: shard 2/3 (CI_NODE_INDEX=2) of the plan ${plan}: queue, without:panic-reason`);
    expect(three.stderr).toContain(`tiny: shard 3/3 (JOB_COMPLETION_INDEX=2) of the plan ${plan}: without:banner-option, base`);
    for (const cache of [caches.s2!, caches.s3!]) {
      const records = await builtRecords(cache);
      expect(records.map((r) => r.toggle.name).sort()).toEqual(cache === caches.s2 ? ['queue', 'without:panic-reason'] : ['base', 'without:banner-option']);
      const remoteHits = records.reduce((n, r) => n + (r.ccache?.stats.remote_hits ?? 0), 0);
      expect(remoteHits, JSON.stringify(records.map((r) => r.ccache))).toBeGreaterThan(0);
      for (const r of records) expect(r.ccache).toMatchObject({ remote: remote, compiler_check: `string:${r.inputs.toolchain.image}` });
    }
  });

  it('the exports merged give the unsharded run: same keys, sizes and sha256; tiny report --check passes', async () => {
    const tars: string[] = [];
    for (const i of [1, 2, 3]) {
      const out = join(tmp, `tiny-store-${i}.tar`);
      const r = await tiny(['store', 'export', '--config', 'fake-tiny', '--out', out], { env: { TINY_CACHE: caches[`s${i}`] } });
      expect(r.code, r.stderr).toBe(0);
      tars.push(out);
    }
    const imp = await tiny(['store', 'import', ...tars], { env: { TINY_CACHE: caches.merged } });
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toBe('imported 3 exports: 5 records added, 0 already here; latest run: fake-tiny (6 toggles)\n');

    const merged = await storeContent(caches.merged!);
    const unsharded = await storeContent(caches.unsharded!);
    expect(Object.keys(merged).sort()).toEqual(Object.keys(unsharded).sort());
    expect(merged).toEqual(unsharded);
    expect(Object.keys(merged)).toHaveLength(5); // all-off and flip:banner-option are one build

    const report = await tiny(['report', '--config', 'fake-tiny', '--check', '--queue', `${FIX}/fake-queue`], { env: { TINY_CACHE: caches.merged } });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^toggle\s+status\s+text/m);
    for (const t of ['base', 'queue', 'all-off', 'flip:banner-option', 'without:banner-option', 'without:panic-reason']) expect(report.stdout).toMatch(new RegExp(`^${t}\\s+ok\\s`, 'm'));

    // Importing the same exports again changes nothing (and says so in its JSON document too).
    const again = await tiny(['store', 'import', ...tars], { env: { TINY_CACHE: caches.merged } });
    expect(again.stdout).toBe('imported 3 exports: 0 records added, 5 already here; latest run: fake-tiny (6 toggles)\n');
    const json = await tiny(['store', 'import', '--json', ...tars], { env: { TINY_CACHE: caches.merged } });
    expect(expectJsonOutput('store-import', json.stdout)).toMatchObject({ files: tars, added: 0, same: 5, runs: [{ config: 'fake-tiny', toggles: 6 }] });
    const exp = await tiny(['store', 'export', '--config', 'fake-tiny', '--out', join(tmp, 'merged.tar'), '--json'], { env: { TINY_CACHE: caches.merged } });
    expect(expectJsonOutput('store-export', exp.stdout)).toMatchObject({ file: join(tmp, 'merged.tar'), records: 5 });
  });

  it('a re-run of a shard against the merged store builds nothing: its toggles are stored', async () => {
    const r = await tiny([...BUILD, '--shard', '2/3'], { env: { TINY_CACHE: caches.merged } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^2 toggles: 0 built, 2 cached, 0 failed/m);
    // Without a plan: JOB_COMPLETION_INDEX with --shards N, the split every machine computes alike.
    const k = await tiny([...BUILD, '--shard', 'auto', '--shards', '3'], { env: { TINY_CACHE: caches.merged, JOB_COMPLETION_INDEX: '0' } });
    expect(k.code, k.stderr).toBe(0);
    expect(k.stderr).toContain('tiny: shard 1/3 (JOB_COMPLETION_INDEX=0), split by toggle count: flip:banner-option, all-off');
    expect(k.stdout).toMatch(/^2 toggles: 0 built, 2 cached, 0 failed/m);
  });

  it('bad shard arguments are refused before anything is built', async () => {
    const plan = join(tmp, 'plan.json');
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--shard', '4/3'], {}, '--shard 4/3: the shard is counted from 1 to 3'],
      [['--plan', plan, '--shard', '1/2'], {}, `--shard 1/2, but the plan ${plan} has 3 shards`],
      [['--plan', plan], {}, '--plan names the shards of a plan: give --shard I/N (or --shard auto) too'],
      [['--shard', 'auto'], { CI_NODE_INDEX: '4', CI_NODE_TOTAL: '3' }, 'CI_NODE_INDEX=4 is outside 1..3 (CI_NODE_TOTAL)'],
      [['--shard', 'auto'], { JOB_COMPLETION_INDEX: '0' }, '--shard auto: JOB_COMPLETION_INDEX does not say how many shards there are'],
      [['--ccache-remote', 'https://cache.example.org'], {}, "--ccache-remote: 'https://cache.example.org' is not a ccache remote storage URL"],
    ];
    for (const [args, env, message] of cases) {
      const r = await tiny([...BUILD, ...args], { env: { TINY_CACHE: caches.plan, ...env } });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
