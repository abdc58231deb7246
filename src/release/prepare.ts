// Gathering a release's inputs: the queue and the patches it releases, the base in the tree
// store, the series applied with git (the combined patch and the tree it gives), the queue
// check (src/merge), the size report from the stored records of the configuration's matrix
// (src/report) and its budgets (src/budget). The I/O edge of src/release; assemble.ts turns
// the result into bytes.
//
// Which patches: those meant for the base that the guard symbols select, as quilt's guards(1)
// does. With --config, the symbols are the configuration's (queue.select + queue.base_select +
// the toolchain's needs_compat, as `tiny build` plans them), so the release is exactly the
// series the configuration builds and the size report measured; with --select, the symbols
// given. The records are "for this queue" when the latest run of the configuration built these
// very patches (names and sha256 of its `queue` toggle, or `base` when the queue has no
// option patches) on this base tree.

import { seriesPatchOf } from '../pipeline/series.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBudgets, justificationsOf, renderBudgetCheck, toggleSizesFromRecords } from '../budget/index.js';
import { loadBuildConfig, type BuildConfig } from '../kbuild/buildconfig.js';
import { describeOutcome, meantFor } from '../merge/check.js';
import { planMatrix } from '../matrix/plan.js';
import { resolveBases, type ImportedBase } from '../pipeline/bases.js';
import { checkSeriesOnBase } from '../pipeline/check.js';
import { isSelected } from '../queue/guards.js';
import { loadQueue } from '../queue/load.js';
import { extraQuiltSeries, patchBytes, quiltLayout } from '../queue/quilt.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { reportBudgets } from '../report/budgets.js';
import { loadRun } from '../report/load.js';
import { buildSizeReport, type ReportInput } from '../report/size-report.js';
import { latestRun, openRecordStore, type RecordStore } from '../store/index.js';
import { defaultToolchainsDir, loadToolchain } from '../toolchain/definitions.js';
import { buildSeries, openTreeStore } from '../tree/index.js';
import { TinyError } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import type { ReleaseInput, ReleasePatch } from './assemble.js';
import { combinedDiff } from './combined.js';
import { patchContent } from './content.js';
import { sourceDate, type SourceDate } from './epoch.js';
import type { ReleaseCheck } from './manifest.js';

export interface PrepareReleaseOptions {
  version: string;
  queueDir: string;
  cacheDir: string;
  /** Where configs/ is (for a configuration name). */
  configRoot: string;
  /** --tree: the base tree instead of the queue's. */
  tree?: string;
  /** --allow-other-base: accept a --tree that is none of the queue's pinned bases. */
  allowOtherBase?: boolean;
  /** --config: the configuration (name or .yaml path) whose selection and records are released. */
  config?: string;
  /** --select: guard symbols (without --config). */
  symbols?: string[];
  /** The source date to use (verify passes the recorded one); default: src/release/epoch.ts. */
  date?: SourceDate;
  /** Run `tiny build` for the configuration when its records are not for this queue. */
  build?: (config: string) => Promise<void>;
  tool: string;
  log: (line: string) => void;
}

export interface PreparedRelease {
  input: Omit<ReleaseInput, 'forced'>;
  queue: Queue;
  base: ImportedBase;
  /** Checks that failed (the caller refuses unless --force). */
  failed: ReleaseCheck[];
}

export const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

export function checkVersion(version: string): void {
  if (!VERSION_RE.test(version)) {
    throw new TinyError(`not a release version: ${JSON.stringify(version)}`, 2, [], 'a version is a file name: letters, digits and . _ + ~ -, e.g. 2.6.9-tiny1');
  }
}

/** The guard symbols a configuration selects patches with (as src/matrix/plan.ts). */
async function configSymbols(config: BuildConfig): Promise<string[]> {
  const toolchain = await loadToolchain(defaultToolchainsDir(), config.toolchain);
  return [...new Set([...config.queue.select, ...config.queue.baseSelect, ...toolchain.needsCompat])];
}

