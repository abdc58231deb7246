// Running external programs (git, tar, make, podman...): the one place processes are spawned.

import { spawn } from 'node:child_process';

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
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new Error(`${cmd}: command not found (is it installed and on PATH?)`));
      else reject(e);
    });
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
export async function haveCommand(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${JSON.stringify(cmd)}`], { allowFail: true });
  return r.code === 0;
}
