// Kconfig expressions: tokenize, parse, print, evaluate against a .config, and name the terms
// that keep an expression from reaching a value ("NET_PCI is n"). Pure functions.
//
// Grammar (Documentation/kbuild/kconfig-language): `!` binds tightest, then the comparisons
// (= != < <= > >=), then &&, then ||; parentheses group. Operands are symbols, the constants
// y/m/n, quoted strings and (modern trees) $(macro) calls.

export type CmpOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { kind: 'sym'; name: string }
  | { kind: 'str'; value: string }
  | { kind: 'macro'; text: string }
  | { kind: 'not'; arg: Expr }
  | { kind: 'and'; args: Expr[] }
  | { kind: 'or'; args: Expr[] }
  | { kind: 'cmp'; op: CmpOp; left: Expr; right: Expr };

/** Tristate as a number: n = 0, m = 1, y = 2 (&& is min, || is max, ! is 2 - x). */
export type Tri = 0 | 1 | 2;
export const TRI_NAMES = ['n', 'm', 'y'] as const;

export function triOf(v: string | undefined): Tri {
  return v === 'y' ? 2 : v === 'm' ? 1 : 0;
}

export type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: 'macro'; v: string } | { t: 'op'; v: string };

export class KconfigSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KconfigSyntaxError';
  }
}

