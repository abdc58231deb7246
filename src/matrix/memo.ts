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

const CONFIG_MEMO_VERSION = 2;

export interface ConfigMemoInputs {
  /** kconfigIdentity() of the patched source: what Kconfig reads of it. */
  kconfig: string;
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

/** The output of `make <base target>` (tinyconfig, allnoconfig ...) for the same inputs minus the fragment. */
export function baseMemoKey(inputs: Omit<ConfigMemoInputs, 'fragment'>): string {
  return sha256(canonicalJson({ v: CONFIG_MEMO_VERSION, base: true, inputs }));
}

function configMemoPath(cacheDir: string, key: string): string {
  return join(configMemoDir(cacheDir), key.slice(0, 2), `${key}.config`);
}

/** Where the config memo lives: absent in a cache that never ran Kconfig. */
export function configMemoDir(cacheDir: string): string {
  return join(cacheDir, 'matrix', 'configs');
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

/**
 * Is this path something Kconfig (or a config target) reads? Kconfig..., Makefile... and Kbuild...
 * files anywhere, everything under scripts/ (conf itself, Kconfig.include, the compiler probes
 * it runs), any configs/ directory (defconfigs, tiny.config), and *defconfig / *.config files
 * (2.6's arch/i386/defconfig). Deliberately wide: a false "changed" costs one Kconfig run.
 */
export function readByKconfig(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return /^(Kconfig|Makefile|Kbuild)/.test(base) || path.startsWith('scripts/') || /(^|\/)configs\//.test(path) || /defconfig$/.test(base) || /\.config$/.test(base);
}

/**
 * readByKconfig in gitignore syntax: the sparse checkout of the head start's Kconfig lane,
 * which only configures (a worktree of what Kconfig reads, not the whole tree). The memo above
 * already trusts that nothing else decides a .config; these match the same paths and a few
 * more (a directory named Kconfig... brings its files along), never fewer.
 */
export const KCONFIG_SPARSE: readonly string[] = ['Kconfig*', 'Makefile*', 'Kbuild*', '/scripts/', 'configs/', '*defconfig', '*.config'];

/** What Kconfig reads of a tree (readByKconfig), as one hash: toggles whose patches touch only code share their .config. */
export function kconfigIdentityOf(lsTree: string): string {
  const picked = lsTree.split('\n').filter((line) => {
    const tab = line.indexOf('\t');
    return tab > 0 && readByKconfig(line.slice(tab + 1));
  });
  return sha256(picked.join('\n'));
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

function kconfigIdPath(cacheDir: string, tree: string): string {
  return join(cacheDir, 'matrix', 'kconfig-ids', tree.slice(0, 2), tree);
}

/** kconfigIdentityOf a tree, remembered by tree hash (listing a 75k-file tree takes a while). */
export async function readKconfigId(cacheDir: string, tree: string): Promise<string | undefined> {
  try {
    const v = (await readFile(kconfigIdPath(cacheDir, tree), 'utf8')).trim();
    return /^[0-9a-f]{64}$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function writeKconfigId(cacheDir: string, tree: string, id: string): Promise<void> {
  await writeFileAtomic(kconfigIdPath(cacheDir, tree), id + '\n');
}
