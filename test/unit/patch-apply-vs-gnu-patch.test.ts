// Differential test: the in-memory applier against GNU patch on random files and edits.
// Random base files are edited, diffed with `diff -u` (several context sizes), and the diffs are
// applied both by GNU patch (one real run per batch, in a temp dir) and by src/patch/apply.ts
// to targets perturbed so that offsets, fuzz, failures and "already applied" cases occur. The
// resulting contents and every hunk's status, offset, fuzz and reported line must be identical.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyFilePatch } from '../../src/patch/apply.js';
import { parsePatch } from '../../src/patch/parse.js';
import { type Case, makeCase, prng } from '../helpers/random-patches.js';

const PATCH = '/usr/bin/patch';
const DIFF = '/usr/bin/diff';
const missing = [PATCH, DIFF].filter((p) => !existsSync(p));

interface GnuHunk {
  status: 'succeeded' | 'FAILED' | 'ignored';
  line: number;
  fuzz: number;
  offset: number;
  eol: boolean;
}
interface GnuFile {
  hunks: Map<number, GnuHunk>;
  skipped: boolean;
}

function parseGnuOutput(stdout: string): Map<string, GnuFile> {
  const files = new Map<string, GnuFile>();
  let cur: GnuFile | undefined;
  for (const l of stdout.split('\n')) {
    const pf = /^(?:patching|checking) file (\S+)/.exec(l);
    if (pf) {
      cur = { hunks: new Map(), skipped: false };
      files.set(pf[1]!, cur);
      continue;
    }
    if (!cur) continue;
    if (/^(Reversed \(or previously applied\)|Unreversed) patch detected!/.test(l)) cur.skipped = true;
    const h = /^Hunk #(\d+) (succeeded|FAILED|ignored) at (-?\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?/.exec(l);
    if (h) {
      cur.hunks.set(Number(h[1]), {
        status: h[2] as GnuHunk['status'],
        line: Number(h[3]),
        fuzz: Number(h[4] ?? 0),
        offset: Number(h[5] ?? 0),
        eol: l.includes('(different line endings)'),
      });
    }
  }
  return files;
}

const work = missing.length ? '' : mkdtempSync(join(tmpdir(), 'tiny-apply-vs-gnu-'));
afterAll(() => {
  // TINY_KEEP_GNU_DIR=1 keeps the files of every batch (base a/, new b/, target o/, patched t/, p.diff).
  if (work && !process.env.TINY_KEEP_GNU_DIR) rmSync(work, { recursive: true, force: true });
});

interface Mode {
  label: string;
  flags: string[];
  reverse: boolean;
  skipReversed: boolean;
}

