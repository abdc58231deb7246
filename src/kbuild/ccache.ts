// ccache beyond the local cache directory: a remote storage shared by several machines (ccache
// >= 4.4 `remote_storage`: redis://host:port, redis+unix:/path, http://host/path — Debian 12
// has 4.7), and per-build hit counts read from ccache's stats log.
//
// Why these settings are not build inputs: ccache cannot change the bytes a compiler writes, so
// a record key never depends on them (a run with a remote cache serves, and is served by, the
// records of a run without one). They are kept in the record (`ccache`) instead, so a reader
// sees which cache a build used and how well it hit.
//
//   CCACHE_REMOTE_STORAGE   the remote, as given (credentials are never written to a record)
//   CCACHE_COMPILERCHECK    string:<image ID>: two machines share results only when they run the
//                           same toolchain image (content would hash the gcc driver alone, not
//                           cc1 or as, which a rebuilt image can change behind an equal driver)
//   CCACHE_BASEDIR          host runtime only: the cache directory, so the per-machine paths of
//                           worktrees and build directories hash relative to it; containers
//                           build at /tiny/src and /tiny/build everywhere and need no rewriting
//   CCACHE_STATSLOG         a file in the build directory: every compilation appends its
//                           counters (cache_miss, direct_cache_hit, remote_storage_hit, ...)
//   CCACHE_NODEPEND         not depend mode (pinned, whatever a ccache.conf says): on a direct-mode
//                           miss ccache runs the preprocessor and looks the result up by the
//                           preprocessed text. A .config change rewrites autoconf.h, which every
//                           object includes, so direct (and depend) mode miss every object of a
//                           build under a .config not compiled before; the preprocessed text of
//                           most objects is unchanged, and they hit. Measured on 2.6.9's
//                           webserver-tiny (docs/speed.md): a fresh build directory under a new
//                           .config 303 hits of 304 (depend mode: 4 of 306), and a flip's
//                           objects compiled back to the previous toggle's text hit. The price
//                           is one preprocessor run per miss: +22% CPU on a cold miss against
//                           +8% in depend mode.
//   CCACHE_DISABLE          `tiny build --no-ccache` only: ccache neither looks a result up nor
//                           stores one, and runs the compiler as it is. CC keeps its "ccache" (a
//                           build input), so the records and keys are those of a build with the
//                           cache, and a lane's .cmd files do not change (Kbuild would rebuild
//                           every object for a changed command line). For a cache thrown away
//                           after the run: filling an empty ccache makes a cold build about a
//                           fifth slower (docs/speed.md), and nothing would read it.
//   PATH                    containers: /tiny/build/.tiny-bin first, where PROBE_WRAPPER stands
//                           in for `ccache` (CC stays "ccache <gcc>", a build input): Kbuild's
//                           compiler probes (cc-option: `-S -o /dev/null -xc /dev/null`, 10-16
//                           per make of 2.6.9, one after another) write nothing ccache could
//                           keep, and ccache 4.7 runs the compiler three times for each (the
//                           preprocessor, the compiler, then the compiler again when it finds no
//                           output). The wrapper runs those directly, exactly as ccache's own
//                           fallback does, and hands every other command to ccache. Measured on
//                           2.6.9: 1–2.5 s less per make at load 6.

import { TinyError } from '../util/diagnostics.js';
import { CONTAINER_PATHS, DEFAULT_PATH } from '../toolchain/runtime.js';

/** Where ccache appends the counters of each compilation of one make (inside the build directory). */
export const STATS_LOG_NAME = '.tiny-ccache-stats.log';

const REMOTE_RE = /^(redis:\/\/[^\s]+|redis\+unix:[^\s]+|http:\/\/[^\s]+)$/;

/** Check a remote storage URL ccache 4.7 understands; throws TinyError (exit 2) naming `where`. */
export function checkRemoteUrl(url: string, where: string): string {
  const u = url.trim();
  if (!REMOTE_RE.test(u)) {
    throw new TinyError(`${where}: '${url}' is not a ccache remote storage URL`, 2, [], 'use redis://HOST:PORT, redis+unix:/path/to/socket or http://HOST[:PORT]/PATH (ccache 4.7 has no https)');
  }
  return u;
}

/** The URL without its user and password (what records and messages show). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');
}

/** Where PROBE_WRAPPER lives in a lane's build directory (as `ccache`), and the PATH that finds it first. */
export const PROBE_WRAPPER_DIR = '.tiny-bin';
export const PROBE_WRAPPER_PATH = `${CONTAINER_PATHS.build}/${PROBE_WRAPPER_DIR}:${DEFAULT_PATH}`;

/**
 * `ccache` for a container's PATH: a command writing to /dev/null (Kbuild's cc-option probes)
 * runs as is — ccache cannot keep what it writes, and would run it three times — every other one
 * goes to the real ccache, found on the PATH without this directory.
 */
export const PROBE_WRAPPER = `#!/bin/sh
# Written by tiny (src/kbuild/ccache.ts): Kbuild's compiler probes write to /dev/null, which
# ccache cannot keep; run them directly, and everything when ccache is off (tiny build
# --no-ccache). Everything else goes to ccache.
case " $* " in
  *" -o /dev/null "*) exec "$@" ;;
esac
case "$CCACHE_DISABLE" in
  1) exec "$@" ;;
esac
PATH=${DEFAULT_PATH}
exec ccache "$@"
`;

