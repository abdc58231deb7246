// Container runtimes: where a toolchain's commands run. podman and docker are one class driven
// by a small table of their command-line flags (as TuxMake's runtime/*.ini); host runs the
// command directly, with the same clean environment and the fixed container paths mapped to
// the host's, and is recorded as non-hermetic.
//
// Containers always run: --rm, --network=none, the image named by ID (never a tag alone), the
// source tree mounted read-only, only the build (and ccache) directories writable, and an
// environment holding only what the caller passed (+ PATH).

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { runAtExit, start, type Child } from '../util/exec.js';
import { realExec, type Exec, type StreamName } from './proc.js';
import { SETUP_CONTAINERS } from '../util/invocation.js';

export type RuntimeName = 'podman' | 'docker' | 'host';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['podman', 'docker', 'host'];

/** Where a build sees its inputs and outputs, in a container (and, mapped, on the host). */
export const CONTAINER_PATHS = { src: '/tiny/src', build: '/tiny/build', ccache: '/tiny/ccache' } as const;

/** PATH for commands when the caller passes none (the same as podman's and docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Mount {
  host: string;
  container: string;
  readonly: boolean;
}

export interface RunSpec {
  /** The image by ID (sha256:<hex>) or digest (name@sha256:<hex>); ignored by the host runtime. */
  image: string;
  /** Working directory (a container path). */
  workdir: string;
  mounts: Mount[];
  /** The command's whole environment (PATH defaults to DEFAULT_PATH). */
  env: Record<string, string>;
  /** none for every build; host only for a build that reaches a remote compiler cache (ccache remote_storage). */
  network: 'none' | 'host';
  cmd: string[];
  /** Append the output to this file. */
  logFile?: string;
  onLine?: (line: string, stream: StreamName) => void;
  /** The container's host name (default "tiny"). */
  hostname?: string;
  timeoutMs?: number;
  /** How much of the output's end to keep in memory (default 1 MiB). */
  keepBytes?: number;
}

export interface RunOutcome {
  code: number;
  /** The output's tail (stdout and stderr interleaved). */
  output: string;
  truncated: boolean;
  /** What was run (engine command line, or the mapped host command), for records. */
  argv: string[];
  durationMs: number;
  timedOut: boolean;
  hermetic: boolean;
}

export interface ImageInfo {
  /** sha256:<hex> */
  id: string;
  /** The manifest digest (sha256:<hex>) when the engine has one. */
  digest?: string;
  tags: string[];
  architecture?: string;
}

export interface BuildSpec {
  tag: string;
  containerfile: string;
  context: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Network during RUN steps (apt-get needs one): default host. */
  network?: 'host' | 'none';
  platform?: string;
  logFile?: string;
  onLine?: (line: string, stream: StreamName) => void;
}

export interface PullResult {
  ok: boolean;
  id?: string;
  /** The engine's last words (why a pull failed). */
  message: string;
}

export interface Runtime {
  readonly name: RuntimeName;
  /** False for host: no isolation, nothing pinned. Recorded with every build. */
  readonly hermetic: boolean;
  readonly supportsImages: boolean;
  imageInfo(ref: string): Promise<ImageInfo | undefined>;
  /** sha256:<hex>, or undefined when there is no such image. */
  imageId(ref: string): Promise<string | undefined>;
  imageExists(ref: string): Promise<boolean>;
  pullImage(ref: string, opts?: { platform?: string; onLine?: (line: string) => void; timeoutMs?: number }): Promise<PullResult>;
  /** Import a root file system tarball as an image; returns its ID. */
  importImage(tarball: string, tag: string): Promise<string>;
  /** Build an image; returns its ID. Throws TinyError (exit 1) when the build fails. */
  buildImage(spec: BuildSpec): Promise<string>;
  /** How an image is named in a Containerfile's FROM (ID for podman; docker's builder wants a name). */
  fromRef(info: ImageInfo, tag: string): string;
  /** The command line runInContainer would run (pure: for tests and records). */
  runArgv(spec: RunSpec): string[];
  runInContainer(spec: RunSpec): Promise<RunOutcome>;
  /** The path a command sees for `containerPath`: itself in a container, the mounted host path on host. */
  resolvePath(containerPath: string, mounts: readonly Mount[]): string;
  /**
   * A long-lived container for many commands with the same image, mounts, environment and
   * network (a matrix lane's Kconfig and builds): one start, then one exec per command. Absent
   * for the host runtime (nothing to start).
   */
  openSession?(spec: SessionSpec): ContainerSession;
}

