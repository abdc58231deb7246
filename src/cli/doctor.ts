// `tiny doctor`: what this machine has and lacks for tiny — container runtime, containers.conf,
// mmdebstrap, git, quilt, qemu, kernel trees, disk, toolchain images — each missing thing with
// the exact command that fixes it. Exit 1 when something required is missing.

import type { Command } from 'commander';
import { readFile, readdir, statfs, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir as defaultCacheDir } from '../util/cache.js';
import { loadArches } from '../toolchain/arch.js';
import { defaultToolchainsDir, loadToolchains } from '../toolchain/definitions.js';
import { findImage, imageTag, qualifyImage } from '../toolchain/image.js';
import { realExec, type Exec } from '../toolchain/proc.js';
import { createRuntime, probeRuntime, type RuntimeName, type RuntimeProbe } from '../toolchain/runtime.js';
import { TinyError, formatDiagnostic } from '../util/diagnostics.js';
import { setExit } from './options.js';
import { SETUP_CONTAINERS, tinyCommand } from '../util/invocation.js';

export type CheckStatus = 'ok' | 'warn' | 'missing';

export interface Check {
  name: string;
  status: CheckStatus;
  /** A missing required check makes doctor exit 1. */
  required: boolean;
  detail: string;
  /** The exact command (or step) that fixes it. */
  fix?: string;
}

export interface DoctorOptions {
  exec?: Exec;
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  toolchainsDir?: string;
  /** Where containers.conf files are looked for (default /etc/containers, and the user's). */
  containersConfDirs?: string[];
  /** The Debian 6.1 source tarball (default /usr/src/linux-source-6.1.tar.xz). */
  linuxSource61?: string;
  /** Warn when the cache's file system has less free space than this (default 10 GB). */
  minFreeBytes?: number;
  /** Run a container from a built image to prove the runtime really works (default true). */
  smokeTest?: boolean;
}

const GB = 1_000_000_000;

