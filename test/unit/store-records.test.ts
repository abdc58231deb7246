// The record store: round trip, atomicity (an interrupted save leaves only a temp dir, which
// lookups never see and gc removes), concurrent writers of one key (in one process and in
// several), replacement, the vmlinux cap, listing, the latest-run index and the build lock.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  gcTempDirs,
  keysWithPrefix,
  latestRun,
  listRecords,
  lookup,
  openRecordStore,
  readArtifact,
  readRunIndex,
  readSymbols,
  recordDir,
  recordKey,
  save,
  stageArtifacts,
  withBuildLock,
  writeRunIndex,
  buildLockPath,
  type BuildInputs,
  type BuildRecordDraft,
  type RecordStore,
  type SaveArtifacts,
} from '../../src/store/index.js';
import { recordFromJson } from '../../src/store/record-format.js';
import { sha256 } from '../../src/util/fs.js';
import { expectContract } from '../helpers/json-contract.js';
import { TinyError } from '../../src/util/diagnostics.js';

const H = (c: string) => c.repeat(64);
const inputs = (over: Partial<BuildInputs> = {}): BuildInputs => ({
  baseTree: 'a'.repeat(40),
  patches: [H('1')],
  config: H('c'),
  toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
  arch: 'i386',
  makeVariables: { ARCH: 'i386' },
  env: { KBUILD_BUILD_TIMESTAMP: '@0' },
  targets: ['vmlinux', 'bzImage'],
  toolVersion: '0.1.0',
  runtime: 'host',
  ...over,
});

let dir: string;
let build: string;
let store: RecordStore;
const VMLINUX = Buffer.from('\x7fELF fake vmlinux '.repeat(2000));
const BZIMAGE = Buffer.from('bzImage bytes');
const CONFIG = 'CONFIG_X86=y\n# CONFIG_SMP is not set\n';
const SYSMAP = 'c0100000 T _text\nc0100000 T startup_32\n';
const SYMBOLS = [
  { name: 'startup_32', type: 'T', size: 120 },
  { name: 'n.0', type: 'b', size: 4 },
];

function draft(over: Partial<BuildRecordDraft> = {}, inp = inputs()): BuildRecordDraft {
  return {
    inputs: inp,
    config: 'webserver',
    toggle: { name: 'base', description: 'the bare base' },
    patches: [{ name: 'tiny-printk.patch', sha256: H('1') }],
    status: 'ok',
    hermetic: false,
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:01:00.000Z',
    durationsMs: { build: 60000, measure: 500 },
    measurement: {
      size: { text: 1000, data: 200, bss: 50, dec: 1250 },
      files: { vmlinux: { path: 'vmlinux', bytes: VMLINUX.length }, bzImage: { path: 'arch/i386/boot/bzImage', bytes: BZIMAGE.length } },
      sha256: { vmlinux: sha256(VMLINUX), bzImage: sha256(BZIMAGE), '.config': sha256(CONFIG), 'System.map': sha256(SYSMAP) },
      dirs: [],
      tools: { size: 'size', nm: 'nm' },
    },
    diagnostics: { warnings: 3, errors: 0 },
    ...over,
  };
}

