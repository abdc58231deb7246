// Loading toolchain definitions: toolchains/<name>/toolchain.yaml (+ Containerfile), checked
// against schema/toolchain.schema.json (the file editors use too) and against what a schema
// cannot see (the directory name, CROSS_COMPILE for every ARCH, the Containerfile's base and
// packages). Every problem is a Diagnostic at file:line:column with a hint; a load fails once,
// with all of them (TinyError, exit 2).

import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import type { Toolchain } from './types.js';
import { closest } from '../util/suggest.js';
import {
  formatPath as label,
  fromPointer,
  getAt,
  missingKey,
  parseYaml,
  repeatedItem,
  schemaValidator,
  showValue as describeValue,
  TYPE_WORDS,
  uniqueAtPosition,
  unknownKey,
  wantedType,
  type SchemaNode,
  type YamlPositions as Positions,
} from '../util/yaml-schema.js';

export const TOOLCHAIN_FILE = 'toolchain.yaml';
export const CONTAINERFILE = 'Containerfile';

/** schema/ and toolchains/ ship next to src/ and dist/ alike. */
export const TOOLCHAIN_SCHEMA_PATH = fileURLToPath(new URL('../../schema/toolchain.schema.json', import.meta.url));
export const DEFAULT_TOOLCHAINS_DIR = fileURLToPath(new URL('../../toolchains', import.meta.url));

/** Where definitions are read from: $TINY_TOOLCHAINS, else the toolchains/ shipped with tiny. */
export function defaultToolchainsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TINY_TOOLCHAINS ? resolve(env.TINY_TOOLCHAINS) : DEFAULT_TOOLCHAINS_DIR;
}

/**
 * `rootDir` is either a project root holding `toolchains/`, or the toolchains directory itself
 * (a directory of <name>/toolchain.yaml).
 */
export async function toolchainsDir(rootDir: string): Promise<string> {
  const nested = join(resolve(rootDir), 'toolchains');
  if (await isDir(nested)) return nested;
  return resolve(rootDir);
}

/** The names of the toolchain directories (those holding a toolchain.yaml), sorted. */
export async function toolchainNames(rootDir: string): Promise<string[]> {
  const dir = await toolchainsDir(rootDir);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    throw new TinyError(`no toolchains directory at ${dir}`, 2, [], 'pass the directory holding <name>/toolchain.yaml (or set TINY_TOOLCHAINS)');
  }
  const names: string[] = [];
  for (const e of entries.sort()) if (await isFile(join(dir, e, TOOLCHAIN_FILE))) names.push(e);
  return names;
}

/** Load and check every toolchain; all problems of all files are reported together. */
export async function loadToolchains(rootDir: string, opts: { cwd?: string } = {}): Promise<Toolchain[]> {
  const dir = await toolchainsDir(rootDir);
  const names = await toolchainNames(dir);
  const diags: Diagnostic[] = [];
  const out: Toolchain[] = [];
  for (const name of names) {
    const r = await loadOne(dir, name, opts.cwd);
    diags.push(...r.diagnostics);
    if (r.toolchain) out.push(r.toolchain);
  }
  failOn(diags, names.length === 1 ? '1 toolchain' : `${names.length} toolchains`);
  return out;
}

