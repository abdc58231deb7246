// Running external programs (git, tar, make, podman, qemu...): the one place processes are
// spawned. Three shapes, from the simplest:
//  - `run`: a short command, everything buffered (stdout as text, a byte string or a Buffer);
//  - `stream`: a long job (image builds, kernel builds, git bisect run): output line by line to
//    a callback and to a log file as it comes, only its tail kept in memory, a timeout;
//  - `start`: a handle on a running process, for what the other two cannot express: streaming
//    stdin (git fast-import), stdout as a byte stream to pipe on (a decompressor), output
//    chunks as they come with their timing (qemu's console), a child writing straight to one
//    of our file descriptors (a nested `tiny build`), a timeout, and killing a process group.
// Bytes stay bytes: stdout reaches the caller as Buffers unless it asks for text.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** The program could not be started because it is not on PATH (spawn's ENOENT). */
export class CommandNotFound extends Error {
  constructor(readonly cmd: string) {
    super(`${cmd}: command not found (is it installed and on PATH?)`);
    this.name = 'CommandNotFound';
  }
}

const spawnError = (cmd: string, e: NodeJS.ErrnoException): Error => (e.code === 'ENOENT' ? new CommandNotFound(cmd) : e);

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Data written to the child's stdin. */
  input?: string | Buffer;
  /** Resolve even when the exit code is not 0 (the caller inspects `code`). */
  allowFail?: boolean;
  /** Keep stdout as a Buffer (for binary output). */
  binary?: boolean;
  /**
   * stdout as a byte string (src/util/bytes.ts: one character per byte), for output that is
   * content (diffs, file blobs): decoding it as UTF-8 would replace non-UTF-8 bytes.
   */
  byteString?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBuffer?: Buffer;
}

export class ExecError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${cmd} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`);
    this.name = 'ExecError';
  }
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => reject(spawnError(cmd, e)));
    child.on('close', (code) => {
      const stdoutBuffer = Buffer.concat(out);
      const result: RunResult = {
        code: code ?? 128,
        stdout: opts.binary ? '' : stdoutBuffer.toString(opts.byteString ? 'latin1' : 'utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(opts.binary ? { stdoutBuffer } : {}),
      };
      if (result.code !== 0 && !opts.allowFail) reject(new ExecError(cmd, args, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {
      /* the child may exit before reading all input; its exit code tells the story */
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** True when `cmd` can be found on PATH. */
/**
 * Run a command to its end synchronously, ignoring its output and status: only for
 * process-exit hooks (removing a container when tiny exits), where nothing asynchronous runs.
 */
export function runAtExit(cmd: string, args: readonly string[], timeoutMs: number): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: timeoutMs });
}

export async function haveCommand(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${JSON.stringify(cmd)}`], { allowFail: true });
  return r.code === 0;
}

/** Where a child's stdout or stderr goes: a pipe to us, nowhere, our own, or one of our fds. */
export type Output = 'pipe' | 'ignore' | 'inherit' | number;

export interface StartOptions {
  cwd?: string;
  /** The child's whole environment (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** 'pipe': the handle's `stdin` takes the input as a stream (default: no input). */
  stdin?: 'pipe' | 'ignore';
  /** Default 'pipe': read it through `onStdout`, or pipe the handle's `stdout` stream on. */
  stdout?: Output;
  /** Default 'pipe'. */
  stderr?: Output;
  /** Each chunk of stdout, as bytes, when it arrives. */
  onStdout?: (chunk: Buffer) => void;
  /** Each chunk of stderr, as bytes, when it arrives. */
  onStderr?: (chunk: Buffer) => void;
  /** Kill the process after this long (`timedOut` is then true in the exit). */
  timeoutMs?: number;
  /** The signal of a timeout: SIGTERM (default), then SIGKILL after `graceMs`; or SIGKILL at once. */
  killSignal?: 'SIGTERM' | 'SIGKILL';
  /** Default 5000. */
  graceMs?: number;
  /**
   * Run the child in a process group of its own and signal the whole group (a shell's or a
   * make's children too: a grandchild left alive would hold the output pipe open). Such a group
   * does not see the terminal's Ctrl-C; it is killed when tiny exits.
   */
  group?: boolean;
}

export interface ChildExit {
  /** The exit code, null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when `timeoutMs` elapsed and the process was killed. */
  timedOut: boolean;
  durationMs: number;
}

/** A running process. */
export interface Child {
  readonly pid: number | undefined;
  /** With `stdin: 'pipe'`. A child that exits early does not make writes throw: its exit tells. */
  readonly stdin: Writable | null;
  /** With `stdout: 'pipe'` and no `onStdout`: the bytes, to pipe on. */
  readonly stdout: Readable | null;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Signal the process (its group with `group`); nothing when it has already exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited and its pipes are closed; rejects when it cannot start. */
  readonly exit: Promise<ChildExit>;
}

/** Process groups started with `group` and still running: killed when tiny exits. */
const liveGroups = new Set<number>();
let exitHook = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone already */
  }
}

