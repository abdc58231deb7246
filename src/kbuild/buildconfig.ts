// Build configurations as data: configs/<name>.yaml, checked against
// schema/config.schema.json (the file editors use through the yaml-language-server comment)
// and a few rules a schema cannot express. Every problem becomes a Diagnostic with
// file:line:column and a hint; loading fails once, with all of them (TinyError, exit 2).

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { TinyError, type Diagnostic, type Severity } from '../util/diagnostics.js';
import type { KconfigBase } from './config.js';
import type { FragmentValue } from './kconfig.js';
import { closest } from '../util/suggest.js';
import { searchUp } from '../util/search-up.js';
import { archNames, findArch } from '../toolchain/arch.js';
import {
  firstErrorPerLine,
  formatPath,
  fromPointer,
  getAt,
  isRecord,
  loadSchema,
  missingKey,
  parseYaml,
  repeatedItem,
  schemaValidator,
  showValue as describe,
  TYPE_WORDS,
  uniqueAtPosition,
  unknownKey,
  wantedType,
  yamlSyntaxHints,
  type DataPath,
  type SchemaNode,
  type YamlPositions as Positions,
} from '../util/yaml-schema.js';
import { defaultToolchainsDir } from '../toolchain/definitions.js';

export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../schema/config.schema.json', import.meta.url));
export const CONFIGS_DIR = 'configs';

/**
 * The directory whose configs/ holds the build configurations: the nearest one upward from `cwd`
 * with a configs/ directory (found as the queue is), else `fallback` (the configurations tiny ships).
 */
export function locateConfigRoot(fallback: string, o: { cwd?: string; env?: NodeJS.ProcessEnv; exists?: (p: string) => boolean } = {}): string {
  const exists = o.exists ?? existsSync;
  return searchUp(o.cwd ?? process.cwd(), (o.env ?? process.env).HOME, (dir) => exists(join(dir, CONFIGS_DIR))).found ?? fallback;
}

export type BuildTarget = 'vmlinux' | 'bzImage';

/** Size limits in bytes. */
export interface Budgets {
  bzImage?: number;
  vmlinux?: number;
  text?: number;
  data?: number;
  bss?: number;
  dec?: number;
  min_saving_per_patch?: number;
}

/**
 * One set of size limits and the bases it applies to. configs/*.yaml `budgets:` is one set for
 * every base (a mapping) or a list of sets, each naming its bases: (an item without bases:
 * applies on every base; an item naming the base overrides its limits there).
 */
export interface BudgetSet {
  /** Base versions (queue.yaml base.version or bases:); absent: every base. */
  bases?: string[];
  limits: Budgets;
  /** Where the set is written, for messages: "configs/webserver-tiny.yaml:140". */
  where: string;
}

export interface BuildBootConfig {
  http: 'auto' | 'always' | 'never';
  mem?: string;
  limit?: 'machine' | 'kernel';
  machineMem?: string;
}

/** The boot: key as data (the schema has checked its shape); undefined when absent or false. */
function bootConfigOf(v: unknown): BuildBootConfig | undefined {
  if (v === true) return { http: 'auto' };
  if (v === 'http') return { http: 'always' };
  if (!isRecord(v)) return undefined;
  return {
    http: v.http === true ? 'always' : v.http === false ? 'never' : 'auto',
    ...(typeof v.mem === 'string' ? { mem: v.mem } : {}),
    ...(v.limit === 'machine' || v.limit === 'kernel' ? { limit: v.limit } : {}),
    ...(typeof v.machine_mem === 'string' ? { machineMem: v.machine_mem } : {}),
  };
}

