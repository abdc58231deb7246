// The build matrix plan: which toggles to build for a configuration, with which patches and
// which Kconfig overrides, and in what order. A pure function of plain values.
//
// Patches. The queue's series is narrowed to the patches meant for the base version, then
// selected with guards(1) semantics for the symbols
//
//     S = config.queue.select ∪ config.queue.base_select ∪ toolchain.needs_compat.
//
// Base patches are the selected patches that belong to the base itself rather than to the
// queue: a patch without `option:` that a '+sym' guard (not negated) selects with sym in
//     B = config.queue.base_select ∪ toolchain.needs_compat
// — for the 2.6.9 queue, the compat series (guard +compat) that only makes the tree build
// with gcc 12. Every toggle applies them; they get no toggles of their own (leaving one out
// only breaks the build). Queue patches are the other selected patches.
//
// Toggles (names as in reports and --only):
//   base             base patches only: the kernel without the queue
//   queue            every selected patch, every option at its Kconfig default: the no-op point
//                    (a minimally invasive queue costs nothing here)
//   all-off          every selected patch, every option off (n): the smallest kernel. With the
//                    linux-tiny convention (an option keeps a feature, default y) this is every
//                    option at its non-default value; a configuration whose base already answers
//                    n (tinyconfig = allnoconfig + a list: every visible new option is n) gets
//                    the queue point's .config again, and the store serves it
//   flip:<patch>     every selected patch, that patch's option flipped alone
//   without:<patch>  the patch left out, with every queue patch that depends on it
//   config:<SYMBOL>  every selected patch, the configuration's own symbol flipped alone
//                    (kconfig.flips: what each of the configuration's choices is worth)
// An option's default is its value in the .config generated at the `queue` point (the queue
// applied, the configuration's fragment, Kconfig's defaults for the rest); its flip is the other
// bool value (y <-> n; m -> n). So flip toggles are resolved after the queue point's .config
// is known (resolveFragment). A fragment symbol that names the option of a patch a
// toggle leaves out is dropped from that toggle's fragment (the tree no longer defines it).
//
// Order. Toggles sharing a patch selection run one after the other in one build directory
// (only .config changes: Kbuild rebuilds the objects that depend on the changed symbols):
// queue first (its .config gives the defaults), then the flips, then all-off; then each
// without:<patch> (the worktree moves by the files of one or two patches), and base last.
// Reports list them as base, queue, all-off, flips, withouts (displayOrder).

import { meantFor } from '../merge/check.js';
import { isSelected } from '../queue/guards.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { TinyError } from '../util/diagnostics.js';
import type { Fragment, FragmentValue } from '../kbuild/kconfig.js';

export type ToggleKind = 'base' | 'queue' | 'all-off' | 'flip' | 'without';

export interface Toggle {
  /** base, queue, all-off, flip:<patch>, without:<patch>. */
  name: string;
  kind: ToggleKind;
  description: string;
  /** The patch a flip/without toggle is about. */
  patch?: string;
  /** The patches applied, in series order (base patches first as they come in the series). */
  patches: QueuePatch[];
  /** Option symbols set to the other value than their default at the queue point. */
  flip: string[];
  /** Option symbols set to a fixed value (all-off: n). */
  set: Record<string, 'y' | 'n'>;
  /** Fragment symbols left out: options of queue patches this toggle does not apply. */
  drop: string[];
  /** Identity of the patch selection (toggles with equal selections share a tree). */
  selection: string;
}

export interface PlanInput {
  queue: Pick<Queue, 'series'>;
  /** The base version (patches with `bases:` not naming it are left out). */
  version: string;
  /** config.queue.select */
  select: readonly string[];
  /** config.queue.base_select */
  baseSelect?: readonly string[];
  /** toolchain.needs_compat */
  toolchainSymbols?: readonly string[];
  /** The configuration's fragment (to drop options of patches a toggle leaves out). */
  fragment?: Fragment;
  /** config.kconfig.flips: symbols to flip one at a time against the queue point. */
  configFlips?: readonly string[];
}

