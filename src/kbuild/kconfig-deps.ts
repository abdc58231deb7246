// A small Kconfig reader: follows `source` statements from the tree's root Kconfig (2.6:
// arch/$ARCH/Kconfig; modern trees: the top-level Kconfig with $(SRCARCH)), and records for every
// `config SYM` its type, prompts, `depends on`, `select`s, defaults and the `if` / `menu` /
// `choice` blocks around it. That is enough to explain why Kconfig dropped a requested value:
// "CONFIG_NE2K_PCI=y was dropped: depends on NET_PCI && PCI, and NET_PCI is n".
//
// It is not a Kconfig implementation: Kconfig itself (scripts/kconfig/conf) decides the
// configuration; this module only reads the rules to put the decision into words.

import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import {
  andAll,
  evalExpr,
  formatExpr,
  KconfigSyntaxError,
  mapEnv,
  parseExprTokens,
  tokenize,
  TRI_NAMES,
  triOf,
  unmetTerms,
  type Env,
  type Expr,
  type Token,
  type Tri,
  type UnmetTerm,
} from './kconfig-expr.js';
import { fragmentValue, type DroppedSymbol, type Fragment, type SymbolType } from './kconfig.js';
import { srcArch } from '../toolchain/arch.js';

export interface Located {
  /** Path relative to the tree root, e.g. drivers/net/Kconfig. */
  file: string;
  /** 1-based line. */
  line: number;
}

/** An `if`, `menu` or `choice` block that encloses entries. */
export interface Block extends Located {
  kind: 'if' | 'menu' | 'choice';
  /** Menu or choice prompt. */
  title?: string;
  /** `if EXPR` / the block's `depends on` lines: every entry inside depends on them. */
  dependsOn: Expr[];
  /** A menu's `visible if`: entries inside have no visible prompt when false. */
  visibleIf: Expr[];
  /** Choice only: the member symbols, and whether the choice is `optional`. */
  members?: string[];
  optional?: boolean;
  choiceType?: SymbolType;
}

export interface Prompt extends Located {
  text: string;
  /** `bool "text" if EXPR` */
  cond?: Expr;
}

export interface Conditional<T> extends Located {
  value: T;
  cond?: Expr;
}

/** One `config SYM` (or `menuconfig SYM`) entry. A symbol may have several. */
export interface SymbolDef extends Located {
  name: string;
  kind: 'config' | 'menuconfig';
  type?: SymbolType;
  prompts: Prompt[];
  /** Each `depends on` line of the entry itself. */
  dependsOn: Conditional<Expr>[];
  selects: Conditional<string>[];
  implies: Conditional<string>[];
  defaults: Conditional<Expr>[];
  ranges: Conditional<[Expr, Expr]>[];
  /** Enclosing blocks, outermost first. */
  blocks: Block[];
  /** The choice this symbol is a member of (also the last entry of `blocks`). */
  choice?: Block;
}

export interface SelectEdge extends Located {
  /** The selecting symbol. */
  by: string;
  cond?: Expr;
  kind: 'select' | 'imply';
}

export interface KconfigProblem extends Located {
  message: string;
}

export interface KconfigDb {
  /** The tree the files were read from. */
  tree: string;
  /** Root Kconfig file, relative to the tree. */
  root: string;
  files: string[];
  symbols: Map<string, SymbolDef[]>;
  /** symbol -> who selects / implies it. */
  selectedBy: Map<string, SelectEdge[]>;
  /** Lines the reader did not understand (it carries on). */
  problems: KconfigProblem[];
}

export interface ReadOptions {
  /** Kernel ARCH (i386, x86_64, arm...). */
  arch: string;
}

/**
 * Find the root Kconfig: a top-level Kconfig (2.6.10 and later) sourcing arch/$(SRCARCH)/Kconfig,
 * or arch/$ARCH/Kconfig (2.6.9 and before).
 */
export function rootKconfig(tree: string, arch: string): { root: string; vars: Record<string, string> } {
  const sa = existsSync(join(tree, 'arch', srcArch(arch))) ? srcArch(arch) : arch;
  const vars = { ARCH: arch, SRCARCH: sa, HEADER_ARCH: sa, srctree: '.', KERNELVERSION: '' };
  if (existsSync(join(tree, 'Kconfig'))) return { root: 'Kconfig', vars };
  return { root: `arch/${arch}/Kconfig`, vars };
}

