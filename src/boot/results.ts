// Boot results kept with the build record: <record dir>/boot/<initramfs sha256[0..12]>-<mem>.json
// for one boot, <initramfs...>-min-mem.json for a --find-min-mem search. Each file is written
// atomically (temp file + rename in the same directory), so the record dir stays readable at
// every moment; a new boot with the same memory and initramfs replaces the older result.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordDir, type RecordStore } from '../store/records.js';
import { writeFileAtomic } from '../util/fs.js';
import type { BootFailure } from './console.js';
import type { MinMemTry } from './minmem.js';

export const BOOT_RESULT_SCHEMA = 1;

export interface BootResult {
  schema: typeof BOOT_RESULT_SCHEMA;
  kind: 'boot';
  /** The build record booted. */
  key: string;
  memKiB: number;
  initramfs: { sha256: string; bytes: number };
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
  initramfs: { sha256: string; bytes: number };
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

export function bootResultFile(store: RecordStore, key: string, initramfsSha: string, memKiB: number): string {
  return join(bootDir(store, key), `${initramfsSha.slice(0, 12)}-${memKiB}k.json`);
}

export function minMemFile(store: RecordStore, key: string, initramfsSha: string): string {
  return join(bootDir(store, key), `${initramfsSha.slice(0, 12)}-min-mem.json`);
}

export async function saveBootResult(store: RecordStore, r: BootResult): Promise<string> {
  const file = bootResultFile(store, r.key, r.initramfs.sha256, r.memKiB);
  await writeFileAtomic(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export async function saveMinMem(store: RecordStore, r: MinMemRecord): Promise<string> {
  const file = minMemFile(store, r.key, r.initramfs.sha256);
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
