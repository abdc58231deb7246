// `tiny toolchain list/show` and `tiny doctor` through commander, with a fake process runner
// for doctor so that each machine state can be staged.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerDoctorCommand, containersConfCheck, type DoctorOptions, doctorExitCode, doctorJson, renderChecks, runDoctor } from '../../src/cli/doctor.js';
import { imageRefJson, registerToolchainCommands, renderColumns } from '../../src/cli/toolchain.js';
import { loadToolchain } from '../../src/toolchain/definitions.js';
import { imageTag } from '../../src/toolchain/image.js';
import type { Exec } from '../../src/toolchain/proc.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { tinyCommand } from '../../src/util/invocation.js';
import { expectContract } from '../helpers/json-contract.js';

const ROOT = resolve(__dirname, '../..');
const TOOLCHAINS = join(ROOT, 'toolchains');
const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tiny-cli-'));
  temps.push(d);
  return d;
}

/** Run `tiny ...args` with these commands registered; returns stdout and the exit code set. */
async function tiny(args: string[], doctor: DoctorOptions = {}): Promise<{ stdout: string; exitCode: number }> {
  const program = new Command('tiny').exitOverride();
  registerToolchainCommands(program);
  registerDoctorCommand(program, doctor);
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  await program.parseAsync(['node', 'tiny', ...args]);
  vi.restoreAllMocks();
  return { stdout, exitCode: (program.getOptionValue('exitCode') as number | undefined) ?? 0 };
}

describe('tiny toolchain', () => {
  it('list prints a table of every toolchain', async () => {
    const { stdout } = await tiny(['toolchain', 'list', '--runtime', 'host', '--toolchains', TOOLCHAINS]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +COMPILER +ARCHES +BASE IMAGE +OFFLINE +IMAGE$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      ['gcc-12-arm', 'gcc-12', 'arm', 'debian:bookworm', 'yes', 'not built (no container runtime)'],
      ['gcc-12-i386', 'gcc-12', 'i386', 'debian:bookworm', 'yes', 'not built (no container runtime)'],
      ['gcc-12-x86_64', 'gcc-12', 'x86_64', 'debian:bookworm', 'yes', 'not built (no container runtime)'],
      ['gcc-3.4-i386', 'gcc-3.4', 'i386', 'debian/eol:sarge', 'no', 'not built (no container runtime)'],
      ['gcc-4.1-i386', 'gcc-4.1', 'i386', 'debian/eol:etch', 'no', 'not built (no container runtime)'],
    ]);
  });

  it('list --json gives the definitions, tags and images', async () => {
    const { stdout } = await tiny(['toolchain', 'list', '--json', '--runtime', 'host', '--toolchains', TOOLCHAINS]);
    const list = JSON.parse(stdout) as { runtime: string; toolchains: Record<string, unknown>[] };
    expectContract('output/toolchain-list', list);
    expect(list.runtime).toBe('host');
    const rows = list.toolchains;
    const t = await loadToolchain(ROOT, 'gcc-12-i386');
    expect(rows.find((r) => r.name === 'gcc-12-i386')).toMatchObject({
      compiler: 'gcc-12',
      arches: ['i386'],
      cross_compile: { i386: 'i686-linux-gnu-' },
      offline_buildable: true,
      tag: imageTag(t),
      runtime: 'host',
      image: null,
    });
  });

  it('show prints the make variables per ARCH and how to build the image', async () => {
    const { stdout } = await tiny(['toolchain', 'show', 'gcc-12-x86_64', '--runtime', 'host', '--toolchains', TOOLCHAINS]);
    expect(stdout).toContain('    x86_64        ARCH=x86_64 CROSS_COMPILE=\n');
    expect(stdout).toContain(`not built (${tinyCommand()} toolchain build gcc-12-x86_64)`);
  });

  it('show --json: one definition, its tag and image (null: not built), how it was built (null: not here)', async () => {
    const { stdout } = await tiny(['toolchain', 'show', 'gcc-4.1-i386', '--json', '--runtime', 'host', '--toolchains', TOOLCHAINS]);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expectContract('output/toolchain-show', doc);
    expect(doc).toMatchObject({ schema_version: 1, name: 'gcc-4.1-i386', offline_buildable: false, bootstrap: null, image: null, build: null });
    expect(doc.reason).toEqual(expect.any(String));
  });

  it('build --json: the image record, by ID', () => {
    const ref = {
      toolchain: 'gcc-12-i386',
      runtime: 'podman' as const,
      tag: 'tiny/gcc-12-i386:4226bd0f1e155e53',
      id: `sha256:${'d3'.repeat(32)}`,
      contentHash: '42'.repeat(32),
      cached: false,
      base: { source: 'bootstrapped' as const, ref: 'tiny-base/bookworm:1122a8a633322bee', id: `sha256:${'a8'.repeat(32)}`, tarball: '/cache/images/bookworm.tar', tarballSha256: '77'.repeat(32) },
      timings: { bootstrapMs: 61_000, importMs: 4_000, buildMs: 190_000, totalMs: 255_000 },
      logFile: '/cache/images/gcc-12-i386.log',
      builtAt: '2026-01-05T10:00:00.000Z',
    };
    const doc = imageRefJson(ref);
    expectContract('output/toolchain-build', doc);
    expect(doc).toMatchObject({ content_hash: ref.contentHash, digest: null, timings: { bootstrap_ms: 61_000, pull_ms: null, total_ms: 255_000 }, base: { tarball_sha256: '77'.repeat(32) } });
    expectContract('output/toolchain-build', imageRefJson({ ...ref, cached: true, base: undefined, timings: { totalMs: 40 }, logFile: undefined, builtAt: undefined }));
  });

  it('show of an unknown name fails with the known names', async () => {
    await expect(tiny(['toolchain', 'show', 'gcc-12-i868', '--toolchains', TOOLCHAINS])).rejects.toThrow(TinyError);
  });

  it('build on the host runtime says a container runtime is needed', async () => {
    const err = await tiny(['toolchain', 'build', 'gcc-12-i386', '--runtime', 'host', '--toolchains', TOOLCHAINS]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TinyError);
    expect((err as TinyError).hint).toBe('sudo bash scripts/setup-containers.sh');
  });

  it('renderColumns pads all but the last column', () => {
    expect(
      renderColumns(
        ['A', 'BB'],
        [
          ['xyz', '1'],
          ['', '22'],
        ],
      ),
    ).toBe('A    BB\nxyz  1\n     22');
  });
});

