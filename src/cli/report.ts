// `tiny report`: the size report of a configuration's latest `tiny build` run, as text, Markdown,
// JSON, one self-contained HTML page, or JUnit XML. Rendering only; the work is in src/report/.

import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configRoot } from './build.js';
import { budgetExitCode, checkBudgets, justificationsOf, optionOffIn, renderBudgetCheck, type BudgetCheck } from '../budget/index.js';
import { listBuildConfigs, loadBuildConfig } from '../kbuild/buildconfig.js';
import { loadQueue } from '../queue/load.js';
import { renderSizeHtml } from '../report/html.js';
import { reportDocument } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { loadRun, pickConfig } from '../report/load.js';
import { renderSizeMarkdown, renderSizeText } from '../report/render-size.js';
import { buildSizeReport, type ReportInput, type SizeReport } from '../report/size-report.js';
import { openRecordStore, type RecordStore } from '../store/index.js';
import { readBootResults, type BootResult, type KmallocRecord } from '../boot/results.js';
import { buildRuntimeReport, renderRuntimeText, runtimeToJson, type RuntimeReport } from '../report/runtime.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { writeFileAtomic } from '../util/fs.js';
import { reportBudgets } from '../report/budgets.js';
import { basesReportDocument, buildBasesReport, renderBasesText, type BootSummary } from '../report/bases.js';
import { loadBaseRecords } from '../report/bases-load.js';
import type { BuildRecord } from '../store/types.js';
import { quietOnClosedPipe } from './diff.js';
import { addQueueOption, queueDir } from './options.js';

export { reportBudgets };

export const REPORT_FORMATS = ['text', 'md', 'json', 'html', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

function setExit(cmd: Command, code: number): void {
  let root = cmd;
  while (root.parent) root = root.parent;
  const current = (root.getOptionValue('exitCode') as number | undefined) ?? 0;
  root.setOptionValue('exitCode', Math.max(current, code));
}

export function renderReport(report: SizeReport, format: ReportFormat, top: number): string {
  switch (format) {
    case 'json':
      return JSON.stringify(reportDocument(report), null, 2) + '\n';
    case 'md':
      return renderSizeMarkdown(report, { top });
    case 'html':
      return renderSizeHtml(report, { top });
    case 'junit':
      return renderJunit(report);
    default:
      return renderSizeText(report, { top });
  }
}

/** 1 when a toggle failed or lost its record. (Budgets are listed, and fail JUnit testcases.) */
export function reportExitCode(report: SizeReport): number {
  return report.failed.length ? EXIT.checkFailed : EXIT.ok;
}

/**
 * The budgets configs/<config>.yaml declares, checked against the run (src/budget), with the
 * Size-Justification of the queue's patches. Undefined when the configuration is not there or
 * declares none.
 */
async function budgetsOf(input: ReportInput, queue: string): Promise<BudgetCheck | undefined> {
  const root = configRoot();
  if (!(await listBuildConfigs(root)).includes(input.config)) return undefined;
  let budgets;
  try {
    budgets = (await loadBuildConfig(root, input.config)).budgets;
  } catch (e) {
    process.stderr.write(`tiny: budgets not checked: ${(e as Error).message}\n`);
    return undefined;
  }
  if (!budgets || !Object.keys(budgets).length) return undefined;
  let justifications: Record<string, string> = {};
  const options = new Map<string, string>();
  if (existsSync(join(queue, 'queue.yaml'))) {
    try {
      const series = (await loadQueue(queue)).series;
      justifications = justificationsOf(series.map((p) => ({ name: p.name, text: p.text })));
      for (const p of series) if (p.option) options.set(p.name, p.option);
    } catch (e) {
      process.stderr.write(`tiny: Size-Justification trailers not read: ${(e as Error).message}\n`);
    }
  }
  // The same inputs `tiny build` judges (src/budget/records.ts), from the loaded run.
  const results = input.toggles.map((t) => {
    const option = t.toggle.startsWith('flip:') ? options.get(t.toggle.slice('flip:'.length)) : undefined;
    const optionOff = option ? optionOffIn(t.dotConfig, option) : undefined;
    return {
      toggle: t.toggle,
      ...(t.record?.status === 'ok' && t.record.measurement ? { size: t.record.measurement.size, files: t.record.measurement.files } : {}),
      ...(optionOff !== undefined ? { optionOff } : {}),
    };
  });
  // The base the run was built on (every record of a run has the same): picks the budgets that apply.
  const base = input.toggles.find((t) => t.record?.baseVersion)?.record?.baseVersion;
  return checkBudgets({ budgets, ...(base ? { base } : {}), results, justifications });
}

/** The boots kept with the run's records (tiny build --boot, tiny boot), compared per patch. */
async function runtimeOf(store: RecordStore, input: ReportInput): Promise<RuntimeReport | undefined> {
  const toggles = [];
  for (const t of input.toggles) {
    if (!t.record) continue;
    const kept = await readBootResults(store, t.key);
    const boots = kept.filter((b): b is BootResult => b.kind === 'boot');
    const census = kept.find((b): b is KmallocRecord => b.kind === 'kmalloc');
    const image = t.record.imageName ? t.record.measurement?.files?.[t.record.imageName]?.bytes : undefined;
    toggles.push({
      toggle: t.toggle,
      ...(image !== undefined ? { imageBytes: image } : {}),
      boots,
      ...(census ? { census: { census: census.census, memKiB: census.memKiB, limit: census.limit, http: census.http, at: census.at } } : {}),
    });
  }
  return buildRuntimeReport(toggles);
}

/** The report with its runtime section: appended to text and Markdown, a `runtime` key in JSON. */
function withRuntime(text: string, format: ReportFormat, runtime: RuntimeReport | undefined): string {
  if (!runtime) return text;
  if (format === 'text') return `${text.trimEnd()}\n\n${renderRuntimeText(runtime)}`;
  if (format === 'md') return `${text.trimEnd()}\n\n### Runtime\n\n\`\`\`\n${renderRuntimeText(runtime)}\`\`\`\n`;
  if (format === 'json') return JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), runtime: runtimeToJson(runtime) }, null, 2) + '\n';
  return text;
}

