// Boot results kept with the build record: <record dir>/boot/<root image sha256[0..12]>-<mem>.json
// for one boot (-m), ...-mem=<mem>.json for a boot limited by the kernel's mem=, and
// ...-min-mem.json / ...-min-mem=.json for a --find-min-mem search. Each file is written
// atomically (temp file + rename in the same directory), so the record dir stays readable at
// every moment; a new boot with the same memory, limit and root image replaces the older result.
//
// On disk the files are snake_case (schema/boot-result.schema.json); in memory they are the
// camelCase BootResult and MinMemRecord. Versions: 2 had camelCase keys (`schema: 2`); 3 has
// snake_case keys and `schema_version: 3`; 4 adds the web server test (`http`, and
// `serves_http` on a search) and the kernel's reserved memory (`reserved_kib`). All are read (older files are migrated on read).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordDir, type RecordStore } from '../store/records.js';
import { writeFileAtomic } from '../util/fs.js';
import type { BootFailure } from './console.js';
import type { HttpResult } from './http.js';
import type { KmallocCensus } from './kmalloc.js';
import type { MinMemTry } from './minmem.js';

/** 4: `http` (tiny boot --http); 3: snake_case on disk; 2: the root image and the memory limit were added, camelCase. */
export const BOOT_RESULT_SCHEMA = 4;

/** How --mem limited the memory: the machine's (qemu -m) or the kernel's (mem= in a larger machine). */
export type MemLimit = 'machine' | 'kernel';

export interface RootImageInfo {
  kind: 'initramfs' | 'disk';
  sha256: string;
  bytes: number;
}

export interface BootResult {
  schema: typeof BOOT_RESULT_SCHEMA;
  kind: 'boot';
  /** The build record booted. */
  key: string;
  /** The memory under test: -m, or mem= when limit is kernel. */
  memKiB: number;
  limit: MemLimit;
  /** qemu -m (equal to memKiB when the limit is the machine's). */
  machineKiB: number;
  root: RootImageInfo;
  image: { name: string; sha256: string; bytes: number };
  qemu: { version: string; argv: string[] };
  booted: boolean;
  failure?: BootFailure;
  reason?: string;
  /** /proc/meminfo MemTotal and MemFree in kB, as init read them (booted only). */
  memTotalKiB?: number;
  memFreeKiB?: number;
  /**
   * Memory the kernel keeps for itself, kB: its own count from the boot messages
   * (reservedFrom console: "Memory: ... 1772k reserved") when it has printk, else the memory
   * under test less MemTotal (reservedFrom mem-total: the kernel image, mem_map, the BIOS hole).
   */
  reservedKiB?: number;
  reservedFrom?: 'console' | 'mem-total';
  /** Wall-clock from qemu's start to init's first line, and to qemu's exit (software emulation: a few seconds). */
  toInitMs?: number;
  totalMs: number;
  /** The guest's own uptime when init started (/proc/uptime), in seconds. */
  uptimeAtInit?: number;
  banner?: string;
  /** The web server test (--http): the probe served its page over the NIC, or why not. */
  http?: HttpResult;
  /** /proc/kmalloc at the end of the boot (--kmalloc: a KMALLOC_ACCOUNTING kernel), callers resolved. */
  kmalloc?: KmallocCensus;
  /** The end of the console (the whole of it when it failed, up to 200 lines). */
  console: string[];
  at: string;
}

export interface MinMemRecord {
  schema: typeof BOOT_RESULT_SCHEMA;
  kind: 'min-mem';
  key: string;
  limit: MemLimit;
  machineKiB?: number;
  root: RootImageInfo;
  qemu: { version: string };
  minKiB: number;
  failsKiB: number;
  stepKiB: number;
  /** The search asked for a served HTTP page, not only init (--http). */
  servesHttp?: boolean;
  /** The boot at minKiB (httpMemFreeKiB: MemFree on the served page). */
  atMin?: { memTotalKiB?: number; memFreeKiB?: number; httpMemFreeKiB?: number };
  tries: MinMemTry[];
  at: string;
}

