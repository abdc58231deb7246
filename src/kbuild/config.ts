// Generating a kernel .config that never silently drops a requested toggle.
//
//   make O=build ARCH=... <base>            allnoconfig / tinyconfig / defconfig / <x>_defconfig,
//                                           or a file copied to .config + the update target
//   repeat (at most maxRounds):
//     set the fragment's symbols in .config
//     make olddefconfig                     (trees that have it, 3.7+), else
//     make oldconfig < "\n\n\n..."          (2.6: a finite stream of default answers)
//     until .config stops changing
//   verify every requested symbol has the requested value, or fail (TinyError, exit 2) naming
//   each dropped symbol and the dependency that is not met (kconfig-deps).
//
// The same algorithm works on 2.6 trees, which have neither KCONFIG_ALLCONFIG for every base
// nor merge_config.sh nor olddefconfig, and on modern trees. make itself runs through an
// injected function (host or container), so this module only reads and writes files in the
// build directory.

import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { run } from '../util/exec.js';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { exists, sha256, writeFileAtomic } from '../util/fs.js';
import { explainDropped, readKconfigTree, symbolTypes, type KconfigDb } from './kconfig-deps.js';
import { srcArch } from '../toolchain/arch.js';
import { applyFragment, droppedSymbols, fragmentValue, normalizeDotConfig, parseDotConfig, sameConfig, SYMBOL_RE, type Fragment } from './kconfig.js';

/** Where a configuration starts: a make target, or a .config file. */
export type KconfigBase = 'allnoconfig' | 'tinyconfig' | 'defconfig' | `${string}_defconfig` | { file: string };

export interface MakeRequest {
  /** The kernel tree; make runs here. */
  cwd: string;
  /** Make goals, e.g. ['allnoconfig']. */
  targets: string[];
  /** Variables for the command line: O, ARCH, CROSS_COMPILE and the configuration's makeVars. */
  vars: Record<string, string>;
  /** Standard input (a finite stream of answers for oldconfig); empty when undefined. */
  input?: string;
}

export interface MakeResult {
  code: number;
  /** stdout and stderr together. */
  output: string;
}

/** Runs make somewhere (on the host, in a container). Must not throw for a non-zero exit. */
export type RunMake = (req: MakeRequest) => Promise<MakeResult>;

export interface GenerateConfigOptions {
  /** Kernel source tree (not written to: every output goes to buildDir). */
  tree: string;
  /** O= directory; .config ends up here. */
  buildDir: string;
  /** Kernel ARCH (i386, x86_64, arm...). */
  arch: string;
  crossCompile?: string;
  base: KconfigBase;
  /** Symbol (without CONFIG_) -> y | m | n | number | string. */
  fragment: Fragment;
  /** Further make variables (HOSTCFLAGS=..., CC=...). */
  makeVars?: Record<string, string>;
  runMake: RunMake;
  /** Directory a relative base.file is resolved from (default: process.cwd()). */
  baseDir?: string;
  /** How many fragment + update rounds at most (default 5). */
  maxRounds?: number;
  /** The tree's Kconfig rules, when already read (readKconfigTree), or how to get them; read on demand otherwise. */
  kconfig?: KconfigDb | (() => KconfigDb);
  /** Where the fragment was written, so diagnostics point at `NE2K_PCI: y` in configs/x.yaml. */
  source?: FragmentSource;
  /**
   * Fragment symbols this tree may leave at its own value, each with the reason (the option of a
   * queue patch not meant for this base): one that does not survive is a warning, not an error.
   */
  leftToBase?: Readonly<Record<string, string>>;
  /** Progress lines ("make allnoconfig", "round 1: 3 symbols changed"). */
  log?: (line: string) => void;
}

export interface FragmentSource {
  file: string;
  /** Position of each fragment key. */
  positions?: Readonly<Record<string, { line: number; column: number }>>;
}

export interface MakeCall {
  targets: string[];
  code: number;
  ms: number;
}