export interface BuildConfig {
  name: string;
  description?: string;
  toolchain: string;
  arch: string;
  kconfig: {
    /** A make target, or { file } with an absolute path. */
    base: KconfigBase;
    /** Symbol (without CONFIG_) -> y | m | n | number | string; hex numbers keep their 0x text. */
    fragment: Record<string, FragmentValue>;
    /** Symbols flipped one at a time against the queue point (toggles config:<SYMBOL>). */
    flips: string[];
  };
  /** select: guard symbols of the patches this configuration uses; baseSelect: those that belong to the base (default []). */
  queue: { select: string[]; baseSelect: string[] };
  targets: BuildTarget[];
  makeVars: Record<string, string>;
  budgets?: BudgetSet[];
  /** ccache.remote: the compiler cache shared by the machines that build the toggles. */
  ccache?: { remote?: string };
  /**
   * boot: tiny build boots each toggle it built (src/boot/after-build.ts). http: auto serves
   * when the kernel has a card qemu emulates; mem and machineMem as written ("16M").
   */
  boot?: BuildBootConfig;
  /** Where it was read from (absolute) and how diagnostics name it (relative to cwd). */
  file: string;
  displayFile: string;
  /** Position of each fragment symbol in the file (for diagnostics about dropped symbols). */
  fragmentPositions: Record<string, { line: number; column: number }>;
  /** Non-fatal findings (e.g. a toolchain directory that does not exist yet). */
  warnings: Diagnostic[];
}

export interface LoadConfigOptions {
  /** Directory diagnostics' paths are shown relative to (default: process.cwd()). */
  cwd?: string;
}

/** The configuration names in rootDir/configs (file names without .yaml). */
export async function listBuildConfigs(rootDir: string): Promise<string[]> {
  try {
    const names = await readdir(join(rootDir, CONFIGS_DIR));
    return names
      .filter((n) => n.endsWith('.yaml') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** Load and check rootDir/configs/<name>.yaml (a name, or a path to a .yaml file). */
export async function loadBuildConfig(rootDir: string, name: string, opts: LoadConfigOptions = {}): Promise<BuildConfig> {
  const cwd = opts.cwd ?? process.cwd();
  const abs = await resolveConfigFile(rootDir, name);
  const displayFile = display(abs, cwd);
  const text = await readFile(abs, 'utf8');
  return parseBuildConfig(text, { file: abs, displayFile, rootDir });
}

/** A --config value that names a file (a .yaml, or anything with a slash) rather than a configuration of configs/. */
export function isConfigPath(name: string): boolean {
  return name.endsWith('.yaml') || name.includes('/');
}

/**
 * A --config value as it must be kept for later: a relative path made absolute against `cwd`
 * (the user's directory), so it names the same file from any directory (bisect steps run in a
 * scratch clone); a configuration name stays a name.
 */
export function configArgument(name: string, cwd: string): string {
  return isConfigPath(name) && !isAbsolute(name) ? resolve(cwd, name) : name;
}

async function resolveConfigFile(rootDir: string, name: string): Promise<string> {
  if (isConfigPath(name)) {
    const abs = isAbsolute(name) ? name : resolve(name);
    try {
      await readFile(abs);
      return abs;
    } catch {
      throw new TinyError(`configuration file ${name} does not exist${abs !== name ? ` (looked for ${abs})` : ''}`, 2, [], 'give a configuration name (e.g. webserver) or the path of a .yaml file');
    }
  }
  const known = await listBuildConfigs(rootDir);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || !known.includes(name)) {
    const guess = closest(name, known);
    const list = known.length ? `known configurations: ${known.join(', ')}` : `there is no configs/*.yaml in ${rootDir}`;
    throw new TinyError(`unknown configuration '${name}'`, 2, [], `${guess ? `did you mean '${guess}'? ` : ''}${list}`);
  }
  return join(rootDir, CONFIGS_DIR, `${name}.yaml`);
}

function display(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

// --- Diagnostics ---------------------------------------------------------------------------

class Out {
  readonly diags: (Diagnostic & { order: number })[] = [];
  constructor(readonly file: string) {}
  add(pos: { line: number; column: number }, message: string, hint?: string, severity: Severity = 'error'): void {
    this.diags.push({ severity, file: this.file, line: pos.line, column: pos.column, message, ...(hint ? { hint } : {}), order: pos.line * 10000 + pos.column });
  }
  get errors(): number {
    return this.diags.filter((d) => d.severity === 'error').length;
  }
  sorted(severity: Severity): Diagnostic[] {
    return this.diags
      .filter((d) => d.severity === severity)
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...d }) => d);
  }
}

// --- Schema ----------------------------------------------------------------------------------

function label(path: DataPath): string {
  return formatPath(path) || 'the configuration';
}