export function registerReportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description("size report of a configuration's latest `tiny build` run: bytes saved per patch, no-op costs, interactions, directories, symbols, .config, inputs")
    .option('--config <name>', 'the build configuration (default: the only one with a recorded run)')
    .addOption(new Option('--format <format>', 'output format').choices([...REPORT_FORMATS]).default('text'))
    .option('--json', 'same as --format json')
    .option('--base <version>', "the configuration's latest run on this base (default: its latest run, whatever the base)")
    .option('--bases [versions]', 'one configuration on several bases side by side (comma-separated; default: every base the queue claims)')
    .option('--check', 'exit 1 when a budget of configs/NAME.yaml is exceeded (the verdict goes to stderr)')
    .option('--out <file>', 'write the report to this file (atomically: complete or not there) instead of stdout')
    .option(
      '--top <n>',
      'symbol deltas listed per comparison',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new TinyError(`--top takes a whole number, not ${JSON.stringify(v)}`, 2);
        return n;
      },
      10,
    )
    .addHelpText(
      'after',
      `
Reads the records of the latest \`tiny build --config NAME\` run ($TINY_CACHE/runs/NAME.json;
with --base V, the latest run on base V: runs/NAME@V.json) and compares its toggles:
  queue - flip:<patch>     bytes saved by turning that patch's option off (text, data, bss,
                           dec of vmlinux and the boot image), % of the base, cumulative
                           along the series
  queue - without:<patch>  the patch's no-op cost with its option at the default (ideally 0);
                           queue - base is the whole queue's
  queue - all-off          every option off, against the sum of the single flips (their
                           interaction); pairs of flips that change the same symbols or
                           .config symbols
plus per-directory deltas, the top symbol deltas of each comparison (bloat-o-meter's
semantics), the .config differences and every input hash (tree, patches, .config, image).

Formats: text; md, a summary fit for a pull-request comment or a mailing-list reply with
the details collapsed; json, everything; html, one self-contained page with SVG charts (a
waterfall of savings, a per-directory bar chart) that opens from disk; junit, JUnit XML
with one testcase per toggle (a failed build, or an exceeded budget, is a failure).

Budgets that configs/NAME.yaml declares are checked against the run and listed (in
--format junit an exceeded budget fails its toggle's testcase); a patch's Size-Justification
(read from --queue) accepts its increase.

--bases puts the configuration's latest builds on several bases side by side (the records
of each base's pinned tree, \`tiny build --base V\`): each toggle's sizes and latest boot, what
each patch saves on each base (queue - flip:<patch>, where built), and how the kernel grew from
one base to the next in total and per directory, with the \`tiny diff\` that lists it per
symbol. Formats text and json (schema/output/report-bases.schema.json).

Exit status: 0 every toggle of the run built (and, with --check, every budget holds); 1 a
toggle failed or its record has left the store, or with --check a budget is exceeded (the
report is still printed or written); 2 bad input (no recorded run for the
configuration, an unreadable run index).`,
    );
  addQueueOption(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    quietOnClosedPipe();
    const format: ReportFormat = opts.json ? 'json' : (opts.format as ReportFormat);
    const store = await openRecordStore(cacheDir());
    if (opts.base !== undefined && opts.bases !== undefined) throw new TinyError('--base and --bases do not go together', 2, [], 'one base: --base V; several side by side: --bases V1,V2');
    if (opts.bases !== undefined) {
      setExit(cmd, await reportBases(store, opts, format));
      return;
    }
    const config = await pickConfig(store, opts.config as string | undefined);
    const input = await loadRun(store, config, opts.base as string | undefined);
    const check = await budgetsOf(input, queueDir(opts));
    const report = buildSizeReport(check ? { ...input, budgets: reportBudgets(check) } : input);
    const text = withRuntime(renderReport(report, format, opts.top as number), format, await runtimeOf(store, input));
    if (opts.out !== undefined) {
      const path = resolve(opts.out as string);
      await writeFileAtomic(path, text);
      process.stderr.write(`tiny: wrote ${format} report of ${config} to ${path}\n`);
    } else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    if (opts.check) {
      if (check) process.stderr.write(renderBudgetCheck(check, { config }));
      else process.stderr.write(`tiny: configs/${config}.yaml declares no budgets: nothing to check\n`);
    }
    setExit(cmd, Math.max(reportExitCode(report), opts.check && check ? budgetExitCode(check) : 0));
  });
}

