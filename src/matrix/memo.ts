// Small content-addressed stores the matrix keeps next to the record store:
//
//   <cache>/matrix/configs/<kk>/<key>.config   the final .config of a (source tree, kconfig base,
//                                               fragment, make variables, image) — so a re-run
//                                               knows every toggle's record key without running
//                                               Kconfig, and a fully cached run takes no make at all
//   <cache>/patches/<kk>/<sha256>.patch         every patch text a build used, by its sha256, so
//                                               `tiny rebuild` finds it without the queue
//   <cache>/matrix/timings/<config>.json        how long each toggle's last build took (ETAs)
//
// Everything is written atomically (temp file + rename); a torn or missing file is a miss.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../store/key.js';
import { sha256, writeFileAtomic } from '../util/fs.js';
import type { FragmentValue } from '../kbuild/kconfig.js';
import type { KconfigBase } from '../kbuild/config.js';

const CONFIG_MEMO_VERSION = 1;

export interface ConfigMemoInputs {
  /** git tree hash of the patched source. */
  sourceTree: string;
  arch: string;
  /** The kconfig base target, or the sha256 of a base .config file. */
  base: string;
  fragment: Record<string, FragmentValue>;
  /** Every make variable (Kconfig of 6.x asks the compiler what it supports). */
  makeVariables: Record<string, string>;
  /** The toolchain image (or host compiler) ID. */
  image: string;
  runtime: string;
  toolVersion: string;
}

export function configMemoKey(inputs: ConfigMemoInputs): string {
  return sha256(canonicalJson({ v: CONFIG_MEMO_VERSION, inputs }));
}

function configMemoPath(cacheDir: string, key: string): string {
  return join(cacheDir, 'matrix', 'configs', key.slice(0, 2), `${key}.config`);
}

export async function readConfigMemo(cacheDir: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(configMemoPath(cacheDir, key), 'utf8');
  } catch {
    return undefined;
  }
}

export async function writeConfigMemo(cacheDir: string, key: string, config: string): Promise<void> {
  await writeFileAtomic(configMemoPath(cacheDir, key), config);
}

/** A base kconfig target as is; a base file by the sha256 of its content. */
export async function kconfigBaseId(base: KconfigBase): Promise<string> {
  if (typeof base === 'string') return base;
  return `file:${sha256(await readFile(base.file))}`;
}

function patchPath(cacheDir: string, sha: string): string {
  return join(cacheDir, 'patches', sha.slice(0, 2), `${sha}.patch`);
}

/** Keep a patch's bytes by their sha256 (no-op when they are there). */
export async function storePatch(cacheDir: string, sha: string, bytes: Buffer | string): Promise<void> {
  const path = patchPath(cacheDir, sha);
  if ((await readStoredPatch(cacheDir, sha)) !== undefined) return;
  if (sha256(bytes) !== sha) throw new Error(`storePatch: the patch bytes do not hash to ${sha}`);
  await writeFileAtomic(path, bytes);
}

/** The bytes of a stored patch (checked against its sha256), or undefined. */
export async function readStoredPatch(cacheDir: string, sha: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(patchPath(cacheDir, sha));
    return sha256(bytes) === sha ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export type Timings = Record<string, { ms: number; at: string }>;

function timingsPath(cacheDir: string, config: string): string {
  return join(cacheDir, 'matrix', 'timings', `${config}.json`);
}

export async function readTimings(cacheDir: string, config: string): Promise<Timings> {
  try {
    const v = JSON.parse(await readFile(timingsPath(cacheDir, config), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Timings) : {};
  } catch {
    return {};
  }
}

export async function writeTimings(cacheDir: string, config: string, timings: Timings): Promise<void> {
  await writeFileAtomic(timingsPath(cacheDir, config), JSON.stringify(timings, null, 2) + '\n');
}