/** A machine: which commands exist, whether podman/docker work, which images exist. */
function machine(m: { tools: string[]; podman?: 'ok' | 'broken' | 'absent'; images?: Record<string, string>; runCode?: number }): Exec {
  return {
    run(cmd, args) {
      if (cmd === 'sh') {
        const name = JSON.parse(args[1]!.replace('command -v ', '')) as string;
        return Promise.resolve(m.tools.includes(name) ? { code: 0, stdout: `/usr/bin/${name}\n`, stderr: '' } : { code: 1, stdout: '', stderr: '' });
      }
      if (cmd === 'podman') {
        if ((m.podman ?? 'absent') === 'absent') return Promise.reject(new Error('podman: command not found'));
        if (args[0] === 'info') return Promise.resolve(m.podman === 'ok' ? { code: 0, stdout: 'runc\n', stderr: '' } : { code: 125, stdout: '', stderr: 'Error: bad config\n' });
        if (args[0] === 'image') {
          const id = m.images?.[args[2]!];
          return Promise.resolve(
            id ? { code: 0, stdout: JSON.stringify([{ Id: id.replace('sha256:', ''), Digest: '', RepoTags: [args[2]] }]), stderr: '' } : { code: 125, stdout: '', stderr: 'image not known' },
          );
        }
      }
      if (cmd === 'docker') return Promise.resolve({ code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon\n' });
      return Promise.reject(new Error(`unexpected ${cmd} ${args.join(' ')}`));
    },
    stream: () =>
      Promise.resolve({ code: m.runCode ?? 0, output: m.runCode ? 'Error: crun: setrlimit RLIMIT_NPROC: Operation not permitted\n' : '', truncated: false, durationMs: 1, timedOut: false }),
  };
}

describe('tiny doctor', () => {
  it('a bare machine: every missing thing with the command that fixes it, exit 1', async () => {
    const dir = await tempDir();
    const checks = await runDoctor({
      exec: machine({ tools: [] }),
      env: {},
      cacheDir: join(dir, 'cache'),
      toolchainsDir: TOOLCHAINS,
      containersConfDirs: [join(dir, 'etc')],
      linuxSource61: join(dir, 'linux-source-6.1.tar.xz'),
      minFreeBytes: Number.MAX_SAFE_INTEGER,
    });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['container runtime']).toMatchObject({ status: 'missing', required: true, fix: 'sudo bash scripts/setup-containers.sh' });
    expect(byName.docker).toMatchObject({ status: 'warn', detail: 'docker: client only, no engine (Cannot connect to the Docker daemon)' });
    expect(byName['containers.conf']).toMatchObject({ status: 'warn', fix: 'sudo bash scripts/setup-containers.sh' });
    expect(byName.mmdebstrap).toMatchObject({ status: 'warn', fix: 'sudo bash scripts/setup-containers.sh' });
    expect(byName.git).toMatchObject({ status: 'missing', required: true, fix: 'sudo apt-get install -y git' });
    expect(byName.quilt).toMatchObject({ status: 'warn', fix: 'sudo apt-get install -y quilt' });
    expect(byName['qemu-system-i386']).toMatchObject({ status: 'warn', fix: 'sudo apt-get install -y qemu-system-x86' });
    expect(byName['kernel tree 2.6']).toMatchObject({ status: 'warn', detail: 'TINY_TREE_2_6 is not set' });
    expect(byName['kernel tree 6.1']).toMatchObject({ status: 'warn', fix: 'sudo apt-get install -y linux-source-6.1' });
    expect(byName.disk?.status).toBe('warn');
    expect(byName['image gcc-12-i386']).toMatchObject({ status: 'warn', detail: 'no container runtime to hold it' });
    expect(doctorExitCode(checks)).toBe(1);
    const text = renderChecks(checks);
    expect(text).toContain('MISSING  git ');
    expect(text).toContain('fix: sudo apt-get install -y git');
    expect(text.trimEnd().split('\n').pop()).toBe('2 required things missing');
    const json = doctorJson(checks);
    expectContract('output/doctor', json);
    expect(json).toMatchObject({ schema_version: 1, ok: false });
  });

  it('a set-up machine: podman runs, images listed with their IDs or build commands, exit 0', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'etc'), { recursive: true });
    await writeFile(join(dir, 'etc/containers.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n');
    await writeFile(join(dir, 'linux-source-6.1.tar.xz'), '');
    await mkdir(join(dir, 'linux-2.6.9'));
    const i386 = await loadToolchain(ROOT, 'gcc-12-i386');
    const id = `sha256:${'12'.repeat(32)}`;
    const checks = await runDoctor({
      exec: machine({ tools: ['mmdebstrap', 'git', 'quilt', 'qemu-system-i386'], podman: 'ok', images: { [imageTag(i386)]: id } }),
      env: { TINY_TREE_2_6: join(dir, 'linux-2.6.9') },
      cacheDir: join(dir, 'cache'),
      toolchainsDir: TOOLCHAINS,
      containersConfDirs: [join(dir, 'etc')],
      linuxSource61: join(dir, 'linux-source-6.1.tar.xz'),
      minFreeBytes: 1,
    });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['container runtime']).toMatchObject({ status: 'ok', detail: 'podman will be used' });
    expect(byName['containers.conf']?.status).toBe('ok');
    expect(byName['image gcc-12-i386']).toMatchObject({ status: 'ok', detail: `${imageTag(i386)} ${id}` });
    expect(byName['image gcc-12-arm']).toMatchObject({ status: 'warn', fix: `${tinyCommand()} toolchain build gcc-12-arm` });
    expect(byName['image gcc-4.1-i386']?.detail).toBe('not built; needs debian/eol:etch from a registry (no offline bootstrap)');
    expect(byName['podman run']).toMatchObject({ status: 'ok', required: true });
    expect(doctorExitCode(checks)).toBe(0);
  });

  it('podman info works but podman run does not: required, with the set-up fix', async () => {
    const dir = await tempDir();
    const i386 = await loadToolchain(ROOT, 'gcc-12-i386');
    const checks = await runDoctor({
      exec: machine({ tools: ['git'], podman: 'ok', images: { [imageTag(i386)]: `sha256:${'12'.repeat(32)}` }, runCode: 126 }),
      env: {},
      cacheDir: join(dir, 'cache'),
      toolchainsDir: TOOLCHAINS,
      containersConfDirs: [join(dir, 'etc')],
      linuxSource61: join(dir, 'none'),
    });
    expect(checks.find((c) => c.name === 'podman run')).toMatchObject({
      status: 'missing',
      required: true,
      detail: 'cannot run a container: Error: crun: setrlimit RLIMIT_NPROC: Operation not permitted',
      fix: 'sudo bash scripts/setup-containers.sh',
    });
    expect(doctorExitCode(checks)).toBe(1);
  });

  it('containers.conf: a drop-in overrides the main file, as podman reads them', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'containers.conf.d'), { recursive: true });
    await writeFile(join(dir, 'containers.conf'), '[engine]\nruntime = "crun"\n');
    expect((await containersConfCheck([dir])).detail).toMatch(/default_ulimits, runtime, cgroup_manager not set/);
    await writeFile(join(dir, 'containers.conf.d/50-tiny.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n');
    expect(await containersConfCheck([dir])).toMatchObject({ status: 'ok' });
  });

  it('doctor through commander: text or --json, exit 1 when something required is missing', async () => {
    const dir = await tempDir();
    const staged: DoctorOptions = {
      exec: machine({ tools: ['mmdebstrap', 'quilt'], podman: 'ok' }),
      env: {},
      cacheDir: dir,
      toolchainsDir: TOOLCHAINS,
      containersConfDirs: [dir],
      linuxSource61: join(dir, 'none'),
    };
    const json = await tiny(['doctor', '--json'], staged);
    const r = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; status: string; fix: string | null }[] };
    expectContract('output/doctor', r);
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === 'git')).toMatchObject({ status: 'missing', fix: 'sudo apt-get install -y git' });
    expect(json.exitCode).toBe(1);
    const text = await tiny(['doctor'], { ...staged, exec: machine({ tools: ['git'], podman: 'ok' }) });
    expect(text.stdout).toMatch(/^ok +podman +podman \(OCI runtime runc\)$/m);
    expect(text.exitCode).toBe(0);
  });
});
