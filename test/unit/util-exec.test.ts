// The process layer (src/util/exec.ts): what the callers that used to spawn by hand rely on.
// Real processes (sh, cat, sleep), no fakes: the layer is the edge.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandNotFound, run, start, stream } from '../../src/util/exec.js';

/** Running (a zombie waiting for a reaper that may never come in a container counts as dead). */
/** A program that is on no PATH (a variable: test/prerequisites.yaml lists programs named literally). */
const MISSING = 'tiny-no-such-program';

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('run', () => {
  it('says which command is missing', async () => {
    const e = await run(MISSING, []).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandNotFound);
    expect((e as Error).message).toBe('tiny-no-such-program: command not found (is it installed and on PATH?)');
  });

  it('keeps stdout bytes exact as a Buffer or a byte string', async () => {
    const bytes = Buffer.from([0x41, 0xe9, 0xff, 0x00, 0x0a]);
    expect((await run('cat', [], { input: bytes, binary: true })).stdoutBuffer).toEqual(bytes);
    expect(Buffer.from((await run('cat', [], { input: bytes, byteString: true })).stdout, 'latin1')).toEqual(bytes);
  });
});

describe('start', () => {
  it('streams stdin in and binary stdout out, bytes unchanged', async () => {
    const child = start('cat', [], { stdin: 'pipe' });
    const got: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => got.push(b));
    const sent = Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 256));
    child.stdin!.write(sent.subarray(0, 1000));
    child.stdin!.end(sent.subarray(1000));
    const exit = await child.exit;
    expect(exit).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(Buffer.concat(got).equals(sent)).toBe(true);
  });

  it('gives each chunk of stdout and stderr to its callback as bytes', async () => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const exit = await start('sh', ['-c', "printf 'a\\377' ; printf 'oops' >&2; exit 3"], { onStdout: (b) => out.push(b), onStderr: (b) => err.push(b) }).exit;
    expect(exit.code).toBe(3);
    expect(Buffer.concat(out)).toEqual(Buffer.from([0x61, 0xff]));
    expect(Buffer.concat(err).toString()).toBe('oops');
  });

  it('rejects its exit with CommandNotFound when the program is not on PATH', async () => {
    await expect(start(MISSING, []).exit).rejects.toBeInstanceOf(CommandNotFound);
  });

  it('a writer to a child that exits early is told by the exit status, not by an exception', async () => {
    const child = start('sh', ['-c', 'exit 7'], { stdin: 'pipe' });
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 100; i++) child.stdin!.write(Buffer.alloc(65536));
    child.stdin!.end();
    expect((await child.exit).code).toBe(7);
  });

  it('kills the process at the timeout and says so', async () => {
    const exit = await start('sleep', ['30'], { timeoutMs: 200, killSignal: 'SIGKILL' }).exit;
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true });
  });

  it('with group, a timeout kills the children the process started too', async () => {
    let pid = '';
    const exit = await start('sh', ['-c', 'sleep 30 & echo $!; wait'], { group: true, timeoutMs: 500, graceMs: 200, onStdout: (b) => (pid += b.toString()) }).exit;
    expect(exit.timedOut).toBe(true);
    expect(Number(pid.trim())).toBeGreaterThan(0);
    expect(alive(Number(pid.trim()))).toBe(false);
  });

  it('without group, a grandchild outlives the kill (which is why group exists)', async () => {
    let pid = '';
    const child = start('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdout: 'pipe', onStdout: (b) => (pid += b.toString()) });
    while (!pid.includes('\n')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(alive(Number(pid.trim()))).toBe(true);
    process.kill(Number(pid.trim()), 'SIGKILL');
    await child.exit;
  });

  it('writes a child straight to one of our file descriptors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-exec-'));
    try {
      const file = join(dir, 'out');
      const { openSync, closeSync } = await import('node:fs');
      const fd = openSync(file, 'w');
      const exit = await start('sh', ['-c', 'echo to-fd; echo err-to-fd >&2'], { stdout: fd, stderr: fd }).exit;
      closeSync(fd);
      expect(exit.code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe('to-fd\nerr-to-fd\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stream', () => {
  it('gives whole lines, a UTF-8 character split across two writes decoded once', async () => {
    const lines: string[] = [];
    // é is c3 a9: the two bytes arrive in two chunks.
    const r = await stream('sh', ['-c', "printf 'caf\\303'; sleep 0.2; printf '\\251\\r\\nnext'"], { onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(r.code).toBe(0);
    expect(lines).toEqual(['stdout:café', 'stdout:next']);
  });

  it('keeps only the tail of the output and says it did', async () => {
    const r = await stream('sh', ['-c', 'i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done'], { keepBytes: 100 });
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBe(100);
    expect(r.output.endsWith('line1999\n')).toBe(true);
  });

  it('appends the output to the log file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-exec-'));
    try {
      const log = join(dir, 'logs', 'x.log');
      await stream('sh', ['-c', 'echo one; echo two >&2'], { logFile: log });
      await stream('echo', ['three'], { logFile: log });
      expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'one', 'three', 'two']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('times out with SIGTERM and reports 143', async () => {
    const r = await stream('sleep', ['30'], { timeoutMs: 200 });
    expect(r).toMatchObject({ code: 143, timedOut: true });
  });
});
