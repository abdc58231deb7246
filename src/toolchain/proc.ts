// How the container runtimes start processes: the small `Exec` interface over the process
// layer's `run` (short commands, buffered) and `stream` (long jobs: output line by line, a log
// file, only the tail kept), real by default and faked in tests.

import { run, stream, type RunOptions, type RunResult, type StreamOptions, type StreamResult } from '../util/exec.js';

export { stream, type StreamName, type StreamOptions, type StreamResult } from '../util/exec.js';

export interface Exec {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  stream(cmd: string, args: readonly string[], opts?: StreamOptions): Promise<StreamResult>;
}

export const realExec: Exec = { run, stream };