export async function runDoctor(opts: DoctorOptions = {}): Promise<Check[]> {
  const exec = opts.exec ?? realExec;
  const env = opts.env ?? process.env;
  const cache = opts.cacheDir ?? defaultCacheDir(env);
  const checks: Check[] = [];

  // Container runtimes.
  const probes: RuntimeProbe[] = [];
  for (const name of ['podman', 'docker'] as const) probes.push(await probeRuntime(name, exec));
  for (const p of probes) {
    checks.push({ name: p.name, status: p.usable ? 'ok' : 'warn', required: false, detail: p.detail, ...(p.usable || !p.fix ? {} : { fix: p.fix }) });
  }
  const usable = probes.find((p) => p.usable);
  const forced = env.TINY_RUNTIME as RuntimeName | undefined;
  const runtimeName: RuntimeName = forced === 'host' ? 'host' : (usable?.name ?? 'host');
  if (runtimeName === 'host') {
    checks.push({
      name: 'container runtime',
      status: forced === 'host' ? 'warn' : 'missing',
      required: forced !== 'host',
      detail: forced === 'host' ? 'TINY_RUNTIME=host: builds run on the host (not hermetic)' : 'no working podman or docker: builds would run on the host, not hermetic',
      ...(forced === 'host' ? {} : { fix: SETUP_CONTAINERS }),
    });
  } else {
    checks.push({ name: 'container runtime', status: 'ok', required: true, detail: `${runtimeName} will be used` });
  }

  // containers.conf: the settings podman needs on a host like this one.
  checks.push(await containersConfCheck(opts.containersConfDirs ?? defaultConfDirs(env)));

  // Tools.
  const tools: [string, boolean, string, string][] = [
    ['mmdebstrap', false, 'bootstraps base images offline (no registry)', SETUP_CONTAINERS],
    ['git', true, 'the tree store', 'sudo apt-get install -y git'],
    ['quilt', false, 'quilt import/export and parity tests', 'sudo apt-get install -y quilt'],
    // One qemu per binary the arches/ table names (tiny boot).
    ...[...new Set(loadArches().flatMap((a) => (a.qemu ? [a.qemu.binary] : [])))].map((binary): [string, boolean, string, string] => {
      const arches = loadArches().filter((a) => a.qemu?.binary === binary);
      return [binary, false, `tiny boot: runs ${arches.map((a) => a.name).join(', ')} kernels (software emulation)`, `sudo apt-get install -y ${arches[0]!.qemu!.package}`];
    }),
  ];
  for (const [cmd, required, what, fix] of tools) {
    const path = await which(exec, cmd);
    checks.push(path ? { name: cmd, status: 'ok', required, detail: path } : { name: cmd, status: required ? 'missing' : 'warn', required, detail: `not found (${what})`, fix });
  }

  // Kernel trees.
  const t26 = env.TINY_TREE_2_6;
  if (!t26) {
    checks.push({ name: 'kernel tree 2.6', status: 'warn', required: false, detail: 'TINY_TREE_2_6 is not set', fix: 'export TINY_TREE_2_6=/path/to/linux-2.6.9 (a tree or a tarball)' });
  } else if (!(await pathExists(t26))) {
    checks.push({ name: 'kernel tree 2.6', status: 'warn', required: false, detail: `TINY_TREE_2_6=${t26} does not exist`, fix: `export TINY_TREE_2_6=/path/to/linux-2.6.9 (now: ${t26})` });
  } else {
    checks.push({ name: 'kernel tree 2.6', status: 'ok', required: false, detail: t26 });
  }
  const src61 = opts.linuxSource61 ?? '/usr/src/linux-source-6.1.tar.xz';
  checks.push(
    (await pathExists(src61))
      ? { name: 'kernel tree 6.1', status: 'ok', required: false, detail: src61 }
      : { name: 'kernel tree 6.1', status: 'warn', required: false, detail: `${src61} is missing`, fix: 'sudo apt-get install -y linux-source-6.1' },
  );

  // Disk.
  checks.push(await diskCheck(cache, opts.minFreeBytes ?? 10 * GB));

  // Toolchain images.
  const runtime = createRuntime(runtimeName, { exec });
  try {
    const toolchains = await loadToolchains(opts.toolchainsDir ?? defaultToolchainsDir(env));
    let smoke: string | undefined;
    for (const t of toolchains) {
      const name = `image ${t.name}`;
      if (!runtime.supportsImages) {
        checks.push({ name, status: 'warn', required: false, detail: 'no container runtime to hold it', fix: SETUP_CONTAINERS });
        continue;
      }
      const image = await findImage(t, runtime);
      if (image) {
        checks.push({ name, status: 'ok', required: false, detail: `${image.tag} ${image.id}` });
        smoke ??= image.id;
      } else if (t.offlineBuildable) {
        checks.push({ name, status: 'warn', required: false, detail: `not built (${imageTag(t)})`, fix: `${tinyCommand()} toolchain build ${t.name}` });
      } else {
        checks.push({
          name,
          status: 'warn',
          required: false,
          detail: `not built; needs ${t.baseImage} from a registry (no offline bootstrap)`,
          fix: `${tinyCommand()} toolchain build ${t.name}   # needs registry access; or where there is one: podman pull${t.platform ? ` --platform ${t.platform}` : ''} ${qualifyImage(t.baseImage)} && podman save -o base.tar ${qualifyImage(t.baseImage)}; here: podman load -i base.tar`,
        });
      }
    }
    // `podman info` can succeed where `podman run` fails (ulimits, cgroups): run one container.
    if (smoke && opts.smokeTest !== false && runtime.supportsImages) {
      const r = await runtime
        .runInContainer({ image: smoke, workdir: '/', mounts: [], env: {}, network: 'none', cmd: ['true'], timeoutMs: 120_000 })
        .catch((e: unknown) => ({ code: -1, output: String(e) }));
      checks.push(
        r.code === 0
          ? { name: `${runtime.name} run`, status: 'ok', required: true, detail: `ran a container (--network=none) from ${smoke.slice(0, 19)}` }
          : { name: `${runtime.name} run`, status: 'missing', required: true, detail: `cannot run a container: ${r.output.trim().split('\n').slice(-1)[0] ?? ''}`, fix: SETUP_CONTAINERS },
      );
    }
  } catch (e) {
    const detail = e instanceof TinyError ? [e.message, ...e.diagnostics.map(formatDiagnostic)].join('\n') : String(e);
    checks.push({ name: 'toolchain definitions', status: 'missing', required: true, detail, fix: 'fix the files named above (schema: schema/toolchain.schema.json)' });
  }
  return checks;
}

function defaultConfDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = ['/usr/share/containers', '/etc/containers'];
  if (process.getuid?.() !== 0) dirs.push(join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? '', '.config'), 'containers'));
  return dirs;
}

/** The containers.conf settings tiny's set-up writes, as `key = value` lines. */
export const NEEDED_CONTAINERS_CONF: Record<string, string> = {
  default_ulimits: '["nofile=1024:1024","nproc=1024:1024"]',
  runtime: '"runc"',
  cgroup_manager: '"cgroupfs"',
};