/** The newest boot of a record that `tiny boot` stored, as the bases report shows it. */
async function newestBoot(store: RecordStore, record: BuildRecord): Promise<BootSummary | undefined> {
  const boots = (await readBootResults(store, record.key)).filter((b): b is BootResult => b.kind === 'boot').sort((a, b) => (a.at < b.at ? 1 : -1));
  const b = boots[0];
  if (!b) return undefined;
  return {
    memKiB: b.memKiB,
    booted: b.booted,
    ...(b.memTotalKiB !== undefined ? { memTotalKiB: b.memTotalKiB } : {}),
    ...(b.memFreeKiB !== undefined ? { memFreeKiB: b.memFreeKiB } : {}),
    ...(b.failure ? { failure: b.failure } : {}),
  };
}

/** `tiny report --bases [V,...]`: the configuration's latest records on each base, side by side. */
/** Exit status: 1 when a base has no build of the configuration or a toggle's latest build failed. */
async function reportBases(store: RecordStore, opts: Record<string, unknown>, format: ReportFormat): Promise<number> {
  if (format !== 'text' && format !== 'json') throw new TinyError(`--bases is written as text or json, not ${format}`, 2, [], 'use --format text or --format json');
  const queue = await loadQueue(queueDir(opts));
  const claimed = [queue.base, ...queue.otherBases];
  const asked =
    typeof opts.bases === 'string'
      ? opts.bases
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : claimed.map((b) => b.version);
  const unknown = asked.filter((v) => !claimed.some((b) => b.version === v));
  if (unknown.length) throw new TinyError(`the queue claims no base ${unknown.join(', ')}`, 2, [], `its bases: ${claimed.map((b) => b.version).join(', ')}`);
  const config = (opts.config as string | undefined) ?? (await pickConfig(store, undefined));
  const wanted = asked.map((v) => {
    const spec = claimed.find((b) => b.version === v)!;
    // The patches a toggle can flip: those with an option (the compat ones are part of every toggle).
    const patches = queue.series.filter((p) => p.option && (p.bases.length === 0 || p.bases.includes(v))).map((p) => p.name);
    const current = new Map(queue.series.filter((p) => p.bases.length === 0 || p.bases.includes(v)).map((p) => [p.name, p.sha256]));
    return { version: v, ...(spec.tree ? { tree: spec.tree } : {}), patches, current };
  });
  const bases = await loadBaseRecords(store, config, wanted, (r) => newestBoot(store, r));
  const report = buildBasesReport({ config, bases });
  const text = format === 'json' ? JSON.stringify(basesReportDocument(report), null, 2) + '\n' : renderBasesText(report);
  if (opts.out !== undefined) {
    const path = resolve(opts.out as string);
    await writeFileAtomic(path, text);
    process.stderr.write(`tiny: wrote the ${format} bases report of ${config} to ${path}\n`);
  } else process.stdout.write(text);
  const missing = bases.filter((b) => !b.toggles.length).map((b) => b.version);
  if (missing.length) process.stderr.write(`tiny: no ${config} build recorded on ${missing.join(', ')}: run \`tiny build --config ${config} --base V\`\n`);
  const failed = report.bases.some((b) => b.toggles.some((t) => t.status === 'failed'));
  return missing.length || failed ? EXIT.checkFailed : EXIT.ok;
}
