// `tiny build --config NAME`: every toggle of the queue built in the toolchain container (or
// served from the store), measured and recorded; a size table at the end. Argument parsing,
// the lock, Ctrl-C and rendering only: the work is in src/matrix/.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { displayOrder, onlyToggles } from '../matrix/plan.js';
import { MatrixProgress } from '../matrix/progress.js';
import { readTimings, writeTimings } from '../matrix/memo.js';
import { budgetExitCode, checkBudgets, justificationsOf, renderBudgetCheck, toggleSizesFromRecords } from '../budget/index.js';
import { countStatus, renderFailures, renderText, toJson, toRows, type BuildSummary } from '../matrix/report.js';
import { MatrixRunner, type ToggleResult } from '../matrix/run.js';
import { prepareMatrix } from '../matrix/setup.js';
import { openRecordStore, readRunIndex, runInputs, withBuildLock, writeRunIndex, type RunEntry } from '../store/index.js';
import { RUNTIME_NAMES } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { addFormatOptions, addQueueOption, collectNames, outputFormat, setExit, writeOut, matrixOptions, positiveInt, ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP } from './options.js';

/** Where configs/ is: the current directory's when it has one, else the one shipped with tiny. */
export function configRoot(cwd = process.cwd()): string {
  if (existsSync(join(cwd, 'configs'))) return cwd;
  return fileURLToPath(new URL('../../', import.meta.url));
}


