// The one timestamp a release carries (tar entries' mtime, the date in its README), chosen so
// that the same queue gives the same bytes:
//   1. $SOURCE_DATE_EPOCH, when set (the reproducible-builds.org convention);
//   2. else, when the queue directory is in a git work tree with nothing uncommitted in it:
//      the committer date of the last commit that touched the queue (`git log -1 -- DIR`);
//   3. else (not in git, or changed since the last commit): the newest modification time of
//      queue.yaml and the queue's patch files.
// Git wins over mtimes because a checkout sets every mtime to "now"; mtimes are the fallback
// for a queue kept outside git or being edited. The choice is recorded in release.json, and
// `tiny release verify` regenerates with the recorded value.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from '../queue/types.js';
import { TinyError } from '../util/diagnostics.js';
import { gitIn } from '../tree/git.js';

export interface SourceDate {
  /** Seconds since the epoch. */
  seconds: number;
  /** Where it came from: "SOURCE_DATE_EPOCH", "git log of the queue", "newest mtime of the queue's files". */
  from: string;
}

export function parseEpoch(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new TinyError(`${what} must be a whole number of seconds since 1970, not ${JSON.stringify(text)}`, 2);
  return Number(text.trim());
}

async function gitQueueDate(dir: string): Promise<number | undefined> {
  const inside = await gitIn(dir, ['rev-parse', '--is-inside-work-tree'], { allowFail: true }).catch(() => undefined);
  if (inside?.code !== 0 || inside.stdout.trim() !== 'true') return undefined;
  const status = await gitIn(dir, ['status', '--porcelain', '--untracked-files=all', '--', '.'], { allowFail: true });
  if (status.code !== 0 || status.stdout.trim() !== '') return undefined;
  const log = await gitIn(dir, ['log', '-1', '--format=%ct', '--', '.'], { allowFail: true });
  const t = log.stdout.trim();
  return log.code === 0 && /^\d+$/.test(t) ? Number(t) : undefined;
}

export async function sourceDate(queue: Queue, env: NodeJS.ProcessEnv = process.env): Promise<SourceDate> {
  if (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '') {
    return { seconds: parseEpoch(env.SOURCE_DATE_EPOCH, 'SOURCE_DATE_EPOCH'), from: 'SOURCE_DATE_EPOCH' };
  }
  const fromGit = await gitQueueDate(queue.dir);
  if (fromGit !== undefined) return { seconds: fromGit, from: 'git log of the queue' };
  let newest = 0;
  for (const file of [join(queue.dir, 'queue.yaml'), ...queue.series.map((p) => p.path)]) {
    const st = await stat(file);
    newest = Math.max(newest, Math.floor(st.mtimeMs / 1000));
  }
  return { seconds: newest, from: "newest mtime of the queue's files" };
}
