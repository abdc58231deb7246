// Runtimes: detection (with a fake process runner), the exact container command lines, and
// the host runtime's clean environment and path mapping (run for real: it is just a process).

import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exec, StreamOptions, StreamResult } from '../../src/toolchain/proc.js';
import { CONTAINER_PATHS, DEFAULT_PATH, ENGINES, EngineRuntime, HostRuntime, detectRuntime, mapTextToHost, probeRuntime, type RunSpec } from '../../src/toolchain/runtime.js';
import { TinyError } from '../../src/util/diagnostics.js';
import type { RunOptions, RunResult } from '../../src/util/exec.js';

const ID = 'sha256:' + 'ab'.repeat(32);

interface Call {
  cmd: string;
  args: readonly string[];
  opts?: RunOptions | StreamOptions;
}

/** A process runner answering from a table: "cmd arg0" -> result, or throwing "not found". */
function fakeExec(answers: Record<string, Partial<RunResult> | 'ENOENT'>, streamResult: Partial<StreamResult> = {}): Exec & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    run(cmd, args, opts) {
      calls.push({ cmd, args, ...(opts ? { opts } : {}) });
      const a = answers[`${cmd} ${args[0] ?? ''}`] ?? answers[cmd];
      if (a === 'ENOENT' || a === undefined) return Promise.reject(new Error(`${cmd}: command not found (is it installed and on PATH?)`));
      return Promise.resolve({ code: 0, stdout: '', stderr: '', ...a });
    },
    stream(cmd, args, opts) {
      calls.push({ cmd, args, ...(opts ? { opts } : {}) });
      return Promise.resolve({ code: 0, output: '', truncated: false, durationMs: 1, timedOut: false, ...streamResult });
    },
  };
}

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tiny-rt-'));
  temps.push(d);
  return d;
}