export interface GeneratedConfig {
  /** The final .config (the header's date line removed, so equal configurations are equal bytes). */
  config: string;
  /** sha256 of `config`. */
  sha256: string;
  /** How many times the update target ran after setting the fragment (0: the base already had it). */
  rounds: number;
  /** Every symbol of the final .config, .config form ('n' for `# ... is not set`). */
  symbols: Record<string, string>;
  /** The base target or file used. */
  base: string;
  /** olddefconfig, or oldconfig fed default answers. */
  updateTarget: 'olddefconfig' | 'oldconfig';
  /** Warnings worth showing (e.g. `FOO: n` for a symbol the tree does not define). */
  warnings: Diagnostic[];
  makeCalls: MakeCall[];
  ms: number;
}

/** make failed (not the user's configuration: the tree, the toolchain or the host). */
export class ConfigMakeError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ConfigMakeError';
  }
}

/** What the tree's kconfig Makefile offers. */
export interface KconfigTargets {
  olddefconfig: boolean;
  tinyconfig: boolean;
}

export async function kconfigTargets(tree: string): Promise<KconfigTargets> {
  const mk = join(tree, 'scripts', 'kconfig', 'Makefile');
  let text: string;
  try {
    text = await readFile(mk, 'utf8');
  } catch {
    throw new TinyError(`${tree} is not a kernel tree: ${mk} is missing`, 2, [], 'point the configuration at the top of a Linux source tree');
  }
  return { olddefconfig: /\bolddefconfig\b/.test(text), tinyconfig: /\btinyconfig\b/.test(text) };
}

/** Default answers for `make oldconfig`: finite, so a question asked forever cannot hang us. */
export function defaultAnswers(count = 30_000): string {
  return '\n'.repeat(count);
}

function baseName(base: KconfigBase): string {
  return typeof base === 'string' ? base : base.file;
}

function checkFragment(fragment: Fragment, source?: FragmentSource): void {
  const diags: Diagnostic[] = [];
  for (const [sym, v] of Object.entries(fragment)) {
    const pos = source?.positions?.[sym];
    const at = { severity: 'error' as const, file: source?.file ?? 'fragment', ...(pos ?? {}) };
    if (!SYMBOL_RE.test(sym)) diags.push({ ...at, message: `'${sym}' is not a Kconfig symbol name`, hint: 'use letters, digits and _ only, e.g. PRINTK' });
    else if (sym.startsWith('CONFIG_')) diags.push({ ...at, message: `write '${sym.slice(7)}', not '${sym}'`, hint: 'fragment symbols are written without CONFIG_' });
    if (typeof v === 'number' && !Number.isInteger(v)) diags.push({ ...at, message: `${sym}: ${v} is not an integer`, hint: 'Kconfig int and hex values are integers' });
    if (typeof v === 'string' && v.includes('\n')) diags.push({ ...at, message: `${sym}: a .config value cannot span lines`, hint: 'remove the newline' });
  }
  if (diags.length) throw new TinyError(`invalid kconfig fragment: ${diags.length} error${diags.length > 1 ? 's' : ''}`, 2, diags);
}

