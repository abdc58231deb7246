// Differential test: git binary patches applied by the in-memory applier (src/patch/binary.ts)
// against real `git apply`. Random binary files (every byte value, NULs, sizes around git's
// literal/delta choice) are changed, created and deleted in a scratch repository, diffed with
// `git diff --binary --full-index`, and each file's patch applied both ways, forward and -R: to
// the right preimage, to a changed one, to a missing file and to a file already there. Both
// must accept the same cases and write the same bytes; a shortened index line is refused by both.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/patch/apply.js';
import { parsePatch } from '../../src/patch/parse.js';
import { prng } from '../helpers/random-patches.js';

const work = mkdtempSync(join(tmpdir(), 'tiny-binary-vs-git-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function git(dir: string, args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'core.autocrlf=false', ...args], { cwd: dir, input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Random bytes, sometimes with runs (so deltas find copies) and NULs. */
function randomBytes(rand: () => number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = rand() < 0.3 ? 0 : Math.floor(rand() * 256);
  return b;
}

function edit(rand: () => number, old: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let n = 1 + Math.floor(rand() * 4); n > 0 && at < old.length; n--) {
    const next = at + Math.floor(rand() * (old.length - at));
    parts.push(old.subarray(at, next));
    const cut = Math.floor(rand() * 40);
    parts.push(randomBytes(rand, Math.floor(rand() * 60)));
    at = Math.min(old.length, next + cut);
  }
  parts.push(old.subarray(at));
  return Buffer.concat(parts);
}

interface Case {
  name: string;
  old?: Buffer;
  now?: Buffer;
}

/** The cases of one batch, committed as a change in a scratch repository, and its diff. */
function makeBatch(seed: number, count: number): { cases: Case[]; diff: string; repo: string } {
  const rand = prng(seed).next;
  const repo = join(work, `b${seed}`);
  mkdirSync(repo);
  git(repo, ['init', '-q']);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rand();
    const size = [0, 1, 7, 100, 1000, 5000][Math.floor(rand() * 6)]!;
    const name = `f${i}.bin`;
    if (kind < 0.15) cases.push({ name, now: randomBytes(rand, size + 1) });
    else if (kind < 0.3) cases.push({ name, old: randomBytes(rand, size + 1) });
    else {
      const old = randomBytes(rand, size + 1);
      cases.push({ name, old, now: kind < 0.4 ? randomBytes(rand, size + 3) : edit(rand, old) });
    }
  }
  for (const c of cases) if (c.old) writeFileSync(join(repo, c.name), c.old);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '--allow-empty', '-m', 'old']);
  for (const c of cases) {
    if (c.now) writeFileSync(join(repo, c.name), c.now);
    else rmSync(join(repo, c.name));
  }
  git(repo, ['add', '-A']);
  const diff = git(repo, ['diff', '--cached', '--binary', '--full-index']).stdout.toString('latin1');
  return { cases, diff, repo };
}

/** One file's section of a multi-file git diff (undefined: the file did not change). */
function sectionOf(diff: string, name: string): string | undefined {
  const start = diff.indexOf(`diff --git a/${name} b/${name}\n`);
  if (start < 0) return undefined;
  const next = diff.indexOf('\ndiff --git ', start + 1);
  return diff.slice(start, next < 0 ? undefined : next + 1);
}

/** What real git apply makes of `section` on a directory holding `target` (undefined: no file). */
function gitApply(dir: string, name: string, section: string, target: Buffer | undefined, reverse: boolean): { ok: boolean; content?: Buffer } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (target) writeFileSync(join(dir, name), target);
  const r = spawnSync('git', ['apply', ...(reverse ? ['-R'] : []), '-'], { cwd: dir, input: Buffer.from(section, 'latin1') });
  if (r.status !== 0) return { ok: false };
  return { ok: true, ...(existsSync(join(dir, name)) ? { content: readFileSync(join(dir, name)) } : {}) };
}

function tinyApply(name: string, section: string, target: Buffer | undefined, reverse: boolean): { ok: boolean; content?: Buffer } {
  const patch = parsePatch(section, 1);
  const r = applyPatch((p) => (p === name && target ? target.toString('latin1') : undefined), patch, { reverse });
  if (r.outcome.kind === 'fails') return { ok: false };
  const c = r.changes.get(name);
  return { ok: true, ...(c === null || c === undefined ? {} : { content: Buffer.from(c, 'latin1') }) };
}

describe('git binary patches: the in-memory applier against git apply', () => {
  it('accepts and refuses what git apply does, with the same bytes, forward and reversed', () => {
    let agreed = 0;
    let applied = 0;
    let deltas = 0;
    for (const seed of [1, 2, 3, 4]) {
      const { cases, diff } = makeBatch(seed, 20);
      expect(diff).toContain('GIT binary patch');
      deltas += diff.match(/^delta \d+$/gm)?.length ?? 0;
      for (const c of cases) {
        const section = sectionOf(diff, c.name);
        if (section === undefined) continue;
        for (const reverse of [false, true]) {
          const pre = reverse ? c.now : c.old;
          const targets: Array<Buffer | undefined> = [pre, undefined, Buffer.concat([pre ?? Buffer.alloc(0), Buffer.from('x')]), reverse ? c.old : c.now];
          for (const target of targets) {
            const real = gitApply(join(work, 'g'), c.name, section, target, reverse);
            const ours = tinyApply(c.name, section, target, reverse);
            const what = `${c.name} seed ${seed}${reverse ? ' -R' : ''}, target ${target === pre ? 'preimage' : target === undefined ? 'absent' : `${target.length} bytes`}`;
            expect(ours.ok, what).toBe(real.ok);
            if (real.ok) {
              expect(ours.content?.toString('hex'), what).toBe(real.content?.toString('hex'));
              applied++;
            }
            agreed++;
          }
          // The right preimage always applies, to the other side.
          const right = tinyApply(c.name, section, pre, reverse);
          expect(right.ok).toBe(true);
          expect(right.content?.toString('hex')).toBe((reverse ? c.old : c.now)?.toString('hex'));
        }
      }
    }
    expect(deltas).toBeGreaterThan(10); // literals and deltas both
    expect(agreed).toBeGreaterThan(400);
    expect(applied).toBeGreaterThan(100);
  });

  it('refuses, as git does, a binary patch whose index line has shortened ids', () => {
    const { cases, diff } = makeBatch(9, 3);
    const c = cases.find((k) => k.old && k.now)!;
    // git diff --binary always writes full ids: shortened by hand, as a mail client or an edit might.
    const section = sectionOf(diff, c.name)!.replace(/^index ([0-9a-f]{7})[0-9a-f]{33}\.\.([0-9a-f]{7})[0-9a-f]{33}/m, 'index $1..$2');
    expect(section).toMatch(/^index [0-9a-f]{7}\.\.[0-9a-f]{7} /m);
    expect(gitApply(join(work, 'g'), c.name, section, c.old, false).ok).toBe(false);
    const r = applyPatch((p) => (p === c.name ? c.old!.toString('latin1') : undefined), parsePatch(section, 1));
    expect(r.outcome.kind).toBe('fails');
    if (r.outcome.kind === 'fails') expect(r.outcome.failed[0]!.reason).toMatch(/without full index line/);
  });
});
