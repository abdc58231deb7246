// Where the queue is when no --queue is given: queue/queue.yaml in the current directory or the
// nearest directory above it that has one, as quilt finds patches/ (so tiny works from anywhere
// inside a kernel tree or a project). The walk stops at the file system's root, and at the home
// directory when it starts inside it: a queue above $HOME is someone else's.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { searchUp } from '../util/search-up.js';
import { TinyError } from '../util/diagnostics.js';

/** The directory a queue lives in, under the project directory. */
export const QUEUE_DIR = 'queue';
export const QUEUE_FILE = 'queue.yaml';

export interface QueueSearch {
  /** The directories looked in, nearest first (each for queue/queue.yaml). */
  looked: string[];
  /** The queue directory found, or undefined. */
  found?: string;
}

/** Walk up from `start` looking for queue/queue.yaml (stopping at `home` when start is inside it). */
export function searchQueue(start: string, home?: string, exists: (p: string) => boolean = existsSync): QueueSearch {
  const s = searchUp(start, home, (dir) => exists(join(dir, QUEUE_DIR, QUEUE_FILE)));
  return s.found ? { looked: s.looked, found: join(s.found, QUEUE_DIR) } : { looked: s.looked };
}

/**
 * The queue directory: `explicit` (--queue) when given, else $TINY_QUEUE, else the nearest
 * queue/queue.yaml upward from `cwd`. None found is an error naming where it looked.
 */
export function locateQueue(explicit: string | undefined, o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const cwd = o.cwd ?? process.cwd();
  const env = o.env ?? process.env;
  if (explicit !== undefined && explicit !== '') return resolve(cwd, explicit);
  if (env.TINY_QUEUE) return resolve(cwd, env.TINY_QUEUE);
  const search = searchQueue(cwd, env.HOME);
  if (search.found) return search.found;
  const first = search.looked[0]!;
  const last = search.looked[search.looked.length - 1]!;
  const where = search.looked.length === 1 ? first : `${first} and the ${search.looked.length - 1} director${search.looked.length === 2 ? 'y' : 'ies'} above it, up to ${last}`;
  throw new TinyError(
    `no queue found: no ${QUEUE_DIR}/${QUEUE_FILE} in ${where}`,
    2,
    [],
    `run tiny inside a project that has ${QUEUE_DIR}/${QUEUE_FILE}, or point at one: --queue DIR or TINY_QUEUE=DIR`,
  );
}