/** Generate buildDir/.config from a base and a fragment; see the file comment. */
export async function generateConfig(opts: GenerateConfigOptions): Promise<GeneratedConfig> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const tree = resolve(opts.tree);
  const buildDir = resolve(opts.buildDir);
  const maxRounds = opts.maxRounds ?? 5;
  checkFragment(opts.fragment, opts.source);

  const targets = await kconfigTargets(tree);
  const updateTarget = targets.olddefconfig ? 'olddefconfig' : 'oldconfig';
  const base = opts.base;
  if (base === 'tinyconfig' && !targets.tinyconfig) {
    throw new TinyError(
      `base 'tinyconfig' is not available in this tree: scripts/kconfig/Makefile has no tinyconfig target (it appeared in Linux 3.17)`,
      2,
      [],
      'use base: allnoconfig and put what tinyconfig would add in the fragment',
    );
  }
  if (!(await exists(join(tree, 'arch', opts.arch))) && !(await exists(join(tree, 'arch', srcArch(opts.arch))))) {
    throw new TinyError(`ARCH=${opts.arch} is not an architecture of this tree (no arch/${opts.arch})`, 2, [], 'check the arch: of the configuration, e.g. arch: i386');
  }

  const vars: Record<string, string> = {
    O: buildDir,
    ARCH: opts.arch,
    ...(opts.crossCompile ? { CROSS_COMPILE: opts.crossCompile } : {}),
    // Modern Kconfig leaves the date out of .config with this; 2.6 ignores it (we strip the date).
    KCONFIG_NOTIMESTAMP: '1',
    ...(opts.makeVars ?? {}),
  };
  const makeCalls: MakeCall[] = [];
  const make = async (goals: string[], input?: string): Promise<void> => {
    log(`make ${goals.join(' ')}`);
    const t = Date.now();
    const r = await opts.runMake({ cwd: tree, targets: goals, vars, ...(input !== undefined ? { input } : {}) });
    makeCalls.push({ targets: goals, code: r.code, ms: Date.now() - t });
    if (r.code !== 0) throw makeFailure(goals, r, vars);
  };
  const dotConfig = join(buildDir, '.config');
  const readConfig = async (): Promise<string> => {
    try {
      return await readFile(dotConfig, 'utf8');
    } catch {
      throw new ConfigMakeError(`make did not write ${dotConfig}`, '', 'check that O= points at the build directory inside the make runner');
    }
  };
  const update = (): Promise<void> => make([updateTarget], updateTarget === 'oldconfig' ? defaultAnswers() : undefined);

  // 1. The base.
  await mkdir(buildDir, { recursive: true });
  await rm(dotConfig, { force: true });
  await rm(join(buildDir, '.config.old'), { force: true });
  if (typeof base === 'string') {
    await make([base]);
  } else {
    const file = isAbsolute(base.file) ? base.file : resolve(opts.baseDir ?? process.cwd(), base.file);
    if (!(await exists(file))) throw new TinyError(`base config file ${base.file} does not exist`, 2, [], `looked for ${file}`);
    await copyFile(file, dotConfig);
    await update();
  }

  // 2. The fragment, until .config is stable.
  let db = typeof opts.kconfig === 'function' ? undefined : opts.kconfig;
  const given = typeof opts.kconfig === 'function' ? opts.kconfig : undefined;
  const kconfig = (): KconfigDb => (db ??= given ? given() : readKconfigTree(tree, { arch: opts.arch }));
  // The tree's rules tell which fragment symbols are strings (always quoted) and which are
  // members of a choice (the other members must be unset, or the first y line read wins).
  const symbolsWanted = Object.keys(opts.fragment);
  const types = symbolsWanted.length ? symbolTypes(kconfig(), symbolsWanted) : new Map<string, never>();
  const unset = symbolsWanted.length ? otherChoiceMembers(kconfig(), opts.fragment) : [];

  let text = await readConfig();
  let rounds = 0;
  for (; rounds < maxRounds; ) {
    const current = parseDotConfig(text);
    const applied = applyFragment(text, opts.fragment, { types, unset });
    if (sameConfig(parseDotConfig(applied), current)) break; // everything requested is in place
    await writeFileAtomic(dotConfig, applied);
    rounds++;
    await update();
    const next = await readConfig();
    const changed = !sameConfig(parseDotConfig(next), current);
    log(`round ${rounds}: ${changed ? 'changed' : 'stable'}`);
    text = next;
    if (!changed) break; // Kconfig undid the fragment the same way again: stable
  }

  // 3. Verify.
  const config = normalizeDotConfig(text);
  const final = parseDotConfig(config);
  const warnings: Diagnostic[] = [];
  const dropped = droppedSymbols(opts.fragment, final, types).filter((d) => {
    const why = opts.leftToBase?.[d.symbol];
    if (why === undefined) return true;
    const pos = opts.source?.positions?.[d.symbol];
    warnings.push({
      severity: 'warning',
      file: opts.source?.file ?? join(buildDir, '.config'),
      ...(pos ?? {}),
      message: `CONFIG_${d.symbol} keeps this tree's value (${final.get(d.symbol) ?? 'not set'}): ${why}`,
      hint: 'port the patch to this base (tiny queue rebase) to make the option settable here',
    });
    return false;
  });
  if (dropped.length) {
    const diags = dropped.map((d) => {
      const e = explainDropped(kconfig(), d, final, opts.fragment);
      const pos = opts.source?.positions?.[d.symbol];
      const diag: Diagnostic = { severity: 'error', file: opts.source?.file ?? join(buildDir, '.config'), ...(pos ?? {}), message: e.message, hint: e.hint };
      return diag;
    });
    const names = dropped.map((d) => d.symbol).join(', ');
    throw new TinyError(
      `${dropped.length} requested Kconfig symbol${dropped.length > 1 ? 's' : ''} did not survive ${typeof base === 'string' ? base : 'the base config'} + fragment: ${names}`,
      2,
      diags,
    );
  }
  // `FOO: n` passes when FOO is unknown; still worth a word (a typo, or a patch not applied).
  for (const [sym, v] of Object.entries(opts.fragment)) {
    if (fragmentValue(v) !== 'n' || final.has(sym)) continue;
    const db2 = kconfig();
    if (db2.symbols.has(sym)) continue;
    const pos = opts.source?.positions?.[sym];
    warnings.push({
      severity: 'warning',
      file: opts.source?.file ?? join(buildDir, '.config'),
      ...(pos ?? {}),
      message: `${sym}: n has no effect: ${sym} is not defined in this tree`,
      hint: 'check the spelling, or the queue patch that should add it',
    });
  }
  if (text !== config) await writeFileAtomic(dotConfig, config);
  return {
    config,
    sha256: sha256(config),
    rounds,
    symbols: Object.fromEntries(final),
    base: baseName(base),
    updateTarget,
    warnings,
    makeCalls,
    ms: Date.now() - t0,
  };
}