/** Split one Kconfig line into tokens; `#` outside quotes starts a comment. */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === '"' || c === "'") {
      let v = '';
      i++;
      while (i < line.length && line[i] !== c) {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        v += line[i];
        i++;
      }
      i++; // closing quote (a missing one ends the line, as Kconfig's lexer tolerates)
      out.push({ t: 'str', v });
      continue;
    }
    if (c === '$' && line[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')' && --depth === 0) break;
      }
      out.push({ t: 'macro', v: line.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const two = line.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('!=()<>'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < line.length && !' \t\r#"\'!=()<>&|'.includes(line[j]!)) {
      // A word may contain $(...) (e.g. a path "arch/$(SRCARCH)/Kconfig" when unquoted).
      if (line[j] === '$' && line[j + 1] === '(') {
        const close = line.indexOf(')', j);
        j = close < 0 ? line.length : close + 1;
        continue;
      }
      j++;
    }
    if (j === i) {
      // A lone & or |: not Kconfig; keep it as an operator so the parser reports it.
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    out.push({ t: 'word', v: line.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parse tokens as one expression; throws KconfigSyntaxError when they are not one. */
export function parseExprTokens(tokens: readonly Token[]): Expr {
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  };

  function or(): Expr {
    const args = [and()];
    while (isOp('||')) {
      pos++;
      args.push(and());
    }
    return args.length === 1 ? args[0]! : { kind: 'or', args: args.flatMap((a) => (a.kind === 'or' ? a.args : [a])) };
  }
  function and(): Expr {
    const args = [cmp()];
    while (isOp('&&')) {
      pos++;
      args.push(cmp());
    }
    return args.length === 1 ? args[0]! : { kind: 'and', args: args.flatMap((a) => (a.kind === 'and' ? a.args : [a])) };
  }
  function cmp(): Expr {
    const left = unary();
    const t = peek();
    if (t?.t === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      pos++;
      return { kind: 'cmp', op: t.v as CmpOp, left, right: unary() };
    }
    return left;
  }
  function unary(): Expr {
    const t = peek();
    if (t === undefined) throw new KconfigSyntaxError('expression ends too early');
    if (t.t === 'op' && t.v === '!') {
      pos++;
      return { kind: 'not', arg: unary() };
    }
    if (t.t === 'op' && t.v === '(') {
      pos++;
      const e = or();
      if (!isOp(')')) throw new KconfigSyntaxError("missing ')'");
      pos++;
      return e;
    }
    pos++;
    if (t.t === 'word') return { kind: 'sym', name: t.v };
    if (t.t === 'str') return { kind: 'str', value: t.v };
    if (t.t === 'macro') return { kind: 'macro', text: t.v };
    throw new KconfigSyntaxError(`unexpected '${t.v}'`);
  }

  const e = or();
  if (pos < tokens.length) {
    const t = tokens[pos]!;
    throw new KconfigSyntaxError(`unexpected '${t.t === 'str' ? `"${t.v}"` : t.v}' after the expression`);
  }
  return e;
}

export function parseExpr(text: string): Expr {
  return parseExprTokens(tokenize(text));
}

const PREC: Record<Expr['kind'], number> = { or: 1, and: 2, cmp: 3, not: 4, sym: 5, str: 5, macro: 5 };

/** Print an expression as Kconfig would read it, with only the parentheses it needs. */
export function formatExpr(e: Expr): string {
  const sub = (x: Expr, min: number): string => (PREC[x.kind] < min ? `(${formatExpr(x)})` : formatExpr(x));
  switch (e.kind) {
    case 'sym':
      return e.name;
    case 'str':
      return `"${e.value.replace(/(["\\])/g, '\\$1')}"`;
    case 'macro':
      return e.text;
    case 'not':
      return `!${sub(e.arg, 4)}`;
    case 'and':
      return e.args.map((a) => sub(a, 2)).join(' && ');
    case 'or':
      return e.args.map((a) => sub(a, 1)).join(' || ');
    case 'cmp':
      return `${sub(e.left, 4)}${e.op}${sub(e.right, 4)}`;
  }
}

/** All symbol names an expression mentions (constants y/m/n excluded). */
export function exprSymbols(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'sym':
      if (!isConstWord(e.name)) out.add(e.name);
      break;
    case 'not':
      exprSymbols(e.arg, out);
      break;
    case 'and':
    case 'or':
      for (const a of e.args) exprSymbols(a, out);
      break;
    case 'cmp':
      exprSymbols(e.left, out);
      exprSymbols(e.right, out);
      break;
    default:
      break;
  }
  return out;
}

function isConstWord(w: string): boolean {
  return w === 'y' || w === 'm' || w === 'n' || /^-?\d+$/.test(w) || /^0[xX][0-9a-fA-F]+$/.test(w);
}

/**
 * How expressions see symbols: `value(sym)` is the symbol's value in .config form (y, m, n, a
 * number, a quoted string) or undefined when the symbol has no value; `defined(sym)` says
 * whether the tree declares it (an undeclared word is a constant, like `64` in `X=64`).
 */
export interface Env {
  value(sym: string): string | undefined;
  defined(sym: string): boolean;
}

export function mapEnv(config: ReadonlyMap<string, string>, defined: (sym: string) => boolean = (s) => config.has(s)): Env {
  return { value: (s) => config.get(s), defined };
}

/** The string a comparison sees for an operand. */
function stringOf(e: Expr, env: Env): string {
  switch (e.kind) {
    case 'sym': {
      if (e.name === 'y' || e.name === 'm' || e.name === 'n') return e.name;
      const v = env.value(e.name);
      if (v !== undefined) return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
      return env.defined(e.name) ? 'n' : e.name;
    }
    case 'str':
      return e.value;
    case 'macro':
      return 'y';
    default:
      return TRI_NAMES[evalExpr(e, env)];
  }
}

function compare(op: CmpOp, a: string, b: string): boolean {
  const num = (s: string): number | undefined => (/^-?\d+$/.test(s) ? Number(s) : /^0[xX][0-9a-fA-F]+$/.test(s) ? Number.parseInt(s, 16) : undefined);
  const [x, y] = [num(a), num(b)];
  const c = x !== undefined && y !== undefined ? Math.sign(x - y) : a < b ? -1 : a > b ? 1 : 0;
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** The tristate value of an expression. $(macro) calls (toolchain tests) count as y. */
export function evalExpr(e: Expr, env: Env): Tri {
  switch (e.kind) {
    case 'sym':
      if (e.name === 'y' || e.name === 'm' || e.name === 'n') return triOf(e.name);
      return triOf(env.value(e.name));
    case 'str':
      return triOf(e.value);
    case 'macro':
      return 2;
    case 'not':
      return (2 - evalExpr(e.arg, env)) as Tri;
    case 'and':
      return Math.min(...e.args.map((a) => evalExpr(a, env))) as Tri;
    case 'or':
      return Math.max(...e.args.map((a) => evalExpr(a, env))) as Tri;
    case 'cmp':
      return compare(e.op, stringOf(e.left, env), stringOf(e.right, env)) ? 2 : 0;
  }
}

/** A term of an expression that keeps it below the wanted value. */
export interface UnmetTerm {
  /** Human text: "NET_PCI is n", "SERIAL_8250=y is false (SERIAL_8250 is m)", "X86_VOYAGER is y". */
  text: string;
  /** What would fix it, when one symbol value would: NET_PCI -> y, X86_VOYAGER -> n. */
  fix?: { symbol: string; value: 'y' | 'm' | 'n' };
  /** For an unmet ||: the alternatives, any one of which would do. */
  anyOf?: UnmetTerm[];
}

function describeValue(sym: string, env: Env): string {
  const v = env.value(sym);
  if (v === undefined) return env.defined(sym) ? 'n' : 'not defined';
  return v;
}

/**
 * The terms of `e` that keep it below `want` (a tristate) under `env`: for `A && B` the unmet
 * conjuncts, for `A || B` one term listing every alternative, for `!X` "X is y", and so on.
 */
export function unmetTerms(e: Expr, want: Tri, env: Env): UnmetTerm[] {
  if (evalExpr(e, env) >= want) return [];
  switch (e.kind) {
    case 'sym': {
      if (e.name === 'n' || e.name === 'm') return [{ text: `the constant ${e.name}` }];
      const v = describeValue(e.name, env);
      const text = v === 'not defined' ? `${e.name} is not defined in this tree` : `${e.name} is ${v}`;
      return [{ text, ...(v === 'not defined' ? {} : { fix: { symbol: e.name, value: want === 1 ? 'm' : 'y' } }) }];
    }
    case 'str':
    case 'macro':
      return [{ text: `${formatExpr(e)} is ${TRI_NAMES[evalExpr(e, env)]}` }];
    case 'not': {
      const a = e.arg;
      if (a.kind === 'sym' && !isConstWord(a.name)) {
        return [{ text: `${a.name} is ${describeValue(a.name, env)}`, fix: { symbol: a.name, value: 'n' } }];
      }
      return [{ text: `${formatExpr(a)} is ${TRI_NAMES[evalExpr(a, env)]}` }];
    }
    case 'and':
      return e.args.flatMap((a) => unmetTerms(a, want, env));
    case 'or': {
      const alts = e.args.flatMap((a) => unmetTerms(a, want, env));
      return [{ text: `none of ${e.args.map((a) => formatExpr(a)).join(', ')} is set (${alts.map((a) => a.text).join(', ')})`, anyOf: alts }];
    }
    case 'cmp': {
      const syms = [e.left, e.right].filter((x): x is { kind: 'sym'; name: string } => x.kind === 'sym' && !isConstWord(x.name) && env.defined(x.name));
      const now = syms.map((s) => `${s.name} is ${describeValue(s.name, env)}`).join(', ');
      let fix: UnmetTerm['fix'];
      const [l, r] = [e.left, e.right];
      if (e.op === '=' && l.kind === 'sym' && r.kind === 'sym' && (r.name === 'y' || r.name === 'm' || r.name === 'n') && !isConstWord(l.name)) {
        fix = { symbol: l.name, value: r.name };
      } else if (e.op === '!=' && l.kind === 'sym' && r.kind === 'sym' && r.name === 'y' && !isConstWord(l.name)) {
        fix = { symbol: l.name, value: 'n' };
      }
      return [{ text: `${formatExpr(e)} is false${now ? ` (${now})` : ''}`, ...(fix ? { fix } : {}) }];
    }
  }
}

/** `a && b && ...` of the given expressions (undefined for none). */
export function andAll(exprs: readonly Expr[]): Expr | undefined {
  if (exprs.length === 0) return undefined;
  if (exprs.length === 1) return exprs[0];
  return { kind: 'and', args: exprs.flatMap((a) => (a.kind === 'and' ? a.args : [a])) };
}
