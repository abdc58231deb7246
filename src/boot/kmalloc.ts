// The allocation census of `tiny boot --kmalloc`: /proc/kmalloc of a kernel built with the
// kmalloc-accounting patch (KMALLOC_ACCOUNTING=y), as the boot probe prints it between its
// markers, read into numbers, and each caller's address resolved to symbol+offset with the
// toggle's System.map. Pure functions of the console and the map.

import { consoleLines } from './console.js';

export const KMALLOC_MARKERS = { begin: 'tiny-init: kmalloc begin', end: 'tiny-init: kmalloc end' } as const;

/** The Kconfig symbol of queue/patches/tiny/kmalloc-accounting.patch. */
export const KMALLOC_OPTION = 'KMALLOC_ACCOUNTING';

export interface KmallocCaller {
  /** symbol+0xoffset from System.map, or the address when no symbol is below it. */
  caller: string;
  /** The return address as the kernel printed it (hex, no 0x). */
  address: string;
  total: number;
  slack: number;
  net: number;
  allocs: number;
  frees: number;
}

export interface KmallocCensus {
  /** Bytes handed out (what the allocator gave, ksize), slack of them, still allocated; counts. */
  total: number;
  slack: number;
  net: number;
  allocs: number;
  frees: number;
  callerCount: number;
  lostCallers: number;
  lostAllocs: number;
  unknownFrees: number;
  /** Every caller, most net bytes first. */
  callers: KmallocCaller[];
}

const SUMMARY: Record<string, keyof Omit<KmallocCensus, 'callers'>> = {
  'total bytes allocated': 'total',
  'slack bytes allocated': 'slack',
  'net bytes allocated': 'net',
  'number of allocs': 'allocs',
  'number of frees': 'frees',
  'number of callers': 'callerCount',
  'lost callers': 'lostCallers',
  'lost allocs': 'lostAllocs',
  'unknown frees': 'unknownFrees',
};

/** The census between the probe's markers; undefined when the console has none (or it is cut). */
export function parseKmallocCensus(consoleText: string): KmallocCensus | undefined {
  const lines = consoleLines(consoleText);
  const begin = lines.indexOf(KMALLOC_MARKERS.begin);
  const end = begin >= 0 ? lines.indexOf(KMALLOC_MARKERS.end, begin + 1) : -1;
  if (end < 0) return undefined;
  const c: KmallocCensus = { total: 0, slack: 0, net: 0, allocs: 0, frees: 0, callerCount: 0, lostCallers: 0, lostAllocs: 0, unknownFrees: 0, callers: [] };
  let summary = 0;
  for (const line of lines.slice(begin + 1, end)) {
    const s = /^([a-z ]+):\s+(-?\d+)$/.exec(line.trim());
    if (s && SUMMARY[s[1]!]) {
      c[SUMMARY[s[1]!]!] = Number(s[2]);
      summary++;
      continue;
    }
    const row = /^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\/(\d+)\s+(?:0x)?([0-9a-fA-F]+)\s*$/.exec(line);
    if (row) c.callers.push({ caller: row[6]!.toLowerCase(), address: row[6]!.toLowerCase(), total: +row[1]!, slack: +row[2]!, net: +row[3]!, allocs: +row[4]!, frees: +row[5]! });
  }
  if (summary < Object.keys(SUMMARY).length) return undefined;
  c.callers.sort((a, b) => b.net - a.net || b.total - a.total);
  return c;
}

/** Text symbols of a System.map ("c0100000 T _text"), sorted by address. */
export function textSymbols(systemMap: string): { address: number; name: string }[] {
  const out: { address: number; name: string }[] = [];
  for (const line of systemMap.split('\n')) {
    const m = /^([0-9a-fA-F]+) ([tTwW]) (\S+)$/.exec(line.trim());
    if (m) out.push({ address: parseInt(m[1]!, 16), name: m[3]! });
  }
  return out.sort((a, b) => a.address - b.address);
}

/** Each caller as symbol+0xoffset: the nearest text symbol at or below its address. */
export function resolveCallers(census: KmallocCensus, systemMap: string): KmallocCensus {
  const syms = textSymbols(systemMap);
  const name = (hex: string): string => {
    const a = parseInt(hex, 16);
    let lo = 0;
    let hi = syms.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid]!.address <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best < 0 ? `0x${hex}` : `${syms[best]!.name}+0x${(a - syms[best]!.address).toString(16)}`;
  };
  return { ...census, callers: census.callers.map((c) => ({ ...c, caller: name(c.address) })) };
}
