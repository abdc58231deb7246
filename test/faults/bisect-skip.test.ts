// Fault cases for `tiny bisect` over commits: a bisect must never name a commit it did not
// measure. git bisect run counts every step exit code below 128 other than 0 and 125 as "bad",
// so a step that cannot evaluate its commit (a path that means nothing in the scratch clone, a
// configuration gone) has to say "skip" (125), and a bisect whose steps were all skipped has to
// say so and fail. Real git histories of the fake kernel, built on the host, the real CLI.

import { rename, readFile, rm, writeFile, cp, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLatest, readState, statePath } from '../../src/bisect/state.js';
import { byteSnapshot } from '../helpers/byte-snapshot.js';
import { REPO, tiny } from '../helpers/cli.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';
import { makeHistory, git, REGRESSION_SUBJECT } from '../fixtures/bisect/history.mjs';

const CONFIG = 'test/fixtures/bisect/configs/fake-bisect.yaml';

describe('tiny bisect: faults that used to name the wrong commit', () => {
  let dir: string;
  let repo: string;
  let h: { commits: string[]; regression: string };
  beforeAll(async () => {
    dir = await tempDir('tiny-fault-bisect-');
    repo = join(dir, 'R');
    h = await makeHistory(repo, { count: 8, regressionAt: 6 });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const bisect = (config: string, extra: string[] = []) => [
    'bisect',
    '--config',
    config,
    '--repo',
    repo,
    '--good',
    'master~8',
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

  it('a relative --config path names the regression (the steps run in the scratch clone, not in the cwd)', async () => {
    const inputs = await byteSnapshot(repo);
    const configBytes = await readFile(join(REPO, CONFIG));

    // $ cd <project> && tiny bisect --config test/fixtures/bisect/configs/fake-bisect.yaml ...
    const r = await tiny(bisect(CONFIG), { cwd: REPO, env: { TINY_CACHE: join(dir, 'cache-relative') } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`first bad commit: ${h.regression} ${REGRESSION_SUBJECT}`);
    expect(r.stdout).not.toMatch(/does not exist/);
    expect(r.stdout).toMatch(/^\(\d+ steps?, 0 skipped\)$/m);
    expect(r.stdout).toMatch(/confirmed: with [0-9a-f]{12} reverted/);

    // The same bisect with an absolute path, in a clean cache: the same answer.
    const clean = await tiny(bisect(join(REPO, CONFIG)), { cwd: dir, env: { TINY_CACHE: join(dir, 'cache-absolute') } });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    const firstLine = (out: string) => out.split('\n').find((l) => l.startsWith('first bad commit:'));
    expect(firstLine(r.stdout)).toBe(firstLine(clean.stdout));

    expect(await byteSnapshot(repo)).toEqual(inputs);
    expect(await readFile(join(REPO, CONFIG))).toEqual(configBytes);
  }, 120_000);

  it('a relative TINY_CACHE is the same cache for every step (not a new one inside the scratch clone)', async () => {
    // $ cd <dir> && TINY_CACHE=cache-relcache tiny bisect ...
    const r = await tiny(bisect(join(REPO, CONFIG)), { cwd: dir, env: { TINY_CACHE: 'cache-relcache' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`first bad commit: ${h.regression}`);
    const id = (await readLatest(join(dir, 'cache-relcache')))!;
    const scratch = join(dir, 'cache-relcache', 'bisect', id, 'repo.git');
    // git bisect run starts the steps in the scratch clone: no second cache may appear there
    expect(await readdir(scratch)).not.toContain('cache-relcache');
  }, 120_000);

  it("GIT_DIR exported by the caller (a git hook, a script) does not turn the bisect onto the user's repository", async () => {
    const inputs = await byteSnapshot(repo);
    const r = await tiny(bisect(join(REPO, CONFIG)), {
      cwd: dir,
      env: { TINY_CACHE: join(dir, 'cache-gitdir'), GIT_DIR: join(repo, '.git'), GIT_WORK_TREE: repo, GIT_INDEX_FILE: join(repo, '.git', 'index') },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`first bad commit: ${h.regression} ${REGRESSION_SUBJECT}`);
    // no BISECT_LOG, no refs/bisect/*, the same HEAD, index and work tree: byte for byte
    expect(await byteSnapshot(repo)).toEqual(inputs);
  }, 120_000);

  it('a step that cannot evaluate its commit exits 125 (skip), never 1 (bad); once fixed, the same step measures it', async () => {
    // A bisect whose configuration is a copy the user later moves away.
    const work = join(dir, 'moved');
    await cp(join(REPO, 'test/fixtures/bisect/configs'), join(work, 'configs'), { recursive: true });
    const cache = join(dir, 'cache-moved');
    const first = await tiny(bisect('configs/fake-bisect.yaml'), { cwd: work, env: { TINY_CACHE: cache } });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const stateFile = statePath(cache, (await readLatest(cache))!);
    const state = (await readState(stateFile))!;
    // a commit git bisect never asked about: the step has to evaluate it
    const unmeasured = h.commits.find((c) => !state.steps.some((s) => s.point === c))!;
    await git(state.scratch!, ['update-ref', '--no-deref', 'BISECT_HEAD', unmeasured]);

    await rename(join(work, 'configs'), join(work, 'configs.moved'));
    const step = await tiny(['bisect', 'step', '--state', stateFile], { cwd: state.scratch!, env: { TINY_CACHE: cache } });
    expect(step.code, step.stdout + step.stderr).toBe(125);
    expect(step.stdout).toMatch(new RegExp(`${unmeasured.slice(0, 12)}: cannot evaluate: configuration file .*fake-bisect\\.yaml does not exist.*; skipped \\(exit 125\\)`));

    // Fixed (the file is back): the skip was not a fact about the commit, the step measures it.
    await rename(join(work, 'configs.moved'), join(work, 'configs'));
    const again = await tiny(['bisect', 'step', '--state', stateFile], { cwd: state.scratch!, env: { TINY_CACHE: cache } });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`${unmeasured.slice(0, 12)} .*: dec [\\d,]+ \\(\\+\\d+\\) good`));
    expect(again.stdout).not.toContain('[from the state file]');
  }, 120_000);

  it('a bisect whose every step is skipped says so and exits 1 (no commit is named)', async () => {
    // good, then three commits that do not build, then the bad point (fixed and grown at once)
    const broken = join(dir, 'B');
    const b = await makeHistory(broken, { count: 4, regressionAt: 4, brokenFrom: 1, brokenTo: 3 });
    const panic = join(broken, 'kernel/panic.c');
    await writeFile(panic, (await readFile(panic, 'utf8')).replace('\nint panic_wip = ; /* BROKEN */\n', ''));
    await git(broken, ['commit', '-q', '-a', '--amend', '--no-edit']);
    void b;
    const inputs = await byteSnapshot(broken);
    const r = await tiny(['bisect', '--config', CONFIG, '--repo', broken, '--good', 'master~4', '--bad', 'master', '--metric', 'dec', '--threshold', '+4K', '--runtime', 'host'], {
      cwd: REPO,
      env: { TINY_CACHE: join(dir, 'cache-broken') },
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/^first bad commit:/m);
    expect(r.stderr).toContain('tiny: every step of the bisect was skipped (3 commits): no first bad commit can be named');
    expect(r.stderr).toMatch(/hint: none of them built: kernel\/panic\.c:\d+:\d+: .*expected expression/);
    expect(r.stderr).toMatch(/re-run the same command/);
    expect(await byteSnapshot(broken)).toEqual(inputs);
  }, 120_000);
});

describe('every git process tiny starts gets the scrubbed git environment', () => {
  it('src/ spawns git only through src/tree/git.ts (git(), gitIn(), gitEnv())', async () => {
    const offenders: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (p.endsWith('.ts') && !p.endsWith(join('src', 'tree', 'git.ts'))) {
          const lines = (await readFile(p, 'utf8')).split('\n');
          lines.forEach((line, i) => {
            // run('git', ...) / start('git', ...) without gitEnv() inherits GIT_DIR and friends
            const call = lines.slice(i, i + 3).join(' ');
            if (/\b(run|stream|start|spawn|execFile|spawnSync|execFileSync)\(\s*'git'/.test(line) && !/env: (gitEnv|bisectGitEnv)\(/.test(call))
              offenders.push(`${relative(REPO, p)}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    await walk(join(REPO, 'src'));
    expect(offenders).toEqual([]);
  });
});
