// Style checks on a patch: trailing whitespace in added lines, a missing Signed-off-by, a git
// binary patch (which quilt cannot push), and (behind --checkpatch) the kernel tree's own
// scripts/checkpatch.pl.

import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ParsedPatch } from '../patch/types.js';
import { filePath } from '../patch/parse.js';
import { bytesOf } from '../util/bytes.js';
import { run } from '../util/exec.js';
import type { StyleIssue } from './types.js';

export function styleIssues(patch: ParsedPatch): StyleIssue[] {
  const out: StyleIssue[] = [];
  if (patch.header.signedOffBy.length === 0) {
    out.push({ kind: 'no-signoff', message: 'no Signed-off-by: line in the patch header' });
  }
  for (const f of patch.files) {
    if (f.binary) {
      const what = f.binaryPatch
        ? 'a git binary patch: quilt push cannot apply it (GNU patch has no binary diffs); tiny applies it as git apply does'
        : 'a binary diff without its data ("Binary files ... differ"): nothing can apply it; make it with git diff --binary';
      out.push({ kind: 'git-binary', line: f.patchLine, message: `${filePath(f)}: ${what}` });
    }
    for (const h of f.hunks) {
      let n = h.newStart;
      for (const l of h.lines) {
        if (l.kind === '-') continue;
        if (l.kind === '+' && /[ \t]+$/.test(l.text)) {
          out.push({ kind: 'trailing-whitespace', file: filePath(f), line: n, message: 'trailing whitespace' });
        }
        n++;
      }
    }
  }
  return out;
}

/** Files checkpatch.pl needs next to it (those missing in older trees are simply absent). */
const CHECKPATCH_FILES = ['scripts/checkpatch.pl', 'scripts/spelling.txt', 'scripts/const_structs.checkpatch'];

/**
 * Run the tree's own checkpatch.pl on each patch text. `readFile` reads from the base tree;
 * returns null when the tree has no checkpatch.pl (2.6.9 predates it).
 */
export async function runCheckpatch(readFile: (path: string) => string | undefined, patches: Array<{ name: string; text: string }>): Promise<Map<string, StyleIssue[]> | null> {
  if (readFile('scripts/checkpatch.pl') === undefined) return null;
  const dir = await mkdtemp(join(tmpdir(), 'tiny-checkpatch-'));
  try {
    for (const f of CHECKPATCH_FILES) {
      const content = readFile(f);
      if (content === undefined) continue;
      await mkdir(dirname(join(dir, f)), { recursive: true });
      await writeFile(join(dir, f), bytesOf(content));
    }
    const out = new Map<string, StyleIssue[]>();
    for (const p of patches) {
      const r = await run('perl', [join(dir, 'scripts/checkpatch.pl'), '--no-tree', '--terse', '--no-summary', '--show-types', '-'], { input: bytesOf(p.text), allowFail: true, cwd: dir });
      const issues: StyleIssue[] = [];
      for (const line of r.stdout.split('\n')) {
        const m = /^[^:]*:(\d+): (ERROR|WARNING|CHECK):(.*)$/.exec(line);
        if (m) issues.push({ kind: 'checkpatch', line: Number(m[1]), message: `${m[2]}:${m[3]!.trim()}` });
      }
      out.set(p.name, issues);
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