/** Load one toolchain by name; an unknown name is an error listing the known ones. */
export async function loadToolchain(rootDir: string, name: string, opts: { cwd?: string } = {}): Promise<Toolchain> {
  const dir = await toolchainsDir(rootDir);
  const names = await toolchainNames(dir);
  if (!names.includes(name)) {
    const guess = closest(name, names);
    throw new TinyError(
      `unknown toolchain '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
      2,
      [],
      names.length ? `known toolchains: ${names.join(', ')} (see \`tiny toolchain list\`)` : `${dir} has no <name>/${TOOLCHAIN_FILE}`,
    );
  }
  const r = await loadOne(dir, name, opts.cwd);
  failOn(r.diagnostics, `toolchain '${name}'`);
  return r.toolchain!;
}

function failOn(diags: Diagnostic[], what: string): void {
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new TinyError(`${errors} error${errors === 1 ? '' : 's'} in ${what}`, 2, diags);
}

/** The make variables for building `arch`: ARCH, CROSS_COMPILE, then the toolchain's own. */
export function makeVariablesFor(tc: Toolchain, arch: string): Record<string, string> {
  if (!tc.arches.includes(arch)) {
    throw new TinyError(`toolchain '${tc.name}' does not build ARCH=${arch}`, 2, [], `it builds: ${tc.arches.join(', ')}`);
  }
  return { ARCH: arch, CROSS_COMPILE: tc.crossCompile[arch] ?? '', ...tc.makeVariables };
}

// ---------------------------------------------------------------------------------------------
// One file

interface LoadResult {
  toolchain?: Toolchain;
  diagnostics: Diagnostic[];
}

async function loadOne(dir: string, name: string, cwd = process.cwd()): Promise<LoadResult> {
  const tdir = join(dir, name);
  const file = join(tdir, TOOLCHAIN_FILE);
  const containerfile = join(tdir, CONTAINERFILE);
  const shown = displayPath(file, cwd);
  const diagnostics: Diagnostic[] = [];
  const add = (pos: { line: number; column: number }, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', file: shown, line: pos.line, column: pos.column, message, ...(hint ? { hint } : {}) });
  };

  const text = await readFile(file, 'utf8');
  const { doc, pos } = parseYaml(text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      add(pos.at(e.pos[0]), `YAML syntax: ${e.message.split('\n')[0]}`, 'check indentation, and quote values containing ": " or starting with a special character');
    }
    return { diagnostics };
  }
  const data: unknown = doc.toJS();

  const validate = schemaValidator(TOOLCHAIN_SCHEMA_PATH);
  if (!validate(data)) {
    const found = (validate.errors ?? []).flatMap((err) => describe(err, data, pos) ?? []);
    for (const d of uniqueAtPosition(found)) add(d.pos, d.message, d.hint);
    return { diagnostics };
  }
  const y = data as YamlToolchain;

  // What the schema cannot check.
  if (y.name !== name) {
    add(pos.valuePos(['name']), `name '${y.name}' is not the directory's name '${name}'`, `write name: ${name} (or rename the directory to ${y.name})`);
  }
  for (const arch of y.arches) {
    if (!(arch in y.cross_compile)) {
      add(pos.valuePos(['cross_compile']), `cross_compile has no entry for ARCH '${arch}'`, `add \`${arch}: <prefix>-\` under cross_compile ("" for a native compiler)`);
    }
  }
  for (const arch of Object.keys(y.cross_compile)) {
    if (!y.arches.includes(arch)) {
      const guess = closest(arch, y.arches);
      add(pos.keyPos(['cross_compile', arch]), `cross_compile names ARCH '${arch}', which is not in arches`, guess ? `did you mean '${guess}'?` : `add ${arch} to arches, or remove this entry`);
    }
  }
  for (const v of ['ARCH', 'CROSS_COMPILE']) {
    if (y.make_variables && v in y.make_variables) {
      add(pos.keyPos(['make_variables', v]), `${v} does not belong in make_variables`, v === 'ARCH' ? 'list the ARCH values under arches' : 'set the prefix per ARCH under cross_compile');
    }
  }
  if (y.offline_buildable && !y.bootstrap) {
    add(pos.valuePos(['offline_buildable']), 'offline_buildable is true but there is no bootstrap', 'add `bootstrap: {suite: bookworm, include: [ca-certificates]}`');
  }

  let cf: string;
  try {
    cf = await readFile(containerfile, 'utf8');
  } catch {
    add({ line: 1, column: 1 }, `no ${CONTAINERFILE} next to ${TOOLCHAIN_FILE}`, `create ${displayPath(containerfile, cwd)} starting with \`ARG BASE=${y.base_image}\` and \`FROM \${BASE}\``);
    return { diagnostics };
  }
  checkContainerfile(cf, y, pos, add, displayPath(containerfile, cwd));
  if (diagnostics.length > 0) return { diagnostics };

  const toolchain: Toolchain = {
    name: y.name,
    description: y.description,
    compiler: y.compiler,
    arches: [...y.arches],
    crossCompile: { ...y.cross_compile },
    makeVariables: { ...(y.make_variables ?? {}) },
    packages: [...y.packages],
    baseImage: y.base_image,
    ...(y.platform ? { platform: y.platform } : {}),
    ...(y.bootstrap ? { bootstrap: { suite: y.bootstrap.suite, ...(y.bootstrap.mirror ? { mirror: y.bootstrap.mirror } : {}), include: [...(y.bootstrap.include ?? [])] } } : {}),
    offlineBuildable: y.offline_buildable,
    ...(y.reason ? { reason: y.reason.trim() } : {}),
    needsCompat: [...(y.needs_compat ?? [])],
    dir: tdir,
    file,
    containerfile,
    contentHash: contentHash(text, cf),
  };
  return { toolchain, diagnostics };
}

/** The content address of a toolchain's image: its definition and its Containerfile. */
export function contentHash(yamlText: string, containerfileText: string): string {
  return sha256(`${TOOLCHAIN_FILE}\0${yamlText}\0${CONTAINERFILE}\0${containerfileText}`);
}

/**
 * The Containerfile must take its base from `ARG BASE=<base_image>` / `FROM ${BASE}` (tiny
 * passes the base by image ID, or a bootstrapped one offline), and install every package the
 * definition lists.
 */
