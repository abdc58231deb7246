// A queue patch as the tree store's buildSeries takes it: one definition, so `tiny queue
// apply`, the build matrix, refresh/rebase and release make the same (memoized) commits.

import { patchTextForGit } from '../patch/parse.js';
import type { QueuePatch } from '../queue/types.js';
import type { SeriesPatch } from '../tree/index.js';

/** The commit subject of a patch: its summary, else its Subject, else its name, on one line. */
export function commitSubject(p: QueuePatch): string {
  return (p.summary ?? p.parsed.header.subject ?? p.name).replace(/\s*\n\s*/g, ' ').trim() || p.name;
}

export function seriesPatchOf(p: QueuePatch): SeriesPatch {
  return {
    name: p.name,
    // A CRLF patch file is given to git as GNU patch reads it (and as tiny checks it).
    text: patchTextForGit(p.text),
    strip: p.strip,
    reverse: p.reverse,
    ...(p.author ? { author: p.author } : {}),
    subject: commitSubject(p),
    ...(p.parsed.header.body ? { body: p.parsed.header.body } : {}),
  };
}
