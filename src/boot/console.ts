// Reading a boot's serial console: did the kernel reach the boot probe (src/boot/init.c), what
// did /proc/meminfo say, and if not, why not (panic, BUG, oops, hang, early exit). Pure
// functions of the transcript.

/** The markers init.c prints. */
export const MARKERS = {
  started: 'tiny-init: started',
  uptime: 'tiny-init: uptime ',
  begin: 'tiny-init: meminfo begin',
  end: 'tiny-init: meminfo end',
  error: 'tiny-init: error: ',
} as const;

/** /proc/meminfo as numbers: every "Key: N kB" line, in kB (HugePages_* and other unitless counts as they are). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Console bytes to lines: CR LF and stray CRs dropped, the unfinished last line kept. */
export function consoleLines(text: string): string[] {
  const lines = text.replace(/\r/g, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export type BootFailure = 'bug' | 'oops' | 'panic' | 'timeout' | 'no-init' | 'exited' | 'init-error';

export interface ConsoleVerdict {
  booted: boolean;
  /** When not booted. */
  failure?: BootFailure;
  /** One line: what happened (the BUG/panic line, or a description). */
  reason?: string;
  meminfo?: Record<string, number>;
  /** The guest's /proc/uptime first field when init started, in seconds. */
  uptimeAtInit?: number;
  /** The kernel banner ("Linux version ..."). */
  banner?: string;
  /** Errors init reported (mount /proc failed ...). */
  initErrors: string[];
  /** The kernel's own count of reserved memory ("Memory: ...k available (..., 1772k reserved, ...)"), kB; printk kernels only. */
  reservedKiB?: number;
}

const MEMORY_RE = /^Memory: \d+[kK]\/\d+[kK] available \(.*?(\d+)[kK] reserved/;

const BUG_RE = /kernel BUG at [^\s]+!|BUG: [^\n]*/;
const OOPS_RE = /Oops: [^\n]*|Unable to handle kernel [^\n]*/;
const PANIC_RE = /Kernel panic - not syncing: ?([^\n]*)/;

/**
 * /proc/uptime's first field, "%lu.%02lu" of seconds and hundredths. 2.6.9 adds wall_to_monotonic
 * to the clock without normalising a negative tv_nsec, so the hundredths can be a negative long
 * printed unsigned ("2.4294967281" is 2 s - 0.15 s on i386): read them as the signed value of
 * the guest's word (32 or 64 bits) rather than as digits of a fraction.
 */
export function parseUptime(field: string): number {
  const m = /^(\d+)\.(\d+)$/.exec(field);
  if (!m) return NaN;
  const seconds = Number(m[1]);
  let hundredths = BigInt(m[2]!);
  if (hundredths >= 1n << 63n) hundredths -= 1n << 64n;
  else if (hundredths >= 1n << 31n) hundredths -= 1n << 32n;
  if (hundredths <= -100n || hundredths >= 100n) return NaN;
  return Math.round((seconds + Number(hundredths) / 100) * 100) / 100;
}

/**
 * The verdict on one boot: booted when init printed a complete /proc/meminfo with MemTotal and
 * MemFree (whatever happens after). Otherwise the first BUG, then oops, then panic line names the
 * failure; with none, a timeout is a hang, and an early exit of qemu a reset before init.
 */
export function judgeConsole(text: string, exit: { timedOut: boolean; code: number | null; stderr?: string }, o: { memLimitedByKernel?: boolean } = {}): ConsoleVerdict {
  const lines = consoleLines(text);
  const initErrors = lines.filter((l) => l.startsWith(MARKERS.error)).map((l) => l.slice(MARKERS.error.length));
  const banner = lines.find((l) => /^Linux version /.test(l));
  const started = lines.findIndex((l) => l.includes(MARKERS.started));
  const uptimeLine = lines.find((l) => l.startsWith(MARKERS.uptime));
  const up = uptimeLine ? parseUptime(uptimeLine.slice(MARKERS.uptime.length).trim().split(/\s+/)[0] ?? '') : NaN;
  const begin = lines.indexOf(MARKERS.begin);
  const end = begin >= 0 ? lines.indexOf(MARKERS.end, begin + 1) : -1;
  const memoryLine = lines.map((l) => MEMORY_RE.exec(l)).find((m) => m);
  const base = { initErrors, ...(banner ? { banner } : {}), ...(Number.isFinite(up) ? { uptimeAtInit: up } : {}), ...(memoryLine ? { reservedKiB: Number(memoryLine[1]) } : {}) };

  if (begin >= 0 && end > begin) {
    const meminfo = parseMeminfo(lines.slice(begin + 1, end).join('\n'));
    if (meminfo.MemTotal !== undefined && meminfo.MemFree !== undefined) return { booted: true, meminfo, ...base };
  }
  const find = (re: RegExp) => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[0].trim();
    }
    return undefined;
  };
  const bug = find(BUG_RE);
  if (bug) return { booted: false, failure: 'bug', reason: bug, ...base };
  const oops = find(OOPS_RE);
  if (oops) return { booted: false, failure: 'oops', reason: oops, ...base };
  const panic = find(PANIC_RE);
  if (panic) return { booted: false, failure: 'panic', reason: panic, ...base };
  if (started >= 0) {
    const why = initErrors.length ? initErrors.join('; ') : 'init started but printed no complete /proc/meminfo';
    return { booted: false, failure: 'init-error', reason: why, ...base };
  }
  if (exit.timedOut) {
    // Silent: under mem= the loader and decompressor had the whole machine, so it is the kernel
    // that stopped (before its first message, or it has no printk); under -m it may be either.
    const silent = o.memLimitedByKernel
      ? 'hung: no console output at all before the timeout (the kernel stopped before its first message, or it has no printk)'
      : 'hung: no console output at all before the timeout (too little memory to unpack the kernel? recent i386 kernels load at CONFIG_PHYSICAL_START, 16 MiB by default)';
    return { booted: false, failure: 'timeout', reason: lines.length ? 'hung: no init output before the timeout' : silent, ...base };
  }
  if (lines.length === 0) {
    // qemu that could not start the machine says why on its stderr ("cannot set up guest
    // memory 'pc.ram': Cannot allocate memory"): that is the reason, not a guess.
    const own = (exit.stderr ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (exit.code !== 0 && own.length) return { booted: false, failure: 'exited', reason: `qemu exited (code ${exit.code}) before the kernel started: ${own.at(-1)}`, ...base };
    return { booted: false, failure: 'exited', reason: `qemu exited (code ${exit.code}) before the kernel printed anything (firmware or boot loader reset: too little memory?)`, ...base };
  }
  return { booted: false, failure: 'no-init', reason: `qemu exited (code ${exit.code}) before init started`, ...base };
}

/** The last n non-empty console lines (for failure reports). */
export function lastLines(text: string, n = 20): string[] {
  return consoleLines(text)
    .filter((l) => l.trim() !== '')
    .slice(-n);
}