function checkContainerfile(cf: string, y: YamlToolchain, pos: Positions, add: (p: { line: number; column: number }, m: string, h?: string) => void, cfShown: string): void {
  const arg = /^\s*ARG\s+BASE=(\S+)\s*$/m.exec(cf);
  const from = /^\s*FROM\s+\$\{?BASE\}?(\s|$)/m.test(cf);
  if (!arg || !from) {
    add(pos.valuePos(['base_image']), `${cfShown} does not take its base from ARG BASE`, `start it with \`ARG BASE=${y.base_image}\` then \`FROM \${BASE}\` (tiny passes the base image by ID)`);
  } else if (arg[1] !== y.base_image) {
    add(pos.valuePos(['base_image']), `base_image '${y.base_image}' differs from the Containerfile's ARG BASE=${arg[1]}`, `make them the same (${cfShown} line ${lineOf(cf, arg.index)})`);
  }
  const words = new Set(cf.replace(/#.*$/gm, '').split(/[\s\\&|;]+/));
  y.packages.forEach((p, i) => {
    if (!words.has(p)) add(pos.valuePos(['packages', i]), `package '${p}' is not installed by ${cfShown}`, `add it to the apt-get install line there, or remove it here`);
  });
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

interface YamlToolchain {
  name: string;
  description: string;
  compiler: string;
  arches: string[];
  cross_compile: Record<string, string>;
  make_variables?: Record<string, string>;
  packages: string[];
  base_image: string;
  platform?: string;
  bootstrap?: { suite: string; mirror?: string; include?: string[] };
  offline_buildable: boolean;
  reason?: string;
  needs_compat?: string[];
}

// ---------------------------------------------------------------------------------------------
// Schema errors in words

const REQUIRED_HINTS: Record<string, string> = {
  name: 'add `name: <directory name>`, e.g. name: gcc-12-i386',
  description: 'add a one-line `description:`',
  compiler: 'add `compiler:`, e.g. compiler: gcc-12',
  arches: 'add `arches:` listing kernel ARCH values, e.g. arches: [i386]',
  cross_compile: 'add `cross_compile:` with the prefix per ARCH, e.g. {i386: i686-linux-gnu-}',
  packages: 'add `packages:` listing the Debian packages the Containerfile installs',
  base_image: "add `base_image:`, the Containerfile's FROM, e.g. base_image: debian:bookworm",
  offline_buildable: 'add `offline_buildable: true` (bootstrapped with mmdebstrap) or false (needs a registry; add reason:)',
  reason: 'offline_buildable is false: add `reason:` saying why a registry is needed and which image',
  bootstrap: 'offline_buildable is true: add `bootstrap: {suite: bookworm, include: [ca-certificates]}` (how mmdebstrap makes the base)',
  suite: 'add `suite:`, the Debian suite to bootstrap, e.g. suite: bookworm',
};

function describe(err: ErrorObject, data: unknown, pos: Positions): { pos: { line: number; column: number }; message: string; hint?: string } | undefined {
  const path = fromPointer(err.instancePath);
  const parent = err.parentSchema as SchemaNode | undefined;
  const value = getAt(data, path);
  const where = label(path);
  switch (err.keyword) {
    case 'if':
      return undefined; // the failing then/else branch's own error says what is missing
    case 'additionalProperties': {
      const { key, allowed, guess } = unknownKey(err);
      if (allowed.length === 0) return undefined; // map of free keys: reported by their own rules
      return { pos: pos.keyPos([...path, key]), message: `unknown key '${key}'${where ? ` in ${where}` : ''}`, hint: guess ? `did you mean '${guess}'?` : `allowed keys: ${allowed.join(', ')}` };
    }
    case 'required': {
      const prop = missingKey(err);
      return { pos: pos.valuePos(path), message: `${where || 'the toolchain'} is missing '${prop}'`, hint: REQUIRED_HINTS[prop] ?? parent?.properties?.[prop]?.description };
    }
    case 'propertyNames': {
      const key = String((err.params as { propertyName: string }).propertyName);
      return { pos: pos.keyPos([...path, key]), message: `'${key}' is not a valid name in ${where}`, hint: 'make variable names use letters, digits and _, e.g. HOSTCC' };
    }
    case 'type': {
      if (err.propertyName !== undefined) return undefined;
      const want = wantedType(err);
      let hint = parent?.description;
      if (want === 'string' && (typeof value === 'number' || typeof value === 'boolean')) hint = `quote it: "${String(value)}"`;
      if (want === 'array' && typeof value === 'string') hint = `write a list: [${value}]`;
      return { pos: pos.valuePos(path), message: `'${where}' must be ${TYPE_WORDS[want] ?? want}, not ${describeValue(value)}`, ...(hint ? { hint } : {}) };
    }
    case 'pattern': {
      if (err.propertyName !== undefined) return undefined; // reported as propertyNames
      return { pos: pos.valuePos(path), message: `'${where}' value ${describeValue(value)} is not valid`, ...(parent?.description ? { hint: parent.description } : {}) };
    }
    case 'uniqueItems': {
      const { second } = repeatedItem(err);
      const list = getAt(data, path);
      const item = Array.isArray(list) ? String(list[second]) : '?';
      return { pos: pos.valuePos([...path, second]), message: `'${where}' lists '${item}' twice`, hint: 'remove the repeated item' };
    }
    case 'minItems':
      return { pos: pos.valuePos(path), message: `'${where}' must not be empty`, ...(parent?.description ? { hint: parent.description } : {}) };
    case 'minLength':
      return { pos: pos.valuePos(path), message: `'${where}' must not be empty`, ...(parent?.description ? { hint: parent.description } : {}) };
    default:
      return { pos: pos.valuePos(path), message: `'${where || 'toolchain'}' ${err.message ?? 'is invalid'}`, ...(parent?.description ? { hint: parent.description } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && rel.length < path.length ? rel : path;
}