const artifacts = (over: Partial<SaveArtifacts> = {}): SaveArtifacts => ({
  vmlinux: join(build, 'vmlinux'),
  image: join(build, 'arch/i386/boot/bzImage'),
  config: join(build, '.config'),
  systemMap: join(build, 'System.map'),
  symbols: SYMBOLS,
  log: join(build, 'build.log'),
  ...over,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-store-'));
  build = join(dir, 'build');
  await mkdir(join(build, 'arch/i386/boot'), { recursive: true });
  await writeFile(join(build, 'vmlinux'), VMLINUX);
  await writeFile(join(build, 'arch/i386/boot/bzImage'), BZIMAGE);
  await writeFile(join(build, '.config'), CONFIG);
  await writeFile(join(build, 'System.map'), SYSMAP);
  await writeFile(join(build, 'build.log'), '  CC      init/main.o\n');
  store = await openRecordStore(join(dir, 'cache'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tmpEntries = async () => readdir(store.tmp);

describe('save and lookup', () => {
  it('stores metadata and artifacts under records/<kk>/<key>/', async () => {
    const key = recordKey(inputs());
    expect(await lookup(store, key)).toBeUndefined();
    const r = await save(store, draft(), artifacts());
    expect(r.created).toBe(true);
    expect(r.dir).toBe(join(dir, 'cache', 'records', key.slice(0, 2), key));
    expect((await readdir(r.dir)).sort()).toEqual(['System.map.gz', 'build.log.gz', 'bzImage', 'config', 'metadata.json', 'symbols.json.gz', 'vmlinux.gz']);
    expect(r.record).toMatchObject({ schema: 2, key, status: 'ok', config: 'webserver', log: 'build.log.gz', imageName: 'bzImage' });
    expect(r.record.artifacts.vmlinux).toEqual({ file: 'vmlinux.gz', sha256: sha256(VMLINUX), bytes: VMLINUX.length, encoding: 'gzip' });
    expect(r.record.artifacts.image).toMatchObject({ file: 'bzImage', encoding: 'identity' });

    const back = await lookup(store, key);
    expect(back).toEqual(r.record);
    // metadata.json: snake_case, schema_version 2, checked by schema/record.schema.json.
    const onDisk = JSON.parse(await readFile(join(r.dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expectContract('record', onDisk);
    expect(onDisk).toMatchObject({ schema_version: 2, key, started_at: '2024-01-01T00:00:00.000Z', durations_ms: { build: 60000, measure: 500 }, image_name: 'bzImage', ccache: null });
    expect(onDisk.inputs).toMatchObject({ base_tree: 'a'.repeat(40), make_variables: { ARCH: 'i386' }, tool_version: '0.1.0' });
    expect(recordFromJson(onDisk, key)).toEqual(r.record);
    expect(gunzipSync(await readFile(join(r.dir, 'vmlinux.gz')))).toEqual(VMLINUX);
    expect(await readArtifact(store, back!, 'vmlinux')).toEqual(VMLINUX);
    expect((await readArtifact(store, back!, 'config'))!.toString()).toBe(CONFIG);
    expect(await readSymbols(store, back!)).toEqual(SYMBOLS);
    expect(await tmpEntries()).toEqual([]);
  });

  it('stores a failed build without a measurement or images', async () => {
    const r = await save(
      store,
      draft({
        status: 'failed',
        measurement: undefined,
        diagnostics: { warnings: 0, errors: 1, firstError: { file: 'a.c', line: 1, message: 'x', kind: 'compiler', logLine: 3, context: ['a.c:1: error: x'] } },
      }),
      { config: join(build, '.config'), symbols: [], log: join(build, 'build.log') },
    );
    expect(r.record.status).toBe('failed');
    expect(Object.keys(r.record.artifacts).sort()).toEqual(['config', 'log', 'symbols']);
    expect((await lookup(store, r.record.key))!.diagnostics.firstError!.file).toBe('a.c');
  });

  it('refuses a key that does not match the inputs, and bad keys', async () => {
    await expect(save(store, { ...draft(), key: H('0') }, artifacts())).rejects.toThrow(TinyError);
    await expect(lookup(store, 'abc')).rejects.toThrow(/not a record key/);
    expect(await tmpEntries()).toEqual([]);
  });

  it('an artifact that changed after it was measured fails the save and leaves nothing', async () => {
    await writeFile(join(build, 'vmlinux'), 'rebuilt meanwhile');
    await expect(save(store, draft(), artifacts())).rejects.toThrow(/changed after it was measured/);
    expect(await lookup(store, recordKey(inputs()))).toBeUndefined();
    expect(await tmpEntries()).toEqual([]);
  });

  it('a missing artifact fails the save and leaves nothing', async () => {
    await expect(save(store, draft(), artifacts({ systemMap: join(build, 'nope') }))).rejects.toThrow(/not a file/);
    expect(await lookup(store, recordKey(inputs()))).toBeUndefined();
    expect(await tmpEntries()).toEqual([]);
  });

  it('skips a vmlinux over the cap and says so', async () => {
    const r = await save(store, draft(), artifacts(), { maxVmlinuxBytes: 100 });
    expect(r.record.artifacts.vmlinux).toBeUndefined();
    expect(r.record.skipped?.vmlinux).toMatch(/over the 100-byte cap/);
    expect(existsSync(join(r.dir, 'vmlinux.gz'))).toBe(false);
    expect(await readArtifact(store, r.record, 'vmlinux')).toBeUndefined();
  });

  it('detects a corrupted stored artifact', async () => {
    const r = await save(store, draft(), artifacts());
    await writeFile(join(r.dir, 'config'), 'tampered');
    await expect(readArtifact(store, r.record, 'config')).rejects.toThrow(/corrupt/);
  });
});

describe('stageArtifacts: a record written after its build directory moved on', () => {
  it('saves the files as they were when staged, whatever the build directory does next, and leaves no copy', async () => {
    const staged = await stageArtifacts(store, artifacts());
    expect(await tmpEntries()).toEqual([expect.stringMatching(new RegExp(`^staged\\.${process.pid}\\.[0-9a-f]+$`))]);
    // The lane's next make: a new vmlinux, image and .config; System.map gone.
    await writeFile(join(build, 'vmlinux'), 'the next build');
    await writeFile(join(build, 'arch/i386/boot/bzImage'), 'the next image');
    await writeFile(join(build, '.config'), 'CONFIG_NEXT=y\n');
    await rm(join(build, 'System.map'));
    const r = await save(store, draft(), staged.artifacts).finally(() => staged.discard());
    expect(r.record.imageName).toBe('bzImage');
    expect(await readArtifact(store, r.record, 'vmlinux')).toEqual(VMLINUX);
    expect(await readArtifact(store, r.record, 'image')).toEqual(BZIMAGE);
    expect((await readArtifact(store, r.record, 'config'))?.toString()).toBe(CONFIG);
    expect((await readArtifact(store, r.record, 'System.map'))?.toString()).toBe(SYSMAP);
    expect(await tmpEntries()).toEqual([]);
  });

  it('does not copy a vmlinux over the cap: the record says why, with its size', async () => {
    const staged = await stageArtifacts(store, artifacts(), { maxVmlinuxBytes: 100 });
    expect(staged.artifacts.vmlinux).toBeUndefined();
    const r = await save(store, draft(), staged.artifacts, { maxVmlinuxBytes: 100 }).finally(() => staged.discard());
    expect(r.record.artifacts.vmlinux).toBeUndefined();
    expect(r.record.skipped?.vmlinux).toBe(`${VMLINUX.length} bytes, over the 100-byte cap`);
  });

  it('a file that cannot be read fails the staging and leaves nothing', async () => {
    await expect(stageArtifacts(store, artifacts({ systemMap: join(build, 'no-such-map') }))).rejects.toThrow(/no-such-map/);
    expect(await tmpEntries()).toEqual([]);
  });
});

describe('crash safety', () => {
  it('an interrupted save (a temp dir left behind) is invisible; gc removes it at once when its process is gone, else after a day', async () => {
    const key = recordKey(inputs());
    // What a save killed before its rename leaves: a temp dir with some of the files.
    const killed = join(store.tmp, `${key}.99999.deadbeef0000`);
    await mkdir(killed, { recursive: true });
    await writeFile(join(killed, 'metadata.json'), '{"schema":1,"key":"' + key + '","sta');
    await writeFile(join(killed, 'vmlinux.gz'), 'partial');
    // One being written right now by another live process (our parent stands in for it).
    const fresh = join(store.tmp, `${key}.${process.ppid}.cafe00000000`);
    await mkdir(fresh);
    const stale = join(store.tmp, `${key}.${process.ppid}.a9ed00000000`);
    await mkdir(stale);

    expect(await lookup(store, key)).toBeUndefined();
    expect(await listRecords(store)).toEqual([]);
    expect(await keysWithPrefix(store, key.slice(0, 6))).toEqual([]);

    const old = (Date.now() - 25 * 60 * 60 * 1000) / 1000;
    await utimes(stale, old, old);
    expect(await gcTempDirs(store)).toEqual([`${key}.99999.deadbeef0000`, `${key}.${process.ppid}.a9ed00000000`].sort());
    expect(await tmpEntries()).toEqual([`${key}.${process.ppid}.cafe00000000`]);

    const r = await save(store, draft(), artifacts());
    expect(r.created).toBe(true);
    expect(await lookup(store, key)).toEqual(r.record);
  });

  it('an unreadable record is not returned, and a new save replaces it', async () => {
    const key = recordKey(inputs());
    const final = recordDir(store, key);
    await mkdir(final, { recursive: true });
    await writeFile(join(final, 'metadata.json'), '{ truncated');
    expect(await lookup(store, key)).toBeUndefined();
    const r = await save(store, draft(), artifacts());
    expect(r.created).toBe(true);
    expect(await lookup(store, key)).toEqual(r.record);
    expect(await tmpEntries()).toEqual([]);
  });

  it('a version 1 record (camelCase, schema: 1) is read as it was written: caches made before keep working', async () => {
    const r = await save(
      store,
      draft({ diagnostics: { warnings: 1, errors: 1, firstError: { file: 'init/main.c', line: 3, message: 'oops', kind: 'compiler', logLine: 7, context: ['init/main.c:3: error: oops'] } } }),
      artifacts(),
    );
    const { schema: _s, ...rest } = r.record;
    const v1 = { schema: 1, ...rest };
    await writeFile(join(r.dir, 'metadata.json'), JSON.stringify(v1, null, 2));
    const back = await lookup(store, r.record.key);
    expect(back).toEqual(r.record);
    expect(back!.diagnostics.firstError!.logLine).toBe(7);
    expect(await listRecords(store)).toEqual([r.record]);
    expect(await readArtifact(store, back!, 'vmlinux')).toEqual(VMLINUX);
  });

  it('the ccache counts of a build and the image digest are kept (null when unknown), with a reproducer pinned to the image ID', async () => {
    const podman = inputs({
      runtime: 'podman',
      env: { KBUILD_BUILD_TIMESTAMP: 'Tue Oct 19 04:33:11 UTC 2004', CCACHE_DIR: '/tiny/ccache' },
      makeVariables: { O: '/tiny/build', ARCH: 'i386', CC: 'ccache i686-linux-gnu-gcc' },
    });
    const r = await save(
      store,
      draft({ ccache: { compiler_check: 'content', stats: { calls: 42, hits: 40, local_hits: 40, remote_hits: 0, misses: 2, remote_errors: 0 } }, imageDigest: `sha256:${H('e')}` }, podman),
      artifacts(),
    );
    const onDisk = JSON.parse(await readFile(join(r.dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expectContract('record', onDisk);
    expect(onDisk.ccache).toEqual({ compiler_check: 'content', stats: { calls: 42, hits: 40, local_hits: 40, remote_hits: 0, misses: 2, remote_errors: 0 } });
    expect(onDisk.image_digest).toBe(`sha256:${H('e')}`);
    expect(onDisk.reproducer).toEqual({
      image: `sha256:${H('d')}`,
      command: `podman run --rm --pull=never --log-driver=none --cap-drop=all --security-opt=no-new-privileges --unsetenv-all --network=none --hostname=tiny --workdir=/tiny/build --volume "$SRC":/tiny/src:ro --volume "$BUILD":/tiny/build:rw --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env 'KBUILD_BUILD_TIMESTAMP=Tue Oct 19 04:33:11 UTC 2004' --env CCACHE_DIR=/tiny/ccache sha256:${H('d')} make -C /tiny/src O=/tiny/build ARCH=i386 'CC=ccache i686-linux-gnu-gcc' bzImage`,
    });
    expect(await lookup(store, r.record.key)).toEqual(r.record);
  });

  it('a record of another schema version is ignored', async () => {
    const r = await save(store, draft(), artifacts());
    await writeFile(join(r.dir, 'metadata.json'), JSON.stringify({ ...r.record, schema: 99 }));
    expect(await lookup(store, r.record.key)).toBeUndefined();
  });
});

describe('concurrent writers of one key', () => {
  it('in one process: exactly one record is created, everyone gets it, nothing is left over', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => save(store, draft({ toggle: { name: 'base', description: `writer ${i}` } }), artifacts())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.record;
    for (const r of results) expect(r.record).toEqual(winner);
    expect(await lookup(store, winner.key)).toEqual(winner);
    expect(await readArtifact(store, winner, 'vmlinux')).toEqual(VMLINUX);
    expect(await tmpEntries()).toEqual([]);
    expect(await listRecords(store)).toHaveLength(1);
  });

  it('in several processes', async () => {
    const script = join(dir, 'writer.ts');
    const storeModule = new URL('../../src/store/index.js', import.meta.url).pathname.replace(/\.js$/, '.ts');
    await writeFile(
      script,
      `import { openRecordStore, save } from ${JSON.stringify(storeModule)};
const [cache, draftJson, artifactsJson] = process.argv.slice(2);
const store = await openRecordStore(cache!);
const r = await save(store, JSON.parse(draftJson!), JSON.parse(artifactsJson!));
process.stdout.write(JSON.stringify({ created: r.created, description: r.record.toggle.description }));
`,
    );
    const viteNode = new URL('../../node_modules/.bin/vite-node', import.meta.url).pathname;
    const runWriter = (i: number) =>
      new Promise<{ created: boolean; description: string }>((resolve, reject) => {
        const d = draft({ toggle: { name: 'base', description: `process ${i}` } });
        const child = spawn(viteNode, [script, store.cacheDir, JSON.stringify(d), JSON.stringify(artifacts())], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(err))));
      });
    const results = await Promise.all([0, 1, 2, 3].map(runWriter));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const stored = await lookup(store, recordKey(inputs()));
    expect(stored!.toggle.description).toBe(results.find((r) => r.created)!.description);
    for (const r of results) expect(r.description).toBe(stored!.toggle.description);
    expect(await readArtifact(store, stored!, 'vmlinux')).toEqual(VMLINUX);
    expect(await tmpEntries()).toEqual([]);
  }, 120_000);

  it('replace: a rebuild can supersede a stored record', async () => {
    await save(store, draft({ status: 'failed', measurement: undefined }), artifacts({ vmlinux: undefined, image: undefined }));
    const kept = await save(store, draft(), artifacts());
    expect(kept.created).toBe(false);
    expect(kept.record.status).toBe('failed');
    const replaced = await save(store, draft(), artifacts(), { replace: true });
    expect(replaced.created).toBe(true);
    expect((await lookup(store, replaced.record.key))!.status).toBe('ok');
    expect(await tmpEntries()).toEqual([]);
  });
});

describe('listing and the latest-run index', () => {
  it('lists records newest first, filtered', async () => {
    const a = await save(store, draft({ finishedAt: '2024-01-01T00:00:01Z' }), artifacts());
    const b = await save(store, draft({ toggle: { name: 'printk-off' }, finishedAt: '2024-01-02T00:00:00Z' }, inputs({ patches: [H('1'), H('2')] })), artifacts());
    const c = await save(store, draft({ config: 'router', status: 'failed', finishedAt: '2024-01-03T00:00:00Z' }, inputs({ config: H('e') })), artifacts());
    expect((await listRecords(store)).map((r) => r.key)).toEqual([c.record.key, b.record.key, a.record.key]);
    expect((await listRecords(store, { config: 'webserver' })).map((r) => r.key)).toEqual([b.record.key, a.record.key]);
    expect((await listRecords(store, { toggle: 'printk-off' })).map((r) => r.key)).toEqual([b.record.key]);
    expect((await listRecords(store, { status: 'failed' })).map((r) => r.key)).toEqual([c.record.key]);
    expect(await keysWithPrefix(store, a.record.key.slice(0, 8))).toEqual([a.record.key]);
  });

  it('writes and reads <cache>/runs/<config>.json atomically and resolves its records', async () => {
    const a = await save(store, draft(), artifacts());
    expect(await readRunIndex(store.cacheDir, 'webserver')).toBeUndefined();
    const index = {
      config: 'webserver',
      startedAt: '2024-01-01T00:00:00Z',
      finishedAt: '2024-01-01T01:00:00Z',
      toggles: [
        { toggle: 'base', key: a.record.key, status: 'ok' as const },
        { toggle: 'gone', key: H('9'), status: 'failed' as const },
      ],
    };
    await writeRunIndex(store.cacheDir, index);
    expect(await readdir(join(store.cacheDir, 'runs'))).toEqual(['webserver.json']);
    expect(await readRunIndex(store.cacheDir, 'webserver')).toEqual(index);
    const onDisk = JSON.parse(await readFile(join(store.cacheDir, 'runs', 'webserver.json'), 'utf8')) as Record<string, unknown>;
    expectContract('run-index', onDisk);
    expect(onDisk).toMatchObject({ schema_version: 3, started_at: index.startedAt, finished_at: index.finishedAt });
    // An index written before schema_version 2 (camelCase) still reads.
    const { startedAt, finishedAt, ...rest } = index;
    await writeFile(join(store.cacheDir, 'runs', 'webserver.json'), JSON.stringify({ ...rest, startedAt, finishedAt }));
    expect(await readRunIndex(store.cacheDir, 'webserver')).toEqual(index);
    await writeRunIndex(store.cacheDir, index);
    const latest = await latestRun(store, 'webserver');
    expect(latest!.results.map((r) => [r.toggle, r.record?.key])).toEqual([
      ['base', a.record.key],
      ['gone', undefined],
    ]);
    await expect(writeRunIndex(store.cacheDir, { ...index, config: '../evil' })).rejects.toThrow(TinyError);
    await expect(writeRunIndex(store.cacheDir, { ...index, toggles: [...index.toggles, index.toggles[0]!] })).rejects.toThrow(/twice/);
  });

  it('keeps the latest run on each base beside the latest run: a run on another base does not hide the first', async () => {
    const a = await save(store, draft(), artifacts());
    const b = await save(store, draft({ toggle: { name: 'printk-off' } }, inputs({ patches: [H('1')] })), artifacts());
    const runOn = (base: string, key: string, startedAt: string) => ({ config: 'webserver', base, startedAt, toggles: [{ toggle: 'queue', key, status: 'ok' as const }] });
    await writeRunIndex(store.cacheDir, runOn('2.6.9', a.record.key, '2024-01-01T00:00:00Z'));
    await writeRunIndex(store.cacheDir, runOn('2.6.12-rc2', b.record.key, '2024-01-02T00:00:00Z'));
    expect((await readdir(join(store.cacheDir, 'runs'))).sort()).toEqual(['webserver.json', 'webserver@2.6.12-rc2.json', 'webserver@2.6.9.json']);
    expectContract('run-index', JSON.parse(await readFile(join(store.cacheDir, 'runs', 'webserver@2.6.9.json'), 'utf8')));
    // Without a base: the latest run, whatever its base; with one: that base's.
    expect((await latestRun(store, 'webserver'))!.results[0]!.key).toBe(b.record.key);
    expect((await latestRun(store, 'webserver', '2.6.9'))!.results[0]!.key).toBe(a.record.key);
    expect((await latestRun(store, 'webserver', '2.6.12-rc2'))!.index.base).toBe('2.6.12-rc2');
    expect(await latestRun(store, 'webserver', '2.6.11')).toBeUndefined();
    // An index of schema_version 2 (no base) stands for no base in particular.
    await rm(join(store.cacheDir, 'runs'), { recursive: true });
    const { base: _, ...old } = runOn('2.6.9', a.record.key, '2024-01-01T00:00:00Z');
    await mkdir(join(store.cacheDir, 'runs'));
    await writeFile(join(store.cacheDir, 'runs', 'webserver.json'), JSON.stringify({ schema_version: 2, config: old.config, started_at: old.startedAt, toggles: old.toggles }));
    expect((await latestRun(store, 'webserver'))!.results[0]!.key).toBe(a.record.key);
    expect(await latestRun(store, 'webserver', '2.6.9')).toBeUndefined();
    await expect(readRunIndex(store.cacheDir, 'webserver', '../2.6.9')).rejects.toThrow(TinyError);
  });
});

describe('withBuildLock', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs one build at a time in a cache', async () => {
    const events: string[] = [];
    const job = (name: string) =>
      withBuildLock(store.cacheDir, async () => {
        events.push(`${name}+`);
        await sleep(60);
        events.push(`${name}-`);
        return name;
      });
    expect(await Promise.all([job('a'), job('b'), job('c')])).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < events.length; i += 2) expect(events[i]!.slice(0, -1)).toBe(events[i + 1]!.slice(0, -1));
    expect(existsSync(buildLockPath(store.cacheDir))).toBe(false);
  });

  it('releases the lock when the build throws, and passes the error through', async () => {
    await expect(withBuildLock(store.cacheDir, async () => Promise.reject(new Error('make failed')))).rejects.toThrow('make failed');
    expect(await withBuildLock(store.cacheDir, async () => 7)).toBe(7);
  });

  it('fails fast, naming the holder, or waits for another process', async () => {
    const lock = buildLockPath(store.cacheDir);
    await mkdir(join(store.cacheDir, 'locks'), { recursive: true });
    // Another process holding the lock file for ~1.5 s (the same pid-file protocol).
    const holder = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');fs.writeFileSync(${JSON.stringify(lock)},process.pid+'\\n',{flag:'wx'});console.log('held');setTimeout(()=>{fs.rmSync(${JSON.stringify(lock)});process.exit(0)},1500)`,
    ]);
    await new Promise<void>((r) => holder.stdout.once('data', () => r()));
    const err = await withBuildLock(store.cacheDir, async () => 'ran', { wait: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TinyError);
    expect((err as TinyError).message).toContain(`process ${holder.pid}`);
    let waitedFor: number | undefined;
    const t0 = Date.now();
    expect(await withBuildLock(store.cacheDir, async () => 'ran', { onWait: (pid) => (waitedFor = pid) })).toBe('ran');
    expect(waitedFor).toBe(holder.pid);
    expect(Date.now() - t0).toBeGreaterThan(200);
  });

  it('takes over a lock left by a killed process', async () => {
    const lock = buildLockPath(store.cacheDir);
    await mkdir(join(store.cacheDir, 'locks'), { recursive: true });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    await writeFile(lock, `${dead.pid}\n`);
    expect(await withBuildLock(store.cacheDir, async () => 'ran', { wait: false })).toBe('ran');
  });
});
