// `tiny release` as a user runs it, on the fake kernel (test/fixtures/fakelinux) and its queue
// (test/fixtures/build/fake-queue), built with the host runtime: the records are built when
// missing, two releases from the same inputs are byte-identical, the broken-out tarball applies
// with quilt push -a and the combined patch with patch -p1 (both giving the tree release.json
// names), verify names a changed byte, a failing queue check or budget refuses the release and
// --force is recorded, a gpg signature with a throwaway key, and the changelog of two releases.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGO_PATH, logoBytes, logoPatches } from '../helpers/binary-patches.js';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { missingPrerequisites } from '../helpers/prereqs.js';
import { expectContract, expectJsonOutput } from '../helpers/json-contract.js';

const FIX = join(REPO, 'test/fixtures/build');
const FAKELINUX = join(REPO, 'test/fixtures/fakelinux');
const CONFIG = join(FIX, 'configs/fake-tiny.yaml');

async function sums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort())
    out[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex');
  return out;
}

/** queue.yaml of a copy of the fake queue, its base source pointing at the fixture tree. */
async function copiedQueueYaml(queue: string): Promise<string> {
  return (await readFile(join(queue, 'queue.yaml'), 'utf8')).replace('path: ../../fakelinux', `path: ${FAKELINUX}`);
}

