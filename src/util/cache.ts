// Where tiny keeps its cache: $TINY_CACHE, else $XDG_CACHE_HOME/tiny, else ~/.cache/tiny.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TINY_CACHE) return resolve(env.TINY_CACHE);
  const xdg = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(resolve(xdg), 'tiny');
}
