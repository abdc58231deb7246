// `tiny inline-cost`: build one toggle of a configuration with every `inline` function compiled
// out of line, and report which header inlines cost most across their copies.
//
// How: 2.6's include/linux/compiler-gcc*.h force inlining with
// `#define inline inline __attribute__((always_inline))`. `always_inline` is an identifier the
// preprocessor expands, so CFLAGS_KERNEL=-Dalways_inline=__noinline__ turns every inline
// function into a noinline one without touching the tree (`__noinline__`: 2.6.9's compiler.h
// defines `noinline` as an empty macro; -Wno-attributes quiets gcc's warning about an inline
// function given noinline, once per function and object): each object that uses a header inline then
// holds one local copy of it, which nm shows as a `t` symbol. CFLAGS_KERNEL is kbuild's own hook
// for flags of built-in objects (scripts/Makefile.build), so no patch is applied, the user's
// queue is not changed, and the toggle's .config, tree and make variables stay those of the
// normal build but for that one variable.
//
// The measurement builds in its own worktree and build directory (`<config>-<version>-inline`
// under the cache), so the normal lanes keep their incremental state, and with make -k: a
// gnu89 `extern inline` that is never inlined has no out-of-line body, so vmlinux may not link;
// the objects are what is measured. The report is kept in the cache under the toggle's record
// key (with the extra variable), so asking again is instant.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Prepared } from '../matrix/setup.js';
import { MatrixRunner, logDir, safeName } from '../matrix/run.js';
import { displayOrder, type Toggle } from '../matrix/plan.js';
import { countDiagnostics } from '../measure/diagnostics.js';
import { measureToolsFor } from '../measure/measure.js';
import { runKbuild, type KbuildSpec } from '../kbuild/make.js';
import { recordKey } from '../store/index.js';
import { materialize, worktreeFor } from '../tree/index.js';
import { TinyError } from '../util/diagnostics.js';
import { writeFileAtomic } from '../util/fs.js';
import { indexHeaders, inlineCosts, summarise, type InlineCost, type InlineSummary } from './analyse.js';
import { kernelObjects, objectSymbols, treeHeaders } from './measure.js';

/** Bump when the analysis changes: a cached report of another version is recomputed. */
export const ANALYSIS_VERSION = 3;

/** The make variable that turns forced inlining into forced out-of-line copies (see the top). */
export const NOINLINE_FLAGS = '-Dalways_inline=__noinline__ -Wno-attributes';

export interface InlineReport {
  config: string;
  toggle: string;
  base: { version: string; tree: string };
  toolchain: { name: string; image: string };
  /** The toggle's record key with the measurement's make variables. */
  key: string;
  makeVariables: Record<string, string>;
  /** make's exit status (with -k: objects that failed to compile are missing from the count). */
  makeStatus: number;
  /** The first compiler/linker error of the measurement build, if any. */
  firstError?: string;
  /** Errors in the measurement build's log (countDiagnostics). */
  errors: number;
  /** Of those, compiler errors (`file:line:col: error:`): objects that are missing. */
  compileErrors: number;
  /**
   * Functions the final link did not find: gnu89 `extern inline`s (prefetch, generic_fls ...)
   * have no out-of-line body anywhere once nothing is inlined. Expected; the objects are whole.
   */
  undefinedReferences: string[];
  summary: InlineSummary;
  costs: InlineCost[];
  durationMs: number;
  /** Served from the cache without building. */
  cached?: boolean;
}

export interface InlineRunOptions {
  /** The toggle to measure (default: queue when the plan has it, else base). */
  toggle?: string;
  minCopies?: number;
  onLog?: (line: string) => void;
}

export function pickToggle(toggles: readonly Toggle[], name?: string): Toggle {
  if (name) {
    const t = toggles.find((x) => x.name === name);
    if (!t)
      throw new TinyError(
        `--toggle: unknown toggle ${name}`,
        2,
        [],
        `toggles of this configuration: ${displayOrder(toggles)
          .map((x) => x.name)
          .join(', ')}`,
      );
    return t;
  }
  const t = toggles.find((x) => x.kind === 'queue') ?? toggles.find((x) => x.kind === 'base');
  if (!t) throw new TinyError('the configuration has neither a queue nor a base toggle to measure', 2);
  return t;
}

export function inlineDirs(p: Pick<Prepared, 'setup'>): { src: string; build: string } {
  const id = `${p.setup.config.name}-${p.setup.base.version}-inline`;
  return { src: worktreeFor(p.setup.treeStore, id), build: join(p.setup.cacheDir, 'builds', safeName(id)) };
}

function reportPath(cacheDir: string, config: string, key: string): string {
  return join(cacheDir, 'inline', safeName(config), `${key}.json`);
}