/** One batch: N cases, one `diff -r`, one `patch` run; returns the number of files compared. */
function runBatch(seed: number, count: number, context: number, mode: Mode): { files: number; offsets: number; fuzzed: number; failed: number; skipped: number } {
  const rng = prng(seed);
  const dir = join(work, `b${seed}`);
  for (const d of ['a', 'b', 't', 'o']) mkdirSync(join(dir, d), { recursive: true });
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const c = makeCase(rng, `c${String(i).padStart(4, '0')}`, mode.reverse);
    cases.push(c);
    writeFileSync(join(dir, 'a', c.name), c.base);
    writeFileSync(join(dir, 'b', c.name), c.next);
    writeFileSync(join(dir, 't', c.name), c.target);
    writeFileSync(join(dir, 'o', c.name), c.target); // t/ is patched in place; o/ keeps the target
  }
  const d = spawnSync(DIFF, ['-r', `-U${context}`, 'a', 'b'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(d.status === 0 || d.status === 1, d.stderr).toBe(true);
  // Some sections get wrong line numbers in their @@ headers (as in hand-edited or rebased
  // patches): hunks then overlap or are expected far away, which exercises patch's search bounds.
  const patchText = d.stdout
    .split(/(?=^diff -r )/m)
    .map((section) =>
      rng.chance(0.25)
        ? section.replace(/^@@ -(\d+)(,\d+)? \+/gm, (_m, start: string, count: string | undefined) => {
            const moved = Math.max(Number(start) + rng.int(-8, 8), count === ',0' ? 0 : 1);
            return `@@ -${moved}${count ?? ''} +`;
          })
        : section,
    )
    .join('');
  writeFileSync(join(dir, 'p.diff'), patchText);
  const p = spawnSync(PATCH, ['-p1', '-d', join(dir, 't'), '-F2', '--no-backup-if-mismatch', '-r', '-', ...mode.flags, '-i', join(dir, 'p.diff')], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', QUOTING_STYLE: 'literal', POSIXLY_CORRECT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
  expect(p.status === 0 || p.status === 1, `patch exited ${p.status}: ${p.stderr}`).toBe(true);
  const gnu = parseGnuOutput(p.stdout);
  const byName = new Map(cases.map((c) => [c.name, c]));

  const parsed = parsePatch(patchText, 1);
  let offsets = 0;
  let fuzzed = 0;
  let failed = 0;
  let skipped = 0;
  for (const fp of parsed.files) {
    const name = fp.newPath!;
    const c = byName.get(name)!;
    const g = gnu.get(name);
    const where = `${mode.label} -U${context} seed ${seed} ${dir}/t/${name}`;
    expect(g, `${where}: patch said nothing about the file`).toBeDefined();
    const r = applyFilePatch(c.target, fp, { reverse: mode.reverse, skipReversed: mode.skipReversed });
    const gnuContent = readFileSync(join(dir, 't', name), 'utf8');
    const ours = r.content ?? '';
    const oursSkipped = /skipping the file/.test(r.hunks[0]?.reason ?? '');
    if (ours !== gnuContent || g!.skipped !== oursSkipped) {
      // Print the whole case to reproduce it by hand.
      console.error(
        `${where}\n--- patch output:\n${p.stdout.split('patching file ' + name)[1]?.split('patching file')[0]}\n--- patch:\n${
          patchText.split(`diff -r -U${context} a/${name} b/${name}`)[1]?.split('\ndiff -r')[0]
        }\n--- target:\n${JSON.stringify(c.target)}\n--- ours:\n${JSON.stringify(r.hunks, null, 1)}`,
      );
    }
    expect(ours, `${where}: content`).toBe(gnuContent);
    expect(r.hunks.length).toBe(fp.hunks.length);
    expect(oursSkipped, `${where}: skipped as reversed`).toBe(g!.skipped);
    if (g!.skipped) {
      skipped++;
      expect(r.ok, `${where}: should be skipped as reversed`).toBe(false);
      expect(r.hunks.every((h) => !h.applied)).toBe(true);
      expect(r.hunks[0]!.reason).toMatch(/reversed|unreversed/i);
      continue;
    }
    // Where patch reports a hunk: old line + lines added by the hunks applied before it.
    let outOffset = 0;
    for (const h of r.hunks) {
      const gh = g!.hunks.get(h.hunk);
      const hunk = fp.hunks[h.hunk - 1]!;
      const plus = hunk.lines.filter((l) => l.kind === '+').length;
      const minus = hunk.lines.filter((l) => l.kind === '-').length;
      const delta = mode.reverse ? minus - plus : plus - minus;
      const ctx = `${where} hunk #${h.hunk}`;
      if (h.applied) {
        if (h.fuzz || h.offset) {
          expect(gh, `${ctx}: patch printed no offset/fuzz, we have offset ${h.offset} fuzz ${h.fuzz}`).toBeDefined();
          expect({ status: gh!.status, fuzz: gh!.fuzz, offset: gh!.offset, line: gh!.line }, ctx).toEqual({
            status: 'succeeded',
            fuzz: h.fuzz,
            offset: h.offset,
            line: h.appliedLine! + outOffset,
          });
          if (h.offset) offsets++;
          if (h.fuzz) fuzzed++;
        } else {
          expect(gh, `${ctx}: we applied it clean, patch says ${JSON.stringify(gh)}`).toBeUndefined();
        }
        outOffset += delta;
      } else {
        failed++;
        expect(gh?.status, `${ctx}: we failed it (${h.reason})`).toBe('FAILED');
        // patch reports where it found the hunk when it found it but could not apply it there.
        expect(gh!.line, ctx).toBe((h.appliedLine ?? h.expectedLine) + outOffset);
        expect(h.reason, ctx).toContain(`FAILED at ${gh!.line}`);
        expect(/\(different line endings\)/.test(h.reason!), `${ctx}: line endings`).toBe(gh!.eol);
      }
    }
  }
  return { files: parsed.files.length, offsets, fuzzed, failed, skipped };
}

/** TINY_GNU_ROUNDS=20 runs twenty times as many random cases (a longer soak, same seeds first). */
const ROUNDS = Math.max(1, Number(process.env.TINY_GNU_ROUNDS ?? 1));

const MODES: Mode[] = [
  { label: 'patch -f', flags: ['-f'], reverse: false, skipReversed: false },
  { label: 'patch -N', flags: ['-N', '-t'], reverse: false, skipReversed: true },
  { label: 'patch -R -f', flags: ['-R', '-f'], reverse: true, skipReversed: false },
];

if (missing.length) {
  describe.skip(`applier vs GNU patch: SKIPPED, ${missing.join(' and ')} not found (apt-get install -y patch diffutils)`, () => {
    it('needs GNU patch', () => {});
  });
} else {
  describe('applier vs GNU patch (random files, seeded)', () => {
    for (const mode of MODES) {
      it(`${mode.label}: same content, status, offset and fuzz as GNU patch`, async () => {
        const totals = { files: 0, offsets: 0, fuzzed: 0, failed: 0, skipped: 0 };
        let seed = 100000 * (MODES.indexOf(mode) + 1);
        for (let round = 0; round < ROUNDS; round++) {
          for (const context of [3, 3, 1, 2, 0, 5]) {
            // Yield between batches: a worker that never returns to its event loop on a loaded
            // machine makes vitest time out talking to it.
            await new Promise((resolve) => setImmediate(resolve));
            const t = runBatch(++seed, 120, context, mode);
            for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += t[k];
          }
        }
        // The generator must actually produce the interesting cases.
        expect(totals.files).toBeGreaterThan(600);
        expect(totals.offsets).toBeGreaterThan(50);
        expect(totals.fuzzed).toBeGreaterThan(10);
        expect(totals.failed).toBeGreaterThan(10);
        if (mode.skipReversed) expect(totals.skipped).toBeGreaterThan(5);
        console.log(`${mode.label}: ${JSON.stringify(totals)}`);
      });
    }
  });
}
