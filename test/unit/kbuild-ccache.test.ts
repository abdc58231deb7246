// ccache shared by several machines: what a build's container gets (remote_storage, compiler_check
// pinned to the image, base_dir only on the host runtime, the host network only when a remote is
// used; the tree and build directory at the same paths everywhere), the hit counts read from
// ccache 4.7's stats log, and ccache.remote in a configuration.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccacheContainer, checkRemoteUrl, parseStatsLog, PROBE_WRAPPER, redactUrl } from '../../src/kbuild/ccache.js';
import { parseBuildConfig } from '../../src/kbuild/buildconfig.js';
import { kbuildMounts } from '../../src/kbuild/make.js';
import { DEFAULT_PATH, EngineRuntime } from '../../src/toolchain/runtime.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';

const IMAGE = `sha256:${'ab'.repeat(32)}`;

describe('the ccache settings of a build', () => {
  it('in a container with a remote: remote_storage, compiler_check pinned to the image, the host network', () => {
    const c = ccacheContainer({ ccache: true, remote: 'redis://10.0.0.5:6379', image: IMAGE, hermetic: true, cacheDir: '/home/u/.cache/tiny' });
    expect(c).toEqual({
      env: {
        CCACHE_STATSLOG: '/tiny/build/.tiny-ccache-stats.log',
        CCACHE_NODEPEND: '1',
        CCACHE_REMOTE_STORAGE: 'redis://10.0.0.5:6379',
        CCACHE_COMPILERCHECK: `string:${IMAGE}`,
        PATH: `/tiny/build/.tiny-bin:${DEFAULT_PATH}`,
      },
      network: 'host',
      probeWrapper: true,
    });
    // podman runs it with the tree and build directory at the fixed paths every machine uses.
    const rt = new EngineRuntime('podman', { uid: 0, gid: 0 });
    const argv = rt.runArgv({
      image: IMAGE,
      workdir: '/tiny/build',
      mounts: kbuildMounts({ src: '/anywhere/src', build: '/anywhere/build', ccache: '/anywhere/ccache' }),
      env: c.env,
      network: c.network,
      cmd: ['make'],
    });
    expect(argv).toContain('--network=host');
    expect(argv.join(' ')).toContain('--volume /anywhere/src:/tiny/src:ro --volume /anywhere/build:/tiny/build:rw --volume /anywhere/ccache:/tiny/ccache:rw');
    expect(argv.join(' ')).toContain(`--env CCACHE_REMOTE_STORAGE=redis://10.0.0.5:6379 --env CCACHE_COMPILERCHECK=string:${IMAGE}`);
  });

  it('on the host runtime: base_dir is the cache (its paths differ per machine), no network setting needed', () => {
    const c = ccacheContainer({ ccache: true, remote: 'http://cache:8080/cc', image: 'host:0123', hermetic: false, cacheDir: '/home/u/.cache/tiny' });
    expect(c.env).toMatchObject({ CCACHE_REMOTE_STORAGE: 'http://cache:8080/cc', CCACHE_COMPILERCHECK: 'string:host:0123', CCACHE_BASEDIR: '/home/u/.cache/tiny' });
    expect(c.network).toBe('none');
    // The host's own PATH, no probe wrapper (its build directories are not at /tiny/build).
    expect(c.env.PATH).toBeUndefined();
    expect(c.probeWrapper).toBe(false);
  });

  it('without a remote: the stats log, lookups by the preprocessed text after a direct miss (not depend mode) and the probe wrapper first on PATH; without ccache nothing', () => {
    expect(ccacheContainer({ ccache: true, image: IMAGE, hermetic: true, cacheDir: '/c' })).toEqual({
      env: { CCACHE_STATSLOG: '/tiny/build/.tiny-ccache-stats.log', CCACHE_NODEPEND: '1', PATH: `/tiny/build/.tiny-bin:${DEFAULT_PATH}` },
      network: 'none',
      probeWrapper: true,
    });
    expect(ccacheContainer({ ccache: false, remote: 'redis://x:1', image: IMAGE, hermetic: true, cacheDir: '/c' })).toEqual({ env: {}, network: 'none', probeWrapper: false });
  });

  it('--no-ccache: CCACHE_DISABLE and the wrapper on PATH, no stats log, no lookup mode, no remote, no network', () => {
    expect(ccacheContainer({ ccache: true, off: true, image: IMAGE, hermetic: true, cacheDir: '/c' })).toEqual({
      env: { CCACHE_DISABLE: '1', PATH: `/tiny/build/.tiny-bin:${DEFAULT_PATH}` },
      network: 'none',
      probeWrapper: true,
    });
    expect(ccacheContainer({ ccache: true, off: true, image: IMAGE, hermetic: false, cacheDir: '/c' })).toEqual({ env: { CCACHE_DISABLE: '1' }, network: 'none', probeWrapper: false });
  });

  it("the probe wrapper runs Kbuild's cc-option probes (-o /dev/null) directly, every command when ccache is off, and hands every other command to ccache", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-probe-wrapper-'));
    try {
      // A stand-in ccache on the PATH the wrapper sets would be the real one; here the wrapper's
      // last line is pointed at a recording script instead, and the probe's compiler is `echo`.
      const fake = join(dir, 'ccache');
      await writeFile(fake, '#!/bin/sh\necho "ccache $*"\n', { mode: 0o755 });
      const wrapper = join(dir, 'wrapper');
      await writeFile(wrapper, PROBE_WRAPPER.replace('exec ccache "$@"', `exec ${fake} "$@"`), { mode: 0o755 });
      const run = (...args: string[]) => execFileSync(wrapper, args, { encoding: 'utf8', env: { ...process.env, CCACHE_DISABLE: '' } }).trim();
      expect(run('echo', 'probe', '-S', '-o', '/dev/null', '-xc', '/dev/null')).toBe('probe -S -o /dev/null -xc /dev/null');
      expect(run('i686-linux-gnu-gcc', '-c', '-o', 'fs/inode.o', 'fs/inode.c')).toBe('ccache i686-linux-gnu-gcc -c -o fs/inode.o fs/inode.c');
      // An output merely named like /dev/null's tail is a real output: ccache.
      expect(run('gcc', '-c', '-o', '/dev/nullx.o', 'a.c')).toBe('ccache gcc -c -o /dev/nullx.o a.c');
      // ccache off for the run (--no-ccache): the compiler itself, without ccache's exec.
      const off = execFileSync(wrapper, ['echo', '-c', '-o', 'fs/inode.o', 'fs/inode.c'], { encoding: 'utf8', env: { ...process.env, CCACHE_DISABLE: '1' } }).trim();
      expect(off).toBe('-c -o fs/inode.o fs/inode.c');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the URLs ccache 4.7 understands, and never shows a password', () => {
    expect(checkRemoteUrl('redis://127.0.0.1:6379', '--ccache-remote')).toBe('redis://127.0.0.1:6379');
    expect(checkRemoteUrl('redis+unix:/run/redis.sock', 'x')).toBe('redis+unix:/run/redis.sock');
    expect(checkRemoteUrl('http://cache.example.org/ccache|read-only', 'x')).toBe('http://cache.example.org/ccache|read-only');
    expect(() => checkRemoteUrl('https://cache.example.org', 'TINY_CCACHE_REMOTE')).toThrow("TINY_CCACHE_REMOTE: 'https://cache.example.org' is not a ccache remote storage URL");
    expect(redactUrl('redis://:s3cret@cache:6379')).toBe('redis://***@cache:6379');
    expect(redactUrl('http://user:pw@cache/x')).toBe('http://***@cache/x');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
  });
});