/** ccache off for one run, CC unchanged (`tiny build --no-ccache`, `tiny rebuild`; see the top of the file). */
export const CCACHE_OFF: Readonly<Record<string, string>> = { CCACHE_DISABLE: '1' };

/** How ccache looks a compilation up (see the top of the file): direct mode, then the preprocessed text. */
export const CCACHE_LOOKUP: Readonly<Record<string, string>> = { CCACHE_NODEPEND: '1' };

export interface CcacheRunSettings {
  /** The remote storage URL (absent: local cache only). */
  remote?: string;
  /** The image the compilers come from (host runtime: the host compiler's ID). */
  image: string;
  /** host runtime: the cache directory the lanes live under (base_dir). */
  baseDir?: string;
}

/**
 * The ccache variables a build gets on top of its recorded environment (kbuild/env.ts). With a
 * remote: remote_storage, compiler_check pinned to the image and (host runtime) base_dir.
 * Always: the stats log of this make, and the preprocessor fallback (CCACHE_LOOKUP).
 */
export function ccacheRunEnv(s: CcacheRunSettings): Record<string, string> {
  return {
    CCACHE_STATSLOG: `${CONTAINER_PATHS.build}/${STATS_LOG_NAME}`,
    ...CCACHE_LOOKUP,
    ...(s.remote
      ? {
          CCACHE_REMOTE_STORAGE: s.remote,
          CCACHE_COMPILERCHECK: `string:${s.image}`,
          ...(s.baseDir ? { CCACHE_BASEDIR: s.baseDir } : {}),
        }
      : {}),
  };
}

/**
 * The ccache part of a build's container: the variables on top of the recorded environment, and
 * the network (a container reaches a remote storage through the host's network, and only then;
 * the host runtime has the host's network anyway). `none` when the build has no ccache; `off`:
 * CC keeps ccache, which runs the compiler without looking anything up or storing it.
 */
export function ccacheContainer(s: { ccache: boolean; off?: boolean; remote?: string; image: string; hermetic: boolean; cacheDir: string }): {
  env: Record<string, string>;
  network: 'none' | 'host';
  /** Write PROBE_WRAPPER into each build directory (PROBE_WRAPPER_DIR/ccache) before its makes. */
  probeWrapper: boolean;
} {
  if (!s.ccache) return { env: {}, network: 'none', probeWrapper: false };
  const remote = s.off ? undefined : s.remote;
  return {
    env: {
      ...(s.off ? CCACHE_OFF : ccacheRunEnv({ ...(remote ? { remote } : {}), image: s.image, ...(s.hermetic ? {} : { baseDir: s.cacheDir }) })),
      ...(s.hermetic ? { PATH: PROBE_WRAPPER_PATH } : {}),
    },
    network: remote && s.hermetic ? 'host' : 'none',
    probeWrapper: s.hermetic,
  };
}

/** Hit counts of one build, summed over its compilations (ccache's stats log). */
export interface CcacheStats {
  /** Compilations ccache looked up (hits + misses). */
  calls: number;
  hits: number;
  /** Hits found in the local cache directory. */
  local_hits: number;
  /** Hits fetched from the remote storage (absent from the local directory before). */
  remote_hits: number;
  misses: number;
  /** Remote storage lookups that failed (unreachable server, timeouts). */
  remote_errors: number;
}

/**
 * Sum a stats log: "# <file>" starts a compilation, then one counter name per line. A
 * compilation is a hit when it has direct_cache_hit or preprocessed_cache_hit, a miss with
 * cache_miss; local_storage_hit / remote_storage_hit say where the result was found.
 */
export function parseStatsLog(text: string): CcacheStats {
  const stats: CcacheStats = { calls: 0, hits: 0, local_hits: 0, remote_hits: 0, misses: 0, remote_errors: 0 };
  let current: Set<string> | undefined;
  const close = () => {
    if (!current) return;
    const hit = current.has('direct_cache_hit') || current.has('preprocessed_cache_hit');
    if (hit || current.has('cache_miss')) stats.calls++;
    if (hit) {
      stats.hits++;
      if (current.has('local_storage_hit')) stats.local_hits++;
      else if (current.has('remote_storage_hit')) stats.remote_hits++;
    } else if (current.has('cache_miss')) stats.misses++;
    if (current.has('remote_storage_error') || current.has('remote_storage_timeout')) stats.remote_errors++;
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      close();
      current = new Set();
    } else {
      current ??= new Set();
      current.add(line);
    }
  }
  close();
  return stats;
}

/** Add two builds' counts (a toggle's configuration and build makes). */
export function addStats(a: CcacheStats, b: CcacheStats): CcacheStats {
  return {
    calls: a.calls + b.calls,
    hits: a.hits + b.hits,
    local_hits: a.local_hits + b.local_hits,
    remote_hits: a.remote_hits + b.remote_hits,
    misses: a.misses + b.misses,
    remote_errors: a.remote_errors + b.remote_errors,
  };
}