/** Paths checked by hand below (better messages than the schema's oneOf errors). */
function handChecked(path: DataPath): boolean {
  return (path[0] === 'kconfig' && (path[1] === 'base' || path[1] === 'fragment')) || path[0] === 'budgets';
}

function schemaErrors(data: unknown, pos: Positions, out: Out): void {
  const validate = schemaValidator(CONFIG_SCHEMA_PATH);
  const root = loadSchema(CONFIG_SCHEMA_PATH).schema;
  if (validate(data)) return;
  const found = (validate.errors ?? []).flatMap((err) => {
    const path = fromPointer(err.instancePath);
    if (handChecked(path)) return [];
    const d = explainAjv(err, path, data, root);
    if (!d) return [];
    return [{ ...d, pos: d.where === 'key' ? pos.keyPos(d.path) : pos.valuePos(d.path) }];
  });
  for (const d of uniqueAtPosition(found)) out.add(d.pos, d.message, d.hint);

  function explainAjv(err: ErrorObject, path: DataPath, data: unknown, root: SchemaNode): { where: 'key' | 'value'; path: DataPath; message: string; hint?: string } | undefined {
    const parent = err.parentSchema as SchemaNode | undefined;
    const value = getAt(data, path);
    switch (err.keyword) {
      case 'additionalProperties': {
        const { key, allowed, guess } = unknownKey(err);
        return {
          where: 'key',
          path: [...path, key],
          message: `unknown key '${key}'${path.length ? ` in ${label(path)}` : ''}`,
          hint: guess ? `did you mean '${guess}'?` : `allowed keys: ${allowed.join(', ')}`,
        };
      }
      case 'required': {
        const prop = missingKey(err);
        const desc = (path.length === 0 ? root.properties?.[prop] : parent?.properties?.[prop])?.description;
        return { where: 'value', path, message: `${label(path)} is missing '${prop}'`, ...(desc ? { hint: desc } : {}) };
      }
      case 'type': {
        const want = wantedType(err);
        return { where: 'value', path, message: `'${label(path)}' must be ${TYPE_WORDS[want] ?? want}, not ${describe(value)}`, ...(parent?.description ? { hint: parent.description } : {}) };
      }
      case 'enum': {
        const allowed = (parent?.enum ?? []).map(String);
        const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
        return { where: 'value', path, message: `'${label(path)}' cannot be ${describe(value)}`, hint: `${guess ? `did you mean '${guess}'? ` : ''}one of: ${allowed.join(', ')}` };
      }
      case 'pattern': {
        const key = path[path.length - 1];
        const hints: Record<string, string> = {
          name: 'use letters, digits and . _ + - (the file name without .yaml)',
          toolchain: 'the name of a directory under toolchains/, e.g. gcc-12-i386',
          arch: 'the kernel ARCH= value in lowercase, e.g. i386',
        };
        const inSelect = path[0] === 'queue' && (path[1] === 'select' || path[1] === 'base_select');
        if (path[0] === 'kconfig' && path[1] === 'flips')
          return { where: 'value', path, message: `'${label(path)}' ${describe(value)} is not valid here`, hint: 'a Kconfig symbol without CONFIG_, e.g. KALLSYMS' };
        return {
          where: 'value',
          path,
          message: `${inSelect ? 'guard symbol' : `'${label(path)}'`} ${describe(value)} is not valid here`,
          hint: inSelect
            ? 'a guard symbol is a word such as compat (no + or - prefix: selecting is what the list means)'
            : ((typeof key === 'string' ? hints[key] : undefined) ?? parent?.description ?? `must match ${parent?.pattern ?? ''}`),
        };
      }
      case 'propertyNames':
        return undefined; // reported with the pattern error of the name
      case 'minItems':
        return { where: 'value', path, message: `'${label(path)}' must not be empty`, ...(parent?.description ? { hint: parent.description } : {}) };
      case 'uniqueItems': {
        const { second } = repeatedItem(err);
        return { where: 'value', path: [...path, second], message: `'${label(path)}' lists ${describe(getAt(data, [...path, second]))} twice`, hint: 'remove the repeated item' };
      }
      default:
        return { where: 'value', path, message: `'${label(path)}' ${err.message ?? 'is invalid'}`, ...(parent?.description ? { hint: parent.description } : {}) };
    }
  }
}

