// The facts tiny needs about a kernel ARCH, as data: arches/<ARCH>.yaml, checked against
// schema/arch.schema.json (as TuxMake keeps tuxmake/arch/*.ini). SRCARCH and the arch/
// directories (Kconfig, headers), where make leaves the boot image (measuring), the size and
// nm programs, and the qemu machine (boot) all come from here: adding an architecture is
// adding a file. Reads are synchronous and cached: the files are a few lines each, and pure
// code (Kconfig reading, qemu's command line) asks for them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { closest } from '../util/suggest.js';
import {
  formatPath,
  fromPointer,
  getAt,
  missingKey,
  parseYaml,
  repeatedItem,
  schemaValidator,
  showValue,
  TYPE_WORDS,
  uniqueAtPosition,
  unknownKey,
  wantedType,
  type SchemaNode,
  type YamlPositions,
} from '../util/yaml-schema.js';

export const ARCH_SCHEMA_PATH = fileURLToPath(new URL('../../schema/arch.schema.json', import.meta.url));
export const DEFAULT_ARCHES_DIR = fileURLToPath(new URL('../../arches', import.meta.url));

export interface Arch {
  /** ARCH= */
  name: string;
  description: string;
  /** SRCARCH: arch/<srcarch> in current kernels. */
  srcarch: string;
  /** arch/ directories holding this ARCH's code in some kernel version, its own first. */
  dirs: string[];
  /** The boot image's make target and where make leaves it (relative to the build dir), when known. */
  bootImage?: { target: string; paths: string[] };
  /** size(1) and nm(1) on this machine for its vmlinux. */
  measureTools: { size: string; nm: string };
  /** How `tiny boot` runs it; absent: it cannot. */
  qemu?: { binary: string; machine: string; console: string; package: string; nics?: { kconfig: string; device: string }[] };
  /** The file it was read from. */
  file: string;
}

/** Where architectures are read from: $TINY_ARCHES, else the arches/ shipped with tiny. */
export function defaultArchesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TINY_ARCHES ? resolve(env.TINY_ARCHES) : DEFAULT_ARCHES_DIR;
}

/** The ARCH names with a file in `dir`, sorted. */
export function archNames(dir = defaultArchesDir()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new TinyError(`no arches directory at ${dir}`, 2, [], 'pass the directory holding <ARCH>.yaml files (or set TINY_ARCHES)');
  }
  return entries
    .filter((e) => e.endsWith('.yaml'))
    .map((e) => e.slice(0, -'.yaml'.length))
    .sort();
}

const cache = new Map<string, Arch>();

/** The architecture `name`, or undefined when `dir` has no file for it (a broken file is an error). */
export function findArch(name: string, opts: { dir?: string; cwd?: string } = {}): Arch | undefined {
  const dir = resolve(opts.dir ?? defaultArchesDir());
  const file = join(dir, `${name}.yaml`);
  const hit = cache.get(file);
  if (hit) return hit;
  if (!/^[a-z0-9][a-z0-9_]*$/.test(name) || !existsSync(file)) return undefined;
  const { arch, diagnostics } = readArch(file, name, opts.cwd ?? process.cwd());
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (!arch || errors) throw new TinyError(`${errors} error${errors === 1 ? '' : 's'} in architecture '${name}'`, 2, diagnostics);
  cache.set(file, arch);
  return arch;
}

