// Fake kernel trees and a queue for refresh/rebase tests, written by the tests themselves:
// an old base (2.6.9) and a new one (2.6.10) that differ around each patch in one way.
//
//   p-clean     kernel/a.c  the new base did not touch the file          -> clean
//   p-offset    kernel/b.c  5 lines added above the change               -> merged (offset)
//   p-merge     kernel/c.c  a context line of the patch changed          -> merged (3-way)
//   p-conflict  kernel/d.c  the new base changed the same line           -> conflict
//   p-upstream  kernel/e.c  the new base already has the patch's change  -> upstream

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const lines = (tag: string, n = 30): string[] => Array.from({ length: n }, (_, i) => `int ${tag}_line${i + 1} = ${i + 1};`);

/** A unified diff replacing line `at` (1-based) of `path` with `text`, 3 lines of context. */
export function replaceLine(path: string, content: string[], at: number, text: string): string {
  const from = Math.max(1, at - 3);
  const to = Math.min(content.length, at + 3);
  const out = [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`, `@@ -${from},${to - from + 1} +${from},${to - from + 1} @@`];
  for (let i = from; i <= to; i++) {
    if (i === at) out.push(`-${content[i - 1]}`, `+${text}`);
    else out.push(` ${content[i - 1]}`);
  }
  return out.join('\n') + '\n';
}

export function mail(subject: string, body: string, diff: string): string {
  return `From: A Developer <dev@example.org>\nSubject: [PATCH] ${subject}\n\n${body}\n\nSigned-off-by: A Developer <dev@example.org>\n---\n${diff}`;
}

async function writeTree(dir: string, files: Record<string, string[] | string>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), Array.isArray(c) ? c.join('\n') + '\n' : c);
  }
}

const makefile = (sub: number) => `VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = ${sub}\nEXTRAVERSION =\n`;

export const OLD = { a: lines('a'), b: lines('b'), c: lines('c'), d: lines('d'), e: lines('e') };
export const NEW = {
  a: OLD.a,
  b: [...lines('new', 5), ...OLD.b],
  c: OLD.c.map((l, i) => (i + 1 === 13 ? 'int c_line13 = 1300; /* changed upstream */' : l)),
  d: OLD.d.map((l, i) => (i + 1 === 20 ? 'int d_line20 = 2000; /* changed upstream */' : l)),
  e: OLD.e.map((l, i) => (i + 1 === 10 ? 'int e_line10 = 100;' : l)),
};

export const PATCHES: Record<string, { file: string; subject: string; text: string }> = {
  'p-clean': { file: 'patches/p-clean.patch', subject: 'a: tweak line 15', text: mail('a: tweak line 15', 'Make a smaller.', replaceLine('kernel/a.c', OLD.a, 15, 'int a_line15 = 0;')) },
  'p-offset': { file: 'patches/p-offset.patch', subject: 'b: tweak line 15', text: mail('b: tweak line 15', 'Make b smaller.', replaceLine('kernel/b.c', OLD.b, 15, 'int b_line15 = 0;')) },
  'p-merge': { file: 'patches/p-merge.patch', subject: 'c: tweak line 15', text: mail('c: tweak line 15', 'Make c smaller.', replaceLine('kernel/c.c', OLD.c, 15, 'int c_line15 = 0;')) },
  'p-conflict': { file: 'patches/p-conflict.patch', subject: 'd: tweak line 20', text: mail('d: tweak line 20', 'Make d smaller.', replaceLine('kernel/d.c', OLD.d, 20, 'int d_line20 = 0;')) },
  'p-upstream': { file: 'patches/p-upstream.patch', subject: 'e: tweak line 10', text: mail('e: tweak line 10', 'Make e smaller.', replaceLine('kernel/e.c', OLD.e, 10, 'int e_line10 = 100;')) },
};

export async function writeOldTree(dir: string): Promise<void> {
  await writeTree(dir, { Makefile: makefile(9), 'kernel/a.c': OLD.a, 'kernel/b.c': OLD.b, 'kernel/c.c': OLD.c, 'kernel/d.c': OLD.d, 'kernel/e.c': OLD.e });
}

export async function writeNewTree(dir: string): Promise<void> {
  await writeTree(dir, { Makefile: makefile(10), 'kernel/a.c': NEW.a, 'kernel/b.c': NEW.b, 'kernel/c.c': NEW.c, 'kernel/d.c': NEW.d, 'kernel/e.c': NEW.e });
}

/** A queue on `oldTree` with the given patches (default: all five, in the order above). */
export async function writeQueue(dir: string, oldTree: string, names = Object.keys(PATCHES)): Promise<void> {
  const series = names.map((n) => `  - name: ${n}\n    file: ${PATCHES[n]!.file}\n`).join('');
  await writeTree(dir, {
    'queue.yaml': `# A test queue.\nname: rebase-fixture\n\nbase:\n  version: "2.6.9"\n  # the old tree\n  sources:\n    - path: ${oldTree}\n\nseries:\n${series}`,
  });
  for (const n of names) await writeTree(dir, { [PATCHES[n]!.file]: PATCHES[n]!.text });
}