describe('detectRuntime', () => {
  const podmanOk = { 'podman info': { stdout: 'runc\n' } };
  const dockerOk = { 'docker info': { stdout: '24.0.7\n' } };
  const dockerClientOnly = { 'docker info': { code: 1, stdout: '\n', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' } };

  it('picks podman when podman works', async () => {
    const exec = fakeExec({ ...podmanOk, ...dockerOk });
    expect((await detectRuntime(undefined, { exec, env: {} })).name).toBe('podman');
    expect(exec.calls[0]).toMatchObject({ cmd: 'podman', args: ['info', '--format', '{{.Host.OCIRuntime.Name}}'] });
  });

  it('picks docker only when its engine answers', async () => {
    expect((await detectRuntime(undefined, { exec: fakeExec({ podman: 'ENOENT', ...dockerOk }), env: {} })).name).toBe('docker');
  });

  it('a docker client without an engine is not picked: host, not hermetic', async () => {
    const rt = await detectRuntime(undefined, { exec: fakeExec({ podman: 'ENOENT', ...dockerClientOnly }), env: {} });
    expect(rt.name).toBe('host');
    expect(rt.hermetic).toBe(false);
    expect(rt.supportsImages).toBe(false);
  });

  it('a broken podman (info fails) is skipped', async () => {
    const rt = await detectRuntime(undefined, { exec: fakeExec({ 'podman info': { code: 125, stderr: 'Error: cannot setup namespace' }, ...dockerOk }), env: {} });
    expect(rt.name).toBe('docker');
  });

  it('a preferred runtime that does not work is an error with the fix', async () => {
    const err = await detectRuntime('docker', { exec: fakeExec({ ...podmanOk, ...dockerClientOnly }), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TinyError);
    expect((err as TinyError).message).toBe(
      'runtime docker is not usable: docker: client only, no engine (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)',
    );
    expect((err as TinyError).hint).toMatch(/setup-containers\.sh/);
    expect((err as TinyError).exitCode).toBe(1);
  });

  it('TINY_RUNTIME is the default preference; host needs no probe', async () => {
    const exec = fakeExec({ ...podmanOk });
    expect((await detectRuntime(undefined, { exec, env: { TINY_RUNTIME: 'host' } })).name).toBe('host');
    expect(exec.calls).toEqual([]);
    await expect(detectRuntime(undefined, { exec, env: { TINY_RUNTIME: 'lxc' } })).rejects.toThrow("TINY_RUNTIME: unknown runtime 'lxc'");
  });

  it('probeRuntime says what is wrong', async () => {
    expect(await probeRuntime('podman', fakeExec({ podman: 'ENOENT' }))).toEqual({
      name: 'podman',
      usable: false,
      detail: 'podman is not installed',
      fix: 'sudo bash scripts/setup-containers.sh',
    });
  });
});

function spec(over: Partial<RunSpec> = {}): RunSpec {
  return {
    image: ID,
    workdir: CONTAINER_PATHS.build,
    mounts: [
      { host: '/work/trees/linux-2.6.9', container: CONTAINER_PATHS.src, readonly: true },
      { host: '/cache/build/x', container: CONTAINER_PATHS.build, readonly: false },
      { host: '/cache/ccache', container: CONTAINER_PATHS.ccache, readonly: false },
    ],
    env: { KBUILD_BUILD_USER: 'tiny', CCACHE_DIR: '/tiny/ccache' },
    network: 'none',
    cmd: ['make', '-C', '/tiny/src', 'O=/tiny/build', 'ARCH=i386'],
    ...over,
  };
}

describe('podman command lines', () => {
  it('as root: --rm, --network=none, read-only source, writable build, clean env, image by ID', () => {
    const rt = new EngineRuntime('podman', { exec: fakeExec({}), uid: 0, gid: 0 });
    expect(rt.runArgv(spec())).toEqual([
      'podman',
      'run',
      '--rm',
      '--pull=never',
      '--log-driver=none',
      '--cap-drop=all',
      '--security-opt=no-new-privileges',
      '--unsetenv-all',
      '--network=none',
      '--user=0:0',
      '--hostname=tiny',
      '--workdir=/tiny/build',
      '--volume',
      '/work/trees/linux-2.6.9:/tiny/src:ro',
      '--volume',
      '/cache/build/x:/tiny/build:rw',
      '--volume',
      '/cache/ccache:/tiny/ccache:rw',
      '--env',
      `PATH=${DEFAULT_PATH}`,
      '--env',
      'KBUILD_BUILD_USER=tiny',
      '--env',
      'CCACHE_DIR=/tiny/ccache',
      ID,
      'make',
      '-C',
      '/tiny/src',
      'O=/tiny/build',
      'ARCH=i386',
    ]);
  });

  it('as another user: keep the user id in a user namespace', () => {
    const argv = new EngineRuntime('podman', { exec: fakeExec({}), uid: 1000, gid: 1001 }).runArgv(spec({ hostname: 'builder', env: { PATH: '/usr/bin' } }));
    expect(argv.slice(9, 13)).toEqual(['--userns=keep-id', '--user=1000:1001', '--hostname=builder', '--workdir=/tiny/build']);
    expect(argv.filter((a) => a.startsWith('PATH='))).toEqual(['PATH=/usr/bin']);
  });

  it('docker: the same, from its own flag table (no --unsetenv-all; --user for the caller)', () => {
    const argv = new EngineRuntime('docker', { exec: fakeExec({}), uid: 1000, gid: 1000 }).runArgv(spec());
    expect(argv.slice(0, 11)).toEqual([
      'docker',
      'run',
      '--rm',
      '--pull=never',
      '--log-driver=none',
      '--cap-drop=all',
      '--security-opt=no-new-privileges',
      '--network=none',
      '--user=1000:1000',
      '--hostname=tiny',
      '--workdir=/tiny/build',
    ]);
    expect(argv).toContain('/work/trees/linux-2.6.9:/tiny/src:ro');
  });

  it('refuses an image named by tag alone, but takes IDs and digests', () => {
    const rt = new EngineRuntime('podman', { exec: fakeExec({}), uid: 0, gid: 0 });
    expect(() => rt.runArgv(spec({ image: 'tiny/gcc-12-i386:0123456789abcdef' }))).toThrow(/refusing to run image 'tiny\/gcc-12-i386:0123456789abcdef' by tag/);
    expect(() => rt.runArgv(spec({ image: 'ab'.repeat(32) }))).not.toThrow();
    expect(() => rt.runArgv(spec({ image: `localhost/tiny/gcc-12-i386@sha256:${'cd'.repeat(32)}` }))).not.toThrow();
  });

  it('refuses mounts podman would misparse, relative paths, bad env names', () => {
    const rt = new EngineRuntime('podman', { exec: fakeExec({}), uid: 0, gid: 0 });
    expect(() => rt.runArgv(spec({ mounts: [{ host: '/a:b', container: '/tiny/src', readonly: true }] }))).toThrow(/contains ':' or ','/);
    expect(() => rt.runArgv(spec({ mounts: [{ host: 'rel', container: '/tiny/src', readonly: true }] }))).toThrow(/not absolute/);
    expect(() => rt.runArgv(spec({ env: { 'A-B': '1' } }))).toThrow(/bad environment variable name/);
    expect(() => rt.runArgv(spec({ network: 'bridge' as 'none' }))).toThrow(/--network=none/);
    // host: only for a build whose ccache reaches a remote storage (kbuild/ccache.ts)
    expect(rt.runArgv(spec({ network: 'host' }))).toContain('--network=host');
  });

  it('runInContainer streams the command and creates the writable mount directories', async () => {
    const dir = await tempDir();
    const exec = fakeExec({}, { code: 2, output: 'make: *** [all] Error 2\n' });
    const rt = new EngineRuntime('podman', { exec, uid: 0, gid: 0 });
    await mkdir(join(dir, 'src'));
    const s = spec({
      mounts: [
        { host: join(dir, 'src'), container: '/tiny/src', readonly: true },
        { host: join(dir, 'out/build'), container: '/tiny/build', readonly: false },
      ],
    });
    const r = await rt.runInContainer(s);
    expect(r).toMatchObject({ code: 2, output: 'make: *** [all] Error 2\n', hermetic: true });
    expect(r.argv).toEqual(rt.runArgv(s));
    expect(exec.calls[0]!.cmd).toBe('podman');
    expect(exec.calls[0]!.args).toEqual(r.argv.slice(1));
    expect((await stat(join(dir, 'out/build'))).isDirectory()).toBe(true);
    await expect(rt.runInContainer(spec({ mounts: [{ host: join(dir, 'missing'), container: '/tiny/src', readonly: true }] }))).rejects.toThrow(/does not exist/);
  });

  it('image build command line: host network for apt, base by build-arg, labels, iidfile', () => {
    const rt = new EngineRuntime('podman', { exec: fakeExec({}), uid: 0, gid: 0 });
    expect(rt.buildArgv({ tag: 'tiny/x:1', containerfile: '/t/x/Containerfile', context: '/t/x', buildArgs: { BASE: ID }, labels: { a: 'b' }, platform: 'linux/386' }, '/tmp/iid')).toEqual([
      'podman',
      'build',
      '--pull=never',
      '--layers',
      '--network=host',
      '--iidfile',
      '/tmp/iid',
      '--platform',
      'linux/386',
      '--build-arg',
      `BASE=${ID}`,
      '--label',
      'a=b',
      '--tag',
      'tiny/x:1',
      '--file',
      '/t/x/Containerfile',
      '/t/x',
    ]);
  });

  it('imageInfo reads podman and docker inspect output alike', async () => {
    const podman = new EngineRuntime('podman', {
      exec: fakeExec({ 'podman image': { stdout: JSON.stringify([{ Id: 'ab'.repeat(32), Digest: `sha256:${'cd'.repeat(32)}`, RepoTags: ['localhost/tiny/x:1'], Architecture: 'amd64' }]) } }),
    });
    expect(await podman.imageInfo('tiny/x:1')).toEqual({ id: ID, digest: `sha256:${'cd'.repeat(32)}`, tags: ['localhost/tiny/x:1'], architecture: 'amd64' });
    const docker = new EngineRuntime('docker', { exec: fakeExec({ 'docker image': { stdout: JSON.stringify([{ Id: ID, RepoDigests: [], RepoTags: ['tiny/x:1'] }]) } }) });
    expect(await docker.imageInfo('tiny/x:1')).toEqual({ id: ID, tags: ['tiny/x:1'] });
    const missing = new EngineRuntime('podman', { exec: fakeExec({ 'podman image': { code: 125, stderr: 'Error: tiny/y:1: image not known' } }) });
    expect(await missing.imageId('tiny/y:1')).toBeUndefined();
    expect(await missing.imageExists('tiny/y:1')).toBe(false);
  });
});

describe('host runtime', () => {
  it('maps the fixed container paths to the mounted host paths', () => {
    const rt = new HostRuntime();
    const s = spec();
    expect(rt.runArgv(s)).toEqual(['make', '-C', '/work/trees/linux-2.6.9', 'O=/cache/build/x', 'ARCH=i386']);
    expect(rt.resolvePath('/tiny/build/arch/i386/boot/bzImage', s.mounts)).toBe('/cache/build/x/arch/i386/boot/bzImage');
    expect(rt.resolvePath('/tiny/buildx', s.mounts)).toBe('/tiny/buildx');
    expect(rt.hostEnv(s)).toEqual({ PATH: DEFAULT_PATH, KBUILD_BUILD_USER: 'tiny', CCACHE_DIR: '/cache/ccache' });
    expect(mapTextToHost('-ffile-prefix-map=/tiny/src=. x:/tiny/build/y', s.mounts)).toBe('-ffile-prefix-map=/work/trees/linux-2.6.9=. x:/cache/build/x/y');
  });

  it('runs with only the given environment (+ PATH), in the mapped working directory', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/input'), 'from the tree\n');
    process.env.TINY_TEST_LEAK = 'must not be seen';
    const lines: string[] = [];
    const rt = new HostRuntime();
    const r = await rt.runInContainer({
      image: 'ignored',
      workdir: '/tiny/build',
      mounts: [
        { host: join(dir, 'src'), container: '/tiny/src', readonly: true },
        { host: join(dir, 'build'), container: '/tiny/build', readonly: false },
      ],
      env: { GREETING: 'hi', OUT: '/tiny/build/out' },
      network: 'none',
      cmd: ['sh', '-c', 'env | sort; pwd; cat /tiny/src/input > "$OUT"'],
      onLine: (l) => lines.push(l),
    });
    delete process.env.TINY_TEST_LEAK;
    expect(r.code).toBe(0);
    expect(r.hermetic).toBe(false);
    const envLines = lines.filter((l) => /^[A-Z_]+=/.test(l) && !l.startsWith('PWD=') && !l.startsWith('SHLVL=') && !l.startsWith('_='));
    expect(envLines).toEqual([`GREETING=hi`, `OUT=${join(dir, 'build')}/out`, `PATH=${DEFAULT_PATH}`]);
    expect(lines).toContain(join(dir, 'build'));
    expect(await readFile(join(dir, 'build/out'), 'utf8')).toBe('from the tree\n');
  });

  it('has no images', async () => {
    const rt = new HostRuntime();
    expect(await rt.imageId()).toBeUndefined();
    await expect(rt.buildImage()).rejects.toThrow(/host runtime has no images/);
  });
});

describe('a session: one container per lane, a command server in it', () => {
  // A fake engine: `rm` succeeds; `run` runs the container's command (the session server) on
  // this machine, in the host directory mounted at /tiny/.session, as podman would in it.
  const FAKE = `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$1" in
  rm) exit 0 ;;
  run)
    for a in "$@"; do case "$a" in *:/tiny/.session:rw) dir=\${a%%:/tiny/.session:rw} ;; esac; done
    cd "$dir" || exit 1
    shift $(($# - 3)); exec "$@" ;;
esac
`;
  const sessionOf = async () => {
    const dir = await tempDir();
    const bin = join(dir, 'fake-podman');
    await writeFile(bin, FAKE, { mode: 0o755 });
    process.env.FAKE_LOG = join(dir, 'engine.log');
    await mkdir(join(dir, 'src'));
    const mounts = [
      { host: join(dir, 'src'), container: CONTAINER_PATHS.src, readonly: true },
      { host: join(dir, 'build'), container: CONTAINER_PATHS.build, readonly: false },
    ];
    const rt = new EngineRuntime('podman', { uid: 0, gid: 0 }, { ...ENGINES.podman, bin: bin as 'podman' });
    const s = rt.openSession({ name: 'tiny-lane-0123', image: ID, mounts, env: { KBUILD_BUILD_USER: 'tiny' }, network: 'none', controlDir: join(dir, 'cache/tmp/tiny-lane-0123') });
    const engineCalls = async () => (await readFile(join(dir, 'engine.log'), 'utf8')).trim().split('\n');
    return { dir, s, engineCalls, run: (over: Partial<RunSpec> = {}) => s.run(spec({ mounts, env: { KBUILD_BUILD_USER: 'tiny' }, workdir: dir, ...over })) };
  };

  it('removes a leftover of the same name, starts once, then runs each command in it with its output, exit code and log', async () => {
    const { dir, s, run, engineCalls } = await sessionOf();
    try {
      const a = await run({ cmd: ['sh', '-c', 'echo "it\'s me in $(pwd)"'], logFile: join(dir, 'logs/a.log') });
      expect(a).toMatchObject({ code: 0, output: `it's me in ${dir}\n`, timedOut: false });
      const b = await run({ cmd: ['sh', '-c', 'echo failing >&2; exit 3'], logFile: join(dir, 'logs/a.log') });
      expect(b).toMatchObject({ code: 3, output: 'failing\n' });
      expect(await readFile(join(dir, 'logs/a.log'), 'utf8')).toBe(`it's me in ${dir}\nfailing\n`);
      const calls = await engineCalls();
      expect(calls[0]).toBe('rm --force --time=0 tiny-lane-0123');
      expect(calls[1]).toMatch(/^run --rm --pull=never .*--interactive --name=tiny-lane-0123 .*--network=none .*--workdir=\/tiny\/\.session .*:\/tiny\/\.session:rw .*sha256:(ab)+ sh -c echo ready;/);
      expect(calls).toHaveLength(2);
      expect(s.starts.count).toBe(1);
    } finally {
      await s.close();
    }
    expect((await engineCalls()).at(-1)).toBe('rm --force --time=0 tiny-lane-0123');
  });

  it("a lane's control directory is the same on every run: what a killed run left in it goes at the start, the directory at the close", async () => {
    const { dir, s, run, engineCalls } = await sessionOf();
    const control = join(dir, 'cache/tmp/tiny-lane-0123');
    // What a kill -9 leaves: a request and its answer from the last run's last command.
    await mkdir(control, { recursive: true });
    await writeFile(join(control, 'c7.sh'), 'make bzImage\n');
    await writeFile(join(control, 'c7.out'), 'CC init/main.o\n');
    try {
      expect(await run({ cmd: ['sh', '-c', 'echo ok'] })).toMatchObject({ code: 0, output: 'ok\n' });
      expect(await readdir(control)).not.toContain('c7.sh');
      expect(await readdir(control)).not.toContain('c7.out');
      expect((await engineCalls()).find((c) => c.startsWith('run '))).toContain(`${control}:/tiny/.session:rw`);
    } finally {
      await s.close();
    }
    await expect(stat(control)).rejects.toThrow(/ENOENT/);
  });

  it('a command with another environment runs in a container of its own', async () => {
    const exec = fakeExec({});
    const rt = new EngineRuntime('podman', { exec, uid: 0, gid: 0 });
    const dir = await tempDir();
    const mounts = [{ host: dir, container: CONTAINER_PATHS.src, readonly: true }];
    const s = rt.openSession({ name: 'tiny-lane-0123', image: ID, mounts, env: { KBUILD_BUILD_USER: 'tiny' }, network: 'none', controlDir: join(dir, 'control') });
    await s.run(spec({ mounts, env: { OTHER: '1' } }));
    expect(exec.calls.map((c) => [c.cmd, ...c.args].join(' '))).toEqual([expect.stringMatching(/^podman run --rm .* --env OTHER=1 .*make -C \/tiny\/src/)]);
    expect(s.starts.count).toBe(0);
  });

  it('a command past its timeout stops the container (nothing of it runs on); the next command starts a new one', async () => {
    const { s, run } = await sessionOf();
    try {
      const r = await run({ cmd: ['sleep', '5'], timeoutMs: 300 });
      expect(r).toMatchObject({ code: 124, timedOut: true });
      expect((await run({ cmd: ['true'] })).code).toBe(0);
      expect(s.starts.count).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('a command sent while the container opened ahead of it is still starting runs in that container: one start', async () => {
    const { s, run, engineCalls } = await sessionOf();
    try {
      const opening = s.open();
      const r = await run({ cmd: ['sh', '-c', 'echo here'] });
      await opening;
      expect(r).toMatchObject({ code: 0, output: 'here\n' });
      expect(s.starts.count).toBe(1);
      expect((await engineCalls()).filter((c) => c.startsWith('run '))).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('a replaced mount directory (a worktree made anew) gets a new container: the old one still sees the deleted directory', async () => {
    const { dir, s, run } = await sessionOf();
    try {
      await run({ cmd: ['true'] });
      await rm(join(dir, 'src'), { recursive: true });
      await mkdir(join(dir, 'src'));
      await run({ cmd: ['true'] });
      expect(s.starts.count).toBe(2);
    } finally {
      await s.close();
    }
  });
});