/** The architecture `name`; an unknown one is an error naming the known ones and the file to add. */
export function loadArch(name: string, opts: { dir?: string; cwd?: string } = {}): Arch {
  const arch = findArch(name, opts);
  if (arch) return arch;
  const dir = resolve(opts.dir ?? defaultArchesDir());
  const names = archNames(dir);
  const guess = closest(name, names);
  throw new TinyError(
    `unknown ARCH '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
    2,
    [],
    `known: ${names.join(', ') || 'none'}; to add it, write ${join(displayPath(dir, opts.cwd ?? process.cwd()), `${name}.yaml`)} (schema: schema/arch.schema.json)`,
  );
}

/** Every architecture of `dir`; the problems of all files are reported together. */
export function loadArches(opts: { dir?: string; cwd?: string } = {}): Arch[] {
  const dir = resolve(opts.dir ?? defaultArchesDir());
  const diags: Diagnostic[] = [];
  const out: Arch[] = [];
  for (const name of archNames(dir)) {
    const r = readArch(join(dir, `${name}.yaml`), name, opts.cwd ?? process.cwd());
    diags.push(...r.diagnostics);
    if (r.arch) out.push(r.arch);
  }
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors) throw new TinyError(`${errors} error${errors === 1 ? '' : 's'} in ${dir}`, 2, diags);
  return out;
}

/** SRCARCH of a kernel ARCH; an ARCH without a file is taken as its own (the tree's arch/ decides). */
export function srcArch(name: string): string {
  return findArch(name)?.srcarch ?? name;
}

/** The arch/ directories of a kernel ARCH, its own first; an ARCH without a file has only its own. */
export function archDirs(name: string): string[] {
  return findArch(name)?.dirs ?? [name];
}

/**
 * Sparse-checkout patterns (git's non-cone syntax) for a tree that builds `arch`: everything but
 * the arch/ directories of other architectures and their include/asm-<arch> headers — 46% of
 * 2.6.9's files, which no build of this ARCH compiles — except their Kconfig files, which
 * Kconfig parses whatever the ARCH (6.1's crypto/Kconfig sources arch/arm/crypto/Kconfig). Only
 * for an ARCH with a file in arches/ (its `dirs` say every arch/ directory it builds from; 2.6's
 * x86_64 builds files of arch/i386); undefined otherwise, or when the tree has nothing to leave
 * out. `archEntries` and `includeEntries` are the directories directly under arch/ and include/.
 */
export function otherArchesLeftOut(arch: string, archEntries: readonly string[], includeEntries: readonly string[]): string[] | undefined {
  const known = findArch(arch);
  if (!known) return undefined;
  const own = new Set([...known.dirs, known.srcarch, known.name]);
  const others = archEntries.filter((d) => !own.has(d));
  if (!others.length) return undefined;
  const headers = new Set(includeEntries);
  return ['/*', ...others.flatMap((d) => [`!/arch/${d}/`, ...(headers.has(`asm-${d}`) ? [`!/include/asm-${d}/`] : [])]), '/arch/**/Kconfig*'];
}

interface YamlArch {
  name: string;
  description: string;
  srcarch: string;
  dirs?: string[];
  boot_image?: { target: string; paths: string[] };
  measure_tools?: { size: string; nm: string };
  qemu?: { binary: string; machine: string; console: string; package: string; nics?: { kconfig: string; device: string }[] };
}

function readArch(file: string, name: string, cwd: string): { arch?: Arch; diagnostics: Diagnostic[] } {
  const shown = displayPath(file, cwd);
  const diagnostics: Diagnostic[] = [];
  const add = (pos: { line: number; column: number }, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', file: shown, line: pos.line, column: pos.column, message, ...(hint ? { hint } : {}) });
  };
  const { doc, pos } = parseYaml(readFileSync(file, 'utf8'));
  if (doc.errors.length) {
    for (const e of doc.errors) add(pos.at(e.pos[0]), `YAML syntax: ${e.message.split('\n')[0]}`, 'check indentation, and quote values containing ": " or starting with a special character');
    return { diagnostics };
  }
  const data: unknown = doc.toJS();
  const validate = schemaValidator(ARCH_SCHEMA_PATH);
  if (!validate(data)) {
    for (const d of uniqueAtPosition((validate.errors ?? []).map((err) => describe(err, data, pos)))) add(d.pos, d.message, d.hint);
    return { diagnostics };
  }
  const y = data as YamlArch;
  if (y.name !== name) add(pos.valuePos(['name']), `name '${y.name}' is not the file's name '${name}'`, `write name: ${name} (or rename the file to ${y.name}.yaml)`);
  if (diagnostics.length) return { diagnostics };
  const arch: Arch = {
    name: y.name,
    description: y.description,
    srcarch: y.srcarch,
    dirs: y.dirs ? [...y.dirs] : [...new Set([y.name, y.srcarch])],
    ...(y.boot_image ? { bootImage: { target: y.boot_image.target, paths: [...y.boot_image.paths] } } : {}),
    measureTools: y.measure_tools ? { ...y.measure_tools } : { size: 'size', nm: 'nm' },
    ...(y.qemu ? { qemu: { ...y.qemu, ...(y.qemu.nics ? { nics: y.qemu.nics.map((n) => ({ ...n })) } : {}) } } : {}),
    file,
  };
  return { arch, diagnostics };
}

function describe(err: ErrorObject, data: unknown, pos: YamlPositions): { pos: { line: number; column: number }; message: string; hint?: string } {
  const path = fromPointer(err.instancePath);
  const parent = err.parentSchema as SchemaNode | undefined;
  const value = getAt(data, path);
  const where = formatPath(path);
  const hint = parent?.description ? { hint: parent.description } : {};
  switch (err.keyword) {
    case 'additionalProperties': {
      const { key, allowed, guess } = unknownKey(err);
      return { pos: pos.keyPos([...path, key]), message: `unknown key '${key}'${where ? ` in ${where}` : ''}`, hint: guess ? `did you mean '${guess}'?` : `allowed keys: ${allowed.join(', ')}` };
    }
    case 'required': {
      const key = missingKey(err);
      const about = parent?.properties?.[key]?.description;
      return { pos: pos.valuePos(path), message: `${where || 'the architecture'} is missing '${key}'`, ...(about ? { hint: about } : {}) };
    }
    case 'type': {
      const want = wantedType(err);
      return { pos: pos.valuePos(path), message: `'${where}' must be ${TYPE_WORDS[want] ?? want}, not ${showValue(value)}`, ...hint };
    }
    case 'uniqueItems': {
      const { second } = repeatedItem(err);
      return { pos: pos.valuePos([...path, second]), message: `'${where}' lists '${String((value as unknown[])[second])}' twice`, hint: 'remove the repeated item' };
    }
    case 'pattern':
    case 'minLength':
    case 'minItems':
      return { pos: pos.valuePos(path), message: `'${where}' value ${showValue(value)} is not valid`, ...hint };
    default:
      return { pos: pos.valuePos(path), message: `'${where || 'architecture'}' ${err.message ?? 'is invalid'}`, ...hint };
  }
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && rel.length < path.length ? rel : path;
}
