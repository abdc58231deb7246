// The smallest memory a kernel boots with: a bisection over qemu -m sizes, on any boot
// function (the real one boots qemu; tests pass a fake). Assumes booting is monotone in memory
// (more memory never breaks a boot that worked with less), checks its two ends, and keeps every
// try so a surprise is visible.

export interface MinMemTry {
  kib: number;
  booted: boolean;
  reason?: string;
}

export interface MinMemResult {
  /** Smallest size that booted (a multiple of stepKiB), in KiB. */
  minKiB: number;
  /** Largest size known not to boot (minKiB - stepKiB when the search converged). */
  failsKiB: number;
  stepKiB: number;
  tries: MinMemTry[];
}

export interface MinMemOptions {
  /** Known to boot (tried again only if not in `known`). */
  highKiB: number;
  /** Assumed not to boot (never tried): e.g. 1024, since an i386 bzImage is loaded at 1 MiB. */
  lowKiB: number;
  /** Granularity (qemu rounds -m up to 8 KiB on PC). */
  stepKiB: number;
  /** Results already known (the boot at --mem). */
  known?: MinMemTry[];
  boot: (kib: number) => Promise<{ booted: boolean; reason?: string }>;
  onTry?: (t: MinMemTry) => void;
}

export async function findMinMem(o: MinMemOptions): Promise<MinMemResult> {
  const step = o.stepKiB;
  if (!(step > 0) || o.highKiB % step !== 0 || o.lowKiB % step !== 0 || o.lowKiB >= o.highKiB) {
    throw new Error(`findMinMem: bad range ${o.lowKiB}..${o.highKiB} step ${step}`);
  }
  const tries: MinMemTry[] = [...(o.known ?? [])];
  const tryAt = async (kib: number): Promise<boolean> => {
    const seen = tries.find((t) => t.kib === kib);
    if (seen) return seen.booted;
    const r = await o.boot(kib);
    const t: MinMemTry = { kib, booted: r.booted, ...(r.reason ? { reason: r.reason } : {}) };
    tries.push(t);
    o.onTry?.(t);
    return r.booted;
  };
  if (!(await tryAt(o.highKiB))) throw new Error(`does not boot with the upper bound ${o.highKiB} KiB`);
  let lo = o.lowKiB; // fails (assumed)
  let hi = o.highKiB; // boots
  while (hi - lo > step) {
    const mid = lo + Math.floor((hi - lo) / 2 / step) * step;
    if (await tryAt(mid)) hi = mid;
    else lo = mid;
  }
  return { minKiB: hi, failsKiB: lo, stepKiB: step, tries };
}

/** "16M", "2048K", "1.5M", "16" (MiB) → KiB. */
export function parseMem(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KkMmGg])?(?:i?B)?$/.exec(text.trim());
  if (!m) throw new Error(`not a memory size: '${text}' (e.g. 16M, 2048K)`);
  const unit = (m[2] ?? 'M').toUpperCase();
  const kib = Number(m[1]) * (unit === 'K' ? 1 : unit === 'M' ? 1024 : 1024 * 1024);
  if (!Number.isInteger(kib) || kib <= 0) throw new Error(`not a whole number of KiB: '${text}'`);
  return kib;
}
