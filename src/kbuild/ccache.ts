// ccache's hits and misses of one build. ccache (4.x) appends every compiler call's counters to
// the file named by CCACHE_STATSLOG: a `# <source file>` line, then one counter per line
// (direct_cache_hit, preprocessed_cache_hit, cache_miss, called_for_link ...). A build points
// it at a fresh file in its build directory and counts the calls afterwards. The file is never
// part of a record key: it changes nothing the compiler makes. Older ccache (2.x) ignores the
// variable, and the build has no counts.

/** Compiler calls of one build, as ccache counted them. */
export interface CcacheStats {
  /** Calls served from the cache (direct or preprocessed hits). */
  hits: number;
  /** Calls compiled and stored. */
  misses: number;
  /** Calls ccache could not cache (links, preprocessing only, unsupported options ...). */
  uncacheable: number;
}

/** The stats log's name, relative to the build directory. */
export const CCACHE_STATS_LOG = '.tiny-ccache-stats';

/** Count the calls of a CCACHE_STATSLOG file. */
export function parseCcacheStatsLog(text: string): CcacheStats {
  const stats: CcacheStats = { hits: 0, misses: 0, uncacheable: 0 };
  const flush = (counters: Set<string> | undefined) => {
    if (!counters) return;
    if (counters.has('direct_cache_hit') || counters.has('preprocessed_cache_hit')) stats.hits++;
    else if (counters.has('cache_miss')) stats.misses++;
    else stats.uncacheable++;
  };
  let call: Set<string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      flush(call);
      call = new Set();
    } else if (line.trim() && call) call.add(line.trim());
  }
  flush(call);
  return stats;
}
