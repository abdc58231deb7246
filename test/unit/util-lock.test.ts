// The lock file's contract: it appears with its owner in it, and one without a live owner is
// taken over at once, saying why; a live owner is waited for.

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, parseLockOwner, processStart, staleReason } from '../../src/util/lock.js';
import { humanBytes, isNoSpace, pathInMessage } from '../../src/util/nospace.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-lock-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('lock owners', () => {
  it('reads "<pid>" and "<pid> <start>", nothing else', () => {
    expect(parseLockOwner('123\n')).toEqual({ pid: 123 });
    expect(parseLockOwner('123 456\n')).toEqual({ pid: 123, start: '456' });
    expect(parseLockOwner('')).toBeUndefined();
    expect(parseLockOwner('0\n')).toBeUndefined();
    expect(parseLockOwner('pid 12\n')).toBeUndefined();
  });

  it('says why a lock has no live owner, and nothing for a live one', () => {
    expect(staleReason('')).toMatch(/^it was empty/);
    expect(staleReason('x\n')).toBe('it holds no pid ("x\\n")');
    expect(staleReason('999999999\n')).toBe('its owner, process 999999999, is gone (killed?)');
    expect(staleReason(`${process.pid} ${processStart(process.pid)}\n`)).toBeUndefined();
    expect(staleReason(`${process.pid}\n`)).toBeUndefined();
    expect(staleReason(`${process.pid} 1\n`)).toMatch(/the pid now belongs to another process/);
  });
});

describe('acquireLock', () => {
  it('writes its owner in one step and leaves no temp file', async () => {
    const path = join(dir, 'a.lock');
    const release = await acquireLock(path);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid} ${processStart(process.pid)}\n`);
    expect(await readdir(dir)).toEqual(['a.lock']);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over an empty lock at once, saying so', async () => {
    const path = join(dir, 'b.lock');
    await writeFile(path, '');
    const said: string[] = [];
    const t0 = Date.now();
    const release = await acquireLock(path, { timeoutMs: 60_000, onTakeOver: (p, why) => said.push(`${p}: ${why}`) });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(said).toEqual([`${path}: it was empty (a run stopped while taking it, e.g. on a full disk)`]);
    await release();
  });

  it('waits for a live owner, and gives up after the timeout naming it', async () => {
    const path = join(dir, 'c.lock');
    await writeFile(path, `${process.ppid}\n`);
    const waited: number[] = [];
    await expect(acquireLock(path, { timeoutMs: 100, onWait: (pid) => waited.push(pid) })).rejects.toThrow(`timed out waiting for lock ${path} (held by pid ${process.ppid})`);
    expect(waited).toEqual([process.ppid]);
    expect(await readFile(path, 'utf8')).toBe(`${process.ppid}\n`);
    await rm(path);
  });
});

describe('a full disk', () => {
  it("is recognised in errors and in tools' messages, and the path they name is found", () => {
    expect(isNoSpace(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isNoSpace({ message: 'git failed', result: { stderr: "fatal: could not write to '/c/x/.git': No space left on device" } })).toBe(true);
    expect(isNoSpace(new Error('patch does not apply'))).toBe(false);
    expect(pathInMessage("fatal: could not write to '/c/x/.git': No space left on device")).toBe('/c/x/.git');
    expect(pathInMessage('/tmp/ccA.s: No space left on device')).toBe('/tmp/ccA.s');
    expect([humanBytes(1536), humanBytes(3 * 1024 * 1024)]).toEqual(['2 KB', '3.0 MB']);
  });
});
