// What a patch changes, as a hash that ignores everything that is not the change: the mail
// header and commit message, the diffstat, `diff --git`/`index` lines, the timestamps on
// ---/+++ lines, the a/ b/ prefixes (paths are compared after stripping), and the line
// numbers and function names of @@ headers (a patch refreshed onto moved context is the same
// change). Two patches with the same content hash make the same edits to the same files.

import { createHash } from 'node:crypto';
import { parsePatch, patchStats } from '../patch/parse.js';

export interface PatchContent {
  /** sha256 over the normalized change. */
  hash: string;
  files: number;
  added: number;
  removed: number;
}

export function patchContent(text: string, strip: number, reverse = false): PatchContent {
  const parsed = parsePatch(text, strip);
  const h = createHash('sha256');
  h.update(`tiny-patch-content-1${reverse ? ' reverse' : ''}\n`);
  for (const f of parsed.files) {
    h.update(`file ${f.oldPath ?? '/dev/null'} -> ${f.newPath ?? '/dev/null'} ${f.oldMode ?? ''} ${f.newMode ?? ''}${f.binary ? ' binary' : ''}\n`);
    for (const hunk of f.hunks) {
      h.update('@@\n');
      for (const l of hunk.lines) h.update(`${l.kind}${l.text}${l.noNewline ? '\n\\' : ''}\n`);
    }
  }
  const stats = patchStats(parsed);
  return { hash: h.digest('hex'), files: stats.files, added: stats.added, removed: stats.removed };
}
