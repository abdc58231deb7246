// Boot results kept with the build record: <record dir>/boot/<root image sha256[0..12]>-<mem>.json
// for one boot (-m), ...-mem=<mem>.json for a boot limited by the kernel's mem=, and
// ...-min-mem.json / ...-min-mem=.json for a --find-min-mem search. Each file is written
// atomically (temp file + rename in the same directory), so the record dir stays readable at
// every moment; a new boot with the same memory, limit and root image replaces the older result.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordDir, type RecordStore } from '../store/records.js';
import { writeFileAtomic } from '../util/fs.js';
import type { BootFailure } from './console.js';
import type { MinMemTry } from './minmem.js';

/** 2: the root image (initramfs or disk) and the memory limit (machine -m or kernel mem=) are recorded. */
export const BOOT_RESULT_SCHEMA = 2;

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
  /** Wall-clock from qemu's start to init's first line, and to qemu's exit (software emulation: a few seconds). */
  toInitMs?: number;
  totalMs: number;
  /** The guest's own uptime when init started (/proc/uptime), in seconds. */
  uptimeAtInit?: number;
  banner?: string;
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
  /** The boot at minKiB. */
  atMin?: { memTotalKiB?: number; memFreeKiB?: number };
  tries: MinMemTry[];
  at: string;
}

export function bootDir(store: RecordStore, key: string): string {
  return join(recordDir(store, key), 'boot');
}

const limitTag = (limit: MemLimit) => (limit === 'kernel' ? 'mem=' : '');

export function bootResultFile(store: RecordStore, key: string, rootSha: string, memKiB: number, limit: MemLimit = 'machine'): string {
  return join(bootDir(store, key), `${rootSha.slice(0, 12)}-${limitTag(limit)}${memKiB}k.json`);
}

export function minMemFile(store: RecordStore, key: string, rootSha: string, limit: MemLimit = 'machine'): string {
  return join(bootDir(store, key), `${rootSha.slice(0, 12)}-min-${limit === 'kernel' ? 'mem=' : 'mem'}.json`);
}

export async function saveBootResult(store: RecordStore, r: BootResult): Promise<string> {
  const file = bootResultFile(store, r.key, r.root.sha256, r.memKiB, r.limit);
  await writeFileAtomic(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export async function saveMinMem(store: RecordStore, r: MinMemRecord): Promise<string> {
  const file = minMemFile(store, r.key, r.root.sha256, r.limit);
  await writeFileAtomic(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

/** Every boot result and min-mem search stored with a record. */
export async function readBootResults(store: RecordStore, key: string): Promise<(BootResult | MinMemRecord)[]> {
  const dir = bootDir(store, key);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out: (BootResult | MinMemRecord)[] = [];
  for (const n of names) {
    try {
      const v = JSON.parse(await readFile(join(dir, n), 'utf8')) as BootResult | MinMemRecord;
      if (v.schema === BOOT_RESULT_SCHEMA && v.key === key) out.push(v);
    } catch {
      /* a foreign or damaged file: ignored */
    }
  }
  return out;
}