/** Members of a choice other than the fragment's y member: they must be unset, or the first y line wins. */
function otherChoiceMembers(db: KconfigDb, fragment: Fragment): string[] {
  const out = new Set<string>();
  for (const [sym, v] of Object.entries(fragment)) {
    if (v !== 'y') continue;
    for (const def of db.symbols.get(sym) ?? []) {
      for (const m of def.choice?.members ?? []) if (m !== sym && !(m in fragment)) out.add(m);
    }
  }
  return [...out];
}

function makeFailure(goals: string[], r: MakeResult, vars: Record<string, string>): Error {
  const tail = r.output.trimEnd().split('\n').slice(-25).join('\n');
  const kconfigBuild = /scripts\/kconfig\/[\w.]+\.[och]\b[^\n]*error|HOSTCC\s+scripts\/kconfig[\s\S]*Error \d/.test(r.output);
  const missing = /No rule to make target '?([\w-]+)'?/.exec(r.output);
  let hint: string | undefined;
  if (kconfigBuild) {
    hint = `the kconfig programs (scripts/kconfig/conf) did not build with this host compiler${vars.HOSTCFLAGS ? '' : '; try makeVars HOSTCFLAGS (e.g. -fcommon -std=gnu89) or a compat patch'}`;
  } else if (missing && goals.includes(missing[1]!)) {
    hint = `this tree has no '${missing[1]}' target: pick another kconfig base`;
  }
  return new ConfigMakeError(`make ${goals.join(' ')} failed with exit code ${r.code}:\n${tail}`, r.output, hint);
}

export interface HostMakeOptions {
  /** Kill make after this many seconds (default 600): a Kconfig question loop must not hang. */
  timeoutSeconds?: number;
  env?: NodeJS.ProcessEnv;
  /** make program (default: make). */
  make?: string;
}

/** A RunMake that runs make on this machine. */
export function hostRunMake(opts: HostMakeOptions = {}): RunMake {
  const timeout = opts.timeoutSeconds ?? 600;
  return async (req) => {
    const args = ['--kill-after=10', `${timeout}`, opts.make ?? 'make', ...Object.entries(req.vars).map(([k, v]) => `${k}=${v}`), ...req.targets];
    const env = { ...(opts.env ?? process.env), LC_ALL: 'C', LANG: 'C' };
    const r = await run('timeout', args, { cwd: req.cwd, env, input: req.input ?? '', allowFail: true });
    const output = r.stdout + (r.stderr ? `\n${r.stderr}` : '');
    if (r.code === 124) return { code: r.code, output: `${output}\nmake timed out after ${timeout}s (a Kconfig question answered forever?)` };
    return { code: r.code, output };
  };
}