/**
 * The allocation census of a toggle (tiny boot --kmalloc), kept in the record of the toggle as
 * built (key) as boot/kmalloc.json: the census comes from the same toggle built with
 * KMALLOC_ACCOUNTING=y (variantKey), booted with memKiB/limit, serving HTTP or not.
 */
export interface KmallocRecord {
  schema: typeof BOOT_RESULT_SCHEMA;
  kind: 'kmalloc';
  key: string;
  variantKey: string;
  toggle: string;
  memKiB: number;
  limit: MemLimit;
  http: boolean;
  census: KmallocCensus;
  at: string;
}

export function bootDir(store: RecordStore, key: string): string {
  return join(recordDir(store, key), 'boot');
}

const limitTag = (limit: MemLimit) => (limit === 'kernel' ? 'mem=' : '');

/** A boot with the web server test is kept beside the plain one (-http), not in its place. */
const httpTag = (http: boolean | undefined) => (http ? '-http' : '');

export function bootResultFile(store: RecordStore, key: string, rootSha: string, memKiB: number, limit: MemLimit = 'machine', http = false): string {
  return join(bootDir(store, key), `${rootSha.slice(0, 12)}-${limitTag(limit)}${memKiB}k${httpTag(http)}.json`);
}

export function minMemFile(store: RecordStore, key: string, rootSha: string, limit: MemLimit = 'machine', http = false): string {
  return join(bootDir(store, key), `${rootSha.slice(0, 12)}-min-${limit === 'kernel' ? 'mem=' : 'mem'}${httpTag(http)}.json`);
}

function censusToJson(c: KmallocCensus): Json {
  return {
    total: c.total,
    slack: c.slack,
    net: c.net,
    allocs: c.allocs,
    frees: c.frees,
    caller_count: c.callerCount,
    lost_callers: c.lostCallers,
    lost_allocs: c.lostAllocs,
    unknown_frees: c.unknownFrees,
    callers: c.callers.map((x) => ({ caller: x.caller, address: x.address, total: x.total, slack: x.slack, net: x.net, allocs: x.allocs, frees: x.frees })),
  };
}

function censusFromJson(o: Json): KmallocCensus {
  return {
    total: o.total as number,
    slack: o.slack as number,
    net: o.net as number,
    allocs: o.allocs as number,
    frees: o.frees as number,
    callerCount: o.caller_count as number,
    lostCallers: o.lost_callers as number,
    lostAllocs: o.lost_allocs as number,
    unknownFrees: o.unknown_frees as number,
    callers: (o.callers as Json[]).map((x) => ({
      caller: x.caller as string,
      address: x.address as string,
      total: x.total as number,
      slack: x.slack as number,
      net: x.net as number,
      allocs: x.allocs as number,
      frees: x.frees as number,
    })),
  };
}

export function kmallocToJson(r: KmallocRecord): Json {
  return {
    schema_version: BOOT_RESULT_SCHEMA,
    kind: 'kmalloc',
    key: r.key,
    variant_key: r.variantKey,
    toggle: r.toggle,
    mem_kib: r.memKiB,
    limit: r.limit,
    http: r.http,
    census: censusToJson(r.census),
    at: r.at,
  };
}

export function kmallocFile(store: RecordStore, key: string): string {
  return join(bootDir(store, key), 'kmalloc.json');
}

export async function saveKmalloc(store: RecordStore, r: KmallocRecord): Promise<string> {
  const file = kmallocFile(store, r.key);
  await writeFileAtomic(file, JSON.stringify(kmallocToJson(r), null, 2) + '\n');
  return file;
}

function httpToJson(h: HttpResult): Json {
  return defined({
    served: h.served,
    reason: h.reason,
    nic: { device: h.nic.device, kconfig: h.nic.kconfig },
    guest_address: h.guestAddress,
    requests: h.requests,
    round_trips_ms: [...h.roundTripsMs],
    page_bytes: h.pageBytes,
    mem_total_kib: h.memTotalKiB,
    mem_free_kib: h.memFreeKiB,
  });
}

