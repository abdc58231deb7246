// Size budgets: the limits a configuration declares (configs/*.yaml `budgets:`, parsed to bytes
// by loadBuildConfig) checked against the measured toggles of a build. A pure function.
//
// Which toggle a budget applies to:
//   bzImage, vmlinux (file bytes), text, data, bss, dec (size(1) of vmlinux)
//       the kernel the configuration describes: its `queue` point (the selected patches, the
//       fragment applied, every other option at its Kconfig default). A tiny configuration
//       (configs/webserver-tiny.yaml) turns the options off in its fragment, so its queue
//       point is the tiny kernel. Without a measured queue point: `base`. Only one toggle is
//       checked: a budget is a promise about the kernel the configuration ships, not about
//       every point of the matrix (all-off of a stock configuration is not what it ships).
//   min_saving_per_patch
//       each `flip:<patch>` toggle against the queue point: the patch's saving is the dec
//       (text + data + bss) of the point with its option on minus the point with it off —
//       whichever of the two the flip is (`optionOff`; the linux-tiny convention, default y,
//       means a flip turns it off unless said otherwise). A patch without an option (no flip
//       toggle) is judged by its `without:<patch>` toggle: applying it must save
//       without - queue bytes at least.
// Which base a budget applies to: configs/*.yaml gives one set of limits for every base, or sets
// naming their bases: (budgetsForBase). On a base no set gives a limit for, a limit the
// configuration gives elsewhere is reported as not checked there, naming the bases it is for —
// never passed in silence.
// A patch may carry a `Size-Justification:` trailer in its header (or `size_justification`
// in queue.yaml, passed in by the caller). A justified patch's min-saving violation is accepted
// (listed, not a failure), and its justification is shown next to it.

import { displayText } from '../util/bytes.js';
import type { Budgets, BudgetSet } from '../kbuild/buildconfig.js';
import type { BerkeleySize } from '../measure/types.js';
import { commas } from '../util/format.js';

export type BudgetKey = keyof Budgets;
export const SIZE_BUDGETS = ['bzImage', 'vmlinux', 'text', 'data', 'bss', 'dec'] as const;
export type SizeBudget = (typeof SIZE_BUDGETS)[number];

/** What checkBudgets needs of one toggle's result. */
export interface ToggleSizes {
  /** base, queue, all-off, flip:<patch>, without:<patch>. */
  toggle: string;
  /** Absent when the toggle failed (it is then not checked; the build fails on its own). */
  size?: BerkeleySize;
  files?: Record<string, { bytes: number }>;
  /** For flip:<patch>: whether its option is off in this toggle (read from its .config). */
  optionOff?: boolean;
}

export interface BudgetViolation {
  budget: BudgetKey;
  toggle: string;
  patch?: string;
  /** Measured value (for min_saving_per_patch: the saving, possibly negative). */
  actual: number;
  limit: number;
  /** How far over (or, for a saving, how far short). */
  excess: number;
  justification?: string;
  /** A justified min-saving violation: listed, not a failure. */
  accepted: boolean;
  message: string;
}

export interface BudgetCheck {
  violations: BudgetViolation[];
  /** Violations that are not accepted: any -> exit 1. */
  failures: BudgetViolation[];
  /** Budgets checked, with the toggle each applied to ("dec on all-off"). */
  checked: Array<{ budget: BudgetKey; toggle: string; actual: number; limit: number }>;
  /** Budgets that could not be checked (toggle missing or failed, no bzImage measured). */
  unchecked: Array<{ budget: BudgetKey; reason: string }>;
}

/** A budget verdict in snake_case, as `tiny build --format json` prints it (absent values are null). */
export function budgetCheckJson(c: BudgetCheck): Record<string, unknown> {
  const violation = (v: BudgetViolation) => ({
    budget: v.budget,
    toggle: v.toggle,
    patch: v.patch ?? null,
    actual: v.actual,
    limit: v.limit,
    excess: v.excess,
    justification: v.justification ?? null,
    accepted: v.accepted,
    message: v.message,
  });
  return {
    violations: c.violations.map(violation),
    failures: c.failures.map(violation),
    checked: c.checked.map((x) => ({ budget: x.budget, toggle: x.toggle, actual: x.actual, limit: x.limit })),
    unchecked: c.unchecked.map((x) => ({ budget: x.budget, reason: x.reason })),
  };
}