/** What a session's container is made of: a RunSpec without the command. */
export interface SessionSpec extends Omit<RunSpec, 'cmd' | 'logFile' | 'onLine' | 'timeoutMs' | 'keepBytes' | 'workdir'> {
  /**
   * The container's name: the same for the same lane on every run, so a container left by a
   * killed run is found and removed when the next one starts.
   */
  name: string;
  /**
   * Where the session's requests and answers live on the host (mounted in the container): the
   * lane's own, the same path on every run (in the cache). What a killed run left there is
   * removed when the next container starts, as the container of the same name is.
   */
  controlDir: string;
}

export interface ContainerSession {
  readonly name: string;
  /**
   * Run a command in the session's container (started on first use, restarted when a mount's
   * directory was replaced). A spec with another image, mounts, environment or network than the
   * session's runs in a container of its own, as runInContainer.
   */
  run(spec: RunSpec): Promise<RunOutcome>;
  /**
   * Start the container now, so that the first command does not wait for it (its start overlaps
   * whatever comes before that command). A failed start is reported by the next run().
   */
  open(): Promise<void>;
  /** How many times the container was started, and how long the starts took (ms). */
  readonly starts: { count: number; ms: number };
  /** Stop and remove the container (and every process in it). Safe to call twice. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The engines, as data. {placeholders} are filled in by the class below.

export interface EngineFlags {
  bin: 'podman' | 'docker';
  /** Succeeds (exit 0, non-empty output) only when the engine really works. */
  probe: string[];
  run: string[];
  /** Drop the image's and the engine's default environment. */
  cleanEnv: string[];
  /** User mapping when tiny runs as root / as another user ({uid}, {gid}). */
  userRoot: string[];
  userOther: string[];
  network: string[];
  volume: string[];
  env: string[];
  workdir: string[];
  hostname: string[];
  build: string[];
  buildNetwork: string[];
  buildArg: string[];
  label: string[];
  iidfile: string[];
  platform: string[];
  tag: string[];
  file: string[];
  import: string[];
  pull: string[];
  /** A session: a container attached to tiny under a name, running SESSION_SERVER; removed (killing what runs) by name. */
  interactive: string[];
  name: string[];
  remove: string[];
  /** FROM accepts an image ID (podman/buildah does; docker's BuildKit does not). */
  fromById: boolean;
  /** What fixes an unusable engine. */
  fix: string;
}

/** The flags podman and docker spell alike. */
const COMMON_FLAGS = {
  run: ['run', '--rm', '--pull=never', '--log-driver=none', '--cap-drop=all', '--security-opt=no-new-privileges'],
  userRoot: ['--user=0:0'],
  network: ['--network={network}'],
  volume: ['--volume', '{host}:{container}:{mode}'],
  env: ['--env', '{key}={value}'],
  workdir: ['--workdir={workdir}'],
  hostname: ['--hostname={hostname}'],
  buildNetwork: ['--network={network}'],
  buildArg: ['--build-arg', '{key}={value}'],
  label: ['--label', '{key}={value}'],
  iidfile: ['--iidfile', '{file}'],
  platform: ['--platform', '{platform}'],
  tag: ['--tag', '{tag}'],
  file: ['--file', '{file}'],
  import: ['import'],
  pull: ['pull'],
  interactive: ['--interactive'],
  name: ['--name={name}'],
} satisfies Partial<EngineFlags>;

export const ENGINES: Record<'podman' | 'docker', EngineFlags> = {
  podman: {
    ...COMMON_FLAGS,
    bin: 'podman',
    probe: ['info', '--format', '{{.Host.OCIRuntime.Name}}'],
    cleanEnv: ['--unsetenv-all'],
    userOther: ['--userns=keep-id', '--user={uid}:{gid}'],
    build: ['build', '--pull=never', '--layers'],
    remove: ['rm', '--force', '--time=0'],
    fromById: true,
    fix: SETUP_CONTAINERS,
  },
  docker: {
    ...COMMON_FLAGS,
    bin: 'docker',
    probe: ['info', '--format', '{{.ServerVersion}}'],
    cleanEnv: [],
    userOther: ['--user={uid}:{gid}'],
    build: ['build'],
    remove: ['rm', '--force'],
    fromById: false,
    fix: `start the Docker engine (\`sudo systemctl start docker\`), or use podman: ${SETUP_CONTAINERS}`,
  },
};

