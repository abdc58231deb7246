// `tiny plan`: what a build of a configuration would do, before doing it — every toggle with its
// record key (when the config memo knows its .config; else "key after Kconfig"), whether that
// record is stored already, what its last build took, and the toggles split into N shards
// balanced by those durations (shard.ts). The plan document is plain JSON
// (schema/output/plan.schema.json): CI jobs hand it to `tiny build --plan FILE --shard I/N`, so
// every machine builds the share the plan gave it, whatever its own cache remembers.
//
// Stable: the same queue, configuration, base, toolchain and recorded durations give the same
// document, byte for byte (no clock in it).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { canonicalJson, listRecords, lookup, type BuildRecord } from '../store/index.js';
import { TinyError } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import { schemaValidator } from '../util/yaml-schema.js';
import { renderTable } from '../report/table.js';
import { readTimings } from './memo.js';
import { formatDuration } from './report.js';
import { displayOrder, type Toggle, type ToggleKind } from './plan.js';
import { MatrixRunner } from './run.js';
import type { Prepared } from './setup.js';
import { balanceShards, checkShardCount, type Shard } from './shard.js';

export const PLAN_SCHEMA_VERSION = 1;
export const PLAN_SCHEMA_PATH = fileURLToPath(new URL('../../schema/output/plan.schema.json', import.meta.url));

export interface PlanToggle {
  name: string;
  kind: ToggleKind;
  /** Toggles with the same group share a patch selection, hence a build directory. */
  group: string;
  /** The record key, or null when the .config is not known yet (key after Kconfig). */
  key: string | null;
  /** A record of the key is in the store (an ok build). */
  stored: boolean;
  /** What its last build took (ms), or null when no run recorded it. */
  duration_ms: number | null;
  /** The shard (1-based) that builds it. */
  shard: number;
}

export interface PlanShard {
  index: number;
  /** In build order. */
  toggles: string[];
  /** Sum of the toggles' recorded (or estimated) durations; null when balanced by count. */
  estimated_ms: number | null;
}

export interface PlanDocument {
  schema_version: typeof PLAN_SCHEMA_VERSION;
  config: string;
  base: { version: string; tree: string };
  toolchain: { name: string; image: string | null };
  runtime: string;
  /** What the toggles are made from (base tree, patches, configuration, toolchain): a worker checks it. */
  plan_id: string;
  /** --only patterns the plan was made with (empty: every toggle). */
  only: string[];
  /** durations: by recorded build times (unknown ones estimated); count: no durations recorded. */
  balance: 'durations' | 'count';
  shard_count: number;
  /** Toggles in report order (base, queue, all-off, flips, withouts). */
  toggles: PlanToggle[];
  shards: PlanShard[];
  /** The longest shard's estimate: the run's duration with one machine per shard (null: by count). */
  critical_path_ms: number | null;
  /** For a CI matrix: the values of --shard, one per job. */
  matrix: { shard: string[] };
  notes: string[];
}

/** The identity a worker checks before building a plan's shard: same toggles, made from the same things. */
export function planId(p: Pick<Prepared, 'base' | 'plan' | 'config' | 'toolchain'>): string {
  const c = p.config;
  return sha256(
    canonicalJson({
      v: 1,
      tree: p.base.tree,
      version: p.base.version,
      patches: p.plan.selected.map((x) => [x.name, x.sha256]),
      toggles: p.plan.toggles.map((t) => t.name),
      config: {
        name: c.name,
        arch: c.arch,
        toolchain: c.toolchain,
        kconfig: { base: typeof c.kconfig.base === 'string' ? c.kconfig.base : 'file', fragment: c.kconfig.fragment, flips: c.kconfig.flips },
        queue: c.queue,
        targets: c.targets,
        make_vars: c.makeVars,
      },
      toolchain: p.toolchain.name,
    }),
  );
}

function groupId(selection: string): string {
  return sha256(selection).slice(0, 12);
}

export interface PlanFacts {
  /** By toggle name. */
  keys: Record<string, string | undefined>;
  stored: Record<string, boolean>;
  durations: Record<string, number | undefined>;
}

/**
 * The plan document of `toggles` (a subset of prepared.plan.toggles, in execution order) from
 * gathered facts. Pure. Durations: a toggle without one weighs the median of the known ones;
 * with none known at all every toggle weighs 1 (balance: count).
 */
