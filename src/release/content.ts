// What a patch changes, as a hash that ignores everything that is not the change: the mail
// header and commit message, the diffstat, `diff --git`/`index` lines, the timestamps on
// ---/+++ lines, the a/ b/ prefixes (paths are compared after stripping), a plain diff's
// backup name on its --- line, and the line numbers and function names of @@ headers (a patch
// refreshed onto moved context is the same change). Two patches with the same content hash make the same edits to the same files.

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
  // Paths and lines are byte strings: hashed as the bytes they are (latin1), never re-encoded.
  const hash = createHash('sha256');
  const h = { update: (s: string) => hash.update(s, 'latin1') };
  h.update(`tiny-patch-content-1${reverse ? ' reverse' : ''}\n`);
  for (const f of parsed.files) {
    // The file the change lands in; both names only for a rename or copy (a plain diff's
    // "--- foo.c.orig" is noise: patch(1) patches foo.c).
    const where = f.isRename || f.isCopy ? `${f.oldPath} -> ${f.newPath}` : f.isNew ? `new ${f.newPath}` : f.isDelete ? `delete ${f.oldPath}` : (f.newPath ?? f.oldPath);
    h.update(`file ${where} ${f.oldMode ?? ''} ${f.newMode ?? ''}${f.binary ? ' binary' : ''}\n`);
    for (const hunk of f.hunks) {
      h.update('@@\n');
      for (const l of hunk.lines) h.update(`${l.kind}${l.text}${l.noNewline ? '\n\\' : ''}\n`);
    }
  }
  const stats = patchStats(parsed);
  return { hash: hash.digest('hex'), files: stats.files, added: stats.added, removed: stats.removed };
}
