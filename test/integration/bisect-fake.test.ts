// tiny bisect on the fake kernel with the host runtime: a 20-commit git history (one commit adds
// an 8 KiB table, commits 9-11 do not build) and a six-patch queue (patch 4 adds a table).
// Runs the real CLI (bin/tiny.js over dist/: `npm test` compiles first), so git bisect run
// calls `tiny bisect step` exactly as it does for users.

import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bisectDir, readLatest, readState, statePath } from '../../src/bisect/state.js';
import { acquireLock } from '../../src/util/lock.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';
import { TINY_BIN, tiny } from '../helpers/cli.js';
import { makeHistory, git, REGRESSION_SUBJECT } from '../fixtures/bisect/history.mjs';

const FIX = resolve(import.meta.dirname, '../fixtures/bisect');

describe('tiny bisect on a fake kernel history (host runtime)', () => {
  let dir: string;
  let repo: string;
  let h: { commits: string[]; regression: string };
  beforeAll(async () => {
    dir = await tempDir('tiny-bisect-');
    repo = join(dir, 'repo');
    h = await makeHistory(repo, { count: 20, regressionAt: 16, brokenFrom: 9, brokenTo: 11 });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = (extra: string[] = []) => [
    'bisect',
    '--config',
    'fake-bisect',
    '--repo',
    repo,
    '--good',
    'HEAD~20',
    '--bad',
    'master',
    '--metric',
    'dec',
    '--threshold',
    '+4K',
    '--runtime',
    'host',
    ...extra,
  ];

  it('names the regression, skips the broken commits, prints the symbol diff and confirms by revert', async () => {
    const cache = join(dir, 'cache1');
    const headBefore = await git(repo, ['rev-parse', 'HEAD']);
    const r = await tiny(args(), { cwd: FIX, env: { TINY_CACHE: cache } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`first bad commit: ${h.regression} ${REGRESSION_SUBJECT}`);
    expect(r.stdout).toMatch(/panic_crc_table +- +8192 +\+8192/);
    expect(r.stdout).toMatch(/^add\/remove: 2\/0 grow\/shrink: 0\/0 up\/down: 8212\/0 \(8212\)$/m);
    expect(r.stdout).toMatch(/confirmed: with [0-9a-f]{12} reverted, dec is [\d,]+ \(\+\d+ vs good\): back under the threshold .* \[\d+\.\ds\]$/m);
    // Each point says what it cost: its import and its build.
    expect(r.stdout).toMatch(/^good [0-9a-f]{12}: dec [\d,]+; threshold .* \[\d+\.\ds\]$/m);
    expect(r.stdout).toMatch(/^bad  [0-9a-f]{12}: dec [\d,]+ \(\+[\d,]+\) \[\d+\.\ds\]$/m);
    // commit 10 is the midpoint git tests first: it does not build -> 125
    expect(r.stdout).toMatch(/skip \(kernel\/panic\.c:\d+:\d+: expected expression/);
    const state = await readState(statePath(cache, (await readLatest(cache))!));
    expect(state!.steps.some((s) => s.status === 'skip')).toBe(true);
    expect(state!.result?.first).toBe(h.regression);
    // the user's repository is untouched: same HEAD, no bisect in progress, clean tree
    expect(await git(repo, ['rev-parse', 'HEAD'])).toBe(headBefore);
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
    await expect(readFile(join(repo, '.git', 'BISECT_LOG'))).rejects.toThrow();
  }, 300_000);

  it('resumes after being killed mid-way: measured commits come from the state file', async () => {
    const cache = join(dir, 'cache2');
    const child = spawn(process.execPath, [TINY_BIN, ...args()], { cwd: FIX, env: { ...process.env, TINY_CACHE: cache }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // Kill the whole process group (tiny, git bisect run, the step) the moment the second step is
    // printed, from the data handler itself: a polling timer could let a fast bisect finish first.
    let killed = false;
    const onData = (b: Buffer) => {
      out += b.toString();
      if (!killed && (out.match(/^ {2}tiny: [0-9a-f]{12} /gm) ?? []).length >= 2) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    await new Promise<void>((done, fail) => {
      child.on('close', () => (killed ? done() : fail(new Error(`finished before it could be killed:\n${out}`))));
    });
    const id = (await readLatest(cache))!;
    const before = (await readState(statePath(cache, id)))!;
    expect(before.result).toBeUndefined();
    expect(before.steps.length).toBeGreaterThanOrEqual(3); // good, bad, and a step or more
    // Killed inside git, the bisect leaves git's lock files in its scratch clone: as if so.
    await writeFile(join(before.scratch!, 'BISECT_HEAD.lock'), '');
    await mkdir(join(before.scratch!, 'refs', 'bisect'), { recursive: true });
    await writeFile(join(before.scratch!, 'refs', 'bisect', 'bad.lock'), '');

    // A live run of the same bisect (this process holds its lock): refused at once.
    const release = await acquireLock(join(bisectDir(cache, id), 'run.lock'));
    const busy = await tiny(['bisect', '--resume'], { cwd: FIX, env: { TINY_CACHE: cache } });
    await release();
    expect(busy.code, busy.stdout + busy.stderr).toBe(2);
    expect(busy.stderr).toContain(`bisect ${id} is already running (process ${process.pid})`);

    const r = await tiny(['bisect', '--resume'], { cwd: FIX, env: { TINY_CACHE: cache } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/removed .*BISECT_HEAD\.lock, .*bad\.lock: left by a git killed in the bisect's scratch clone/);
    expect(r.stdout).toContain(`resuming bisect ${id}`);
    expect(r.stdout).toMatch(/\[from the state file\]/);
    expect(r.stdout).not.toContain('measuring the good point');
    expect(r.stdout).toContain(`first bad commit: ${h.regression}`);
  }, 300_000);

  it('--queue: names the first patch of the queue that crosses the threshold', async () => {
    const cache = join(dir, 'cache3');
    const r = await tiny(['bisect', '--queue', 'queue', '--config', 'fake-bisect', '--metric', 'text', '--threshold', '+4K', '--runtime', 'host'], { cwd: FIX, env: { TINY_CACHE: cache } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('first patch over the threshold: crc32-a-big-table — crc32: a big table (4/6), after 3 builds');
    expect(r.stdout).toMatch(/crc32_big_table +- +8192 +\+8192/);
  }, 300_000);

  it('bad usage exits 2', async () => {
    const r = await tiny(['bisect', '--config', 'fake-bisect', '--repo', repo, '--good', 'nope', '--bad', 'master', '--threshold', '+4K'], { cwd: FIX, env: { TINY_CACHE: join(dir, 'cache4') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no commit "nope"/);
    const t = await tiny(['bisect', '--config', 'fake-bisect', '--queue', '--threshold', '+4Q'], { cwd: FIX, env: { TINY_CACHE: join(dir, 'cache4') } });
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/threshold "\+4Q"/);
  });
});
