// Porcelain on a user's own repository (clone, fetch, log), through simple-git: its task API
// reads better than argument lists for these commands, and its errors carry git's own message.
// The tree store's plumbing (rev-parse, write-tree, fast-import over stdin, binary output)
// stays on src/tree/git.ts, which streams and keeps bytes; both run git with the one scrubbed
// environment (gitEnv: no inherited GIT_* variables, no user or system configuration), so a
// GIT_DIR exported by a calling hook never redirects a command to the user's repository.

import { simpleGit, type SimpleGit } from 'simple-git';
import { gitEnv } from './git.js';

/**
 * What git needs from the caller's environment for these commands: where programs and home
 * are, and what reaches a remote (an ssh agent, proxies). Nothing else is passed on: simple-git
 * refuses editors, pagers and askpass helpers in the environment, and git needs none of them.
 */
const PASSED_ON = /^(PATH|HOME|USER|LOGNAME|TMPDIR|SSH_AUTH_SOCK|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY)$/;

/**
 * simple-git in `dir` with tiny's git environment (gitEnv: no inherited GIT_* variables, no user
 * or system configuration). simple-git refuses GIT_CONFIG_GLOBAL unless told the path is meant:
 * it is /dev/null here, which is what keeps the user's configuration out.
 */
export function userRepo(dir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(gitEnv(extraEnv))) if (v !== undefined && (PASSED_ON.test(k) || k.startsWith('GIT_') || k === 'LC_ALL' || k === 'LANGUAGE')) env[k] = v;
  return simpleGit({ baseDir: dir, unsafe: { allowUnsafeConfigPaths: true } }).env(env);
}