export function makePlanDocument(
  p: Pick<Prepared, 'base' | 'plan' | 'config' | 'toolchain' | 'runtime' | 'imageMissing'> & { setup: { image: { id: string } } },
  toggles: readonly Toggle[],
  facts: PlanFacts,
  opts: { shards: number; only?: readonly string[] },
): PlanDocument {
  const n = checkShardCount(opts.shards);
  const known = toggles
    .map((t) => facts.durations[t.name])
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b);
  const balance = known.length ? 'durations' : 'count';
  const median = known.length ? known[Math.floor((known.length - 1) / 2)]! : 1;
  // A toggle whose key an earlier toggle has (all-off equal to a flip) is served from that
  // toggle's record when they share a shard (they share a selection): it costs nothing more.
  const firstWithKey = new Map<string, string>();
  for (const t of toggles) {
    const key = facts.keys[t.name];
    if (key && !firstWithKey.has(key)) firstWithKey.set(key, t.name);
  }
  const repeat = (t: Toggle) => {
    const key = facts.keys[t.name];
    return key !== undefined && firstWithKey.get(key) !== t.name;
  };
  const weight = (t: Toggle) => (repeat(t) ? 0 : balance === 'count' ? 1 : (facts.durations[t.name] ?? median));
  const shards: Shard[] = balanceShards(
    toggles.map((t) => ({ name: t.name, group: t.selection, weight: weight(t) })),
    n,
  );
  const shardOf = new Map<string, number>();
  for (const s of shards) for (const name of s.toggles) shardOf.set(name, s.index);
  const notes: string[] = [];
  const estimated = toggles.filter((t) => facts.durations[t.name] === undefined).length;
  if (balance === 'durations' && estimated) notes.push(`${estimated} toggle${estimated === 1 ? ' has' : 's have'} no recorded build time: counted as the median, ${Math.round(median)} ms`);
  if (balance === 'count') notes.push('no build times recorded yet: the shards are balanced by toggle count');
  const empty = shards.filter((s) => !s.toggles.length).map((s) => s.index);
  if (empty.length) notes.push(`shard${empty.length > 1 ? 's' : ''} ${empty.join(', ')} ${empty.length > 1 ? 'have' : 'has'} no toggle: more shards than pieces of work`);
  if (p.imageMissing) notes.push(`the image of ${p.toolchain.name} is not on this machine: record keys are known after it is built`);
  const round = (x: number) => Math.round(x);
  return {
    schema_version: PLAN_SCHEMA_VERSION,
    config: p.config.name,
    base: { version: p.base.version, tree: p.base.tree },
    toolchain: { name: p.toolchain.name, image: p.setup.image.id || null },
    runtime: p.runtime.name,
    plan_id: planId(p),
    only: [...(opts.only ?? [])],
    balance,
    shard_count: n,
    toggles: displayOrder(toggles).map((t) => ({
      name: t.name,
      kind: t.kind,
      group: groupId(t.selection),
      key: facts.keys[t.name] ?? null,
      stored: facts.stored[t.name] === true,
      duration_ms: facts.durations[t.name] === undefined ? null : round(facts.durations[t.name]!),
      shard: shardOf.get(t.name)!,
    })),
    shards: shards.map((s) => ({ index: s.index, toggles: s.toggles, estimated_ms: balance === 'count' ? null : round(s.weight) })),
    critical_path_ms: balance === 'count' ? null : round(Math.max(...shards.map((s) => s.weight))),
    matrix: { shard: shards.map((s) => `${s.index}/${n}`) },
    notes,
  };
}

/** How long a record's build took (its total, else the sum of its phases). */
export function recordDuration(r: BuildRecord): number | undefined {
  const d = r.durationsMs;
  if (typeof d.total === 'number') return d.total;
  const sum = Object.values(d).reduce((a, b) => a + b, 0);
  return sum > 0 ? sum : undefined;
}

/**
 * Keys, stored records and durations of `toggles` from this machine's cache: a key from the
 * config memo (no Kconfig run), a duration from the toggle's stored record, else from the last
 * run's timings (matrix/memo.ts), else from the newest record of that toggle of the
 * configuration (a store imported from other machines).
 */
export async function gatherPlanFacts(p: Prepared, toggles: readonly Toggle[]): Promise<PlanFacts> {
  const facts: PlanFacts = { keys: {}, stored: {}, durations: {} };
  const runner = p.imageMissing ? undefined : new MatrixRunner(p.setup, p.plan);
  const timings = await readTimings(p.setup.cacheDir, p.config.name);
  let byToggle: Map<string, BuildRecord> | undefined;
  for (const t of toggles) {
    const key = runner ? await runner.knownKey(t).catch(() => undefined) : undefined;
    const record = key ? await lookup(p.setup.records, key) : undefined;
    facts.keys[t.name] = key;
    facts.stored[t.name] = record?.status === 'ok';
    let ms = record ? recordDuration(record) : undefined;
    ms ??= timings[t.name]?.ms;
    if (ms === undefined) {
      byToggle ??= new Map((await listRecords(p.setup.records, { config: p.config.name })).reverse().map((r) => [r.toggle.name, r] as const));
      const newest = byToggle.get(t.name);
      ms = newest ? recordDuration(newest) : undefined;
    }
    facts.durations[t.name] = ms;
  }
  return facts;
}