export interface Plan {
  /** Execution order. */
  toggles: Toggle[];
  /** Every selected patch, in series order. */
  selected: QueuePatch[];
  basePatches: QueuePatch[];
  queuePatches: QueuePatch[];
  /** Guard symbols used for selection. */
  symbols: string[];
  baseSymbols: string[];
  /** Things worth telling the user (patches not meant for the base, toggles skipped). */
  notes: string[];
  /**
   * Options of queue patches not meant for this base (no meant patch declares them): the
   * configuration's value for one is not an error where the base's Kconfig decides it.
   */
  leftToBase?: Record<string, string>;
}

const KIND_RANK: Record<ToggleKind, number> = { base: 0, queue: 1, 'all-off': 2, flip: 3, without: 4 };

function selectionKey(patches: readonly QueuePatch[]): string {
  return patches.map((p) => p.name).join('\n');
}

function uniq(xs: Iterable<string>): string[] {
  return [...new Set(xs)];
}

/** Names of `name` and every patch of `pool` that depends on it, transitively. */
export function dependents(pool: readonly QueuePatch[], name: string): Set<string> {
  const out = new Set<string>([name]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of pool) {
      if (out.has(p.name)) continue;
      if (p.depends.some((d) => out.has(d))) {
        out.add(p.name);
        grew = true;
      }
    }
  }
  return out;
}

function isBasePatch(p: QueuePatch, baseSymbols: ReadonlySet<string>): boolean {
  if (p.option) return false;
  if (!p.guards.some((g) => g.include && !g.negate && baseSymbols.has(g.symbol))) return false;
  return isSelected(p.guards, baseSymbols);
}