// --- Checks beyond the schema ------------------------------------------------------------------

const BASES = ['allnoconfig', 'tinyconfig', 'defconfig'];
const SYMBOL = /^[A-Za-z0-9_]+$/;
const LOOKS_BOOL = /^(yes|no|on|off|true|false|Y|N|M)$/;

function checkBase(data: Record<string, unknown>, pos: Positions, out: Out, configDir: string): KconfigBase | undefined {
  const kconfig = data.kconfig;
  if (!isRecord(kconfig) || !('base' in kconfig)) return undefined;
  const base = kconfig.base;
  const path = ['kconfig', 'base'];
  const hint = `write base: allnoconfig, tinyconfig, defconfig, <board>_defconfig, or base: {file: path/to/.config}`;
  if (typeof base === 'string') {
    if (BASES.includes(base) || /^[A-Za-z0-9][A-Za-z0-9._-]*_defconfig$/.test(base)) return base as KconfigBase;
    const guess = closest(base, BASES);
    out.add(pos.valuePos(path), `unknown kconfig base '${base}'`, guess ? `did you mean '${guess}'? ${hint}` : hint);
    return undefined;
  }
  if (isRecord(base)) {
    const extra = Object.keys(base).filter((k) => k !== 'file');
    for (const k of extra) out.add(pos.keyPos([...path, k]), `unknown key '${k}' in kconfig.base`, `a file base has only file: (a .config path)`);
    if (typeof base.file !== 'string' || base.file === '') {
      out.add(
        pos.valuePos('file' in base ? [...path, 'file'] : path),
        `kconfig.base.file must be the path of a .config file`,
        'e.g. base: {file: webserver.config} (relative to this configuration file)',
      );
      return undefined;
    }
    return extra.length ? undefined : { file: isAbsolute(base.file) ? base.file : resolve(configDir, base.file) };
  }
  out.add(pos.valuePos(path), `kconfig.base cannot be ${describe(base)}`, hint);
  return undefined;
}

function checkFragment(data: Record<string, unknown>, pos: Positions, out: Out): { fragment: Record<string, FragmentValue>; positions: Record<string, { line: number; column: number }> } {
  const fragment: Record<string, FragmentValue> = {};
  const positions: Record<string, { line: number; column: number }> = {};
  const kconfig = data.kconfig;
  if (!isRecord(kconfig) || kconfig.fragment === undefined) return { fragment, positions };
  const frag = kconfig.fragment;
  if (frag === null) return { fragment, positions }; // `fragment:` with nothing under it
  if (!isRecord(frag)) {
    out.add(pos.valuePos(['kconfig', 'fragment']), `kconfig.fragment must be a mapping of symbols to values, not ${describe(frag)}`, 'e.g. fragment: {NET: y, LOG_BUF_SHIFT: 14}');
    return { fragment, positions };
  }
  for (const [sym, v] of Object.entries(frag)) {
    const path = ['kconfig', 'fragment', sym];
    const keyPos = pos.keyPos(path);
    positions[sym] = { line: keyPos.line, column: keyPos.column };
    if (sym.startsWith('CONFIG_')) {
      out.add(keyPos, `write '${sym.slice(7)}', not '${sym}'`, 'fragment symbols are written without CONFIG_');
      continue;
    }
    if (!SYMBOL.test(sym)) {
      out.add(keyPos, `'${sym}' is not a Kconfig symbol name`, 'use letters, digits and _ only, e.g. PRINTK');
      continue;
    }
    const vpos = pos.valuePos(path);
    if (typeof v === 'boolean' || (typeof v === 'string' && LOOKS_BOOL.test(v))) {
      const raw = pos.sourceText(path) ?? String(v);
      const guess = /^(yes|on|true|Y)$/i.test(raw) ? 'y' : /^M$/.test(raw) ? 'm' : 'n';
      out.add(vpos, `${sym}: '${raw}' is not a Kconfig value`, `write ${sym}: ${guess} (Kconfig values are y, m and n; quote a string that really is '${raw}')`);
      continue;
    }
    if (typeof v === 'number') {
      const raw = pos.sourceText(path) ?? String(v);
      if (!Number.isInteger(v)) {
        out.add(vpos, `${sym}: ${raw} is not an integer`, 'int and hex symbols take integers; quote it if the symbol is a string');
        continue;
      }
      fragment[sym] = /^0[xX][0-9a-fA-F]+$/.test(raw) ? raw : v;
      continue;
    }
    if (typeof v === 'string') {
      if (v.includes('\n')) {
        out.add(vpos, `${sym}: a .config value cannot span lines`, 'write it on one line');
        continue;
      }
      fragment[sym] = v;
      continue;
    }
    out.add(v === null ? keyPos : vpos, `${sym}: ${describe(v)} is not a Kconfig value`, 'write y, m, n, a number or a string');
  }
  return { fragment, positions };
}