function httpFromJson(o: Json): HttpResult {
  const nic = o.nic as Json;
  return {
    served: o.served as boolean,
    ...opt('reason', str(o.reason)),
    nic: { device: nic.device as string, kconfig: nic.kconfig as string },
    guestAddress: o.guest_address as string,
    requests: o.requests as number,
    roundTripsMs: o.round_trips_ms as number[],
    ...opt('pageBytes', num(o.page_bytes)),
    ...opt('memTotalKiB', num(o.mem_total_kib)),
    ...opt('memFreeKiB', num(o.mem_free_kib)),
  };
}

type Json = Record<string, unknown>;
const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A boot as its file (and `tiny boot --format json`) holds it. */
export function bootResultToJson(r: BootResult): Json {
  return defined({
    schema_version: BOOT_RESULT_SCHEMA,
    kind: 'boot',
    key: r.key,
    mem_kib: r.memKiB,
    limit: r.limit,
    machine_kib: r.machineKiB,
    root: { kind: r.root.kind, sha256: r.root.sha256, bytes: r.root.bytes },
    image: { name: r.image.name, sha256: r.image.sha256, bytes: r.image.bytes },
    qemu: { version: r.qemu.version, argv: [...r.qemu.argv] },
    booted: r.booted,
    failure: r.failure,
    reason: r.reason,
    mem_total_kib: r.memTotalKiB,
    mem_free_kib: r.memFreeKiB,
    reserved_kib: r.reservedKiB,
    reserved_from: r.reservedFrom,
    to_init_ms: r.toInitMs,
    total_ms: r.totalMs,
    uptime_at_init_s: r.uptimeAtInit,
    banner: r.banner,
    http: r.http ? httpToJson(r.http) : undefined,
    kmalloc: r.kmalloc ? censusToJson(r.kmalloc) : undefined,
    console: [...r.console],
    at: r.at,
  });
}

/** A --find-min-mem search as its file (and `tiny boot --format json`) holds it. */
export function minMemToJson(r: MinMemRecord): Json {
  return defined({
    schema_version: BOOT_RESULT_SCHEMA,
    kind: 'min-mem',
    key: r.key,
    limit: r.limit,
    machine_kib: r.machineKiB,
    root: { kind: r.root.kind, sha256: r.root.sha256, bytes: r.root.bytes },
    qemu: { version: r.qemu.version },
    min_kib: r.minKiB,
    fails_kib: r.failsKiB,
    step_kib: r.stepKiB,
    serves_http: r.servesHttp,
    at_min: r.atMin ? defined({ mem_total_kib: r.atMin.memTotalKiB, mem_free_kib: r.atMin.memFreeKiB, http_mem_free_kib: r.atMin.httpMemFreeKiB }) : undefined,
    tries: r.tries.map((t) => defined({ kib: t.kib, booted: t.booted, reason: t.reason })),
    at: r.at,
  });
}

const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const opt = <K extends string>(k: K, v: unknown) => (v === undefined ? {} : ({ [k]: v } as Record<K, never>));