function selectionOf(queue: Queue, version: string, symbols: readonly string[]): QueuePatch[] {
  const set = new Set(symbols);
  const selected = queue.series.filter((p) => meantFor(p, version) && isSelected(p.guards, set));
  const names = new Set(selected.map((p) => p.name));
  const missing = selected.flatMap((p) => p.depends.filter((d) => !names.has(d)).map((d) => `${p.name} depends on ${d}`));
  if (missing.length) {
    throw new TinyError(`the selection leaves out patches that selected ones depend on: ${missing.join('; ')}`, 2, [], 'select their guard symbols too (--select), or fix the guards in queue.yaml');
  }
  return selected;
}

/** Does the latest run of `config` on this base measure exactly these patches? Why not, if not. */
async function recordsFor(
  records: RecordStore,
  config: string,
  patches: readonly QueuePatch[],
  base: { tree: string; version: string },
): Promise<{ ok: true; input: ReportInput } | { ok: false; why: string }> {
  const run = await latestRun(records, config, base.version).catch(() => undefined);
  if (!run) return { ok: false, why: `no \`tiny build --config ${config}\` run is recorded in this cache` };
  const top = run.results.find((r) => r.toggle === 'queue') ?? run.results.find((r) => r.toggle === 'base');
  if (!top?.record) return { ok: false, why: `the latest run of ${config} has no queue (or base) record in the store` };
  const want = patches.map((p) => `${p.name} ${p.sha256}`);
  const got = top.record.patches.map((p) => `${p.name} ${p.sha256}`);
  if (want.join('\n') !== got.join('\n')) {
    const differ = [...want.filter((w) => !got.includes(w)), ...got.filter((g) => !want.includes(g))].map((x) => x.split(' ')[0]!);
    return {
      ok: false,
      why: `the latest run of ${config} built other patches than this release (${[...new Set(differ)].join(', ') || 'another order'}): its records are not for this queue`,
    };
  }
  if (top.record.inputs.baseTree !== base.tree) {
    return { ok: false, why: `the latest run of ${config} built on tree ${top.record.inputs.baseTree.slice(0, 12)}, not this base ${base.tree.slice(0, 12)}` };
  }
  const input = await loadRun(records, config, base.version);
  // The run's own times change whenever `tiny build` runs again, even when every toggle is
  // served from the store: the report takes its times from the records instead.
  const recs = input.toggles.flatMap((t) => (t.record ? [t.record] : []));
  const started = recs.map((r) => r.startedAt).sort()[0];
  const finished = recs
    .map((r) => r.finishedAt)
    .sort()
    .at(-1);
  return { ok: true, input: { ...input, run: { startedAt: started ?? input.run.startedAt, ...(finished ? { finishedAt: finished } : {}) } } };
}