export function planMatrix(input: PlanInput): Plan {
  const notes: string[] = [];
  const baseSymbols = uniq([...(input.baseSelect ?? []), ...(input.toolchainSymbols ?? [])]);
  const symbols = uniq([...input.select, ...baseSymbols]);
  const symbolSet = new Set(symbols);
  const baseSet = new Set(baseSymbols);

  const meant = input.queue.series.filter((p) => meantFor(p, input.version));
  const notMeant = input.queue.series.length - meant.length;
  if (notMeant) notes.push(`${notMeant} patch${notMeant > 1 ? 'es are' : ' is'} not meant for ${input.version} and left out`);
  const selected = meant.filter((p) => isSelected(p.guards, symbolSet));
  const unselected = meant.length - selected.length;
  if (unselected) notes.push(`${unselected} patch${unselected > 1 ? 'es are' : ' is'} not selected by the guards (symbols: ${symbols.join(', ') || 'none'})`);

  // A selected patch must have its depends selected too: a plan cannot apply it without them.
  const selectedNames = new Set(selected.map((p) => p.name));
  const missing = selected.flatMap((p) => p.depends.filter((d) => !selectedNames.has(d)).map((d) => `${p.name} depends on ${d}`));
  if (missing.length) {
    throw new TinyError(
      `the configuration selects patches whose dependencies it leaves out: ${missing.join('; ')}`,
      2,
      [],
      'select the dependencies too (queue.select in the configuration), or fix the guards in queue.yaml',
    );
  }

  let basePatches = selected.filter((p) => isBasePatch(p, baseSet));
  // A base patch's depends belong to the base as well.
  const baseNames = new Set(basePatches.map((p) => p.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of basePatches) {
      for (const d of p.depends) {
        if (!baseNames.has(d)) {
          baseNames.add(d);
          grew = true;
        }
      }
    }
    basePatches = selected.filter((p) => baseNames.has(p.name));
  }
  const queuePatches = selected.filter((p) => !baseNames.has(p.name));
  const options = queuePatches.filter((p) => p.option).map((p) => p.option!);
  const fragment = input.fragment ?? {};
  const dropFor = (left: readonly QueuePatch[]) => left.map((p) => p.option).filter((o): o is string => !!o && o in fragment);

  const toggles: Toggle[] = [];
  const mk = (t: Omit<Toggle, 'selection'>): Toggle => ({ ...t, selection: selectionKey(t.patches) });

  if (queuePatches.length) {
    toggles.push(
      mk({
        name: 'queue',
        kind: 'queue',
        description: `the queue (${queuePatches.length} patch${queuePatches.length > 1 ? 'es' : ''}) with every option at its default: the no-op point`,
        patches: selected,
        flip: [],
        set: {},
        drop: [],
      }),
    );
    const optionPatches = queuePatches.filter((p) => p.option);
    for (const p of optionPatches) {
      toggles.push(
        mk({
          name: `flip:${p.name}`,
          kind: 'flip',
          description: `${p.name}: CONFIG_${p.option} flipped from its default, every other option at its default`,
          patch: p.name,
          patches: selected,
          flip: [p.option!],
          set: {},
          drop: [],
        }),
      );
    }
    // The configuration's own choices, each flipped alone against the queue point. A symbol
    // that is also a queue option is that patch's flip already.
    for (const sym of input.configFlips ?? []) {
      if (options.includes(sym)) {
        notes.push(`kconfig.flips: ${sym} is the option of a queue patch: its flip:<patch> toggle measures it`);
        continue;
      }
      toggles.push(
        mk({
          name: `config:${sym}`,
          kind: 'flip',
          description: `CONFIG_${sym} flipped from its value at the queue point, everything else as configured`,
          patches: selected,
          flip: [sym],
          set: {},
          drop: [],
        }),
      );
    }
    if (optionPatches.length > 0) {
      toggles.push(
        mk({
          name: 'all-off',
          kind: 'all-off',
          description: `every option off (${options.map((o) => `CONFIG_${o}=n`).join(', ')}): the smallest kernel`,
          patches: selected,
          flip: [],
          set: Object.fromEntries(options.map((o) => [o, 'n' as const])),
          drop: [],
        }),
      );
      // all-off has the same inputs as a flip (one option, default y) or as the queue point
      // (defaults already n): the store serves it.
    } else {
      notes.push('no queue patch declares an option: no flip or all-off toggles');
    }
    for (const p of queuePatches) {
      const out = dependents(queuePatches, p.name);
      const left = queuePatches.filter((q) => out.has(q.name));
      const others = left.filter((q) => q.name !== p.name).map((q) => q.name);
      toggles.push(
        mk({
          name: `without:${p.name}`,
          kind: 'without',
          description: `the queue without ${p.name}${others.length ? ` and what depends on it (${others.join(', ')})` : ''}`,
          patch: p.name,
          patches: selected.filter((q) => !out.has(q.name)),
          flip: [],
          set: {},
          drop: dropFor(left),
        }),
      );
    }
  } else {
    notes.push(selected.length ? 'every selected patch belongs to the base: the only toggle is base' : 'no queue patch is selected: the only toggle is base');
    if (input.configFlips?.length) notes.push('kconfig.flips are flipped against the queue point: without queue patches there is none, so they are not built');
  }
  toggles.push(
    mk({
      name: 'base',
      kind: 'base',
      description: basePatches.length ? `the base with ${basePatches.map((p) => p.name).join(', ')} and no queue patch` : 'the bare base, no queue patch',
      patches: basePatches,
      flip: [],
      set: {},
      drop: dropFor(queuePatches),
    }),
  );
  const declared = new Set(meant.map((p) => p.option).filter(Boolean));
  const leftToBase: Record<string, string> = {};
  for (const p of input.queue.series) {
    if (p.option && !declared.has(p.option) && !meantFor(p, input.version)) leftToBase[p.option] = `its patch ${p.name} is not meant for ${input.version}`;
  }
  const configured = Object.keys(leftToBase).filter((o) => o in fragment);
  if (configured.length)
    notes.push(`${configured.join(', ')}: options of patches not meant for ${input.version}; where ${input.version} defines ${configured.length > 1 ? 'them' : 'it'}, its Kconfig decides`);
  return { toggles, selected, basePatches, queuePatches, symbols, baseSymbols, notes, leftToBase };
}