/** The git tree hash of a directory's content (as the tree store computes it). */
async function treeHash(dir: string, scratch: string): Promise<string> {
  const gitDir = join(scratch, `hash-${Math.random().toString(36).slice(2)}.git`);
  const env = { ...process.env, GIT_DIR: gitDir, GIT_INDEX_FILE: join(gitDir, 'index'), GIT_WORK_TREE: dir, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  await sh('git', ['init', '-q', '--bare', gitDir]);
  await sh('git', ['add', '-A', '-f', '.'], { cwd: dir, env });
  return (await sh('git', ['write-tree'], { env })).trim();
}

describe('tiny release (CLI, fake kernel, host runtime)', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const rel = (...args: string[]) => tiny(['release', ...args], { env });
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-release-'));
    env = { TINY_CACHE: join(work, 'cache'), TINY_RUNTIME: 'host', SOURCE_DATE_EPOCH: '' };
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('builds the missing records, then writes the release and lists it with checksums', async () => {
    const r = await rel('0.0-tiny1', '--queue', join(FIX, 'fake-queue'), '--config', CONFIG, '--out', join(work, 'a'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('tiny: no `tiny build --config fake-tiny` run is recorded in this cache: building them now');
    expect(r.stderr).toMatch(/^6 toggles: \d+ built, \d+ cached, 0 failed/m);
    expect(r.stderr).toMatch(/^tiny: released fake-tiny 0\.0-tiny1: 2 patches on 0\.0, dated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((git log of the queue|newest mtime of the queue's files)\)$/m);
    const dir = join(work, 'a', '0.0-tiny1');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(dir);
    expect(Object.keys(await sums(dir))).toEqual([
      '0.0-tiny1-broken-out.tar.xz',
      '0.0-tiny1-sizes.html',
      '0.0-tiny1-sizes.json',
      '0.0-tiny1-sizes.md',
      '0.0-tiny1.patch',
      '0.0-tiny1.patch.bz2',
      '0.0-tiny1.patch.xz',
      'SHA256SUMS',
      'release.json',
    ]);
    expect(r.stdout).toMatch(/^0\.0-tiny1\.patch\s+\d+\s+[0-9a-f]{64}$/m);
    await sh('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dir });
    const m = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8'));
    expectContract('release-manifest', m);
    expect(m.patches.map((p: { name: string }) => p.name)).toEqual(['banner-option', 'panic-reason']);
    expect(m.forced).toBe(false);
    expect(m.checks.map((c: { name: string; ok: boolean }) => `${c.name} ${c.ok}`)).toEqual(['queue check true', 'size report true', 'budgets true']);
    // The size report in the release is the report document (schema/output/report.schema.json).
    const sizes = JSON.parse(await readFile(join(dir, '0.0-tiny1-sizes.json'), 'utf8'));
    expectContract('output/report', sizes);
    expect(sizes.config).toBe('fake-tiny');
    expect(sizes.patches.map((p: { name: string }) => p.name)).toEqual(['banner-option', 'panic-reason']);
    // the records are already there: a second release builds nothing
    const again = await rel('0.0-tiny1', '--queue', join(FIX, 'fake-queue'), '--config', CONFIG, '--out', join(work, 'b'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('building them now');
  }, 180_000);

  it('two releases from the same inputs are byte-identical (sha256 of every file)', async () => {
    const a = await sums(join(work, 'a', '0.0-tiny1'));
    const b = await sums(join(work, 'b', '0.0-tiny1'));
    expect(b).toEqual(a);
    // and the tarball's entries are normalized
    const list = await sh('tar', ['-tvJf', join(work, 'a', '0.0-tiny1', '0.0-tiny1-broken-out.tar.xz')]);
    const lines = list.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).at(-1))).toEqual([
      '0.0-tiny1-broken-out/',
      '0.0-tiny1-broken-out/README',
      '0.0-tiny1-broken-out/patches/',
      '0.0-tiny1-broken-out/patches/banner-option.patch',
      '0.0-tiny1-broken-out/patches/panic-reason.patch',
      '0.0-tiny1-broken-out/patches/series',
      '0.0-tiny1-broken-out/queue.yaml',
    ]);
    for (const l of lines) expect(l).toMatch(/^(drwxr-xr-x|-rw-r--r--) root\/root /);
    expect(new Set(lines.map((l) => l.split(/\s+/).slice(3, 5).join(' '))).size).toBe(1); // one mtime
  });

  it('the broken-out tarball applies with quilt push -a on the base tree, the combined patch with patch -p1: both give the release tree', async () => {
    const dir = join(work, 'a', '0.0-tiny1');
    const m = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8'));
    const q = join(work, 'quilt');
    await mkdir(q);
    await sh('tar', ['-xJf', join(dir, '0.0-tiny1-broken-out.tar.xz'), '-C', q]);
    await cp(FAKELINUX, join(q, 'linux-0.0'), { recursive: true });
    const out = await sh('quilt', ['push', '-a'], { cwd: join(q, 'linux-0.0'), env: { ...process.env, QUILT_PATCHES: '../0.0-tiny1-broken-out/patches', QUILTRC: '/dev/null' } });
    expect(out).toMatch(/^Now at patch .*panic-reason\.patch$/m);
    await rm(join(q, 'linux-0.0', '.pc'), { recursive: true });
    expect(await treeHash(join(q, 'linux-0.0'), work)).toBe(m.result_tree);

    const p = join(work, 'patch');
    await cp(FAKELINUX, p, { recursive: true });
    await sh('sh', ['-c', `patch -p1 --quiet < ${JSON.stringify(join(dir, '0.0-tiny1.patch'))}`], { cwd: p });
    expect(await treeHash(p, work)).toBe(m.result_tree);
    // the compressed copies hold the same patch
    expect(await sh('sh', ['-c', `xz -dc 0.0-tiny1.patch.xz | cmp - 0.0-tiny1.patch && bzip2 -dc 0.0-tiny1.patch.bz2 | cmp - 0.0-tiny1.patch && echo same`], { cwd: dir })).toBe('same\n');
  });

  it('verify regenerates the release and finds it identical; a changed byte is named', async () => {
    const dir = join(work, 'a', '0.0-tiny1');
    const ok = await rel('verify', dir, '--queue', join(FIX, 'fake-queue'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^0\.0-tiny1\.patch\s+[0-9a-f]{12}\s+same$/m);
    expect(ok.stdout).toContain('SHA256SUMS: the 8 files it lists match');
    expect(ok.stdout).toContain('verified: all 9 files are byte-for-byte what tiny regenerates');

    const bad = join(work, 'tampered');
    await cp(dir, bad, { recursive: true });
    const file = join(bad, '0.0-tiny1.patch');
    const bytes = await readFile(file);
    const at = bytes.indexOf('Fake Linux version');
    bytes[at] = 'f'.charCodeAt(0);
    await writeFile(file, bytes);
    const r = await rel('verify', bad, '--queue', join(FIX, 'fake-queue'));
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.startsWith('0.0-tiny1.patch '))!;
    expect(line).toMatch(new RegExp(`differs: first difference at byte ${at}; line \\d+: ".*fake Linux version.*" here, ".*Fake Linux version.*" regenerated`));
    expect(r.stdout).toMatch(/^0\.0-tiny1\.patch\.xz\s+[0-9a-f]{12}\s+same$/m);
    expect(r.stdout).toMatch(/SHA256SUMS: 0\.0-tiny1\.patch: sha256 [0-9a-f]{16}\.\.\., SHA256SUMS says [0-9a-f]{16}\.\.\./);
    expect(r.stdout).toContain('NOT verified: 1 of 9 files differ from what tiny regenerates; SHA256SUMS does not match');
  }, 120_000);

  it('refuses a release whose queue check fails, and records --force', async () => {
    const queue = join(work, 'failing-queue');
    await cp(join(FIX, 'fake-queue'), queue, { recursive: true });
    await writeFile(
      join(queue, 'patches', 'stale.patch'),
      'Subject: panic: a patch written against another tree\n\n--- a/kernel/panic.c\n+++ b/kernel/panic.c\n@@ -1,3 +1,3 @@\n /* panic(): spin forever. */\n-volatile long panic_count;\n+volatile short panic_count;\n \n',
    );
    await writeFile(join(queue, 'queue.yaml'), (await copiedQueueYaml(queue)) + '  - name: stale\n    file: patches/stale.patch\n');
    const r = await rel('0.0-bad1', '--queue', queue, '--select', 'none', '--out', join(work, 'bad'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tiny: release 0\.0-bad1 refused:\n  queue check:\n    stale: in order: FAILS \(kernel\/panic\.c hunk #1\)\n  size report:\n    no configuration was given/m);
    expect(r.stderr).toMatch(/hint: build the records first: tiny build --config NAME --queue .*, then release with --config NAME/);
    expect(existsSync(join(work, 'bad'))).toBe(false); // nothing written

    const f = await rel('0.0-bad1', '--queue', queue, '--select', 'none', '--out', join(work, 'bad'), '--force');
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toContain('tiny: --force: releasing although the queue check failed: stale: in order: FAILS (kernel/panic.c hunk #1)');
    const dir = join(work, 'bad', '0.0-bad1');
    const m = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8'));
    expect(m.forced).toEqual({ failed: ['queue check', 'size report'] });
    expect(m.size_report).toEqual({ missing: 'no configuration was given (--config NAME): its records make the size report' });
    const readme = await sh('tar', ['-xOJf', join(dir, '0.0-bad1-broken-out.tar.xz'), '0.0-bad1-broken-out/README']);
    expect(readme).toContain('FORCED: this release was made with --force although these checks failed:\n\n  queue check:\n    stale: in order: FAILS (kernel/panic.c hunk #1)');
    expect(Object.keys(await sums(dir))).not.toContain('0.0-bad1-sizes.json');
    // a release is never overwritten
    const again = await rel('0.0-bad1', '--queue', queue, '--select', 'none', '--out', join(work, 'bad'), '--force');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`tiny: ${dir} already exists`);
  }, 60_000);

  it('refuses a release with a git binary patch (quilt and patch -p1 cannot apply it); --force releases it, for git apply', async () => {
    const queue = join(work, 'binary-queue');
    await cp(join(FIX, 'fake-queue'), queue, { recursive: true });
    // A logo added by a git binary patch, made by real git.
    const logo = logoBytes(1200, 151);
    const { create } = await logoPatches(join(work, 'logo-repo'), logo);
    await writeFile(join(queue, 'patches', 'logo.patch'), Buffer.concat([Buffer.from('Subject: video: a logo\n\n'), create]));
    await writeFile(join(queue, 'queue.yaml'), (await copiedQueueYaml(queue)) + '  - name: logo\n    file: patches/logo.patch\n');
    const r = await rel('0.0-logo1', '--queue', queue, '--select', 'none', '--out', join(work, 'logo'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^  quilt and patch -p1:\n    logo: drivers\/video\/logo\.bin: a git binary patch: quilt push cannot apply it/m);
    expect(existsSync(join(work, 'logo'))).toBe(false);

    const f = await rel('0.0-logo1', '--queue', queue, '--select', 'none', '--out', join(work, 'logo'), '--force');
    expect(f.code, f.stderr).toBe(0);
    const dir = join(work, 'logo', '0.0-logo1');
    const m = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8'));
    expectContract('release-manifest', m);
    expect(m.forced).toEqual({ failed: ['quilt and patch -p1', 'size report'] });
    // The combined patch carries the logo's bytes: git apply on the base gives the release's tree.
    const tree = join(work, 'logo-tree');
    await cp(FAKELINUX, tree, { recursive: true });
    await sh('git', ['apply', join(dir, '0.0-logo1.patch')], { cwd: tree });
    expect((await readFile(join(tree, LOGO_PATH))).equals(logo)).toBe(true);
    expect(await treeHash(tree, work)).toBe(m.result_tree);
  }, 60_000);

  it('refuses a release over budget, naming the budget; --force records it', async () => {
    const config = join(work, 'fake-budget.yaml');
    await writeFile(config, (await readFile(CONFIG, 'utf8')).replace('name: fake-tiny', 'name: fake-budget') + 'budgets:\n  dec: 1000\n');
    const r = await rel('0.0-big1', '--queue', join(FIX, 'fake-queue'), '--config', config, '--out', join(work, 'big'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^  budgets:\n    budget exceeded \(configuration fake-budget\):\n    ✗ dec [\d,]+ bytes > budget 1,000 by [\d,]+ bytes in toggle queue$/m);
    const f = await rel('0.0-big1', '--queue', join(FIX, 'fake-queue'), '--config', config, '--out', join(work, 'big'), '--force');
    expect(f.code, f.stderr).toBe(0);
    const m = JSON.parse(await readFile(join(work, 'big', '0.0-big1', 'release.json'), 'utf8'));
    expect(m.forced).toEqual({ failed: ['budgets'] });
    const sizes = JSON.parse(await readFile(join(work, 'big', '0.0-big1', '0.0-big1-sizes.json'), 'utf8'));
    expect(sizes.budgets[0]).toMatchObject({ name: 'dec', toggle: 'queue', ok: false });
  }, 120_000);

  it('signs SHA256SUMS with a gpg key and verify checks the signature', async (ctx) => {
    const gpgWhy = await missingPrerequisites('gpg');
    if (gpgWhy) ctx.skip(gpgWhy);
    const home = join(work, 'gnupg');
    await mkdir(home, { mode: 0o700 });
    const genv = { ...process.env, GNUPGHOME: home };
    await sh('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'tiny release test <release@tiny.invalid>', 'ed25519', 'sign', 'never'], { env: genv });
    const r = await tiny(['release', '0.0-tiny1', '--queue', join(FIX, 'fake-queue'), '--config', CONFIG, '--out', join(work, 'signed'), '--sign', 'release@tiny.invalid'], {
      env: { ...env, GNUPGHOME: home },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('SHA256SUMS signed with release@tiny.invalid');
    const dir = join(work, 'signed', '0.0-tiny1');
    // everything but the signature is the unsigned release's bytes
    const { 'SHA256SUMS.asc': asc, ...rest } = await sums(dir);
    expect(asc).toBeDefined();
    expect(rest).toEqual(await sums(join(work, 'a', '0.0-tiny1')));
    const v = await tiny(['release', 'verify', dir, '--queue', join(FIX, 'fake-queue')], { env: { ...env, GNUPGHOME: home } });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('SHA256SUMS.asc: Good signature from "tiny release test <release@tiny.invalid>"');
    // a signature over other sums does not verify
    await writeFile(
      join(dir, 'SHA256SUMS.asc'),
      (await readFile(join(dir, 'SHA256SUMS.asc'), 'utf8')).replace(/\n([A-Za-z0-9+/]{10})/, (_, s: string) => `\n${s.split('').reverse().join('')}`),
    );
    const bad = await tiny(['release', 'verify', dir, '--queue', join(FIX, 'fake-queue')], { env: { ...env, GNUPGHOME: home } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/NOT verified: 0 of 9 files differ from what tiny regenerates; the signature does not verify/);
  }, 120_000);

  it('the changelog of two releases: added, removed, changed and refreshed patches with their size deltas', async () => {
    // Release 2 of the queue: banner-option's change differs, panic-reason only has a new
    // message (refreshed), and panic-table is new.
    const queue = join(work, 'queue-2');
    await cp(join(FIX, 'fake-queue'), queue, { recursive: true });
    const banner = join(queue, 'patches', 'banner-option.patch');
    await writeFile(banner, (await readFile(banner, 'utf8')).replace('+static const char banner[] = "";', '+static const char banner[] = "Fake Linux, tiny";'));
    const panic = join(queue, 'patches', 'panic-reason.patch');
    await writeFile(
      panic,
      (await readFile(panic, 'utf8')).replace('A plain code patch (no option)', 'A plain code patch, reworded (no option)').replace('@@ -1,5 +1,6 @@', '@@ -1,5 +1,6 @@ panic_count'),
    );
    await writeFile(
      join(queue, 'patches', 'panic-table.patch'),
      'Subject: panic: a table\n\n--- a/kernel/panic.c\n+++ b/kernel/panic.c\n@@ -8,3 +8,5 @@\n \tfor (;;)\n \t\tpanic_count++;\n }\n+\n+const char panic_table[4096] = { 1 };\n',
    );
    await writeFile(join(queue, 'queue.yaml'), (await copiedQueueYaml(queue)) + '  - name: panic-table\n    file: patches/panic-table.patch\n');
    const r = await rel('0.0-tiny2', '--queue', queue, '--config', CONFIG, '--out', join(work, 'a'));
    expect(r.code, r.stderr).toBe(0);

    const c = await rel('changelog', join(work, 'a', '0.0-tiny1'), join(work, 'a', '0.0-tiny2'));
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^changelog fake-tiny 0\.0-tiny1 -> 0\.0-tiny2$/m);
    expect(c.stdout).toContain('patches: 1 added, 0 removed, 1 changed, 1 refreshed, 0 unchanged');
    expect(c.stdout).toMatch(/^banner-option\s+changed\s+\+10 -0 -> \+10 -0\s+(\d+|\d+ -> \d+)\s+([+-]\d+|0)\s/m);
    expect(c.stdout).toMatch(/^panic-reason\s+refreshed\s+\+1 -0\s+-\s+-\s+\S+( -> \S+)?\s+\S+$/m);
    const j = expectJsonOutput('release-changelog', (await rel('changelog', join(work, 'a', '0.0-tiny1'), join(work, 'a', '0.0-tiny2'), '--json')).stdout) as any;
    const table = j.entries.find((e: { name: string }) => e.name === 'panic-table');
    expect(table.change).toBe('added');
    // the new patch costs its 4 KiB table (and alignment) with nothing to flip
    expect(table.sizes.new.saves).toBeNull();
    expect(table.sizes.noop_delta).toBeGreaterThanOrEqual(4096);
    const banner2 = j.entries.find((e: { name: string }) => e.name === 'banner-option');
    expect(banner2.sizes.saves_delta).toBe(banner2.sizes.new.saves - banner2.sizes.old.saves);
    expect(j.new.sizes.queue - j.old.sizes.queue).toBeGreaterThanOrEqual(4096);
    // backwards, the table is removed
    const back = await rel('changelog', join(work, 'a', '0.0-tiny2'), join(work, 'a', '0.0-tiny1'), '--format', 'md');
    expect(back.stdout).toContain('- **removed**: `panic-table`');
  }, 180_000);
});