export function registerBuildCommand(program: Command): void {
  const cmd = program
    .command('build')
    .description('build every toggle of the queue for a configuration, measure it, record it; print a size table')
    .requiredOption('--config <name>', 'the build configuration: configs/<name>.yaml (or a path to a .yaml file)')
    .option('--tree <dir>', 'a kernel tree (directory or tarball) to use as the base instead of the queue\'s')
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--base <version>', 'the base version to use (one the queue claims)')
    .addOption(new Option('--runtime <runtime>', 'container runtime (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]))
    .option('--jobs <n>', 'make -j N (default: the number of cores)', positiveInt('--jobs'))
    .option('--lanes <n>', 'toggles built at once, each in its own build directory (default 1: one make -jN keeps the cores busy; more lanes, each with -jN, for many cores)', positiveInt('--lanes'), 1)
    .option('--only <toggles>', 'build only these toggles (comma-separated: base, queue, all-off, flip:<patch>, without:<patch>, config:<SYMBOL>; * matches any characters: flip:*)', collectNames('--only'))
    .option('--no-wait', 'fail at once when another tiny build holds the cache, instead of waiting')
    .addHelpText(
      'after',
      `
Toggles: base (the base with only the patches the toolchain needs, queue.base_select),
queue (every selected patch, options at their Kconfig default: the no-op point), all-off
(every option off: the smallest kernel), flip:<patch> (one option flipped from its default,
alone) and without:<patch> (one patch left out, with the patches depending on it).

Each toggle's inputs (base tree, patches, .config, image, make variables, environment) make
its record key; a toggle whose record is stored is served without building. Logs are kept
under the cache (logs/<config>/). Interrupt with Ctrl-C: finished toggles stay recorded, the
next run resumes.

Exit status: 0 all toggles built or cached and within budget, 1 a toggle failed or a budget
is exceeded, 2 bad input, 130 interrupted.`,
    );
  addQueueOption(cmd);
  addFormatOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>, command: Command) => {
    const format = outputFormat(opts);
    const cache = cacheDir();
    const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
    const started = Date.now();

    const prepared = await withBuildLock(
      cache,
      async () => {
        const p = await prepareMatrix({
          root: configRoot(),
          ...matrixOptions(opts),
          cacheDir: cache,
          lanes: opts.lanes as number,
          onLog: (l) => err(`tiny: ${l}`),
        });
        for (const w of p.config.warnings) err(`${w.file}:${w.line ?? ''}: warning: ${w.message}`);
        const toggles = onlyToggles(p.plan, opts.only as string[] | undefined);
        for (const n of p.plan.notes) err(`tiny: ${n}`);

        const signal = { aborted: false };
        let interrupts = 0;
        const onSigint = () => {
          interrupts++;
          signal.aborted = true;
          if (interrupts === 1) err('\ntiny: interrupted: stopping after the running make (records written so far are kept; Ctrl-C again to quit now)');
          else process.exit(130);
        };
        process.on('SIGINT', onSigint);
        process.on('SIGTERM', onSigint);

        const timings = await readTimings(cache, p.config.name);
        let progress: MatrixProgress | undefined;
        const runner = new MatrixRunner(p.setup, p.plan, { onEvent: (e) => progress?.onEvent(e), signal });
        // Toggles whose first patch does not apply on this base cannot be built: say it once
        // (and stop when that is every toggle) instead of failing them one by one.
        const doomed = await runner.firstPatchFailures(toggles);
        const doomedBy = new Map(doomed.flatMap((d) => d.toggles.map((t) => [t.name, d.error] as const)));
        if (doomed.length && doomedBy.size === toggles.length) {
          const [first, ...others] = doomed;
          throw new TinyError(
            `${first!.error.message}${others.length ? ` (and ${others.map((d) => d.error.message.split(',')[0]).join('; ')})` : ''}: none of the ${toggles.length} toggle${toggles.length === 1 ? '' : 's'} of ${p.config.name} can be built`,
            1,
            [],
            first!.error.hint,
          );
        }
        for (const d of doomed) err(`tiny: ${d.error.message}: ${d.toggles.length} of ${toggles.length} toggles cannot be built (${d.toggles.map((t) => t.name).join(', ')})`);
        const runnable = toggles.filter((t) => !doomedBy.has(t.name));
        progress = new MatrixProgress(runnable, { timings, lanes: p.setup.lanes ?? 1 });
        err(
          `tiny: building ${runnable.length} toggle${runnable.length === 1 ? '' : 's'} of ${p.config.name} on ${p.base.version} with ${p.toolchain.name} (${p.setup.image.id.replace(/^sha256:/, '').slice(0, 12)}) on ${p.runtime.name}, make -j${p.setup.jobs}${(p.setup.lanes ?? 1) > 1 ? `, ${p.setup.lanes} lanes` : ''}; logs: ${join(cache, 'logs', p.config.name)}`,
        );
        let results: ToggleResult[];
        try {
          const ran = await progress.run(runner, runnable);
          const failedBefore = (t: (typeof toggles)[number], e: TinyError): ToggleResult => ({ toggle: t, status: 'failed', error: e.message, ...(e.hint ? { details: [`hint: ${e.hint}`] } : {}), logs: [], durationMs: 0 });
          results = toggles.flatMap((t) => {
            const r = ran.find((x) => x.toggle.name === t.name);
            const doomedWhy = doomedBy.get(t.name);
            return r ? [r] : doomedWhy ? [failedBefore(t, doomedWhy)] : [];
          });
        } finally {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigint);
        }
        // A full disk stopped the run: say that (main names the path and the free space), and
        // write no index of a run that could not finish.
        if (runner.fatal) throw runner.fatal;

        // Remember build times (ETAs of the next run), and where each toggle's record is.
        for (const r of results) if (r.status === 'built') timings[r.toggle.name] = { ms: r.durationMs, at: new Date().toISOString() };
        await writeTimings(cache, p.config.name, timings);
        const entries: RunEntry[] = results
          .filter((r) => r.key && r.status !== 'interrupted' && r.status !== 'not-applicable')
          .map((r) => ({ toggle: r.toggle.name, key: r.key!, status: r.status === 'failed' ? 'failed' : 'ok' }));
        let index = entries;
        const inputs = runInputs({ tree: p.base.tree, patches: p.plan.selected, config: p.config, image: p.setup.image.id });
        if (opts.only) {
          // A partial run updates its toggles in the latest-run index and keeps the others, when
          // they were made from the same queue, configuration and toolchain.
          const previous = await readRunIndex(cache, p.config.name);
          const same = previous?.inputs === inputs;
          if (previous && !same && previous.toggles.some((e) => !entries.some((m) => m.toggle === e.toggle))) {
            err(`tiny: the last run of ${p.config.name} was made from another queue, configuration or toolchain: its other toggles leave the latest-run index (tiny report shows this run's only)`);
          }
          const merged = new Map((same ? previous.toggles : []).map((e) => [e.toggle, e]));
          for (const e of entries) merged.set(e.toggle, e);
          const order = displayOrder(p.plan.toggles).map((t) => t.name);
          index = order.filter((n) => merged.has(n)).map((n) => merged.get(n)!);
        }
        if (index.length) await writeRunIndex(cache, { config: p.config.name, startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), toggles: index, inputs });
        return { p, results, interrupted: signal.aborted };
      },
      {
        wait: opts.wait !== false,
        onWait: (pid) => err(`tiny: another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting for it to finish...`),
      },
    );

    const { p, results, interrupted } = prepared;
    const rows = toRows(results);
    // Budgets (src/budget): the same judgement `tiny report --check` makes from the records.
    const sizes = await toggleSizesFromRecords(
      await openRecordStore(cache),
      results.map((r) => ({ toggle: r.toggle.name, ...(r.status === 'failed' || r.status === 'interrupted' || !r.record ? {} : { record: r.record }), ...(r.toggle.kind === 'flip' && r.toggle.flip[0] ? { option: r.toggle.flip[0] } : {}) })),
    );
    const budgets = checkBudgets({ budgets: p.config.budgets, results: sizes, justifications: justificationsOf(p.plan.selected) });
    const summary: BuildSummary = {
      config: p.config.name,
      base: { version: p.base.version, tree: p.base.tree },
      toolchain: { name: p.toolchain.name, image: p.setup.image.id },
      runtime: p.runtime.name,
      hermetic: p.runtime.hermetic,
      jobs: p.setup.jobs,
      lanes: p.setup.lanes ?? 1,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      notes: p.plan.notes,
      budgets,
    };
    if (format === 'json') writeOut(JSON.stringify(toJson(rows, summary), null, 2));
    else writeOut(renderText(rows, summary, format));
    const failures = renderFailures(rows);
    if (failures) err(failures.trimEnd());
    const verdict = renderBudgetCheck(budgets, { config: p.config.name });
    if (verdict) err(verdict.trimEnd().split('\n').map((l) => (l.startsWith(' ') ? l : `tiny: ${l}`)).join('\n'));
    const counts = countStatus(rows);
    if (interrupted || counts.interrupted) {
      err('tiny: interrupted: run `tiny build` again to resume (finished toggles are served from the store)');
      setExit(command, 130);
      return;
    }
    setExit(command, counts.failed || budgetExitCode(budgets) ? EXIT.checkFailed : EXIT.ok);
  });
}