/** 409600 -> "400K", 1572864 -> "1.5M", 1000 -> "1000". */
export function sizeText(n: number): string {
  if (n >= 1024 * 1024 && (n * 10) % (1024 * 1024) === 0) return `${n / (1024 * 1024)}M`;
  if (n >= 1024 && (n * 10) % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

function limitText(n: number): string {
  const s = sizeText(n);
  return s === String(n) ? `${commas(n)}` : `${s} (${commas(n)})`;
}

/** The toggle size budgets apply to (see the top). */
export function sizeBudgetToggle(toggles: readonly string[]): string | undefined {
  return ['queue', 'base'].find((t) => toggles.includes(t));
}

function budgetedValue(budget: SizeBudget, t: ToggleSizes): number | undefined {
  if (budget === 'bzImage' || budget === 'vmlinux') return t.files?.[budget]?.bytes;
  return t.size?.[budget];
}

const HEADER_END = /^(---\s*$|diff -|Index: |\+\+\+ |--- a\/)/m;

/** The `Size-Justification:` trailer of a patch's header (continuation lines joined). */
export function parseJustification(patchText: string): string | undefined {
  const end = HEADER_END.exec(patchText);
  const header = end ? patchText.slice(0, end.index) : patchText;
  const lines = header.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^Size-Justification:\s*(.*)$/i.exec(lines[i]!);
    if (!m) continue;
    const parts = [m[1]!.trim()];
    for (let j = i + 1; j < lines.length && /^[ \t]+\S/.test(lines[j]!); j++) parts.push(lines[j]!.trim());
    const text = parts.filter(Boolean).join(' ');
    return text || undefined;
  }
  return undefined;
}

export interface BaseBudgets {
  /** The limits that apply on the base (a set naming it overrides a set for every base, per key). */
  limits: Budgets;
  /** Limits given for other bases only: key -> "2.6.9 (configs/x.yaml:140)". */
  elsewhere: Partial<Record<BudgetKey, string[]>>;
}

/** The limits of `sets` that apply on `base` (every set's when the base is unknown). */
export function budgetsForBase(sets: readonly BudgetSet[] | Budgets | undefined, base: string | undefined): BaseBudgets {
  const out: BaseBudgets = { limits: {}, elsewhere: {} };
  if (!sets) return out;
  const list: readonly BudgetSet[] = Array.isArray(sets) ? sets : [{ limits: sets as Budgets, where: 'the configuration' }];
  const keys = (b: Budgets) => Object.keys(b) as BudgetKey[];
  for (const set of list) if (!set.bases) for (const k of keys(set.limits)) out.limits[k] = set.limits[k];
  for (const set of list) {
    if (!set.bases) continue;
    if (base === undefined || set.bases.includes(base)) {
      for (const k of keys(set.limits)) out.limits[k] = set.limits[k];
      continue;
    }
    for (const k of keys(set.limits)) out.elsewhere[k] = [...(out.elsewhere[k] ?? []), `${set.bases.join(', ')} (${set.where})`];
  }
  for (const k of keys(out.limits)) delete out.elsewhere[k];
  return out;
}

export interface CheckBudgetsInput {
  /** The configuration's budget sets (BuildConfig.budgets), or one set of limits for every base. */
  budgets: readonly BudgetSet[] | Budgets | undefined;
  /** The base version the results were built on: picks the sets that apply. */
  base?: string;
  results: readonly ToggleSizes[];
  /** Patch name -> justification (parseJustification of its text, or a queue.yaml field). */
  justifications?: Readonly<Record<string, string>>;
}

export function checkBudgets(input: CheckBudgetsInput): BudgetCheck {
  const out: BudgetCheck = { violations: [], failures: [], checked: [], unchecked: [] };
  const { limits: b, elsewhere } = budgetsForBase(input.budgets, input.base);
  for (const key of Object.keys(elsewhere) as BudgetKey[]) {
    out.unchecked.push({ budget: key, reason: `the configuration gives no ${key} budget for ${input.base}, only for ${elsewhere[key]!.join('; ')}` });
  }
  const byName = new Map(input.results.map((r) => [r.toggle, r]));
  const target = sizeBudgetToggle(input.results.map((r) => r.toggle));

  for (const key of SIZE_BUDGETS) {
    const limit = b[key];
    if (limit === undefined) continue;
    const t = target ? byName.get(target) : undefined;
    if (!t?.size) {
      out.unchecked.push({ budget: key, reason: target ? `toggle ${target} has no measurement (it failed)` : 'no queue or base toggle was built' });
      continue;
    }
    const actual = budgetedValue(key, t);
    if (actual === undefined) {
      out.unchecked.push({ budget: key, reason: `toggle ${target} has no ${key} (is it one of the configuration's targets?)` });
      continue;
    }
    out.checked.push({ budget: key, toggle: target!, actual, limit });
    if (actual > limit) {
      const v: BudgetViolation = {
        budget: key,
        toggle: target!,
        actual,
        limit,
        excess: actual - limit,
        accepted: false,
        message: `${key} ${commas(actual)} bytes > budget ${limitText(limit)} by ${commas(actual - limit)} bytes in toggle ${target}`,
      };
      out.violations.push(v);
      out.failures.push(v);
    }
  }

  const min = b.min_saving_per_patch;
  if (min !== undefined) {
    const queue = byName.get('queue');
    const patches = new Set<string>();
    for (const r of input.results) {
      const m = /^(flip|without):(.+)$/.exec(r.toggle);
      if (m) patches.add(m[2]!);
    }
    for (const patch of patches) {
      const flip = byName.get(`flip:${patch}`);
      const without = byName.get(`without:${patch}`);
      const other = flip ?? without;
      const toggle = flip ? `flip:${patch}` : `without:${patch}`;
      if (!queue?.size || !other?.size) {
        out.unchecked.push({ budget: 'min_saving_per_patch', reason: `${patch}: ${!queue?.size ? 'toggle queue' : `toggle ${toggle}`} has no measurement` });
        continue;
      }
      const saving = flip ? (flip.optionOff === false ? flip.size!.dec - queue.size.dec : queue.size.dec - flip.size!.dec) : other.size.dec - queue.size.dec;
      out.checked.push({ budget: 'min_saving_per_patch', toggle, actual: saving, limit: min });
      if (saving >= min) continue;
      const justification = input.justifications?.[patch];
      const what = saving < 0 ? `grows the kernel by ${commas(-saving)} bytes` : `saves ${commas(saving)} bytes`;
      const versus = flip ? (flip.optionOff === false ? 'option on vs off' : 'option off vs on') : 'without vs with';
      const v: BudgetViolation = {
        budget: 'min_saving_per_patch',
        toggle,
        patch,
        actual: saving,
        limit: min,
        excess: min - saving,
        accepted: justification !== undefined,
        ...(justification !== undefined ? { justification } : {}),
        message: `patch ${patch} ${what} (dec, ${toggle} vs queue: ${versus}) < min_saving_per_patch ${limitText(min)} by ${commas(min - saving)} bytes`,
      };
      out.violations.push(v);
      if (!v.accepted) out.failures.push(v);
    }
  }
  return out;
}

/** Text for the terminal / a log: failures first, then accepted (justified) ones. */
export function renderBudgetCheck(c: BudgetCheck, opts: { config?: string; base?: string } = {}): string {
  const lines: string[] = [];
  const where = opts.config ? ` (configuration ${opts.config}${opts.base ? ` on ${opts.base}` : ''})` : opts.base ? ` (on ${opts.base})` : '';
  if (c.failures.length) {
    lines.push(`budget exceeded${where}:`);
    for (const v of c.failures) lines.push(`  ✗ ${v.message}`);
  }
  const accepted = c.violations.filter((v) => v.accepted);
  if (accepted.length) {
    lines.push(`accepted with a Size-Justification:`);
    for (const v of accepted) lines.push(`  ~ ${v.message}`, `      Size-Justification: ${v.justification}`);
  }
  if (c.unchecked.length) lines.push(`budgets not checked${where}:`);
  for (const u of c.unchecked) lines.push(`  ? ${u.budget}: ${u.reason}`);
  if (!c.violations.length && c.checked.length) {
    const size = c.checked.filter((x) => x.budget !== 'min_saving_per_patch');
    const parts = size.map((x) => `${x.budget} ${commas(x.actual)} ≤ ${sizeText(x.limit)}`);
    const savings = c.checked.filter((x) => x.budget === 'min_saving_per_patch').length;
    if (savings) parts.push(`${savings} patch${savings > 1 ? 'es' : ''} save ≥ ${sizeText(c.checked.find((x) => x.budget === 'min_saving_per_patch')!.limit)}`);
    lines.push(`budgets ok${where}${size.length ? ` (${size[0]!.toggle})` : ''}: ${parts.join(', ')}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/** Exit status for a budget check: 1 when a budget is exceeded (and not justified). */
export function budgetExitCode(c: BudgetCheck): 0 | 1 {
  return c.failures.length ? 1 : 0;
}

/**
 * Whether a flip toggle's .config has the option off: `# CONFIG_X is not set`, `CONFIG_X=n` or
 * no line at all; undefined without a .config to read.
 */
export function optionOffIn(configText: string | undefined, symbol: string): boolean | undefined {
  if (configText === undefined) return undefined;
  const m = new RegExp(`^CONFIG_${symbol}=(.*)$`, 'm').exec(configText);
  return !m || m[1] === 'n';
}

/** Patch name -> Size-Justification, for the patches that carry one. */
export function justificationsOf(patches: ReadonlyArray<{ name: string; text: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of patches) {
    // Patch texts are byte strings; a justification is words for people: decoded.
    const j = parseJustification(p.text);
    if (j !== undefined) out[p.name] = displayText(j);
  }
  return out;
}