const SIZE_RE = /^([0-9]+(?:\.[0-9]+)?)([KM]?)$/;

/** "400K" -> 409600, "1.5M" -> 1572864, 1234 -> 1234; undefined when not a size. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = SIZE_RE.exec(v.trim());
  if (!m) return undefined;
  const mult = m[2] === 'K' ? 1024 : m[2] === 'M' ? 1024 * 1024 : 1;
  const n = Number(m[1]) * mult;
  return Number.isInteger(n) ? n : Math.round(n);
}

const BUDGET_KEYS = ['bzImage', 'vmlinux', 'text', 'data', 'bss', 'dec', 'min_saving_per_patch'] as const;

function checkLimits(b: Record<string, unknown>, path: DataPath, pos: Positions, out: Out, extra: readonly string[]): Budgets {
  const budgets: Budgets = {};
  for (const key of Object.keys(b)) {
    if ((BUDGET_KEYS as readonly string[]).includes(key) || extra.includes(key)) continue;
    const allowed = [...extra, ...BUDGET_KEYS];
    const guess = closest(key, allowed);
    out.add(pos.keyPos([...path, key]), `unknown key '${key}' in ${formatPath(path)}`, guess ? `did you mean '${guess}'?` : `allowed keys: ${allowed.join(', ')}`);
  }
  for (const key of BUDGET_KEYS) {
    if (!(key in b)) continue;
    const n = parseSize(b[key]);
    if (n === undefined) {
      const lower = typeof b[key] === 'string' && /^[0-9.]+[kmg]i?b?$/i.test(String(b[key]));
      out.add(
        pos.valuePos([...path, key]),
        `budget ${key}: ${describe(b[key])} is not a size`,
        lower ? `write the size as bytes or with K or M, e.g. "${String(b[key]).replace(/i?b$/i, '').toUpperCase()}"` : 'a size is bytes (400000) or a string with K or M (K = 1024), e.g. "400K"',
      );
      continue;
    }
    budgets[key] = n;
  }
  return budgets;
}

/** The bases: list of a budget set: base versions as strings, each once. */
function checkBudgetBases(v: unknown, path: DataPath, pos: Positions, out: Out): string[] | undefined {
  const hint = 'bases: lists base versions as the queue names them, e.g. bases: ["2.6.9", "2.6.11"]';
  if (!Array.isArray(v) || v.length === 0) {
    out.add(pos.valuePos(path), Array.isArray(v) ? `${formatPath(path)} is empty` : `${formatPath(path)} must be a list of base versions, not ${describe(v)}`, hint);
    return undefined;
  }
  const bases: string[] = [];
  v.forEach((item, i) => {
    // YAML reads 2.6 as a number (and 2.10 as 2.1): a version must be written as a string.
    if (typeof item !== 'string' || item === '') {
      const written = pos.sourceText([...path, i]) ?? String(item);
      out.add(pos.valuePos([...path, i]), `base ${describe(item)} is not a version string`, `quote it: "${written}"`);
      return;
    }
    if (bases.includes(item)) out.add(pos.valuePos([...path, i]), `${formatPath(path)} lists '${item}' twice`, 'remove the repeated version');
    else bases.push(item);
  });
  return bases;
}

/**
 * budgets: one mapping of limits (every base), or a list of mappings each with bases:. A limit
 * given twice for one base (two items naming it, or two items without bases:) is an error: which
 * one applies would be a guess.
 */
