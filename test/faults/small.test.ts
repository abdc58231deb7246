// Small faults, each with its own wrong answer before: a reader that closes the pipe, a command
// group without its subcommand, an --only that names nothing, qemu refusing the memory asked
// for, a release verified against another queue, a rebase whose old base has no source, a
// quilt export of a queue whose patches are meant for different bases, and an --out worktree
// with local changes.

import { spawn } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeConsole, parseMem, qemuArgs, qemuBinary, runQemu } from '../../src/boot/index.js';
import { haveCommand } from '../../src/util/exec.js';
import { writeNewTree, writeQueue } from '../helpers/rebase-fixture.js';
import { REPO, FAKE_CONFIG, FAKE_QUEUE, scratch, snapshotBytes, tiny } from './harness.js';
import { TINY_BIN } from '../helpers/cli.js';

/** `tiny args | true`: the reader is gone before tiny writes a byte. */
function intoClosedPipe(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${TINY_BIN}" "$@" | true`, 'tiny', ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('small faults', { timeout: 120_000 }, () => {
  let work: string;
  let env: { TINY_CACHE: string };
  beforeAll(async () => {
    work = await scratch('tiny-small-');
    env = { TINY_CACHE: join(work, 'cache') };
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('a reader that closes the pipe (`tiny ... | head -1`): every command stops quietly, exit 0, no trace', async () => {
    for (const args of [['boot', '--help'], ['build', '--help'], ['--help'], ['queue', 'list', '--queue', FAKE_QUEUE]]) {
      const r = await intoClosedPipe(args, env);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 0, '']);
    }
  });

  it('a command group without its subcommand is bad usage: exit 2, with the usage', async () => {
    for (const group of ['queue', 'toolchain']) {
      const r = await tiny([group], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Usage: tiny ${group} [options] [command]`);
    }
  });

  it('--only that names nothing is an error (exit 2), not "every toggle"', async () => {
    const b = await tiny(['build', '--config', FAKE_CONFIG, '--queue', FAKE_QUEUE, '--runtime', 'host', '--only', ','], { env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('tiny: --only "," names nothing\n  hint: give one or more names, comma-separated, or leave --only out to take them all');
    expect(b.stderr).not.toContain('building');
    const a = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--only', ' , ', '--out', join(work, 'never')], { env });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('tiny: --only " , " names nothing');
  });

  it("qemu that cannot allocate the memory asked for: the boot failure is qemu's own reason, not a guess", async (ctx) => {
    const qemu = qemuBinary('i386');
    if (!(await haveCommand(qemu))) {
      if (process.env.CI) throw new Error(`${qemu} is not installed`);
      ctx.skip();
    }
    // What `tiny boot --mem 99999G` runs; qemu gives up before it reads the kernel.
    const kernel = join(work, 'bzImage');
    await writeFile(kernel, 'not a kernel');
    const run = await runQemu(qemu, qemuArgs({ arch: 'i386', kernel, root: { kind: 'initramfs', file: kernel }, memKiB: parseMem('99999G') }), { timeoutMs: 60_000 });
    const v = judgeConsole(run.console, run);
    expect(v.booted).toBe(false);
    expect(v.reason).toMatch(/^qemu exited \(code 1\) before the kernel started: .*cannot set up guest memory 'pc\.ram': Cannot allocate memory$/);
    expect(v.reason).not.toContain('too little memory?');
  });

  it("`tiny release verify` of another queue's release names the queue it needs and --queue, exit 2, before regenerating anything", async () => {
    const out = join(work, 'releases');
    const made = await tiny(['release', '0.0-tiny1', '--queue', FAKE_QUEUE, '--select', 'none', '--force', '--out', out], { env: { ...env, TINY_RUNTIME: 'host' } });
    expect(made.code, made.stderr).toBe(0);
    const dir = join(out, '0.0-tiny1');
    // From the repository: ./queue is tiny's own queue, not the one released.
    const r = await tiny(['release', 'verify', dir], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`tiny: ${dir} is a release of the queue fake-tiny, but ${join(REPO, 'queue')} holds the queue linux-tiny\n`);
    const withQueue = `tiny release verify ${dir} --queue DIR, DIR holding the fake-tiny queue's queue.yaml`;
    expect(r.stderr).toContain(`hint: verify it against the queue it was made from: ${withQueue}`);
    expect(r.stderr).not.toContain('regenerating');
    // From a directory without a queue.
    const elsewhere = await tiny(['release', 'verify', dir], { env, cwd: work });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`tiny: ${dir} is a release of the queue fake-tiny; no queue found: no queue/queue.yaml in ${work} and the `);
    expect(elsewhere.stderr).toContain(`hint: ${withQueue}`);
    // With the right queue it verifies.
    const ok = await tiny(['release', 'verify', dir, '--queue', FAKE_QUEUE], { env });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("a rebase whose queue's own base has no usable source: the hint fixes base.sources, it does not offer --tree (the new base)", async () => {
    const q = join(work, 'rebase-q');
    const newTree = join(work, 'linux-2.6.10');
    await writeNewTree(newTree);
    await writeQueue(q, join(work, 'no-such-linux-2.6.9'));
    const before = await snapshotBytes(q);
    const r = await tiny(['queue', 'rebase', '--queue', q, '--tree', newTree], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tiny: no source of base 2.6.9 could be used:');
    expect(r.stderr).toContain(
      `hint: a rebase starts from the queue's own base 2.6.9: fix its sources in ${join(q, 'queue.yaml')} (base.sources: a directory or tarball of 2.6.9); --tree names the new base, not this one`,
    );
    expect(r.stderr).not.toContain('give a kernel tree with --tree DIR');
    expect(await snapshotBytes(q)).toEqual(before);
  });

  it('export-quilt writes the series of one base: patches meant for other bases are left out and named', async () => {
    const q = join(work, 'two-bases');
    await cp(FAKE_QUEUE, q, { recursive: true });
    const yaml = join(q, 'queue.yaml');
    const text = (await readFile(yaml, 'utf8'))
      .replace('path: ../../fakelinux', `path: ${join(REPO, 'test/fixtures/fakelinux')}`)
      .replace('\nseries:', `\nbases:\n  - version: "0.1"\n    sources:\n      - path: ${join(REPO, 'test/fixtures/fakelinux')}\nseries:`)
      .replace('    file: patches/panic-reason.patch\n', '    file: patches/panic-reason.patch\n    bases: ["0.1"]\n');
    await writeFile(yaml, text);

    const forBase = await tiny(['queue', 'export-quilt', '--queue', q, '--out', join(work, 'quilt-0.0')], { env });
    expect(forBase.code, forBase.stderr).toBe(0);
    expect(forBase.stderr).toContain('tiny: the series is for 0.0; left out, meant for other bases: panic-reason (export those with --base 0.1)');
    expect(await readFile(join(work, 'quilt-0.0', 'series'), 'utf8')).toBe('# fake-tiny: exported by tiny for base 0.0\nbanner-option.patch\nbroken.patch #+broken\n');

    const forOther = await tiny(['queue', 'export-quilt', '--queue', q, '--base', '0.1', '--out', join(work, 'quilt-0.1')], { env });
    expect(forOther.code, forOther.stderr).toBe(0);
    expect(forOther.stderr).toBe('');
    expect(await readFile(join(work, 'quilt-0.1', 'series'), 'utf8')).toBe('# fake-tiny: exported by tiny for base 0.1\nbanner-option.patch\npanic-reason.patch\nbroken.patch #+broken\n');

    const unknown = await tiny(['queue', 'export-quilt', '--queue', q, '--base', '9.9', '--out', join(work, 'quilt-9.9')], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('tiny: the queue claims no base 9.9\n  hint: its bases: 0.0, 0.1');
  });

  it('queue apply --out over its earlier worktree with local changes: refused naming the real --force; --force discards them', async () => {
    const out = join(work, 'applied');
    expect((await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--out', out], { env })).code).toBe(0);
    await writeFile(join(out, 'kernel/panic.c'), 'my edit\n');
    const refused = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--only', 'banner-option', '--out', out], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^tiny: worktree .* has local changes \(kernel\/panic\.c\); not moving it to [0-9a-f]{12}$/m);
    expect(refused.stderr).toContain('hint: commit or save your changes elsewhere, or discard them: tiny queue apply --force');
    expect(await readFile(join(out, 'kernel/panic.c'), 'utf8')).toBe('my edit\n');
    const forced = await tiny(['queue', 'apply', '--queue', FAKE_QUEUE, '--only', 'banner-option', '--out', out, '--force'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(join(out, 'kernel/panic.c'), 'utf8')).toBe(await readFile(join(REPO, 'test/fixtures/fakelinux/kernel/panic.c'), 'utf8'));
  });
});