/** Toggles in report order: base, queue, all-off, flips, withouts (series order within a kind). */
export function displayOrder<T extends { kind: ToggleKind }>(toggles: readonly T[]): T[] {
  return toggles
    .map((t, i) => ({ t, i }))
    .sort((a, b) => KIND_RANK[a.t.kind] - KIND_RANK[b.t.kind] || a.i - b.i)
    .map((x) => x.t);
}

/** Keep only the toggles named in `only` (an unknown name is an error listing the known ones). */
export function onlyToggles(plan: Plan, only: readonly string[] | undefined): Toggle[] {
  if (!only?.length) return plan.toggles;
  // `flip:*`, `config:*`, `without:*`: a * matches any run of characters in a toggle's name;
  // `!name` leaves out what it matches (`flip:*,!flip:bugverbose`), whatever its place.
  const matcherOf = (n: string) => {
    const re = new RegExp(
      `^${n
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return (name: string) => re.test(name);
  };
  const terms = only.map((n) => ({ text: n, exclude: n.startsWith('!'), matches: matcherOf(n.replace(/^!/, '')) }));
  const unknown = terms.filter((term) => !plan.toggles.some((t) => term.matches(t.name))).map((term) => term.text);
  if (unknown.length) {
    throw new TinyError(
      `--only: unknown toggle${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      2,
      [],
      `toggles of this configuration: ${displayOrder(plan.toggles)
        .map((t) => t.name)
        .join(', ')}`,
    );
  }
  const included = terms.filter((t) => !t.exclude);
  const excluded = terms.filter((t) => t.exclude);
  return plan.toggles.filter((t) => (included.length === 0 || included.some((term) => term.matches(t.name))) && !excluded.some((term) => term.matches(t.name)));
}

/** The value that flips a bool/tristate default: y -> n, m -> n, n (or unset) -> y. */
export function flipValue(defaultValue: string | undefined): 'y' | 'n' | undefined {
  if (defaultValue === undefined || defaultValue === 'n') return 'y';
  if (defaultValue === 'y' || defaultValue === 'm') return 'n';
  return undefined; // an int/hex/string symbol has no "other value"
}

/** Does the toggle need the option defaults (the queue point's .config)? */
export function needsDefaults(t: Toggle): boolean {
  return t.flip.length > 0;
}

/**
 * The toggle's fragment: the configuration's, minus dropped symbols, plus the set options, plus each flipped option
 * at the other value than its default (`defaults`: symbol -> .config value at the queue point,
 * 'n' for "is not set"; a missing symbol counts as n). Throws TinyError for an option whose
 * default is not a bool/tristate value.
 */
export function resolveFragment(t: Toggle, fragment: Fragment, defaults?: ReadonlyMap<string, string>): Record<string, FragmentValue> {
  const out: Record<string, FragmentValue> = {};
  for (const [k, v] of Object.entries(fragment)) if (!t.drop.includes(k)) out[k] = v;
  for (const [k, v] of Object.entries(t.set)) out[k] = v;
  for (const sym of t.flip) {
    if (!defaults) throw new TinyError(`${t.name}: the default of CONFIG_${sym} is not known (the queue point's .config is missing)`, 1);
    const d = defaults.get(sym);
    const v = flipValue(d);
    if (!v) throw new TinyError(`${t.name}: CONFIG_${sym}=${d} is not a bool or tristate option: it cannot be flipped`, 2, [], `give the patch's option a bool type in its Kconfig`);
    out[sym] = v;
  }
  return out;
}
