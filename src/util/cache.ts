// Where tiny keeps its cache: $TINY_CACHE, else $XDG_CACHE_HOME/tiny, else ~/.cache/tiny.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TINY_CACHE) return resolve(env.TINY_CACHE);
  const xdg = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(resolve(xdg), 'tiny');
}

/**
 * Other tiny caches whose tree stores this one borrows from ($TINY_SHARED_TREES, separated by
 * ":"): their objects through git alternates, and their imports, so a base imported by one is
 * not imported again by the others.
 */
export function sharedTreeCaches(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TINY_SHARED_TREES ?? '')
    .split(':')
    .filter((p) => p.trim() !== '')
    .map((p) => resolve(p));
}
