// `tiny queue refresh` on a fake kernel tree: an untouched queue stays byte for byte; a patch
// that applies only with an offset is rewritten; a change made in a worktree from
// `tiny queue apply` (committed as a fixup, or left uncommitted on the top patch) gives the
// expected patch, header kept.

import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGO_PATH, logoBytes, logoPatches } from '../helpers/binary-patches.js';
import { sh, tempCache, tiny } from '../helpers/cli.js';
import { OLD, PATCHES, replaceLine, writeOldTree, writeQueue } from '../helpers/rebase-fixture.js';

const NAMES = ['p-clean', 'p-offset', 'p-merge'];

async function files(q: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { 'queue.yaml': await readFile(join(q, 'queue.yaml'), 'utf8') };
  for (const n of NAMES) out[n] = await readFile(join(q, PATCHES[n]!.file), 'utf8');
  return out;
}

describe('tiny queue refresh (fake tree)', { timeout: 300_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let tree: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-refresh-'));
    env = { TINY_CACHE: await tempCache() };
    tree = join(work, 'linux-2.6.9');
    await writeOldTree(tree);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(env.TINY_CACHE!, { recursive: true, force: true });
  });

  it('leaves an untouched queue byte for byte as it is', async () => {
    const q = join(work, 'q-untouched');
    await writeQueue(q, tree, NAMES);
    const before = await files(q);
    const r = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('p-clean   unchanged\np-offset  unchanged\np-merge   unchanged\n0 of 3 patches changed\n');
    expect(await files(q)).toEqual(before);
  });

  it('rewrites a patch that applies only with an offset, keeping its header', async () => {
    const q = join(work, 'q-offset');
    await writeQueue(q, tree, NAMES);
    // Written for a tree with two more lines on top: hunk at 15, but the change is at line 13.
    const shifted = ['int x1;', 'int x2;', ...OLD.b];
    const text = PATCHES['p-offset']!.text.replace(/diff --git[\s\S]*$/, replaceLine('kernel/b.c', shifted, 15, 'int b_line13 = 0;'));
    await writeFile(join(q, PATCHES['p-offset']!.file), text);
    const dry = await tiny(['queue', 'refresh', '--queue', q, '--dry-run'], { env });
    expect(dry.stdout).toMatch(/^p-offset  would refresh  patches\/p-offset\.patch \(position: 1 file, 1 hunk, \+1 -1\)$/m);
    expect(await readFile(join(q, PATCHES['p-offset']!.file), 'utf8')).toBe(text);
    const r = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(r.stdout).toMatch(/^p-offset  refreshed  patches\/p-offset\.patch \(position: 1 file, 1 hunk, \+1 -1\)$/m);
    expect(r.stdout).toMatch(/1 of 3 patches changed/);
    const out = await readFile(join(q, PATCHES['p-offset']!.file), 'utf8');
    expect(out).toBe(text.replace(/diff --git[\s\S]*$/, replaceLine('kernel/b.c', OLD.b, 13, 'int b_line13 = 0;').replace('@@ -10,7 +10,7 @@', '@@ -10,7 +10,7 @@ int b_line9 = 9;')));
    // Refreshing again changes nothing.
    const again = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(again.stdout).toMatch(/0 of 3 patches changed/);
  });

  it('regenerates patches edited in a worktree from `tiny queue apply`', async () => {
    const q = join(work, 'q-edit');
    await writeQueue(q, tree, NAMES);
    const before = await files(q);
    const w = join(work, 'w');
    expect((await tiny(['queue', 'apply', '--queue', q, '--out', w], { env })).code).toBe(0);
    const git = (...args: string[]) => sh('git', ['-C', w, '-c', 'user.name=Me', '-c', 'user.email=me@example.org', ...args]);

    // An earlier patch: change it, commit as a fixup, fold it in with autosquash.
    const a = await readFile(join(w, 'kernel/a.c'), 'utf8');
    await writeFile(join(w, 'kernel/a.c'), a.replace('int a_line15 = 0;', 'int a_line15 = -1;'));
    const target = (await git('log', '--format=%H', '--grep=a: tweak line 15')).trim();
    await git('commit', '-q', '-a', `--fixup=${target}`);
    const fixupOnly = await tiny(['queue', 'refresh', '--queue', q, '--from', w], { env });
    expect(fixupOnly.code).toBe(2);
    expect(fixupOnly.stderr).toMatch(/"fixup! a: tweak line 15" is not a patch of the queue/);
    expect(fixupOnly.stderr).toMatch(/rebase -i --autosquash/);
    const root = (await git('rev-list', '--max-parents=0', 'HEAD')).trim();
    await sh('git', ['-C', w, '-c', 'user.name=Me', '-c', 'user.email=me@example.org', 'rebase', '-q', '-i', '--autosquash', root], {
      env: { ...process.env, GIT_SEQUENCE_EDITOR: 'true' },
    });
    // The top patch: an uncommitted change (quilt refreshes the topmost patch).
    const c = await readFile(join(w, 'kernel/c.c'), 'utf8');
    await writeFile(join(w, 'kernel/c.c'), c.replace('int c_line16 = 16;', 'int c_line16 = 0;'));

    const r = await tiny(['queue', 'refresh', '--queue', q, '--from', w], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/uncommitted changes in .* go into p-merge \(the topmost patch\)/);
    expect(r.stdout).toMatch(/^p-clean   refreshed  patches\/p-clean\.patch \(content: 1 file, 1 hunk, \+1 -1\)$/m);
    expect(r.stdout).toMatch(/^p-offset  unchanged$/m);
    expect(r.stdout).toMatch(/^p-merge   refreshed  patches\/p-merge\.patch \(content: 1 file, 1 hunk, \+2 -2\)$/m);
    const after = await files(q);
    // Header kept; the diff is git's, with the enclosing line after @@ as git writes it.
    expect(after['p-clean']).toBe(before['p-clean']!.replace('+int a_line15 = 0;', '+int a_line15 = -1;').replace('@@ -12,7 +12,7 @@', '@@ -12,7 +12,7 @@ int a_line11 = 11;'));
    const mergeHunk = [
      '@@ -12,8 +12,8 @@ int c_line11 = 11;',
      ' int c_line12 = 12;',
      ' int c_line13 = 13;',
      ' int c_line14 = 14;',
      '-int c_line15 = 15;',
      '-int c_line16 = 16;',
      '+int c_line15 = 0;',
      '+int c_line16 = 0;',
      ' int c_line17 = 17;',
      ' int c_line18 = 18;',
      ' int c_line19 = 19;',
      '',
    ].join('\n');
    expect(after['p-merge']).toBe(before['p-merge']!.replace(/@@[\s\S]*$/, mergeHunk));
    expect(after['p-offset']).toBe(before['p-offset']);
    expect(after['queue.yaml']).toBe(before['queue.yaml']);
    // The worktree was read, not changed.
    expect(await git('status', '--porcelain')).toBe(' M kernel/c.c\n');
  });

  it('regenerates a git binary patch with its data and full ids: it applies in another cache', async () => {
    const q = join(work, 'q-binary');
    await writeQueue(q, tree, ['p-clean']);
    // A logo, created by a git binary patch made by real git.
    const logo = logoBytes(1500, 193);
    await writeFile(join(q, 'patches/logo.patch'), (await logoPatches(join(work, 'logo-repo'), logo)).create);
    await appendFile(join(q, 'queue.yaml'), '  - name: logo\n    file: patches/logo.patch\n');
    const w = join(work, 'w-binary');
    expect((await tiny(['queue', 'apply', '--queue', q, '--out', w], { env })).code).toBe(0);
    // The logo changed in the worktree: an uncommitted change of the topmost patch.
    const edited = Buffer.concat([logo.subarray(0, 700), Buffer.from([0, 0xff, 0xfe, 0]), logo.subarray(700)]);
    await writeFile(join(w, LOGO_PATH), edited);
    const r = await tiny(['queue', 'refresh', '--queue', q, '--from', w], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^logo +refreshed +patches\/logo\.patch/m);
    const text = await readFile(join(q, 'patches/logo.patch'), 'latin1');
    expect(text).toMatch(/^index 0{40}\.\.[0-9a-f]{40}$/m);
    expect(text).toContain('GIT binary patch\nliteral 1504\n');
    // A cache that never saw the logo applies it from the patch's own data.
    const out = join(work, 'out-binary');
    const other = { TINY_CACHE: await tempCache() };
    const applied = await tiny(['queue', 'apply', '--queue', q, '--out', out], { env: other });
    expect(applied.code, applied.stderr).toBe(0);
    expect((await readFile(join(out, LOGO_PATH))).equals(edited)).toBe(true);
    await rm(other.TINY_CACHE, { recursive: true, force: true });
  });

  it('says what is wrong with a bad --from or patch name', async () => {
    const q = join(work, 'q-bad');
    await writeQueue(q, tree, NAMES);
    const notWt = await tiny(['queue', 'refresh', '--queue', q, '--from', work], { env });
    expect(notWt.code).toBe(2);
    expect(notWt.stderr).toMatch(/is not a worktree of this tiny cache's tree store/);
    const typo = await tiny(['queue', 'refresh', '--queue', q, 'p-clena'], { env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/the queue has no patch "p-clena"/);
    expect(typo.stderr).toMatch(/did you mean p-clean\?/);
  });
});