/** Read every Kconfig file reachable from the tree's root. */
export function readKconfigTree(tree: string, opts: ReadOptions): KconfigDb {
  const { root, vars } = rootKconfig(tree, opts.arch);
  if (!existsSync(join(tree, root))) {
    throw new Error(`${join(tree, root)} does not exist: is ${tree} a kernel tree, and is ARCH=${opts.arch} one of its architectures?`);
  }
  return parseKconfigFiles(
    root,
    (rel) => {
      try {
        return readFileSync(join(tree, rel), 'latin1');
      } catch {
        return undefined;
      }
    },
    vars,
    tree,
  );
}

/** Lines of a file with `\` continuations joined; each keeps the number of its first line. */
function logicalLines(text: string): { line: number; text: string; indent: number }[] {
  const raw = text.split('\n');
  const out: { line: number; text: string; indent: number }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const start = i;
    let t = raw[i]!.replace(/\r$/, '');
    while (t.endsWith('\\') && i + 1 < raw.length) {
      i++;
      t = t.slice(0, -1) + ' ' + raw[i]!.replace(/\r$/, '');
    }
    out.push({ line: start + 1, text: t, indent: indentWidth(t) });
  }
  return out;
}

function indentWidth(s: string): number {
  let w = 0;
  for (const c of s) {
    if (c === ' ') w++;
    else if (c === '\t') w = (Math.floor(w / 8) + 1) * 8;
    else break;
  }
  return w;
}

const TYPE_WORDS: Record<string, SymbolType> = {
  bool: 'bool',
  boolean: 'bool',
  tristate: 'tristate',
  int: 'int',
  hex: 'hex',
  string: 'string',
  def_bool: 'bool',
  def_tristate: 'tristate',
};

const IGNORED = new Set(['option', 'optional', 'modules', 'transitional', 'defconfig_list', 'allnoconfig_y', 'env', 'mainmenu']);

/**
 * Parse Kconfig files starting at `root`, reading each with `read(path relative to the tree)`
 * (undefined = missing). `vars` expands $(VAR) / $VAR in `source` paths.
 */