/** Which needed settings the files (read in podman's order, later ones win) leave unset or different. */
export async function containersConfCheck(dirs: string[]): Promise<Check> {
  const files: string[] = [];
  for (const d of dirs) {
    if (await pathExists(join(d, 'containers.conf'))) files.push(join(d, 'containers.conf'));
    try {
      const dropins = (await readdir(join(d, 'containers.conf.d'))).filter((f) => f.endsWith('.conf')).sort();
      files.push(...dropins.map((f) => join(d, 'containers.conf.d', f)));
    } catch {
      /* no drop-in directory */
    }
  }
  const values: Record<string, string> = {};
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const raw of text.split('\n')) {
      const m = /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/.exec(raw.replace(/#.*$/, ''));
      if (m && m[1]! in NEEDED_CONTAINERS_CONF) values[m[1]!] = m[2]!.replace(/\s+/g, '');
    }
  }
  const wrong = Object.entries(NEEDED_CONTAINERS_CONF)
    .filter(([k, v]) => values[k] !== v)
    .map(([k]) => k);
  const shown = files.filter((f) => !f.startsWith('/usr/share/'));
  if (wrong.length === 0) return { name: 'containers.conf', status: 'ok', required: false, detail: shown.join(', ') || files.join(', ') };
  return {
    name: 'containers.conf',
    status: 'warn',
    required: false,
    detail: `${shown.length ? shown.join(', ') : 'no /etc/containers/containers.conf'}: ${wrong.join(', ')} not set as podman needs on a nested host`,
    fix: SETUP_CONTAINERS,
  };
}

async function diskCheck(cache: string, minFree: number): Promise<Check> {
  // The cache may not exist yet: measure the nearest existing parent.
  let dir = cache;
  while (!(await pathExists(dir)) && dir !== '/') dir = join(dir, '..');
  try {
    const s = await statfs(dir);
    const free = Number(s.bavail) * Number(s.bsize);
    const detail = `${(free / GB).toFixed(1)} GB free for ${cache}`;
    return free >= minFree
      ? { name: 'disk', status: 'ok', required: false, detail }
      : {
          name: 'disk',
          status: 'warn',
          required: false,
          detail: `${detail} (under ${(minFree / GB).toFixed(0)} GB: kernel builds and images need room)`,
          fix: `free space, or point TINY_CACHE at a bigger disk: export TINY_CACHE=/big/disk/tiny`,
        };
  } catch (e) {
    return { name: 'disk', status: 'warn', required: false, detail: `cannot measure free space in ${dir}: ${String(e)}` };
  }
}

async function which(exec: Exec, cmd: string): Promise<string | undefined> {
  try {
    const r = await exec.run('sh', ['-c', `command -v ${JSON.stringify(cmd)}`], { allowFail: true });
    return r.code === 0 ? r.stdout.trim() || cmd : undefined;
  } catch {
    return undefined;
  }
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export function renderChecks(checks: Check[]): string {
  const mark: Record<CheckStatus, string> = { ok: 'ok     ', warn: 'warn   ', missing: 'MISSING' };
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of checks) {
    const [first, ...rest] = c.detail.split('\n');
    lines.push(`${mark[c.status]}  ${c.name.padEnd(width)}  ${first ?? ''}${c.required && c.status !== 'ok' ? ' (required)' : ''}`);
    for (const r of rest) lines.push(`${' '.repeat(9 + width + 2)}${r}`);
    if (c.fix && c.status !== 'ok') lines.push(`${' '.repeat(9 + width + 2)}fix: ${c.fix}`);
  }
  const missing = checks.filter((c) => c.required && c.status === 'missing').length;
  const warns = checks.filter((c) => c.status !== 'ok' && !(c.required && c.status === 'missing')).length;
  lines.push('');
  lines.push(missing ? `${missing} required thing${missing === 1 ? '' : 's'} missing` : `all required things present${warns ? ` (${warns} warning${warns === 1 ? '' : 's'})` : ''}`);
  return lines.join('\n');
}

export function doctorExitCode(checks: Check[]): 0 | 1 {
  return checks.some((c) => c.required && c.status === 'missing') ? 1 : 0;
}

/** The version of `tiny doctor --json` (schema/output/doctor.schema.json). */
export const DOCTOR_OUTPUT_VERSION = 1;

/** `tiny doctor --json`: the verdict and every check, a missing fix as null. */
export function doctorJson(checks: readonly Check[]): Record<string, unknown> {
  return {
    schema_version: DOCTOR_OUTPUT_VERSION,
    ok: doctorExitCode([...checks]) === 0,
    checks: checks.map((c) => ({ name: c.name, status: c.status, required: c.required, detail: c.detail, fix: c.fix ?? null })),
  };
}

/** `defaults` are for tests (a fake process runner, staged paths). */
export function registerDoctorCommand(program: Command, defaults: DoctorOptions = {}): void {
  program
    .command('doctor')
    .description('check what tiny needs on this machine and print the command that fixes each missing thing (exit 1 if something required is missing)')
    .option('--json', 'print JSON')
    .option('--no-smoke', 'do not run a test container')
    .action(async (opts: { json?: boolean; smoke: boolean }, cmd: Command) => {
      const checks = await runDoctor({ ...defaults, smokeTest: opts.smoke && defaults.smokeTest !== false });
      const code = doctorExitCode(checks);
      if (opts.json) process.stdout.write(JSON.stringify(doctorJson(checks), null, 2) + '\n');
      else process.stdout.write(renderChecks(checks) + '\n');
      setExit(cmd, code);
    });
}