function fill(template: readonly string[], values: Record<string, string | number>): string[] {
  return template.map((t) => t.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m)));
}

const IMAGE_ID = /^(sha256:)?[0-9a-f]{64}$/;
const IMAGE_DIGEST = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True for an image ID or a digest reference: what containers are run from. */
export function isPinnedImage(ref: string): boolean {
  return IMAGE_ID.test(ref) || IMAGE_DIGEST.test(ref);
}

/** "sha256:<hex>" for an ID written with or without its prefix. */
export function normalizeId(id: string): string {
  const t = id.trim();
  return t.startsWith('sha256:') ? t : `sha256:${t}`;
}

/** Check what every runtime needs of a RunSpec; throws TinyError (exit 2). */
export function checkRunSpec(spec: RunSpec, needsPinnedImage: boolean): void {
  if (needsPinnedImage && !isPinnedImage(spec.image)) {
    throw new TinyError(`refusing to run image '${spec.image}' by tag: containers are run by image ID or digest`, 2, [], 'pass the id ensureImage() returned (sha256:...)');
  }
  if (spec.network !== 'none' && spec.network !== 'host')
    throw new TinyError(`network '${String(spec.network)}' is not allowed: builds run with --network=none (or host, to reach a remote compiler cache)`, 2);
  if (spec.cmd.length === 0) throw new TinyError('no command to run', 2);
  const seen = new Set<string>();
  for (const m of spec.mounts) {
    for (const p of [m.host, m.container]) {
      if (!isAbsolute(p)) throw new TinyError(`mount path '${p}' is not absolute`, 2);
      if (p.includes(':') || p.includes(',')) throw new TinyError(`mount path '${p}' contains ':' or ','`, 2, [], 'use a directory whose path has neither');
    }
    if (seen.has(m.container)) throw new TinyError(`two mounts at ${m.container}`, 2);
    seen.add(m.container);
  }
  for (const k of Object.keys(spec.env)) if (!ENV_KEY.test(k)) throw new TinyError(`bad environment variable name '${k}'`, 2);
}

function withPath(env: Record<string, string>): Record<string, string> {
  return 'PATH' in env ? env : { PATH: DEFAULT_PATH, ...env };
}

async function prepareMounts(mounts: readonly Mount[]): Promise<void> {
  for (const m of mounts) {
    if (m.readonly) {
      try {
        await stat(m.host);
      } catch {
        throw new TinyError(`read-only mount source ${m.host} does not exist`, 2);
      }
    } else {
      await mkdir(m.host, { recursive: true });
    }
  }
}

export interface RuntimeOptions {
  exec?: Exec;
  /** The invoking user (default: this process's); root gets no user namespace. */
  uid?: number;
  gid?: number;
}

/** podman or docker, driven by ENGINES[name]. */
export class EngineRuntime implements Runtime {
  readonly hermetic = true;
  readonly supportsImages = true;
  private readonly exec: Exec;
  private readonly uid: number;
  private readonly gid: number;

  constructor(
    readonly name: 'podman' | 'docker',
    opts: RuntimeOptions = {},
    readonly flags: EngineFlags = ENGINES[name],
  ) {
    this.exec = opts.exec ?? realExec;
    this.uid = opts.uid ?? process.getuid?.() ?? 0;
    this.gid = opts.gid ?? process.getgid?.() ?? 0;
  }