export async function runInlineCost(p: Prepared, opts: InlineRunOptions = {}): Promise<InlineReport> {
  const log = opts.onLog ?? (() => {});
  const started = Date.now();
  const runner = new MatrixRunner(p.setup, p.plan);
  const toggle = pickToggle(p.plan.toggles, opts.toggle);
  const cfg = await runner.configOf(toggle);
  const extra = p.setup.config.makeVars?.CFLAGS_KERNEL;
  const vars = { ...runner.vars, CFLAGS_KERNEL: extra ? `${extra} ${NOINLINE_FLAGS}` : NOINLINE_FLAGS };
  const key = recordKey({ ...runner.inputsFor(toggle, cfg.sha256), makeVariables: vars });
  const minCopies = opts.minCopies ?? 2;

  const stored = await readFile(reportPath(p.setup.cacheDir, p.config.name, key), 'utf8').catch(() => undefined);
  if (stored !== undefined) {
    const r = JSON.parse(stored) as InlineReport & { minCopies?: number; analysisVersion?: number };
    if (r.minCopies === minCopies && r.analysisVersion === ANALYSIS_VERSION) return { ...r, cached: true };
  }

  const dirs = inlineDirs(p);
  log(`building ${toggle.name} with ${NOINLINE_FLAGS} in ${dirs.build}`);
  await materialize(p.setup.treeStore, cfg.commit, dirs.src, { force: true });
  await mkdir(dirs.build, { recursive: true });
  const dotConfig = join(dirs.build, '.config');
  if ((await readFile(dotConfig, 'utf8').catch(() => undefined)) !== cfg.text) await writeFile(dotConfig, cfg.text);
  const logFile = join(logDir(p.setup.cacheDir, p.config.name), `${safeName(toggle.name)}.inline.log`);
  await mkdir(logDir(p.setup.cacheDir, p.config.name), { recursive: true });
  await writeFile(logFile, '');
  const spec: KbuildSpec = {
    runtime: p.setup.runtime,
    image: p.setup.image.id,
    src: dirs.src,
    build: dirs.build,
    ...(p.setup.ccache ? { ccache: join(p.setup.cacheDir, 'ccache') } : {}),
    env: runner.env,
    logFile,
  };
  const outcome = await runKbuild(spec, { vars, targets: ['vmlinux'], jobs: p.setup.jobs, keepGoing: true });
  if (outcome.code === 130 || outcome.code === 143 || outcome.timedOut) {
    // Not a result: nothing is cached, and the next run goes on from the objects built so far.
    throw new TinyError(`the inline measurement build of ${toggle.name} was interrupted`, 1, [], `run tiny inline-cost again to resume it (log: ${logFile})`);
  }
  const logText = await readFile(logFile, 'utf8').catch(() => outcome.output);
  const diag = countDiagnostics(logText);
  const link = linkFailures(logText);

  const objects = await kernelObjects(dirs.build);
  if (objects.length === 0) {
    throw new TinyError(`the inline measurement build of ${toggle.name} made no objects (make exited ${outcome.code})`, 1, [], `see its log: ${logFile}`);
  }
  log(`measuring ${objects.length} objects`);
  const symbols = await objectSymbols(dirs.build, objects, p.setup.measureTools?.nm ?? measureToolsFor(p.setup.config.arch).nm);
  const headers = indexHeaders(await treeHeaders(dirs.src, p.setup.config.arch));
  const { summary, ranked } = summarise(objects.length, inlineCosts(symbols, { minCopies, headers }));
  const fe = diag.firstError;
  const report: InlineReport & { minCopies: number; analysisVersion: number } = {
    config: p.config.name,
    toggle: toggle.name,
    base: { version: p.setup.base.version, tree: p.setup.base.tree },
    toolchain: { name: p.setup.toolchain.name, image: p.setup.image.id },
    key,
    makeVariables: vars,
    makeStatus: outcome.code,
    ...(fe ? { firstError: `${fe.file.replace(/^\/tiny\/(src|build)\//, '')}${fe.line !== undefined ? `:${fe.line}` : ''}: ${fe.message}` } : {}),
    errors: diag.errors,
    compileErrors: link.compileErrors,
    undefinedReferences: link.undefined,
    summary,
    costs: ranked,
    durationMs: Date.now() - started,
    minCopies,
    analysisVersion: ANALYSIS_VERSION,
  };
  await writeFileAtomic(reportPath(p.setup.cacheDir, p.config.name, key), JSON.stringify(report, null, 2) + '\n');
  return report;
}

/** Compiler errors and the names the linker could not find, from a build log. */
export function linkFailures(log: string): { compileErrors: number; undefined: string[] } {
  const compileErrors = (log.match(/^\S+:\d+(:\d+)?: error: /gm) ?? []).length;
  const undefinedNames = new Set<string>();
  for (const m of log.matchAll(/undefined reference to [`']([^'`]+)'/g)) undefinedNames.add(m[1]!);
  return { compileErrors, undefined: [...undefinedNames].sort() };
}
