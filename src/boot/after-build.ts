// `tiny build --boot` (or `boot:` in the configuration): after the matrix has built and measured
// its toggles, each toggle's kernel is booted as `tiny boot` would boot it (bootRecord), one
// after the other, and the boot result is kept in the toggle's record directory. That gives
// every patch a runtime figure beside its size: MemFree at boot (and while serving HTTP), the
// kernel's reserved memory and the boot time, which `tiny report` compares per patch.

import type { BuildBootConfig, BuildConfig } from '../kbuild/buildconfig.js';
import type { ToggleResult } from '../matrix/run.js';
import type { Prepared } from '../matrix/setup.js';
import { readArtifact } from '../store/index.js';
import { TinyError } from '../util/diagnostics.js';
import { parseMem } from './minmem.js';
import { memArg, nicFor, qemuBinary, qemuVersion } from './qemu.js';
import { bootRecord, failureReason, memLabel, type BootOutcome } from './run.js';
import type { MemLimit } from './results.js';

/** The boot after the build: the configuration's boot: key, or --boot's. */
export interface AfterBuildBoot {
  http: BuildBootConfig['http'];
  memKiB: number;
  limit: MemLimit;
  machineKiB: number;
  timeoutMs: number;
}

/** The default memory: `tiny boot`'s (an i386 6.1 kernel loads at 16 MiB and needs more). */
export const DEFAULT_BOOT_MEM = '32M';

/**
 * What to boot with: --boot [auto|init|http] on the command line overrides the configuration's
 * boot: mode; the memory is the configuration's (default 32M, the machine's). Undefined: no boot.
 */
export function afterBuildBoot(config: Pick<BuildConfig, 'boot' | 'displayFile'>, cli: 'auto' | 'init' | 'http' | undefined, timeoutMs = 120_000): AfterBuildBoot | undefined {
  const b = config.boot;
  if (!b && !cli) return undefined;
  const http = cli === 'http' ? 'always' : cli === 'init' ? 'never' : cli === 'auto' ? (b?.http ?? 'auto') : b!.http;
  const size = (what: string, text: string) => {
    try {
      return parseMem(text);
    } catch (e) {
      throw new TinyError(`${config.displayFile}: boot.${what}: ${(e as Error).message}`, 2);
    }
  };
  const limit = b?.limit ?? 'machine';
  const memKiB = size('mem', b?.mem ?? DEFAULT_BOOT_MEM);
  const machineKiB = limit === 'kernel' ? size('machine_mem', b?.machineMem ?? DEFAULT_BOOT_MEM) : memKiB;
  if (limit === 'kernel' && memKiB > machineKiB)
    throw new TinyError(`${config.displayFile}: boot.mem ${memArg(memKiB)} is more than boot.machine_mem ${memArg(machineKiB)}: mem= can only take memory away`, 2);
  return { http, memKiB, limit, machineKiB, timeoutMs };
}

export interface ToggleBoot {
  toggle: string;
  key: string;
  /** Served HTTP (false: booted to init only, by choice). */
  http: boolean;
  outcome?: BootOutcome;
  /** Why it could not be booted at all (no boot image, the probe's options missing ...). */
  error?: string;
  /** Booted (and served, when asked). */
  passed: boolean;
}

/** qemu's version, or its install hint: asked before the build, so a missing qemu costs no build. */
export async function checkQemu(arch: string): Promise<string> {
  return qemuVersion(qemuBinary(arch));
}

/**
 * Boot each built (or cached) toggle's record. Failures of one toggle are its result, not an
 * exception: the others are still booted, and the caller decides the exit status.
 */
export async function bootBuiltToggles(o: {
  prepared: Prepared;
  results: ToggleResult[];
  boot: AfterBuildBoot;
  cacheDir: string;
  onLog?: (line: string) => void;
  onBoot?: (b: ToggleBoot) => void;
}): Promise<ToggleBoot[]> {
  const p = o.prepared;
  const arch = p.config.arch;
  const qemu = qemuBinary(arch);
  const version = await qemuVersion(qemu);
  const out: ToggleBoot[] = [];
  const byKey = new Map<string, ToggleBoot>();
  for (const r of o.results) {
    if ((r.status !== 'built' && r.status !== 'cached') || !r.record) continue;
    const record = r.record;
    // Two toggles with one record (all-off is the queue point when every option is off by default): one boot.
    const same = byKey.get(record.key);
    if (same) {
      const b = { ...same, toggle: r.toggle.name };
      out.push(b);
      o.onBoot?.(b);
      continue;
    }
    const dotConfig = (await readArtifact(p.setup.records, record, 'config'))?.toString('utf8') ?? '';
    const canServe = !!nicFor(arch, dotConfig) && /^CONFIG_INET=y$/m.test(dotConfig);
    const http = o.boot.http === 'always' || (o.boot.http === 'auto' && canServe);
    let b: ToggleBoot;
    try {
      const outcome = await bootRecord({
        prepared: p,
        record,
        arch,
        qemu,
        qemuVersion: version,
        cacheDir: o.cacheDir,
        memKiB: o.boot.memKiB,
        limit: o.boot.limit,
        machineKiB: o.boot.machineKiB,
        rootFs: 'auto',
        findMinMem: false,
        http,
        timeoutMs: o.boot.timeoutMs,
        ...(o.onLog ? { onLog: o.onLog } : {}),
      });
      const why = failureReason(outcome.first);
      b = { toggle: r.toggle.name, key: record.key, http, outcome, passed: why === undefined, ...(why ? { error: why } : {}) };
    } catch (e) {
      if (!(e instanceof TinyError)) throw e;
      b = { toggle: r.toggle.name, key: record.key, http, passed: false, error: e.message };
    }
    byKey.set(record.key, b);
    out.push(b);
    o.onBoot?.(b);
  }
  return out;
}

const kb = (n: number | undefined) => (n === undefined ? '?' : `${n.toLocaleString('en-US')} kB`);

/** One line per toggle booted, as `tiny build --boot` prints it. */
export function renderToggleBoot(b: ToggleBoot, boot: AfterBuildBoot): string {
  const where = memLabel(boot.limit, boot.memKiB);
  if (!b.outcome) return `${b.toggle}: not booted: ${b.error}`;
  const f = b.outcome.first;
  if (!b.passed) return `${b.toggle} ${where}: FAILED: ${b.error}`;
  const reserved = f.reservedKiB !== undefined ? `, reserved ${kb(f.reservedKiB)}${f.reservedFrom === 'mem-total' ? ' (memory less MemTotal)' : ''}` : '';
  const http = f.http?.served ? `; served HTTP, round trip ${f.http.roundTripsMs.at(-1)} ms, MemFree ${kb(f.http.memFreeKiB)} while serving` : '';
  return `${b.toggle} ${where}: MemTotal ${kb(f.memTotalKiB)}, MemFree ${kb(f.memFreeKiB)}${reserved}, init after ${((f.toInitMs ?? 0) / 1000).toFixed(1)} s${http}`;
}
