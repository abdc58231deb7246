// The size patches of the product's queue (everything outside the compat series) against a
// real, unmodified Linux 2.6.9 tree (TINY_TREE_2_6): each applies in order, alone and
// reversed, declares its Kconfig option (`bool "..." if EMBEDDED[ && ...]`, `default y`), changes only
// lines guarded by that option, and shares no diff context with another size patch.
// Runs `tiny queue check` once (a few seconds); the tree is never modified.

import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { skippedSuite, TREE_2_6 } from '../helpers/trees.js';

const TREE = TREE_2_6;

interface Outcome {
  kind: string;
  lines?: number;
}
interface PatchCheck {
  name: string;
  order: Outcome;
  alone: Outcome;
  reverse: Outcome;
  invasiveness: { declares_option: boolean | null; unguarded: unknown[] };
  style: unknown[];
}
interface Pair {
  a: string;
  b: string;
  files: string[];
  overlapping_hunks: number;
  swap_conflict: boolean;
}
interface Entry {
  name: string;
  file: string;
  option: string | null;
  author: string | null;
  bases: string[];
}

const TITLE = 'the size patches of the linux-tiny queue on a real 2.6.9 tree';
if (!TREE) {
  skippedSuite('queue-tiny-2.6', TITLE, 'TINY_TREE_2_6 is not set (point it at an unmodified Linux 2.6.9 tree, e.g. ~/.cache/tiny-trees/linux-2.6.9)');
} else
  describe(TITLE, () => {
    let work: string;
    let env: NodeJS.ProcessEnv;
    let checks: Map<string, PatchCheck>;
    let pairs: Pair[];
    let sizePatches: Entry[];

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'tiny-qt26-'));
      env = { TINY_CACHE: join(work, 'cache') };
      const list = await tiny(['queue', 'list', '--format', 'json'], { env });
      expect(list.code).toBe(0);
      // The size patches meant for 2.6.9 (the queue's later bases have per-base variants).
      sizePatches = (expectJsonOutput('queue-list', list.stdout).patches as Entry[]).filter((e) => !e.file.startsWith('patches/compat/') && (!e.bases.length || e.bases.includes('2.6.9')));
      const r = await tiny(['queue', 'check', '--tree', TREE!, '--format', 'json'], { env });
      // The tree is read and hashed in memory, not imported, and is the base the queue pins.
      expect(r.stderr).toBe(`tiny: 2.6.9: ${TREE} read without importing it: tree f3d196d3b703 hashed in memory (matches the pinned base.tree); the files the queue names kept\n`);
      expect(r.code).toBe(0);
      const report = expectJsonOutput('queue-check', r.stdout) as unknown as { ok: boolean; bases: { version: string; patches: PatchCheck[]; pairs: Pair[] }[] };
      expect(report.ok).toBe(true);
      expect(report.bases.map((b) => b.version)).toEqual(['2.6.9']);
      checks = new Map(report.bases[0]!.patches.map((p) => [p.name, p]));
      pairs = report.bases[0]!.pairs;
    }, 300_000);
    // Async: removing a kernel tree synchronously blocks the worker long enough for vitest's RPC to time out.
    afterAll(() => rm(work, { recursive: true, force: true }));

    it('has size patches, each with an option', () => {
      expect(sizePatches.length).toBeGreaterThanOrEqual(6);
      for (const e of sizePatches) expect({ name: e.name, option: e.option ?? null }).toEqual({ name: e.name, option: expect.stringMatching(/^[A-Z0-9_]+$/) });
    });

    it('applies every patch in order, alone and reversed without fuzz', () => {
      for (const [name, c] of checks) {
        for (const mode of ['order', 'alone', 'reverse'] as const) {
          expect({ name, mode, kind: c[mode].kind }).toEqual({ name, mode, kind: expect.stringMatching(/^(clean|offset)$/) });
        }
      }
    });

    it('declares every size patch option and changes nothing outside its guard', () => {
      for (const e of sizePatches) {
        const c = checks.get(e.name)!;
        expect({ name: e.name, declared: c.invasiveness.declares_option, unguarded: c.invasiveness.unguarded, style: c.style }).toEqual({
          name: e.name,
          declared: true,
          unguarded: [],
          style: [],
        });
      }
    });

    it('declares each option visible only with EMBEDDED and defaulting to y, with help (a debugging aid: default n in lib/Kconfig.debug)', () => {
      for (const e of sizePatches) {
        const text = readFileSync(join(REPO, 'queue', e.file), 'utf8');
        expect(text).toMatch(/^From: .+$/m);
        expect(text).toMatch(/^Subject: \[PATCH\] .+$/m);
        expect(text).toMatch(/^Signed-off-by: .+$/m);
        // The added Kconfig entry: from `+config OPTION` to the next blank added line.
        const entry = new RegExp(`^\\+config ${e.option}\\n((?:\\+.*\\n)+?)\\+\\n`, 'm').exec(text);
        expect(entry, `${e.file}: no added 'config ${e.option}' entry`).not.toBeNull();
        const body = entry![1]!;
        if (/^\+\s+default n\s*$/m.test(body)) {
          // A debugging aid such as kmalloc-accounting: off by default (today's kernel), among
          // the kernel-hacking options, where a size option would not be.
          expect(text, e.file).toMatch(/^\+\+\+ b\/lib\/Kconfig\.debug$/m);
          expect(body, e.file).toMatch(/^\+\s+bool\s+".+"\s*$/m);
        } else {
          // Visible only with EMBEDDED (an arch or SMP condition may follow: `if EMBEDDED && !SMP`).
          expect(body, e.file).toMatch(/^\+\s+bool\s+".+"\s+if EMBEDDED(\s*$|\s+&&\s+\S)/m);
          expect(body, e.file).toMatch(/^\+\s+default y\s*$/m);
        }
        expect(body, e.file).toMatch(/^\+\s+(---)?help(---)?\s*$/m);
      }
    });

    it("keeps the size patches out of each other's diff context", () => {
      const names = new Set(sizePatches.map((e) => e.name));
      const touching = pairs.filter((p) => names.has(p.a) && names.has(p.b));
      for (const p of touching) {
        expect({ a: p.a, b: p.b, files: p.files, overlapping: p.overlapping_hunks, swapConflict: p.swap_conflict }).toEqual({
          a: p.a,
          b: p.b,
          files: p.files,
          overlapping: 0,
          swapConflict: false,
        });
      }
    });
  });