/** Read a plan file and check it against its schema; throws TinyError (exit 2) naming the file. */
export async function readPlanFile(file: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TinyError(
      `--plan ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      2,
      [],
      'make it with `tiny plan --config NAME --shards N --format json --out FILE`',
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TinyError(`--plan ${file}: not JSON (${(e as Error).message})`, 2, [], 'make it with `tiny plan --config NAME --shards N --format json --out FILE`');
  }
  const version = (doc as { schema_version?: unknown } | null)?.schema_version;
  if (version !== PLAN_SCHEMA_VERSION) {
    throw new TinyError(
      `--plan ${file}: plan schema_version ${JSON.stringify(version)}; this tiny reads version ${PLAN_SCHEMA_VERSION}`,
      2,
      [],
      'make the plan with the same version of tiny as the builds',
    );
  }
  const validate = schemaValidator(PLAN_SCHEMA_PATH);
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    throw new TinyError(`--plan ${file}: ${e?.instancePath || '/'} ${e?.message ?? 'does not match schema/output/plan.schema.json'}`, 2);
  }
  return doc as PlanDocument;
}

/** The toggles of `shard` (1-based) of a plan, checked against this machine's plan of the configuration. */
export function planShardToggles(doc: PlanDocument, p: Pick<Prepared, 'base' | 'plan' | 'config' | 'toolchain'>, shard: number, file: string): Toggle[] {
  if (doc.config !== p.config.name) throw new TinyError(`--plan ${file} is a plan of ${doc.config}, not of ${p.config.name}`, 2);
  if (doc.plan_id !== planId(p)) {
    throw new TinyError(
      `--plan ${file} was made from another base, queue or configuration than this build's (plan ${doc.plan_id.slice(0, 12)}, here ${planId(p).slice(0, 12)})`,
      2,
      [],
      'make the plan and the builds from the same commit of the queue and configuration, with the same --tree/--base',
    );
  }
  const s = doc.shards.find((x) => x.index === shard);
  if (!s) throw new TinyError(`--plan ${file} has ${doc.shard_count} shards: there is no shard ${shard}`, 2);
  const byName = new Map(p.plan.toggles.map((t) => [t.name, t]));
  const missing = s.toggles.filter((n) => !byName.has(n));
  if (missing.length) throw new TinyError(`--plan ${file}: shard ${shard} names toggles this configuration does not have: ${missing.join(', ')}`, 2);
  const wanted = new Set(s.toggles);
  return p.plan.toggles.filter((t) => wanted.has(t.name));
}

const seconds = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));

/** The plan as a user reads it: a table of toggles, then the shards. */
export function renderPlanText(doc: PlanDocument): string {
  const image = doc.toolchain.image ? ` (${doc.toolchain.image.replace(/^sha256:/, '').slice(0, 12)})` : ' (image not built yet)';
  const head = `tiny plan ${doc.config}: ${doc.toggles.length} toggle${doc.toggles.length === 1 ? '' : 's'} on ${doc.base.version} (tree ${doc.base.tree.slice(0, 12)}), ${doc.toolchain.name}${image} on ${doc.runtime}`;
  const table = renderTable(
    {
      columns: [{ header: 'toggle' }, { header: 'key' }, { header: 'stored' }, { header: 'last build', align: 'right' }, { header: 'shard', align: 'right' }],
      rows: doc.toggles.map((t) => [t.name, t.key ? t.key.slice(0, 12) : 'key after Kconfig', t.stored ? 'yes' : 'no', seconds(t.duration_ms), String(t.shard)]),
    },
    'text',
  );
  const stored = doc.toggles.filter((t) => t.stored).length;
  const how = doc.balance === 'durations' ? 'balanced by recorded build times' : 'balanced by toggle count (no build times recorded)';
  const shards = doc.shards.map(
    (s) => `shard ${s.index}/${doc.shard_count}${s.estimated_ms !== null ? ` ~${formatDuration(s.estimated_ms)}` : ''}: ${s.toggles.length ? s.toggles.join(', ') : '(nothing)'}`,
  );
  return [
    head,
    '',
    table.trimEnd(),
    '',
    `${stored} of ${doc.toggles.length} stored; ${doc.shard_count} shard${doc.shard_count === 1 ? '' : 's'}, ${how}:`,
    ...shards,
    ...(doc.critical_path_ms !== null ? [`critical path (the longest shard): ~${formatDuration(doc.critical_path_ms)}`] : []),
    ...doc.notes.map((n) => `note: ${n}`),
    '',
  ].join('\n');
}