export async function prepareRelease(o: PrepareReleaseOptions): Promise<PreparedRelease> {
  const queue = await loadQueue(o.queueDir);
  const queueYaml = await readFile(join(queue.dir, 'queue.yaml'), 'utf8');
  const treeStore = await openTreeStore(o.cacheDir);
  const [base, ...more] = await resolveBases(queue, treeStore, o.cacheDir, o.tree ? { trees: [o.tree], allowOtherBase: Boolean(o.allowOtherBase) } : {});
  if (!base || more.length) throw new TinyError('a release has exactly one base', 2);

  const config = o.config !== undefined ? await loadBuildConfig(o.configRoot, o.config) : undefined;
  const symbols = config ? await configSymbols(config) : [...new Set(o.symbols ?? [])];
  const selected = selectionOf(queue, base.version, symbols);
  if (config) {
    // The same selection `tiny build` measures (this also refuses what the planner refuses).
    const plan = planMatrix({ queue, version: base.version, select: config.queue.select, baseSelect: config.queue.baseSelect, toolchainSymbols: symbols });
    if (plan.selected.map((p) => p.name).join() !== selected.map((p) => p.name).join()) throw new Error('release selection differs from the build plan');
  }
  if (!selected.length) {
    throw new TinyError(
      `no patch of ${queue.name} is selected for ${base.version} (guard symbols: ${symbols.join(', ') || 'none'})`,
      2,
      [],
      'release the patches a configuration builds (--config NAME), or name guard symbols with --select',
    );
  }

  // The series as `tiny queue apply` commits it: every patch must apply (the queue check below
  // says why one does not).
  const series = await buildSeries(
    treeStore,
    base.commit,
    selected.map(seriesPatchOf),
    // With --force a release may hold a patch that does not apply: the combined patch is then
    // made of those that do (the README and release.json say which one failed).
    { stopOnFailure: false },
  );

  // The queue check, on the released patches.
  const { check } = await checkSeriesOnBase(treeStore, base, selected, { pairs: false });
  const checks: ReleaseCheck[] = [];
  const failing = check.patches.filter((p) => p.order.kind === 'fails');
  const counts = { clean: 0, offset: 0, fuzz: 0 };
  for (const p of check.patches) if (p.order.kind in counts) counts[p.order.kind as keyof typeof counts]++;
  const seriesFailure = series.failures.filter((f) => !failing.some((p) => p.name === f.name)).map((f) => `${f.name} does not apply in the series: ${f.hunks.join(', ') || f.stderr.trim()}`);
  checks.push({
    name: 'queue check',
    ok: check.ok && series.failures.length === 0,
    details:
      failing.length || seriesFailure.length
        ? [...failing.map((p) => `${p.name}: in order: ${describeOutcome(p.order)}`), ...seriesFailure]
        : [`${selected.length} patches apply in order on ${base.version}: ${counts.clean} clean, ${counts.offset} offset, ${counts.fuzz} fuzz`],
  });

  // The broken-out series is for `quilt push -a` and the combined patch for `patch -p1`: neither
  // applies a git binary patch (GNU patch has no binary diffs), though tiny and git apply do.
  // Listed only when it fails, so a release of plain diffs keeps the release.json it had.
  const binary = check.patches.flatMap((p) => p.style.filter((s) => s.kind === 'git-binary').map((s) => `${p.name}: ${s.message}`));
  if (binary.length) checks.push({ name: 'quilt and patch -p1', ok: false, details: binary });

  // The size report and its budgets, from the records of the configuration's latest run.
  const records = await openRecordStore(o.cacheDir);
  let report: ReleaseInput['report'];
  let noReport: string | undefined;
  if (!config) {
    noReport = 'no configuration was given (--config NAME): its records make the size report';
    checks.push({ name: 'size report', ok: false, details: [noReport] });
  } else {
    let found = await recordsFor(records, config.name, selected, base);
    if (!found.ok && o.build) {
      o.log(`${found.why}: building them now`);
      await o.build(o.config!);
      found = await recordsFor(records, config.name, selected, base);
    }
    if (found.ok) {
      const sizes = await toggleSizesFromRecords(
        records,
        found.input.toggles.map((t) => {
          const patch = t.toggle.startsWith('flip:') ? selected.find((p) => p.name === t.toggle.slice('flip:'.length)) : undefined;
          return { toggle: t.toggle, ...(t.record ? { record: t.record } : {}), ...(patch?.option ? { option: patch.option } : {}) };
        }),
      );
      const budgets =
        config.budgets && Object.keys(config.budgets).length ? checkBudgets({ budgets: config.budgets, base: base.version, results: sizes, justifications: justificationsOf(selected) }) : undefined;
      const sizeReport = buildSizeReport(budgets ? { ...found.input, budgets: reportBudgets(budgets) } : found.input);
      report = { report: sizeReport, toggles: sizeReport.toggles.length, records: sizeReport.toggles.map((t) => `${t.toggle} ${t.key}`) };
      checks.push({
        name: 'size report',
        ok: sizeReport.failed.length === 0,
        details: sizeReport.failed.length
          ? sizeReport.failed.map((t) => `toggle ${t}: ${sizeReport.toggles.find((x) => x.toggle === t)?.error ?? 'failed'}`)
          : [`${sizeReport.toggles.length} toggle${sizeReport.toggles.length === 1 ? '' : 's'} of ${config.name} measured`],
      });
      checks.push({
        name: 'budgets',
        ok: !budgets || budgets.failures.length === 0,
        details: !budgets
          ? [`configuration ${config.name} declares no budgets`]
          : renderBudgetCheck(budgets, { config: config.name })
              .trimEnd()
              .split('\n')
              .map((l) => l.trim()),
      });
    } else {
      noReport = found.why;
      checks.push({ name: 'size report', ok: false, details: [found.why] });
    }
  }

  const layout = quiltLayout(queue, selected, `${o.version}, released by tiny`);
  const patches: ReleasePatch[] = [];
  for (const f of layout.files) {
    const p = f.patch;
    const bytes = await patchBytes(p);
    const content = patchContent(p.text, p.strip, p.reverse);
    patches.push({
      name: p.name,
      file: f.path,
      sha256: sha256(bytes),
      content: content.hash,
      ...((p.summary ?? p.parsed.header.subject) ? { summary: p.summary ?? p.parsed.header.subject } : {}),
      ...(p.option ? { option: p.option } : {}),
      files: content.files,
      added: content.added,
      removed: content.removed,
      bytes,
    });
  }

  // The queue's other bases: a series file each beside the release's own (the same guard
  // symbols, the patches meant for that base: per-base variants included), checked on that base
  // when its tree can be had.
  const others: Array<{ version: string; patches: QueuePatch[] }> = [];
  for (const b of [queue.base, ...queue.otherBases]) {
    if (b.version === base.version) continue;
    const sel = selectionOf(queue, b.version, symbols);
    if (sel.length) others.push({ version: b.version, patches: sel });
  }
  const extra = extraQuiltSeries(
    queue,
    layout,
    others.map((x) => ({ note: `${o.version} for ${x.version}, released by tiny`, patches: x.patches })),
  );
  const otherBases: NonNullable<ReleaseInput['otherBases']> = [];
  for (const [i, other] of others.entries()) {
    let tree: string | null = null;
    try {
      const [ob] = await resolveBases(queue, treeStore, o.cacheDir, { versions: [other.version] });
      tree = ob!.tree;
      const { check: c } = await checkSeriesOnBase(treeStore, ob!, other.patches, { pairs: false });
      const fails = c.patches.filter((p) => p.order.kind === 'fails');
      checks.push({
        name: `queue check ${other.version}`,
        ok: c.ok,
        details: fails.length ? fails.map((p) => `${p.name}: in order: ${describeOutcome(p.order)}`) : [`series-${other.version}: ${other.patches.length} patches apply in order on ${other.version}`],
      });
    } catch (e) {
      checks.push({ name: `queue check ${other.version}`, ok: false, details: [`not checked: ${(e as Error).message.split('\n')[0]}`] });
    }
    otherBases.push({ version: other.version, tree, seriesFile: `series-${other.version}`, series: extra.series[i]!, patches: other.patches.map((p) => p.name) });
  }
  const extraPatches: NonNullable<ReleaseInput['extraPatches']> = [];
  for (const f of extra.files) extraPatches.push({ file: f.path, bytes: await patchBytes(f.patch) });
  const fileMap = new Map([...layout.files, ...extra.files].map((f) => [f.patch.file, f.path]));

  const top = series.commits.at(-1) ?? { commit: base.commit, tree: base.tree };
  const combined = await combinedDiff(treeStore, base.commit, top.commit);
  const input: PreparedRelease['input'] = {
    version: o.version,
    tool: o.tool,
    queueName: queue.name,
    queueYaml,
    base: { version: base.version, tree: base.tree },
    resultTree: top.tree,
    selection: { ...(config ? { config: o.config! } : {}), symbols: [...symbols].sort() },
    patches,
    series: layout.series,
    ...(otherBases.length ? { otherBases, extraPatches } : {}),
    queueFiles: Object.fromEntries(fileMap),
    combined,
    date: o.date ?? (await sourceDate(queue)),
    ...(report ? { report } : {}),
    ...(noReport ? { noReport } : {}),
    checks,
  };
  return { input, queue, base, failed: checks.filter((c) => !c.ok) };
}