export function start(cmd: string, args: readonly string[], opts: StartOptions = {}): Child {
  const started = Date.now();
  const child: ChildProcess = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe'],
    detached: opts.group === true,
  });
  let running = true;
  const pid = child.pid;
  if (opts.group && pid !== undefined) {
    liveGroups.add(pid);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const g of liveGroups) signalGroup(g, 'SIGKILL');
      });
    }
  }
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!running) return;
    if (opts.group && pid !== undefined) signalGroup(pid, signal);
    else child.kill(signal);
  };
  child.stdin?.on('error', () => {
    /* the child may exit before reading all input; its exit status tells the story */
  });
  if (opts.onStdout) child.stdout?.on('data', opts.onStdout);
  if (opts.onStderr) child.stderr?.on('data', opts.onStderr);
  // A pipe nobody reads would stall the child once it fills: drain what the caller left alone.
  if (!opts.onStderr) child.stderr?.resume();

  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      const signal = opts.killSignal ?? 'SIGTERM';
      kill(signal);
      if (signal !== 'SIGKILL') setTimeout(() => kill('SIGKILL'), opts.graceMs ?? 5000).unref();
    }, opts.timeoutMs);
  }
  const exit = new Promise<ChildExit>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      running = false;
      if (timer) clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      reject(spawnError(cmd, e));
    });
    child.on('close', (code, signal) => {
      running = false;
      if (timer) clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      resolve({ code, signal, timedOut, durationMs: Date.now() - started });
    });
  });
  return {
    pid,
    stdin: child.stdin,
    stdout: opts.onStdout ? null : child.stdout,
    get running() {
      return running;
    },
    kill,
    exit,
  };
}

export type StreamName = 'stdout' | 'stderr';

export interface StreamOptions {
  cwd?: string;
  /** The child's whole environment (nothing is inherited unless passed). */
  env?: NodeJS.ProcessEnv;
  /** Called for each complete line (without its newline) of stdout and stderr. */
  onLine?: (line: string, stream: StreamName) => void;
  /** Append all output (stdout and stderr interleaved) to this file. */
  logFile?: string;
  /** How much of the output's end to keep in `output` (default 1 MiB). */
  keepBytes?: number;
  /** Kill the process (SIGTERM, then SIGKILL) after this long. */
  timeoutMs?: number;
  /** Kill the process's whole group on a timeout (see StartOptions.group). */
  group?: boolean;
}

export interface StreamResult {
  code: number;
  /** The interleaved output's last `keepBytes` bytes. */
  output: string;
  /** True when the start of the output was dropped to respect keepBytes. */
  truncated: boolean;
  durationMs: number;
  timedOut: boolean;
}

const DEFAULT_KEEP = 1 << 20;

export async function stream(cmd: string, args: readonly string[], opts: StreamOptions = {}): Promise<StreamResult> {
  const keep = opts.keepBytes ?? DEFAULT_KEEP;
  let log: WriteStream | undefined;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    log = createWriteStream(opts.logFile, { flags: 'a' });
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  // One decoder per stream: a UTF-8 character split across two chunks is decoded whole.
  const decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const onData = (name: StreamName) => (b: Buffer) => {
    log?.write(b);
    chunks.push(b);
    size += b.length;
    if (size > keep * 2) {
      const all = Buffer.concat(chunks);
      chunks = [all.subarray(all.length - keep)];
      size = keep;
      truncated = true;
    }
    if (opts.onLine) {
      const lines = (partial[name] + decoders[name].write(b)).split('\n');
      partial[name] = lines.pop() ?? '';
      for (const line of lines) opts.onLine(line.replace(/\r$/, ''), name);
    }
  };
  const child = start(cmd, args, {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    onStdout: onData('stdout'),
    onStderr: onData('stderr'),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.group ? { group: true } : {}),
  });
  let exit: ChildExit;
  try {
    exit = await child.exit;
  } catch (e) {
    log?.end();
    throw e;
  }
  if (opts.onLine) {
    for (const name of ['stdout', 'stderr'] as const) {
      const rest = partial[name] + decoders[name].end();
      if (rest !== '') opts.onLine(rest, name);
    }
  }
  const all = Buffer.concat(chunks);
  const tail = all.length > keep ? all.subarray(all.length - keep) : all;
  const result: StreamResult = {
    code: exit.code ?? (exit.signal ? 128 + (exit.signal === 'SIGKILL' ? 9 : 15) : 128),
    output: tail.toString('utf8'),
    truncated: truncated || all.length > keep,
    durationMs: exit.durationMs,
    timedOut: exit.timedOut,
  };
  if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
  return result;
}

/**
 * Settles when `child` exits 0; rejects naming `what`, its exit status and the last lines of its
 * stderr (`stderr()`, read then), or that the command is not installed.
 */
export function exitedCleanly(child: Child, what: string, stderr: () => string): Promise<void> {
  return child.exit.then(
    ({ code, signal }) => {
      if (code !== 0) throw new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr().trim().split('\n').slice(-5).join('\n')}`);
    },
    (e: Error) => {
      throw e instanceof CommandNotFound ? new Error(`${what}: command not found (is it installed?)`) : e;
    },
  );
}
