// Streaming processes for long jobs (image builds, kernel builds in a container): output goes
// line by line to a callback and to a log file as it comes, and only its tail is kept in
// memory. util/exec.ts `run` buffers everything, which is right for short commands only.
// The runtimes take both through the small `Exec` interface so tests can fake them.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { run, type RunOptions, type RunResult } from '../util/exec.js';

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

export function stream(cmd: string, args: readonly string[], opts: StreamOptions = {}): Promise<StreamResult> {
  const keep = opts.keepBytes ?? DEFAULT_KEEP;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let log: WriteStream | undefined;
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      log = createWriteStream(opts.logFile, { flags: 'a' });
    }
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    const partial: Record<StreamName, string> = { stdout: '', stderr: '' };
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
        const text = partial[name] + b.toString('utf8');
        const lines = text.split('\n');
        partial[name] = lines.pop() ?? '';
        for (const line of lines) opts.onLine(line.replace(/\r$/, ''), name);
      }
    };
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }, opts.timeoutMs);
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      log?.end();
      if (e.code === 'ENOENT') reject(new Error(`${cmd}: command not found (is it installed and on PATH?)`));
      else reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (opts.onLine) {
        for (const name of ['stdout', 'stderr'] as const) if (partial[name] !== '') opts.onLine(partial[name], name);
      }
      const all = Buffer.concat(chunks);
      const tail = all.length > keep ? all.subarray(all.length - keep) : all;
      const result: StreamResult = {
        code: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 128),
        output: tail.toString('utf8'),
        truncated: truncated || all.length > keep,
        durationMs: Date.now() - started,
        timedOut,
      };
      if (log) log.end(() => resolve(result));
      else resolve(result);
    });
  });
}

/** How runtimes start processes: real by default, faked in tests. */
export interface Exec {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  stream(cmd: string, args: readonly string[], opts?: StreamOptions): Promise<StreamResult>;
}

export const realExec: Exec = { run, stream };