describe('parseStatsLog (ccache 4.7 stats_log)', () => {
  // What ccache 4.7.5 wrote for a miss, a local hit, a remote hit, a preprocessed remote hit and
  // a link (not a compilation).
  const LOG = `# a.c
cache_miss
direct_cache_miss
local_storage_miss
local_storage_read_miss
local_storage_write
preprocessed_cache_miss
remote_storage_miss
remote_storage_read_miss
remote_storage_write
# a.c
direct_cache_hit
local_storage_hit
local_storage_read_hit
# b.c
direct_cache_hit
local_storage_miss
local_storage_read_miss
remote_storage_hit
remote_storage_read_hit
# c.c
direct_cache_miss
local_storage_miss
preprocessed_cache_hit
remote_storage_hit
# ../../builds/x/init/main.o
called_for_link
# d.c
cache_miss
remote_storage_error
`;

  it('counts hits, where they came from, misses and remote errors', () => {
    expect(parseStatsLog(LOG)).toEqual({ calls: 5, hits: 3, local_hits: 1, remote_hits: 2, misses: 2, remote_errors: 1 });
    expect(parseStatsLog('')).toEqual({ calls: 0, hits: 0, local_hits: 0, remote_hits: 0, misses: 0, remote_errors: 0 });
  });
});

describe('ccache.remote in a configuration', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tiny-ccache-config-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  const config = (remote: string) => `name: x\ntoolchain: gcc-12-i386\narch: i386\nkconfig:\n  base: allnoconfig\ntargets: [vmlinux]\nccache:\n  remote: ${remote}\n`;

  it('is read, and a URL ccache cannot use is an error at its line', async () => {
    const c = await parseBuildConfig(config('redis://cache.example.org:6379'), { file: join(tmp, 'x.yaml') });
    expect(c.ccache).toEqual({ remote: 'redis://cache.example.org:6379' });
    try {
      await parseBuildConfig(config('https://cache.example.org'), { file: join(tmp, 'x.yaml'), displayFile: 'configs/x.yaml' });
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(TinyError);
      expect((e as TinyError).diagnostics.map(formatDiagnostic)[0]).toMatch(
        /^configs\/x\.yaml:8:11: error: 'ccache\.remote' 'https:\/\/cache\.example\.org' is not valid here\n  hint: ccache's remote_storage, e.g. redis:/,
      );
    }
  });
});