/** A stored boot file, any version, as the in-memory value (undefined: not one). */
export function bootFileFromJson(v: unknown): BootResult | MinMemRecord | KmallocRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Json;
  if (o.schema === 2 && o.schema_version === undefined) return { ...(o as unknown as BootResult | MinMemRecord), schema: BOOT_RESULT_SCHEMA };
  // Version 3 is version 4 without the web server test.
  if (o.schema_version !== BOOT_RESULT_SCHEMA && o.schema_version !== 3) return undefined;
  const root = o.root as RootImageInfo;
  if (o.kind === 'boot') {
    const q = o.qemu as Json;
    return {
      schema: BOOT_RESULT_SCHEMA,
      kind: 'boot',
      key: o.key as string,
      memKiB: o.mem_kib as number,
      limit: o.limit as MemLimit,
      machineKiB: o.machine_kib as number,
      root,
      image: o.image as BootResult['image'],
      qemu: { version: q.version as string, argv: q.argv as string[] },
      booted: o.booted as boolean,
      ...opt('failure', str(o.failure)),
      ...opt('reason', str(o.reason)),
      ...opt('memTotalKiB', num(o.mem_total_kib)),
      ...opt('memFreeKiB', num(o.mem_free_kib)),
      ...opt('reservedKiB', num(o.reserved_kib)),
      ...opt('reservedFrom', o.reserved_from === 'console' || o.reserved_from === 'mem-total' ? o.reserved_from : undefined),
      ...opt('toInitMs', num(o.to_init_ms)),
      totalMs: o.total_ms as number,
      ...opt('uptimeAtInit', centiseconds(num(o.uptime_at_init_s))),
      ...opt('banner', str(o.banner)),
      ...(typeof o.http === 'object' && o.http !== null ? { http: httpFromJson(o.http as Json) } : {}),
      ...(typeof o.kmalloc === 'object' && o.kmalloc !== null ? { kmalloc: censusFromJson(o.kmalloc as Json) } : {}),
      console: o.console as string[],
      at: o.at as string,
    };
  }
  if (o.kind === 'kmalloc' && o.schema_version === BOOT_RESULT_SCHEMA) {
    return {
      schema: BOOT_RESULT_SCHEMA,
      kind: 'kmalloc',
      key: o.key as string,
      variantKey: o.variant_key as string,
      toggle: o.toggle as string,
      memKiB: o.mem_kib as number,
      limit: o.limit as MemLimit,
      http: o.http as boolean,
      census: censusFromJson(o.census as Json),
      at: o.at as string,
    };
  }
  if (o.kind === 'min-mem') {
    const atMin = o.at_min as Json | undefined;
    return {
      schema: BOOT_RESULT_SCHEMA,
      kind: 'min-mem',
      key: o.key as string,
      limit: o.limit as MemLimit,
      ...opt('machineKiB', num(o.machine_kib)),
      root,
      qemu: { version: (o.qemu as Json).version as string },
      minKiB: o.min_kib as number,
      failsKiB: o.fails_kib as number,
      stepKiB: o.step_kib as number,
      ...(o.serves_http === true ? { servesHttp: true } : {}),
      ...(atMin ? { atMin: { ...opt('memTotalKiB', num(atMin.mem_total_kib)), ...opt('memFreeKiB', num(atMin.mem_free_kib)), ...opt('httpMemFreeKiB', num(atMin.http_mem_free_kib)) } } : {}),
      tries: o.tries as MinMemTry[],
      at: o.at as string,
    };
  }
  return undefined;
}

export async function saveBootResult(store: RecordStore, r: BootResult): Promise<string> {
  const file = bootResultFile(store, r.key, r.root.sha256, r.memKiB, r.limit, r.http !== undefined);
  await writeFileAtomic(file, JSON.stringify(bootResultToJson(r), null, 2) + '\n');
  return file;
}

export async function saveMinMem(store: RecordStore, r: MinMemRecord): Promise<string> {
  const file = minMemFile(store, r.key, r.root.sha256, r.limit, r.servesHttp === true);
  await writeFileAtomic(file, JSON.stringify(minMemToJson(r), null, 2) + '\n');
  return file;
}

/** Every boot result, min-mem search and allocation census stored with a record. */
export async function readBootResults(store: RecordStore, key: string): Promise<(BootResult | MinMemRecord | KmallocRecord)[]> {
  const dir = bootDir(store, key);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out: (BootResult | MinMemRecord | KmallocRecord)[] = [];
  for (const n of names) {
    try {
      const v = bootFileFromJson(JSON.parse(await readFile(join(dir, n), 'utf8')));
      if (v?.key === key) out.push(v);
    } catch {
      /* a foreign or damaged file: ignored */
    }
  }
  return out;
}

/**
 * A stored uptime, when it is one: records written before parseUptime read 2.6.9's negative
 * hundredths as digits ("2.4294967281"), and a figure that is not whole hundredths is not kept.
 */
function centiseconds(x: number | undefined): number | undefined {
  return x !== undefined && Math.abs(x * 100 - Math.round(x * 100)) < 1e-6 ? x : undefined;
}