  async imageInfo(ref: string): Promise<ImageInfo | undefined> {
    const r = await this.exec.run(this.flags.bin, ['image', 'inspect', ref], { allowFail: true });
    if (r.code !== 0) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.stdout);
    } catch {
      return undefined;
    }
    const first = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) : undefined;
    if (!first || typeof first.Id !== 'string') return undefined;
    const repoDigests = Array.isArray(first.RepoDigests) ? (first.RepoDigests as string[]) : [];
    const digest = typeof first.Digest === 'string' && first.Digest ? first.Digest : repoDigests[0]?.split('@')[1];
    return {
      id: normalizeId(first.Id),
      ...(digest ? { digest } : {}),
      tags: Array.isArray(first.RepoTags) ? (first.RepoTags as string[]) : [],
      ...(typeof first.Architecture === 'string' ? { architecture: first.Architecture } : {}),
    };
  }

  async imageId(ref: string): Promise<string | undefined> {
    return (await this.imageInfo(ref))?.id;
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageInfo(ref)) !== undefined;
  }

  async pullImage(ref: string, opts: { platform?: string; onLine?: (line: string) => void; timeoutMs?: number } = {}): Promise<PullResult> {
    const args = [...this.flags.pull, ...(opts.platform ? fill(this.flags.platform, { platform: opts.platform }) : []), ref];
    const r = await this.exec.stream(this.flags.bin, args, {
      ...(opts.onLine ? { onLine: (l: string) => opts.onLine!(l) } : {}),
      timeoutMs: opts.timeoutMs ?? 15 * 60_000,
    });
    const last = r.output.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
    if (r.code !== 0) return { ok: false, message: r.timedOut ? `timed out: ${last}` : last };
    const id = await this.imageId(ref);
    return id ? { ok: true, id, message: last } : { ok: false, message: `pulled, but ${ref} is not found afterwards` };
  }

  async importImage(tarball: string, tag: string): Promise<string> {
    const r = await this.exec.run(this.flags.bin, [...this.flags.import, tarball, tag], { allowFail: true });
    if (r.code !== 0) throw new TinyError(`${this.flags.bin} import ${tarball} failed: ${r.stderr.trim().split('\n').slice(-3).join('\n')}`, 1);
    const id = await this.imageId(tag);
    if (!id) throw new TinyError(`${this.flags.bin} import ${tarball} did not produce ${tag}`, 1);
    return id;
  }

  buildArgv(spec: BuildSpec, iidfile: string): string[] {
    const f = this.flags;
    return [
      f.bin,
      ...f.build,
      ...fill(f.buildNetwork, { network: spec.network ?? 'host' }),
      ...fill(f.iidfile, { file: iidfile }),
      ...(spec.platform ? fill(f.platform, { platform: spec.platform }) : []),
      ...Object.entries(spec.buildArgs ?? {}).flatMap(([key, value]) => fill(f.buildArg, { key, value })),
      ...Object.entries(spec.labels ?? {}).flatMap(([key, value]) => fill(f.label, { key, value })),
      ...fill(f.tag, { tag: spec.tag }),
      ...fill(f.file, { file: spec.containerfile }),
      spec.context,
    ];
  }

  async buildImage(spec: BuildSpec): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-iid-'));
    const iidfile = join(dir, 'iid');
    try {
      const argv = this.buildArgv(spec, iidfile);
      const r = await this.exec.stream(argv[0]!, argv.slice(1), {
        ...(spec.onLine ? { onLine: spec.onLine } : {}),
        ...(spec.logFile ? { logFile: spec.logFile } : {}),
      });
      if (r.code !== 0) {
        const tail = r.output.trim().split('\n').slice(-15).join('\n');
        throw new TinyError(`${this.flags.bin} build of ${spec.tag} failed (exit ${r.code}):\n${tail}`, 1, [], spec.logFile ? `the whole log is in ${spec.logFile}` : undefined);
      }
      let id = '';
      try {
        id = (await readFile(iidfile, 'utf8')).trim();
      } catch {
        /* fall back to inspecting the tag */
      }
      if (!id) id = (await this.imageId(spec.tag)) ?? '';
      if (!id) throw new TinyError(`${this.flags.bin} build said it succeeded but ${spec.tag} is not there`, 1);
      return normalizeId(id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  fromRef(info: ImageInfo, tag: string): string {
    return this.flags.fromById ? info.id : tag;
  }

  runArgv(spec: RunSpec, extra: readonly string[] = []): string[] {
    checkRunSpec(spec, true);
    const f = this.flags;
    const user = this.uid === 0 ? f.userRoot : fill(f.userOther, { uid: this.uid, gid: this.gid });
    return [
      f.bin,
      ...f.run,
      ...extra,
      ...f.cleanEnv,
      ...fill(f.network, { network: spec.network }),
      ...user,
      ...fill(f.hostname, { hostname: spec.hostname ?? 'tiny' }),
      ...fill(f.workdir, { workdir: spec.workdir }),
      ...spec.mounts.flatMap((m) => fill(f.volume, { host: m.host, container: m.container, mode: m.readonly ? 'ro' : 'rw' })),
      ...Object.entries(withPath(spec.env)).flatMap(([key, value]) => fill(f.env, { key, value })),
      spec.image,
      ...spec.cmd,
    ];
  }

  async runInContainer(spec: RunSpec): Promise<RunOutcome> {
    const argv = this.runArgv(spec);
    await prepareMounts(spec.mounts);
    // The engine client itself gets tiny's environment (rootless podman needs XDG_RUNTIME_DIR...);
    // the container gets only spec.env, through the flags above.
    const r = await this.exec.stream(argv[0]!, argv.slice(1), {
      ...(spec.onLine ? { onLine: spec.onLine } : {}),
      ...(spec.logFile ? { logFile: spec.logFile } : {}),
      ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
      ...(spec.keepBytes !== undefined ? { keepBytes: spec.keepBytes } : {}),
    });
    return { code: r.code, output: r.output, truncated: r.truncated, argv, durationMs: r.durationMs, timedOut: r.timedOut, hermetic: true };
  }

  resolvePath(containerPath: string): string {
    return containerPath;
  }

  openSession(spec: SessionSpec): ContainerSession {
    return new EngineSession(this, this.exec, spec);
  }
}

/** Containers of open sessions, removed when the process exits however it exits (but SIGKILL). */
const liveSessions = new Map<string, readonly string[]>();
let exitHook = false;
function removeAtExit(name: string, argv: readonly string[] | undefined): void {
  if (argv) liveSessions.set(name, argv);
  else liveSessions.delete(name);
  if (!exitHook && argv) {
    exitHook = true;
    process.on('exit', () => {
      for (const a of liveSessions.values()) runAtExit(a[0]!, a.slice(1), 15_000);
    });
  }
}

/** Where a session's control directory is mounted: the server's working directory. */
export const SESSION_DIR = '/tiny/.session';

/**
 * The session's container runs this small server as its command, attached to tiny (stdin and
 * stdout are pipes): tiny writes a request id per line; the server runs ./<id>.sh (which cds
 * to the workdir and execs the command) with its output in ./<id>.out, then answers
 * `done <id> <exit code>`. A command costs a fork, not an engine start (~0.2-0.5 s each on a
 * loaded machine). When tiny goes away, stdin ends, the loop ends and the container with it
 * (--rm), after the command that is running.
 */
export const SESSION_SERVER = 'echo ready; while read -r id; do sh "./$id.sh" </dev/null >"./$id.out" 2>&1; echo "done $id $?"; done';

/** A word quoted for sh. */
function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

class EngineSession implements ContainerSession {
  readonly starts = { count: 0, ms: 0 };
  private started?: Promise<Child>;
  private seq = 0;
  /** The server's answers by request id, and what to do when it goes away. */
  private readonly waiting = new Map<string, (rc: number | undefined) => void>();
  /** One command at a time (a lane holds one toggle at a time; this keeps it so). */
  private lock: Promise<unknown> = Promise.resolve();
  /** The mounts' directories (device, inode, birth) when the container started: a replaced one needs a new container. */
  private identity = '';

  constructor(
    private readonly rt: EngineRuntime,
    private readonly exec: Exec,
    private readonly spec: SessionSpec,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  private removeArgv(): string[] {
    return [this.rt.flags.bin, ...this.rt.flags.remove, this.spec.name];
  }

  private async mountIdentity(): Promise<string> {
    const ids = await Promise.all(
      this.spec.mounts.map(async (m) => {
        // An inode number is reused at once by a directory made anew: its birth time is not.
        const st = await stat(m.host, { bigint: true }).catch(() => undefined);
        return st ? `${st.dev}:${st.ino}:${st.birthtimeNs}:${st.isDirectory() ? 'd' : 'f'}` : 'absent';
      }),
    );
    return ids.join(',');
  }

  private start(): Promise<Child> {
    this.started ??= (async () => {
      const t0 = Date.now();
      // A container of this name is a leftover of a killed run (the name is the lane's).
      await this.exec.run(this.rt.flags.bin, [...this.rt.flags.remove, this.spec.name], { allowFail: true });
      await prepareMounts(this.spec.mounts);
      this.identity = await this.mountIdentity();
      // Emptied of what a killed run left in it.
      await rm(this.spec.controlDir, { recursive: true, force: true });
      await mkdir(this.spec.controlDir, { recursive: true });
      const f = this.rt.flags;
      const mounts = [...this.spec.mounts, { host: this.spec.controlDir, container: SESSION_DIR, readonly: false }];
      const argv = this.rt.runArgv({ ...this.spec, mounts, workdir: SESSION_DIR, cmd: ['sh', '-c', SESSION_SERVER] }, [...f.interactive, ...fill(f.name, { name: this.spec.name })]);
      let stderr = '';
      let buf = '';
      let onReady: (() => void) | undefined;
      const child = start(argv[0]!, argv.slice(1), {
        stdin: 'pipe',
        onStderr: (b) => (stderr = (stderr + b.toString('utf8')).slice(-4000)),
        onStdout: (b) => {
          buf += b.toString('utf8');
          let nl: number = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === 'ready') onReady?.();
            const m = /^done (\S+) (\d+)$/.exec(line);
            if (m) {
              this.waiting.get(m[1]!)?.(Number(m[2]));
              this.waiting.delete(m[1]!);
            }
            nl = buf.indexOf('\n');
          }
        },
      });
      const ready = new Promise<void>((resolve, reject) => {
        onReady = resolve;
        const gone = (why: string) => {
          reject(new TinyError(`${f.bin} could not start the container ${this.spec.name}: ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join('\n')}` : ''}`, 1, [], f.fix));
          for (const w of this.waiting.values()) w(undefined);
          this.waiting.clear();
          if (this.started && this.child === child) this.started = undefined;
        };
        // A dead server: its stdin's write errors are swallowed by the process layer; its exit tells.
        child.exit.then(
          (e) => gone(`it exited with ${e.code}`),
          (e: Error) => gone(e.message),
        );
      });
      this.child = child;
      await ready;
      removeAtExit(this.spec.name, this.removeArgv());
      this.starts.count++;
      this.starts.ms += Date.now() - t0;
      return child;
    })();
    this.started.catch(() => {
      this.started = undefined;
    });
    return this.started;
  }

  private child?: Child;

  async open(): Promise<void> {
    await this.start();
  }

  private sameShape(spec: RunSpec): boolean {
    const shape = (x: Pick<RunSpec, 'image' | 'mounts' | 'env' | 'network' | 'hostname'>) => JSON.stringify([x.image, x.mounts, withPath(x.env), x.network, x.hostname ?? 'tiny']);
    return shape(spec) === shape(this.spec);
  }

  run(spec: RunSpec): Promise<RunOutcome> {
    if (!this.sameShape(spec)) return this.rt.runInContainer(spec);
    checkRunSpec(spec, true);
    const next = this.lock.then(() => this.runOne(spec));
    this.lock = next.catch(() => undefined);
    return next;
  }

  private async runOne(spec: RunSpec): Promise<RunOutcome> {
    const t0 = Date.now();
    // A start under way (a lane's container started ahead of its first command) has not read
    // the mounts' identity yet: compare once it is up.
    const up = this.started
      ? await this.started.then(
          () => true,
          () => false,
        )
      : false;
    if (up && (await this.mountIdentity()) !== this.identity) await this.close();
    const child = await this.start();
    const ctl = this.spec.controlDir;
    const id = `c${++this.seq}`;
    const out = join(ctl, `${id}.out`);
    await writeFile(join(ctl, `${id}.sh`), `cd ${shQuote(spec.workdir)} || exit 125\nexec ${spec.cmd.map(shQuote).join(' ')}\n`);
    await writeFile(out, '');
    const keep = spec.keepBytes ?? 1 << 20;
    let log: WriteStream | undefined;
    if (spec.logFile) {
      await mkdir(dirname(spec.logFile), { recursive: true });
      log = createWriteStream(spec.logFile, { flags: 'a' });
    }
    // The output, as it comes: into the log (tail -f works as with a container of its own) and onLine.
    let offset = 0;
    let partial = '';
    let tail = Buffer.alloc(0);
    let truncated = false;
    const drain = async () => {
      const fh = await open(out, 'r').catch(() => undefined);
      if (!fh) return;
      try {
        for (;;) {
          const buf = Buffer.alloc(1 << 16);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (!bytesRead) break;
          offset += bytesRead;
          const b = buf.subarray(0, bytesRead);
          log?.write(b);
          tail = Buffer.concat([tail, b]);
          if (tail.length > keep) {
            tail = tail.subarray(tail.length - keep);
            truncated = true;
          }
          if (spec.onLine) {
            const lines = (partial + b.toString('utf8')).split('\n');
            partial = lines.pop() ?? '';
            for (const l of lines) spec.onLine(l.replace(/\r$/, ''), 'stdout');
          }
        }
      } finally {
        await fh.close();
      }
    };
    // One drain at a time: two reading from the same offset would write the output twice.
    let inflight: Promise<void> = Promise.resolve();
    const drainInOrder = () => (inflight = inflight.then(drain));
    let timedOut = false;
    const rc = await new Promise<number | undefined>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const poll = setInterval(() => void drainInOrder(), 250);
      const finish = (v: number | undefined) => {
        clearInterval(poll);
        if (timer) clearTimeout(timer);
        resolve(v);
      };
      if (spec.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          finish(undefined);
        }, spec.timeoutMs);
      }
      this.waiting.set(id, finish);
      child.stdin?.write(`${id}\n`);
    });
    this.waiting.delete(id);
    await drainInOrder();
    if (spec.onLine && partial) spec.onLine(partial, 'stdout');
    if (log) await new Promise<void>((r) => log!.end(() => r()));
    // A timed-out command, or a server gone: stop the container, so nothing of it runs on.
    if (rc === undefined) await this.close();
    await rm(join(ctl, `${id}.sh`), { force: true });
    await rm(out, { force: true });
    const code = rc ?? (timedOut ? 124 : 125);
    const argv = [this.rt.flags.bin, 'session', this.spec.name, ...spec.cmd];
    return {
      code,
      output: tail.toString('utf8') + (rc === undefined && !timedOut ? `\n${this.rt.flags.bin}: the container ${this.spec.name} went away\n` : ''),
      truncated,
      argv,
      durationMs: Date.now() - t0,
      timedOut,
      hermetic: true,
    };
  }

  async close(): Promise<void> {
    if (!this.started) return;
    const started = this.started;
    this.started = undefined;
    const child = await started.catch(() => undefined);
    // The closed container's exit must not clear a start begun after this close (start's `gone`
    // compares the child).
    if (this.child === child) this.child = undefined;
    await this.exec.run(this.rt.flags.bin, [...this.rt.flags.remove, this.spec.name], { allowFail: true });
    child?.stdin?.end();
    removeAtExit(this.spec.name, undefined);
    await rm(this.spec.controlDir, { recursive: true, force: true });
  }
}

/** Map a container path to the host path of the mount holding it (longest mount first). */
export function mapToHost(path: string, mounts: readonly Mount[]): string {
  const sorted = [...mounts].sort((a, b) => b.container.length - a.container.length);
  for (const m of sorted) {
    const c = m.container.replace(/\/+$/, '');
    if (path === c) return m.host;
    if (path.startsWith(c + '/')) return m.host.replace(/\/+$/, '') + path.slice(c.length);
  }
  return path;
}

/** Replace every container path inside `text` (arguments like O=/tiny/build, -C /tiny/src/x). */
export function mapTextToHost(text: string, mounts: readonly Mount[]): string {
  const sorted = [...mounts].sort((a, b) => b.container.length - a.container.length);
  if (sorted.length === 0) return text;
  const alternatives = sorted.map((m) => m.container.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(^|[^A-Za-z0-9_./-])(${alternatives.join('|')})(?=/|$|[^A-Za-z0-9_.-])`, 'g');
  return text.replace(re, (_, pre: string, c: string) => pre + mapToHost(c, mounts));
}

/** No container: the command runs on the host. Not hermetic (host compiler, network, no read-only tree). */
export class HostRuntime implements Runtime {
  readonly name = 'host' as const;
  readonly hermetic = false;
  readonly supportsImages = false;
  private readonly exec: Exec;

  constructor(opts: RuntimeOptions = {}) {
    this.exec = opts.exec ?? realExec;
  }

  imageInfo(): Promise<ImageInfo | undefined> {
    return Promise.resolve(undefined);
  }
  imageId(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  imageExists(): Promise<boolean> {
    return Promise.resolve(false);
  }
  pullImage(): Promise<PullResult> {
    return Promise.resolve({ ok: false, message: 'the host runtime has no images' });
  }
  importImage(): Promise<string> {
    return Promise.reject(noImages());
  }
  buildImage(): Promise<string> {
    return Promise.reject(noImages());
  }
  fromRef(info: ImageInfo): string {
    return info.id;
  }

  runArgv(spec: RunSpec): string[] {
    checkRunSpec(spec, false);
    return spec.cmd.map((a) => mapTextToHost(a, spec.mounts));
  }

  /** The environment the host command gets: spec.env (+ PATH), container paths mapped. */
  hostEnv(spec: RunSpec): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(withPath(spec.env))) out[k] = mapTextToHost(v, spec.mounts);
    return out;
  }

  async runInContainer(spec: RunSpec): Promise<RunOutcome> {
    const argv = this.runArgv(spec);
    await prepareMounts(spec.mounts);
    const cwd = mapToHost(spec.workdir, spec.mounts);
    await mkdir(cwd, { recursive: true });
    const r = await this.exec.stream(argv[0]!, argv.slice(1), {
      cwd,
      env: this.hostEnv(spec),
      ...(spec.onLine ? { onLine: spec.onLine } : {}),
      ...(spec.logFile ? { logFile: spec.logFile } : {}),
      ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
      ...(spec.keepBytes !== undefined ? { keepBytes: spec.keepBytes } : {}),
    });
    return { code: r.code, output: r.output, truncated: r.truncated, argv, durationMs: r.durationMs, timedOut: r.timedOut, hermetic: false };
  }

  resolvePath(containerPath: string, mounts: readonly Mount[]): string {
    return mapToHost(containerPath, mounts);
  }
}

function noImages(): TinyError {
  return new TinyError('the host runtime has no images', 2, [], `use --runtime podman (set it up with: ${SETUP_CONTAINERS})`);
}

// ---------------------------------------------------------------------------------------------
// Detection

export interface RuntimeProbe {
  name: RuntimeName;
  usable: boolean;
  /** What was found, e.g. "podman (OCI runtime runc)" or "docker: client only, no engine". */
  detail: string;
  /** The command that makes it usable. */
  fix?: string;
}

export async function probeRuntime(name: RuntimeName, exec: Exec = realExec): Promise<RuntimeProbe> {
  if (name === 'host') return { name, usable: true, detail: 'host (no container: not hermetic)' };
  const f = ENGINES[name];
  let r;
  try {
    r = await exec.run(f.bin, f.probe, { allowFail: true });
  } catch {
    return { name, usable: false, detail: `${f.bin} is not installed`, fix: name === 'podman' ? f.fix : `sudo apt-get install docker.io (or use podman: ${SETUP_CONTAINERS})` };
  }
  const out = r.stdout.trim();
  if (r.code === 0 && out !== '') {
    return { name, usable: true, detail: name === 'podman' ? `podman (OCI runtime ${out})` : `docker (engine ${out})` };
  }
  const why = (r.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.code}`).slice(0, 200);
  const detail = name === 'docker' ? `docker: client only, no engine (${why})` : `podman does not work (${why})`;
  return { name, usable: false, detail, fix: f.fix };
}

export function createRuntime(name: RuntimeName, opts: RuntimeOptions = {}): Runtime {
  return name === 'host' ? new HostRuntime(opts) : new EngineRuntime(name, opts);
}

export function parseRuntimeName(value: string | undefined, where = '--runtime'): RuntimeName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((RUNTIME_NAMES as readonly string[]).includes(value)) return value as RuntimeName;
  throw new TinyError(`${where}: unknown runtime '${value}'`, 2, [], `use one of: ${RUNTIME_NAMES.join(', ')}`);
}

export interface DetectOptions extends RuntimeOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * The runtime to use: `preferred` (or $TINY_RUNTIME) when given, and it must work; otherwise
 * podman if it works, docker if its engine answers (`docker info`: a client alone is not
 * enough), else host (not hermetic).
 */
export async function detectRuntime(preferred?: RuntimeName, opts: DetectOptions = {}): Promise<Runtime> {
  const exec = opts.exec ?? realExec;
  const want = preferred ?? parseRuntimeName((opts.env ?? process.env).TINY_RUNTIME, 'TINY_RUNTIME');
  if (want) {
    const p = await probeRuntime(want, exec);
    if (!p.usable) throw new TinyError(`runtime ${want} is not usable: ${p.detail}`, 1, [], p.fix);
    return createRuntime(want, { ...opts, exec });
  }
  for (const name of ['podman', 'docker'] as const) {
    const p = await probeRuntime(name, exec);
    if (p.usable) return createRuntime(name, { ...opts, exec });
  }
  return createRuntime('host', { ...opts, exec });
}