function checkBudgets(data: Record<string, unknown>, pos: Positions, out: Out, displayFile: string): BudgetSet[] | undefined {
  const b = data.budgets;
  if (b === undefined || b === null) return undefined;
  const where = (path: DataPath) => `${displayFile}:${pos.valuePos(path).line}`;
  if (isRecord(b)) return [{ limits: checkLimits(b, ['budgets'], pos, out, []), where: where(['budgets']) }];
  if (!Array.isArray(b) || b.length === 0) {
    out.add(
      pos.valuePos(['budgets']),
      `budgets must be a mapping of limits or a non-empty list of them, not ${describe(b)}`,
      'e.g. budgets: {bzImage: 400K}, or per base: budgets: [{bases: ["2.6.9"], bzImage: 363K}, {bases: ["2.6.11"], bzImage: 376K}]',
    );
    return undefined;
  }
  const sets: BudgetSet[] = [];
  // "<base or *> <key>" -> where it was given first
  const given = new Map<string, string>();
  b.forEach((item, i) => {
    const path: DataPath = ['budgets', i];
    if (!isRecord(item)) {
      out.add(pos.valuePos(path), `budgets[${i}] must be a mapping of limits, not ${describe(item)}`, 'write it as {bases: ["2.6.9"], bzImage: 363K}');
      return;
    }
    const bases = 'bases' in item ? checkBudgetBases(item.bases, [...path, 'bases'], pos, out) : undefined;
    const limits = checkLimits(item, path, pos, out, ['bases']);
    const set: BudgetSet = { ...(bases ? { bases } : {}), limits, where: where(path) };
    for (const key of Object.keys(limits)) {
      for (const base of bases ?? ['*']) {
        const first = given.get(`${base} ${key}`);
        if (first) {
          out.add(
            pos.keyPos([...path, key]),
            `budget ${key} is given twice for ${base === '*' ? 'every base (no bases:)' : base}: here and at ${first}`,
            'keep one: an item without bases: applies on every base, an item naming a base overrides it there',
          );
        } else given.set(`${base} ${key}`, `${displayFile}:${pos.keyPos([...path, key]).line}`);
      }
    }
    sets.push(set);
  });
  return sets;
}

/** The `arches:` list of a toolchain definition, when it has one. */
async function toolchainArches(file: string): Promise<string[] | undefined> {
  try {
    const data: unknown = parseDocument(await readFile(file, 'utf8')).toJS();
    const arches = isRecord(data) ? data.arches : undefined;
    return Array.isArray(arches) && arches.every((a) => typeof a === 'string') ? (arches as string[]) : undefined;
  } catch {
    return undefined;
  }
}

async function dirExists(p: string): Promise<boolean> {
  try {
    await readdir(p);
    return true;
  } catch {
    return false;
  }
}

const YAML_HINTS = yamlSyntaxHints("a configuration is a single document: remove the '---' line");

export interface ParseOptions {
  /** Absolute path of the file (for base.file and the name check). */
  file: string;
  displayFile?: string;
  /** The project root, to check toolchains/<name>. */
  rootDir?: string;
}