export function parseKconfigFiles(root: string, read: (rel: string) => string | undefined, vars: Record<string, string> = {}, tree = '.'): KconfigDb {
  const db: KconfigDb = { tree, root, files: [], symbols: new Map(), selectedBy: new Map(), problems: [] };
  const stack: Block[] = [];
  type Current = { kind: 'def'; def: SymbolDef } | { kind: 'block'; block: Block } | { kind: 'other' };
  let current: Current = { kind: 'other' };
  const sourcing = new Set<string>();

  const expand = (p: string): string => p.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a?: string, b?: string) => vars[(a ?? b)!] ?? m);

  const problem = (file: string, line: number, message: string): void => {
    db.problems.push({ file, line, message });
  };

  function parseFile(rel: string, from?: Located): void {
    const text = read(rel);
    if (text === undefined) {
      if (from) problem(from.file, from.line, `cannot read sourced file ${rel}`);
      else problem(rel, 1, `cannot read ${rel}`);
      return;
    }
    if (sourcing.has(rel)) {
      problem(from?.file ?? rel, from?.line ?? 1, `${rel} sources itself`);
      return;
    }
    sourcing.add(rel);
    db.files.push(rel);
    const lines = logicalLines(text);
    for (let i = 0; i < lines.length; i++) {
      const { line, text: t } = lines[i]!;
      const at: Located = { file: rel, line };
      let toks: Token[];
      try {
        toks = tokenize(t);
      } catch (e) {
        problem(rel, line, (e as Error).message);
        continue;
      }
      const first = toks[0];
      if (first === undefined) continue;
      if (first.t === 'macro') continue; // $(warning-if,...) and friends
      if (first.t !== 'word') {
        problem(rel, line, `unexpected ${first.t} at the start of a line`);
        continue;
      }
      const kw = first.v;
      // Macro definitions of modern Kconfig: `cc-option = ...`, `X := ...`, `X += ...`.
      if (/^\s*[A-Za-z_][A-Za-z0-9_-]*\s*(:=|\+=|=)/.test(t) && !/^\s*(config|menuconfig|depends|select|imply|default|range|if|visible)(\s|$)/.test(t)) continue;
      const expr = (from: number): Expr | undefined => {
        const rest = toks.slice(from);
        if (rest.length === 0) return undefined;
        try {
          return parseExprTokens(rest);
        } catch (e) {
          problem(rel, line, e instanceof KconfigSyntaxError ? `bad expression: ${e.message}` : String(e));
          return undefined;
        }
      };
      // `<something> if EXPR`: split at the first top-level `if` word.
      const splitIf = (from: number): { head: Token[]; cond?: Expr } => {
        const idx = toks.findIndex((x, k) => k >= from && x.t === 'word' && x.v === 'if');
        if (idx < 0) return { head: toks.slice(from) };
        const cond = expr(idx + 1);
        return { head: toks.slice(from, idx), ...(cond ? { cond } : {}) };
      };

      switch (kw) {
        case 'config':
        case 'menuconfig': {
          const name = toks[1];
          if (name?.t !== 'word') {
            problem(rel, line, `${kw} without a symbol name`);
            current = { kind: 'other' };
            break;
          }
          const top = stack[stack.length - 1];
          const choice = top?.kind === 'choice' ? top : undefined;
          const def: SymbolDef = {
            name: name.v,
            kind: kw,
            file: rel,
            line,
            prompts: [],
            dependsOn: [],
            selects: [],
            implies: [],
            defaults: [],
            ranges: [],
            blocks: [...stack],
            ...(choice ? { choice } : {}),
          };
          if (choice) {
            choice.members!.push(name.v);
            if (choice.choiceType && !def.type) def.type = choice.choiceType;
          }
          const list = db.symbols.get(name.v) ?? [];
          list.push(def);
          db.symbols.set(name.v, list);
          current = { kind: 'def', def };
          break;
        }
        case 'choice': {
          const block: Block = { kind: 'choice', file: rel, line, dependsOn: [], visibleIf: [], members: [], optional: false };
          stack.push(block);
          current = { kind: 'block', block };
          break;
        }
        case 'menu': {
          const title = toks[1]?.t === 'str' ? toks[1].v : undefined;
          const block: Block = { kind: 'menu', file: rel, line, dependsOn: [], visibleIf: [], ...(title !== undefined ? { title } : {}) };
          stack.push(block);
          current = { kind: 'block', block };
          break;
        }
        case 'if': {
          const e = expr(1);
          stack.push({ kind: 'if', file: rel, line, dependsOn: e ? [e] : [], visibleIf: [] });
          current = { kind: 'other' };
          break;
        }
        case 'endchoice':
        case 'endmenu':
        case 'endif': {
          const want = kw.slice(3);
          const top = stack[stack.length - 1];
          if (top?.kind !== want) problem(rel, line, `${kw} without a matching ${want}${top ? ` (the open block is the ${top.kind} at ${top.file}:${top.line})` : ''}`);
          else stack.pop();
          current = { kind: 'other' };
          break;
        }
        case 'comment': {
          // Its own `depends on` lines apply to the comment only.
          current = { kind: 'other' };
          break;
        }
        case 'source':
        case 'rsource':
        case 'osource':
        case 'orsource': {
          const p = toks[1];
          if (p === undefined || (p.t !== 'str' && p.t !== 'word')) {
            problem(rel, line, `${kw} without a path`);
            break;
          }
          let path = expand(p.v);
          if (kw.includes('rsource')) path = posix.join(posix.dirname(rel), path);
          path = posix.normalize(path).replace(/^\.\//, '');
          const optional = kw.startsWith('o');
          if (/[*?[]/.test(path)) {
            // Globs (osource "arch/*/Kconfig"...) are not followed: they never hold a root symbol.
            break;
          }
          if (optional && read(path) === undefined) break;
          parseFile(path, at);
          current = { kind: 'other' };
          break;
        }
        case 'help':
        case '---help---': {
          // The help text: every following line that is blank or indented at least as much
          // as the first line of the text (Kconfig's lexer: an unindented line always ends it).
          let j = i + 1;
          while (j < lines.length && lines[j]!.text.trim() === '') j++;
          const firstIndent = j < lines.length ? lines[j]!.indent : 0;
          if (firstIndent > 0) {
            while (j < lines.length && (lines[j]!.text.trim() === '' || (lines[j]!.indent >= firstIndent && lines[j]!.indent > 0))) j++;
          }
          i = j - 1;
          break;
        }
        default: {
          if (kw === 'depends' || kw === 'visible') {
            // 2.6 trees still have a few `depends EXPR` without `on`.
            const skip = toks[1]?.t === 'word' && toks[1].v === (kw === 'depends' ? 'on' : 'if') ? 2 : kw === 'depends' ? 1 : 0;
            if (skip === 0) {
              problem(rel, line, `expected 'visible if'`);
              break;
            }
            const e = expr(skip);
            if (!e) break;
            if (current.kind === 'def') {
              if (kw === 'depends') current.def.dependsOn.push({ value: e, file: rel, line });
            } else if (current.kind === 'block') {
              (kw === 'depends' ? current.block.dependsOn : current.block.visibleIf).push(e);
            }
            break;
          }
          if (kw in TYPE_WORDS) {
            const type = TYPE_WORDS[kw]!;
            if (kw.startsWith('def_')) {
              const { head, cond } = splitIf(1);
              if (current.kind === 'def') {
                current.def.type = type;
                if (head.length) {
                  try {
                    current.def.defaults.push({ value: parseExprTokens(head), file: rel, line, ...(cond ? { cond } : {}) });
                  } catch (e) {
                    problem(rel, line, `bad default: ${(e as Error).message}`);
                  }
                }
              } else if (current.kind === 'block' && current.block.kind === 'choice') current.block.choiceType = type;
              break;
            }
            const { head, cond } = splitIf(1);
            const text = head[0]?.t === 'str' ? head[0].v : undefined;
            if (current.kind === 'def') {
              current.def.type = type;
              if (text !== undefined) current.def.prompts.push({ text, file: rel, line, ...(cond ? { cond } : {}) });
            } else if (current.kind === 'block' && current.block.kind === 'choice') {
              current.block.choiceType = type;
              if (text !== undefined) current.block.title = text;
            }
            break;
          }
          if (kw === 'prompt') {
            const { head, cond } = splitIf(1);
            const text = head[0]?.t === 'str' ? head[0].v : '';
            if (current.kind === 'def') current.def.prompts.push({ text, file: rel, line, ...(cond ? { cond } : {}) });
            else if (current.kind === 'block') current.block.title = text;
            break;
          }
          if (kw === 'select' || kw === 'imply') {
            const target = toks[1];
            if (target?.t !== 'word') {
              problem(rel, line, `${kw} without a symbol`);
              break;
            }
            const { cond } = splitIf(2);
            if (current.kind !== 'def') break;
            const edge = { value: target.v, file: rel, line, ...(cond ? { cond } : {}) };
            (kw === 'select' ? current.def.selects : current.def.implies).push(edge);
            const list = db.selectedBy.get(target.v) ?? [];
            list.push({ by: current.def.name, kind: kw, file: rel, line, ...(cond ? { cond } : {}) });
            db.selectedBy.set(target.v, list);
            break;
          }
          if (kw === 'default') {
            const { head, cond } = splitIf(1);
            if (current.kind !== 'def' || head.length === 0) break;
            try {
              current.def.defaults.push({ value: parseExprTokens(head), file: rel, line, ...(cond ? { cond } : {}) });
            } catch (e) {
              problem(rel, line, `bad default: ${(e as Error).message}`);
            }
            break;
          }
          if (kw === 'range') {
            const { head, cond } = splitIf(1);
            if (current.kind !== 'def' || head.length !== 2) break;
            const [a, b] = head.map((x) => parseExprTokens([x])) as [Expr, Expr];
            current.def.ranges.push({ value: [a, b], file: rel, line, ...(cond ? { cond } : {}) });
            break;
          }
          if (kw === 'optional') {
            if (current.kind === 'block' && current.block.kind === 'choice') current.block.optional = true;
            break;
          }
          if (IGNORED.has(kw)) break;
          problem(rel, line, `unknown Kconfig keyword '${kw}'`);
        }
      }
    }
    sourcing.delete(rel);
  }

  parseFile(root);
  for (const open of stack) problem(open.file, open.line, `${open.kind} is never closed`);
  return db;
}

// --- Questions about symbols -----------------------------------------------------------------

/** The type of a symbol as its definitions declare it. */
export function symbolType(db: KconfigDb, sym: string): SymbolType | undefined {
  for (const d of db.symbols.get(sym) ?? []) if (d.type) return d.type;
  return undefined;
}

/** Types of the given symbols (for rendering fragment values: strings get quoted). */
export function symbolTypes(db: KconfigDb, syms: Iterable<string>): Map<string, SymbolType> {
  const out = new Map<string, SymbolType>();
  for (const s of syms) {
    const t = symbolType(db, s);
    if (t) out.set(s, t);
  }
  return out;
}

/** A requirement of a definition: one `depends on`, an enclosing block, a prompt condition. */
export interface Requirement extends Located {
  /** "depends on NET_PCI && PCI", "inside `if BLK_DEV_IDEDMA_PCI`", "inside menu \"ATA/ATAPI/MFM/RLL support\" (depends on IDE)". */
  text: string;
  expr: Expr;
  /** Requirements that only limit the prompt (prompt `if`, menu `visible if`), not the symbol. */
  promptOnly: boolean;
}

/** Everything a definition's value depends on, innermost last. */
export function requirements(def: SymbolDef): Requirement[] {
  const out: Requirement[] = [];
  for (const b of def.blocks) {
    for (const e of b.dependsOn) {
      const text = b.kind === 'if' ? `inside \`if ${formatExpr(e)}\`` : `inside ${b.kind}${b.title !== undefined ? ` "${b.title}"` : ''}, which depends on ${formatExpr(e)}`;
      out.push({ text, expr: e, file: b.file, line: b.line, promptOnly: false });
    }
    for (const e of b.visibleIf) {
      out.push({ text: `inside menu${b.title !== undefined ? ` "${b.title}"` : ''}, visible only if ${formatExpr(e)}`, expr: e, file: b.file, line: b.line, promptOnly: true });
    }
  }
  for (const d of def.dependsOn) out.push({ text: `depends on ${formatExpr(d.value)}`, expr: d.value, file: d.file, line: d.line, promptOnly: false });
  return out;
}

/** The expression a definition's value is limited by (blocks and depends on, no prompt). */
export function dependsExpr(def: SymbolDef): Expr | undefined {
  return andAll(
    requirements(def)
      .filter((r) => !r.promptOnly)
      .map((r) => r.expr),
  );
}

/** Kconfig's upper limit for a symbol's user value under `env`: min(deps, prompt), m -> y when needed. */
function visibility(def: SymbolDef, env: Env, modules: boolean): Tri {
  if (def.prompts.length === 0) return 0;
  const reqs = requirements(def);
  let v: Tri = 2;
  for (const r of reqs) v = Math.min(v, evalExpr(r.expr, env)) as Tri;
  const promptVis = Math.max(...def.prompts.map((p) => (p.cond ? evalExpr(p.cond, env) : 2))) as Tri;
  v = Math.min(v, promptVis) as Tri;
  if (v === 1 && (def.type !== 'tristate' || !modules)) v = 2;
  return v;
}

/** One reason with the terms that fail it. */
interface Failure {
  req: Requirement | { text: string; file: string; line: number; expr: Expr };
  terms: UnmetTerm[];
}

function failuresOf(def: SymbolDef, want: Tri, env: Env): Failure[] {
  const out: Failure[] = [];
  for (const r of requirements(def)) {
    const terms = unmetTerms(r.expr, want, env);
    if (terms.length) out.push({ req: r, terms });
  }
  const conds = def.prompts.map((p) => p.cond);
  if (def.prompts.length > 0 && conds.every((c) => c !== undefined)) {
    const best = def.prompts.reduce((a, p) => (evalExpr(p.cond!, env) > evalExpr(a.cond!, env) ? p : a));
    const terms = unmetTerms(best.cond!, want, env);
    if (terms.length) out.push({ req: { text: `its prompt "${best.text}" is shown only if ${formatExpr(best.cond!)}`, file: best.file, line: best.line, expr: best.cond! }, terms });
  }
  return out;
}

export interface Explanation {
  symbol: string;
  /** Requested and actual values, .config form. */
  requested: string;
  actual: string;
  /** Whether any Kconfig file read defines the symbol. */
  defined: boolean;
  /** One sentence: "CONFIG_NE2K_PCI=y was dropped (now not set): depends on NET_PCI && PCI (drivers/net/Kconfig:1540), and NET_PCI is n". */
  message: string;
  /** What to do. */
  hint: string;
  /** Symbols to add to the fragment (beyond it) for the requested value to survive, when found. */
  suggest: Record<string, string>;
  /** Where the symbol is defined (first definition). */
  where?: Located;
}

function valueWords(v: string): string {
  return v === 'n' ? 'not set' : v;
}

function whereText(l: Located): string {
  return `${l.file}:${l.line}`;
}

function joinTerms(terms: UnmetTerm[]): string {
  const texts = [...new Set(terms.map((t) => t.text))];
  if (texts.length <= 1) return texts.join('');
  return `${texts.slice(0, -1).join(', ')} and ${texts[texts.length - 1]}`;
}

/**
 * Why `dropped` did not keep its requested value in `config` (the final .config), in words, with
 * the unmet terms named and a hint. `fragment` is what was requested in full (a dependency that
 * is in the fragment but was itself dropped is pointed at, not suggested again).
 */
export function explainDropped(db: KconfigDb, dropped: DroppedSymbol, config: ReadonlyMap<string, string>, fragment: Fragment = {}): Explanation {
  const { symbol, requested, actual } = dropped;
  const head = `CONFIG_${symbol}=${requested === 'n' ? 'n' : requested} was dropped (now ${valueWords(actual)})`;
  const defs = db.symbols.get(symbol) ?? [];
  const base = { symbol, requested, actual, suggest: {} as Record<string, string> };
  if (defs.length === 0) {
    const guess = closestSymbol(db, symbol);
    return {
      ...base,
      defined: false,
      message: `CONFIG_${symbol} is not defined in this tree (no \`config ${symbol}\` in any Kconfig file read from ${db.root})`,
      hint: guess ? `did you mean ${guess}? Otherwise remove ${symbol} from the fragment` : `remove ${symbol} from the fragment, or apply the patch that adds it (check the queue's select list)`,
    };
  }
  const env = envFor(db, config);
  const modules = triOf(config.get('MODULES')) === 2;
  const where = defs[0]!;
  const type = symbolType(db, symbol);
  const withPrompt = defs.filter((d) => d.prompts.length > 0);

  // m requested where m cannot be.
  if (requested === 'm' && type !== 'tristate') {
    return { ...base, defined: true, where, message: `${head}: ${symbol} is a ${type ?? 'non-tristate'} symbol (${whereText(where)}) and cannot be m`, hint: `write ${symbol}: y (or n)` };
  }
  if (requested === 'm' && !modules) {
    return {
      ...base,
      defined: true,
      where,
      message: `${head}: loadable modules are off (MODULES is ${valueWords(config.get('MODULES') ?? 'n')}), so m is not possible`,
      hint: `write ${symbol}: y, or add MODULES: y to the fragment`,
      suggest: { MODULES: 'y' },
    };
  }

  // Turning a symbol off (or down to m) that something selects.
  const wantTri = triOf(requested);
  if (type === 'bool' || type === 'tristate') {
    if (triOf(actual) > wantTri) {
      const selectors = (db.selectedBy.get(symbol) ?? []).filter((s) => s.kind === 'select' && triOf(config.get(s.by)) > wantTri && (!s.cond || evalExpr(s.cond, env) > 0));
      if (selectors.length) {
        const list = selectors.map((s) => `${s.by} (${config.get(s.by)}, ${whereText(s)})`);
        const fixes = [...new Set(selectors.map((s) => s.by))];
        return {
          ...base,
          defined: true,
          where,
          message: `${head}: it is selected by ${list.join(', ')}`,
          hint: `a selected symbol cannot be turned off: turn off ${fixes.join(', ')} too (${fixes.map((f) => `${f}: n`).join(', ')}), or drop ${symbol}: ${requested} from the fragment`,
          suggest: Object.fromEntries(fixes.filter((f) => !(f in fragment)).map((f) => [f, 'n'])),
        };
      }
      if (withPrompt.length === 0) {
        return {
          ...base,
          defined: true,
          where,
          message: `${head}: ${symbol} has no prompt (${whereText(where)}), so its default decides and the user cannot turn it off`,
          hint: `drop ${symbol}: ${requested} from the fragment`,
        };
      }
      const choice = defs.find((d) => d.choice)?.choice;
      if (choice && requested === 'n') {
        return {
          ...base,
          defined: true,
          where,
          message: `${head}: ${symbol} is a member of the choice ${choice.title !== undefined ? `"${choice.title}" ` : ''}(${whereText(choice)}), which must have one member set`,
          hint: `set another member to y instead (one of ${choice.members!.filter((m) => m !== symbol).join(', ')})`,
        };
      }
    }
  }

  // Turning a symbol on (or to a value) whose dependencies or prompt are not there.
  if (withPrompt.length === 0 && (wantTri > 0 || (type !== 'bool' && type !== 'tristate'))) {
    const selectors = db.selectedBy.get(symbol) ?? [];
    const sel = [...new Set(selectors.map((s) => s.by))];
    const unmetDefs = defs.map((d) => ({ d, f: failuresOf(d, wantTri, env) })).filter((x) => x.f.length);
    const depText = unmetDefs.length ? `; and ${describeFailures(unmetDefs[0]!.f)}` : '';
    return {
      ...base,
      defined: true,
      where,
      message: `${head}: ${symbol} has no prompt (${whereText(where)}): only a \`select\` or its default can set it${depText}`,
      hint: sel.length ? `enable a symbol that selects it instead: ${sel.slice(0, 8).join(', ')}${sel.length > 8 ? ', ...' : ''}` : `${symbol} cannot be set from a fragment; remove it`,
    };
  }

  // An int, hex or string value needs a visible prompt, like y does.
  const needTri: Tri = type === 'bool' || type === 'tristate' ? wantTri : 2;
  const visible = Math.max(...withPrompt.map((d) => visibility(d, env, modules))) as Tri;
  if (visible < needTri) {
    // Explain the definition that comes closest.
    const scored = withPrompt.map((d) => ({ d, f: failuresOf(d, needTri, env) })).sort((a, b) => a.f.length - b.f.length);
    const best = scored[0]!;
    const failures = best.f;
    const suggest = suggestEnable(db, symbol, needTri, config, fragment);
    const inFragmentDropped = [...new Set(failures.flatMap((f) => allTerms(f.terms)).flatMap((t) => (t.fix && t.fix.symbol in fragment ? [t.fix.symbol] : [])))];
    const parts: string[] = [];
    const add = Object.entries(suggest.add);
    if (add.length) parts.push(`add ${add.map(([s, v]) => `${s}: ${v}`).join(', ')} to the fragment`);
    if (suggest.anyOf.length) parts.push(suggest.anyOf.map((alts) => `set one of ${alts.join(', ')}`).join('; '));
    // A dependency the fragment itself sets the other way (VT: n, and a symbol that needs VT)
    // is a conflict within the fragment; one the fragment asked for and did not get, a second drop.
    const asked = (sym: string) => fragmentValue(fragment[sym]!, symbolType(db, sym));
    const conflicting = inFragmentDropped.filter((sym) => asked(sym) === (config.get(sym) ?? 'n'));
    const droppedToo = inFragmentDropped.filter((sym) => !conflicting.includes(sym));
    if (conflicting.length)
      parts.push(`the fragment itself rules it out with ${conflicting.map((sym) => `${sym}: ${asked(sym)}`).join(', ')}: change ${conflicting.length > 1 ? 'those' : 'that'}, or drop ${symbol}`);
    if (droppedToo.length)
      parts.push(`${droppedToo.join(', ')} ${droppedToo.length > 1 ? 'are' : 'is'} in the fragment but did not survive either: fix ${droppedToo.length > 1 ? 'those' : 'that'} first`);
    if (suggest.blocked.length) parts.push(`${suggest.blocked.join('; ')}`);
    const hint = parts.length ? parts.join('; ') : `the dependency cannot be met with this tree and arch; drop ${symbol} from the fragment`;
    const defNote = withPrompt.length > 1 ? ` [definition at ${whereText(best.d)}, one of ${withPrompt.length}]` : '';
    return {
      ...base,
      defined: true,
      where: best.d,
      message: `${head}: ${describeFailures(failures)}${defNote}`,
      hint,
      suggest: suggest.add,
    };
  }

  // The dependencies allow it: a choice picked another member, or a range refused the value.
  const choice = defs.find((d) => d.choice)?.choice;
  if (choice && wantTri === 2) {
    const others = choice.members!.filter((m) => m !== symbol && triOf(config.get(m)) === 2);
    return {
      ...base,
      defined: true,
      where,
      message: `${head}: ${symbol} is a member of the choice ${choice.title !== undefined ? `"${choice.title}" ` : ''}(${whereText(choice)})${others.length ? ` and ${others.join(', ')} is y instead` : ''}`,
      hint: others.length ? `set ${others.map((o) => `${o}: n`).join(', ')} in the fragment, or drop ${symbol}` : `only one member of a choice can be y`,
    };
  }
  if (type === 'int' || type === 'hex') {
    const r = defs.flatMap((d) => d.ranges).find((x) => !x.cond || evalExpr(x.cond, env) > 0);
    if (r) {
      return {
        ...base,
        defined: true,
        where,
        message: `${head}: ${symbol} must be within ${formatExpr(r.value[0])}..${formatExpr(r.value[1])} (${whereText(r)})`,
        hint: `pick a value in that range`,
      };
    }
  }
  return {
    ...base,
    defined: true,
    where,
    message: `${head}: its dependencies are met in the final .config, yet Kconfig did not keep the value`,
    hint: `check \`make oldconfig\` by hand; a string or number may have been rejected as invalid for a ${type ?? 'symbol'} (${whereText(where)})`,
  };
}

function allTerms(terms: UnmetTerm[]): UnmetTerm[] {
  return terms.flatMap((t) => [t, ...allTerms(t.anyOf ?? [])]);
}

function describeFailures(failures: Failure[]): string {
  return failures.map((f) => `${f.req.text} (${whereText(f.req)}), and ${joinTerms(f.terms)}`).join('; ');
}

function envFor(db: KconfigDb, config: ReadonlyMap<string, string>): Env {
  return mapEnv(config, (s) => db.symbols.has(s));
}

/**
 * What to add to the fragment so that `symbol` can reach `want`: its unmet dependencies,
 * recursively (NE2K_PCI needs NET_PCI, which needs NET_ETHERNET...). A requirement that is an
 * unmet `||` is not guessed at: it is returned in anyOf.
 */
export function suggestEnable(
  db: KconfigDb,
  symbol: string,
  want: Tri,
  config: ReadonlyMap<string, string>,
  fragment: Fragment = {},
): { add: Record<string, string>; anyOf: string[][]; blocked: string[] } {
  const assumed = new Map(config);
  for (const [s, v] of Object.entries(fragment)) assumed.set(s, fragmentValue(v, symbolType(db, s)));
  assumed.set(symbol, TRI_NAMES[want]);
  const env = envFor(db, assumed);
  const add: Record<string, string> = {};
  const anyOf: string[][] = [];
  const blocked: string[] = [];
  const queue: [string, Tri][] = [[symbol, want]];
  const seen = new Set<string>();
  for (let guard = 0; queue.length && guard < 40; guard++) {
    const [sym, w] = queue.shift()!;
    if (seen.has(sym)) continue;
    seen.add(sym);
    const defs = (db.symbols.get(sym) ?? []).filter((d) => d.prompts.length > 0 || sym !== symbol);
    if (defs.length === 0) continue;
    // Follow the definition with the fewest unmet terms.
    const best = defs.map((d) => failuresOf(d, w, env)).sort((a, b) => a.length - b.length)[0]!;
    for (const f of best) {
      for (let t of f.terms) {
        if (t.anyOf) {
          const alts = t.anyOf.flatMap((a) => (a.fix && a.fix.value !== 'n' ? [a.fix.symbol] : []));
          if (alts.length > 1) anyOf.push(alts);
          if (alts.length !== 1) continue;
          // Only one alternative exists in this tree: that one is the fix.
          const only = t.anyOf.find((a) => a.fix?.symbol === alts[0])!;
          t = only;
        }
        if (!t.fix) {
          blocked.push(`${sym} needs ${t.text}`);
          continue;
        }
        const { symbol: s, value } = t.fix;
        if (s in fragment || !db.symbols.has(s)) {
          if (!db.symbols.has(s)) blocked.push(`${sym} needs ${s}, which this tree does not define`);
          continue;
        }
        if (value !== 'n' && (db.symbols.get(s) ?? []).every((d) => d.prompts.length === 0)) {
          const sel = [...new Set((db.selectedBy.get(s) ?? []).map((e) => e.by))];
          blocked.push(`${s} has no prompt${sel.length ? `; it is selected by ${sel.slice(0, 5).join(', ')}` : ''}`);
          continue;
        }
        add[s] = value;
        assumed.set(s, value);
        if (value !== 'n') queue.push([s, triOf(value)]);
      }
    }
  }
  // An anyOf already satisfied by a suggested symbol is no longer a question.
  const open = anyOf.filter((alts) => !alts.some((a) => triOf(assumed.get(a)) > 0));
  return { add, anyOf: open, blocked: [...new Set(blocked)] };
}

/** A defined symbol whose name is close to `sym` (a typo), if any. */
export function closestSymbol(db: KconfigDb, sym: string): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(sym.length / 5));
  for (const name of db.symbols.keys()) {
    if (Math.abs(name.length - sym.length) > bestD) continue;
    const d = editDistance(sym, name, bestD);
    if (d < bestD || (d === bestD && best === undefined && d <= 2)) {
      best = name;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string, max: number): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    let rowMin = prev[0];
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
      rowMin = Math.min(rowMin, prev[j]!);
    }
    if (rowMin > max) return max + 1;
  }
  return prev[b.length]!;
}

/** A short description of a symbol for humans: type, prompt, where, dependencies, selects. */
export function describeSymbol(db: KconfigDb, sym: string): string {
  const defs = db.symbols.get(sym);
  if (!defs?.length) return `${sym}: not defined in this tree`;
  return defs
    .map((d) => {
      const lines = [`${sym} (${d.type ?? 'untyped'}) at ${whereText(d)}${d.prompts[0] ? `: "${d.prompts[0].text}"` : ' (no prompt)'}`];
      for (const r of requirements(d)) lines.push(`  ${r.text}`);
      for (const s of d.selects) lines.push(`  selects ${s.value}${s.cond ? ` if ${formatExpr(s.cond)}` : ''}`);
      if (d.choice) lines.push(`  member of choice${d.choice.title !== undefined ? ` "${d.choice.title}"` : ''} at ${whereText(d.choice)}`);
      return lines.join('\n');
    })
    .join('\n');
}