/** Parse and check the text of a configuration file. Throws TinyError (exit 2) with every problem. */
export async function parseBuildConfig(text: string, opts: ParseOptions): Promise<BuildConfig> {
  const displayFile = opts.displayFile ?? opts.file;
  const out = new Out(displayFile);
  const { doc, pos } = parseYaml(text);
  for (const e of firstErrorPerLine(doc, pos)) out.add(e.pos, e.message.split('\n')[0]!, YAML_HINTS[e.code] ?? 'fix the YAML syntax here');
  const fail = (): never => {
    const errors = out.sorted('error');
    throw new TinyError(`invalid configuration ${displayFile}: ${errors.length} error${errors.length === 1 ? '' : 's'}`, 2, errors);
  };
  if (out.errors) fail();
  const data: unknown = doc.toJS();
  if (!isRecord(data)) {
    out.add(
      { line: 1, column: 1 },
      data === null || data === undefined ? 'the configuration file is empty' : `the configuration must be a mapping, not ${describe(data)}`,
      'a configuration has name:, toolchain:, arch:, kconfig: and targets: (see configs/webserver.yaml)',
    );
    fail();
  }
  const rec = data as Record<string, unknown>;
  schemaErrors(rec, pos, out);
  const base = checkBase(rec, pos, out, dirname(opts.file));
  const { fragment, positions } = checkFragment(rec, pos, out);
  const budgets = checkBudgets(rec, pos, out, displayFile);

  // The name is the file name: `tiny build --config webserver` finds configs/webserver.yaml.
  const fileName = opts.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  if (typeof rec.name === 'string' && rec.name !== fileName && /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(rec.name)) {
    out.add(pos.valuePos(['name']), `name '${rec.name}' differs from the file name '${fileName}'`, `write name: ${fileName}, or rename the file to ${rec.name}.yaml`);
  }
  if (typeof rec.toolchain === 'string' && opts.rootDir) {
    // The toolchains builds use (TINY_TOOLCHAINS, else tiny's own), or the project's toolchains/:
    // a project with configs/ of its own still builds with tiny's toolchains.
    const name = rec.toolchain;
    const dirs = [join(defaultToolchainsDir(), name), join(opts.rootDir, 'toolchains', name)];
    const found = (await Promise.all(dirs.map(async (d) => ((await dirExists(d)) ? d : undefined)))).find((d) => d !== undefined);
    if (!found) {
      out.add(
        pos.valuePos(['toolchain']),
        `toolchain '${rec.toolchain}' has no directory toolchains/${rec.toolchain}`,
        'add toolchains/<name>/toolchain.yaml, or pick an existing toolchain',
        'warning',
      );
    } else if (typeof rec.arch === 'string' && /^[a-z0-9][a-z0-9_]*$/.test(rec.arch) && findArch(rec.arch)) {
      // (An arch tiny does not know is said below, once.)
      const arches = await toolchainArches(join(found, 'toolchain.yaml'));
      if (arches && !arches.includes(rec.arch)) {
        out.add(pos.valuePos(['arch']), `toolchain '${rec.toolchain}' does not build arch '${rec.arch}' (its arches: ${arches.join(', ')})`, 'pick a toolchain for this arch, or fix the arch');
      }
    }
  }
  // An ARCH tiny has no facts about (arches/<ARCH>.yaml: SRCARCH, boot image, qemu) cannot be built.
  if (typeof rec.arch === 'string' && /^[a-z0-9][a-z0-9_]*$/.test(rec.arch) && !findArch(rec.arch)) {
    const known = archNames();
    const guess = closest(rec.arch, known);
    out.add(
      pos.valuePos(['arch']),
      `arch '${rec.arch}' is not an architecture tiny knows (no arches/${rec.arch}.yaml)${guess ? `: did you mean '${guess}'?` : ''}`,
      `known: ${known.join(', ')}; another is one file, arches/${rec.arch}.yaml (schema/arch.schema.json)`,
    );
  }
  if (out.errors) fail();

  const q = isRecord(rec.queue) ? rec.queue : {};
  const queue = {
    select: Array.isArray(q.select) ? (q.select as string[]) : [],
    baseSelect: Array.isArray(q.base_select) ? (q.base_select as string[]) : [],
  };
  return {
    name: rec.name as string,
    ...(typeof rec.description === 'string' ? { description: rec.description } : {}),
    toolchain: rec.toolchain as string,
    arch: rec.arch as string,
    kconfig: { base: base!, fragment, flips: isRecord(rec.kconfig) && Array.isArray(rec.kconfig.flips) ? (rec.kconfig.flips as string[]) : [] },
    queue,
    targets: rec.targets as BuildTarget[],
    makeVars: isRecord(rec.make_vars) ? (rec.make_vars as Record<string, string>) : {},
    ...(budgets ? { budgets } : {}),
    ...(isRecord(rec.ccache) && typeof rec.ccache.remote === 'string' ? { ccache: { remote: rec.ccache.remote } } : {}),
    ...(bootConfigOf(rec.boot) ? { boot: bootConfigOf(rec.boot)! } : {}),
    file: opts.file,
    displayFile,
    fragmentPositions: positions,
    warnings: out.sorted('warning'),
  };
}
