// `tiny build --config NAME`: every toggle of the queue built in the toolchain container (or
// served from the store), measured and recorded; a size table at the end. Argument parsing,
// the lock, Ctrl-C and rendering only: the work is in src/matrix/.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateConfigRoot } from '../kbuild/buildconfig.js';
import { Option, type Command } from 'commander';
import { onlyToggles } from '../matrix/plan.js';
import { readPlanFile, planShardToggles } from '../matrix/planfile.js';
import { balanceShards, parseShardArg, shardFromEnv, type ShardSpec } from '../matrix/shard.js';
import { addStats, checkRemoteUrl, redactUrl, type CcacheStats } from '../kbuild/ccache.js';
import { MatrixProgress } from '../matrix/progress.js';
import { readTimings, writeTimings } from '../matrix/memo.js';
import { budgetExitCode, checkBudgets, justificationsOf, renderBudgetCheck, toggleSizesFromRecords } from '../budget/index.js';
import { countStatus, renderFailures, renderText, timingsTable, toJson, toRows, type BuildSummary } from '../matrix/report.js';
import { renderTable } from '../report/table.js';
import { MatrixRunner, type ToggleResult } from '../matrix/run.js';
import { prepareMatrix } from '../matrix/setup.js';
import { recordRun } from '../matrix/run-index.js';
import { openRecordStore, withBuildLock } from '../store/index.js';
import { checkStoreUrl, openRemoteStore } from '../store/remote.js';
import { RUNTIME_NAMES } from '../toolchain/runtime.js';
import { afterBuildBoot, bootBuiltToggles, checkQemu, renderToggleBoot, type AfterBuildBoot } from '../boot/after-build.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { addFormatOptions, addQueueOption, collectNames, outputFormat, setExit, writeOut, matrixOptions, positiveInt, ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP } from './options.js';

/** Where configs/ is: the nearest upward from the current directory, as the queue is found, else the one shipped with tiny. */
export function configRoot(cwd = process.cwd()): string {
  return locateConfigRoot(fileURLToPath(new URL('../../', import.meta.url)), { cwd });
}

export function registerBuildCommand(program: Command): void {
  const cmd = program
    .command('build')
    .description('build every toggle of the queue for a configuration, measure it, record it; print a size table')
    .requiredOption('--config <name>', 'the build configuration: configs/<name>.yaml (or a path to a .yaml file)')
    .option('--tree <dir>', "a kernel tree (directory or tarball) to use as the base instead of the queue's")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--base <version>', 'the base version to use (one the queue claims)')
    .addOption(new Option('--runtime <runtime>', 'container runtime (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]))
    .option('--jobs <n>', 'make -j N (default: the number of cores)', positiveInt('--jobs'))
    .option(
      '--lanes <n>',
      'toggles built at once, each in its own build directory and make -jN (default: 2 in a container on 2+ cores, a second lane starting from a copy of the first build; 1 on the host runtime)',
      positiveInt('--lanes'),
    )
    .option(
      '--only <toggles>',
      'build only these toggles (comma-separated: base, queue, all-off, flip:<patch>, without:<patch>, config:<SYMBOL>; * matches any characters: flip:*; !name leaves one out: flip:*,!flip:printk)',
      collectNames('--only'),
    )
    .option('--timings', "print where each toggle's time went (series, Kconfig, container starts, make, measure, record) on stderr")
    .option('--no-wait', 'fail at once when another tiny build holds the cache, instead of waiting')
    .option(
      '--shard <I/N|auto>',
      'build only shard I of N (counted from 1); auto: from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab) or JOB_COMPLETION_INDEX (Kubernetes, counted from 0) with --shards or --plan',
    )
    .option('--shards <n>', 'the number of shards, for --shard auto under a Kubernetes Indexed Job (JOB_COMPLETION_INDEX does not say)', positiveInt('--shards'))
    .option('--plan <file>', 'take the shards from this plan (`tiny plan --shards N --format json`): split by recorded durations, the same on every machine')
    .addOption(
      new Option(
        '--boot [what]',
        "then boot each toggle built under qemu (as tiny boot) and keep MemTotal, MemFree, reserved memory and boot time with its record: auto (default) serves HTTP when the kernel has a card qemu emulates, init boots to init only, http must serve; the memory is the configuration's boot: (default -m 32M)",
      ).choices(['auto', 'init', 'http']),
    )
    .option(
      '--ccache-remote <url>',
      "ccache's remote storage shared by the machines (redis://HOST:PORT, redis+unix:/path, http://HOST/PATH); default $TINY_CCACHE_REMOTE, else the configuration's ccache.remote",
    )
    .option(
      '--no-ccache',
      'neither read nor fill the compiler cache this run (ccache runs the compiler as it is): for a cache thrown away afterwards, where filling an empty ccache makes a cold build 15-30% slower (a cache kept makes the next run after an edit 1.3-1.4x faster); records and keys are the same as with it',
    )
    .addHelpText(
      'after',
      `
Toggles: base (the base with only the patches the toolchain needs, queue.base_select),
queue (every selected patch, options at their Kconfig default: the no-op point), all-off
(every option off: the smallest kernel), flip:<patch> (one option flipped from its default,
alone) and without:<patch> (one patch left out, with the patches depending on it).

Each toggle's inputs (base tree, patches, .config, image, make variables, environment) make
its record key; a toggle whose record is stored is served without building.

Shards: --shard I/N builds one share of the toggles (the others are built elsewhere; merge the
records with \`tiny store export\` / \`tiny store import\`). Without --plan every machine splits
the toggles the same way, by count, keeping toggles that share a build directory together;
with --plan FILE the split of \`tiny plan --shards N\`, balanced by recorded build times.
--shard auto takes the shard from the CI engine: GitLab's CI_NODE_INDEX (1..CI_NODE_TOTAL) is
shard CI_NODE_INDEX; a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0..N-1) is shard
JOB_COMPLETION_INDEX + 1 of N (--shards N, or the plan's).

TINY_STORE_URL=http://HOST/PATH: a remote record store shared by the machines. A toggle whose
record is not here is asked for there (GET PATH/<key>.tar) before it is built; every record
built here is offered to it (PUT, never over an existing key). Logs are kept
under the cache (logs/<config>/). Interrupt with Ctrl-C: finished toggles stay recorded, the
next run resumes.

--boot (or boot: in the configuration) boots every toggle built or served from the store,
after the build, one after the other (docs/boot.md); tiny report then shows the free memory
each patch saves beside its bytes.

Exit status: 0 all toggles built or cached and within budget (and booted, with --boot), 1 a
toggle failed, did not boot (or serve) or a budget is exceeded, 2 bad input, 130 interrupted.`,
    );
  addQueueOption(cmd);
  addFormatOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>, command: Command) => {
    const format = outputFormat(opts);
    const cache = cacheDir();
    const remoteArg = (opts.ccacheRemote as string | undefined) ?? (process.env.TINY_CCACHE_REMOTE || undefined);
    const ccacheRemote = remoteArg !== undefined ? checkRemoteUrl(remoteArg, opts.ccacheRemote !== undefined ? '--ccache-remote' : 'TINY_CCACHE_REMOTE') : undefined;
    if (opts.plan && !opts.shard) throw new TinyError('--plan names the shards of a plan: give --shard I/N (or --shard auto) too', 2);
    if (opts.plan && opts.only) throw new TinyError('--only cannot narrow a --plan: the plan was made with its own --only', 2, [], 'make the plan with `tiny plan --only ...`');
    if (opts.shards && !opts.shard) throw new TinyError('--shards counts the shards of --shard auto: give --shard too', 2);
    const storeUrl = process.env.TINY_STORE_URL ? checkStoreUrl(process.env.TINY_STORE_URL) : undefined;
    const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
    const started = Date.now();

    const prepared = await withBuildLock(
      cache,
      async () => {
        const p = await prepareMatrix({
          root: configRoot(),
          ...matrixOptions(opts),
          cacheDir: cache,
          ...(opts.lanes !== undefined ? { lanes: opts.lanes as number } : {}),
          ...(ccacheRemote ? { ccacheRemote } : {}),
          ...(opts.ccache === false ? { ccacheOff: true } : {}),
          onLog: (l) => err(`tiny: ${l}`),
        });
        for (const w of p.config.warnings) err(`${w.file}:${w.line ?? ''}: warning: ${w.message}`);
        const boot = afterBuildBoot(p.config, opts.boot === true ? 'auto' : (opts.boot as 'auto' | 'init' | 'http' | undefined));
        // Before any build: a missing qemu is said now, not after the builds.
        if (boot) await checkQemu(p.config.arch);
        if (storeUrl) p.setup.remoteStore = openRemoteStore(p.setup.records, storeUrl, (l) => err(`tiny: ${l}`));
        let toggles = onlyToggles(p.plan, opts.only as string[] | undefined);
        for (const n of p.plan.notes) err(`tiny: ${n}`);
        let shard: ShardSpec | undefined;
        if (opts.shard) {
          const doc = opts.plan ? await readPlanFile(opts.plan as string) : undefined;
          const given = opts.shards as number | undefined;
          if (doc && given !== undefined && given !== doc.shard_count) throw new TinyError(`--shards ${given}, but the plan ${String(opts.plan)} has ${doc.shard_count} shards`, 2);
          shard = opts.shard === 'auto' ? shardFromEnv(process.env, doc?.shard_count ?? given) : parseShardArg(opts.shard as string);
          if (doc && shard.count !== doc.shard_count) throw new TinyError(`--shard ${shard.index}/${shard.count}, but the plan ${String(opts.plan)} has ${doc.shard_count} shards`, 2);
          if (doc) toggles = planShardToggles(doc, p, shard.index, opts.plan as string);
          else {
            const mine = new Set(
              balanceShards(
                toggles.map((t) => ({ name: t.name, group: t.selection, weight: 1 })),
                shard.count,
              )[shard.index - 1]!.toggles,
            );
            toggles = toggles.filter((t) => mine.has(t.name));
          }
          const from = shard.source === 'argument' ? '' : shard.source === 'CI_NODE_INDEX' ? ` (CI_NODE_INDEX=${shard.index})` : ` (JOB_COMPLETION_INDEX=${shard.index - 1})`;
          err(
            `tiny: shard ${shard.index}/${shard.count}${from}${doc ? ` of the plan ${String(opts.plan)}` : ', split by toggle count'}: ${toggles.length ? toggles.map((t) => t.name).join(', ') : 'no toggle'}`,
          );
        }

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
        const runner = new MatrixRunner(p.setup, p.plan, { onEvent: (e) => progress?.onEvent(e), signal, sessions: true, headStart: true });
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
        let runnable = toggles.filter((t) => !doomedBy.has(t.name));
        // Every .config first: the same builds are then made once, the others in the order that
        // changes least between neighbours (src/matrix/order.ts). The first toggle's build starts
        // as soon as its .config is there; the others are configured meanwhile (run.ts).
        err(`tiny: configuring ${runnable.length} toggle${runnable.length === 1 ? '' : 's'} of ${p.config.name} (Kconfig, or the memo) to order the builds...`);
        runnable = await runner.buildOrder(runnable);
        progress = new MatrixProgress(runnable, { timings, lanes: p.setup.lanes ?? 1 });
        err(
          `tiny: building ${runnable.length} toggle${runnable.length === 1 ? '' : 's'} of ${p.config.name} on ${p.base.version} with ${p.toolchain.name} (${p.setup.image.id.replace(/^sha256:/, '').slice(0, 12)}) on ${p.runtime.name}, make -j${p.setup.jobs}${(p.setup.lanes ?? 1) > 1 ? `, ${p.setup.lanes} lanes` : ''}; logs: ${join(cache, 'logs', p.config.name)}`,
        );
        let results: ToggleResult[];
        try {
          const ran = await progress.run(runner, runnable);
          const failedBefore = (t: (typeof toggles)[number], e: TinyError): ToggleResult => ({
            toggle: t,
            status: 'failed',
            error: e.message,
            ...(e.hint ? { details: [`hint: ${e.hint}`] } : {}),
            logs: [],
            durationMs: 0,
          });
          // In the order they ran (run_order), the toggles that could not run after them.
          results = [...runnable, ...toggles.filter((t) => doomedBy.has(t.name))].flatMap((t) => {
            const r = ran.find((x) => x.toggle.name === t.name);
            const doomedWhy = doomedBy.get(t.name);
            return r ? [r] : doomedWhy ? [failedBefore(t, doomedWhy)] : [];
          });
        } finally {
          // The lanes' containers go with the run (and with the process, should it be killed).
          await runner.close();
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigint);
        }
        // A full disk stopped the run: say that (main names the path and the free space), and
        // write no index of a run that could not finish.
        if (runner.fatal) throw runner.fatal;

        // Remember build times (ETAs of the next run), and where each toggle's record is.
        for (const r of results) if (r.status === 'built') timings[r.toggle.name] = { ms: r.durationMs, at: new Date().toISOString() };
        await writeTimings(cache, p.config.name, timings);
        await recordRun({
          cacheDir: cache,
          config: p.config,
          plan: p.plan,
          base: p.base,
          image: p.setup.image.id,
          results,
          partial: !!opts.only || !!shard,
          startedAt: new Date(started).toISOString(),
          finishedAt: new Date().toISOString(),
          onNote: (l) => err(`tiny: ${l}`),
        });
        return { p, results, interrupted: signal.aborted, boot };
      },
      {
        wait: opts.wait !== false,
        onWait: (pid) => err(`tiny: another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting for it to finish...`),
      },
    );

    const { p, results, interrupted, boot } = prepared;
    // Each kind in the plan's order: the table reads the same from run to run.
    const planOrder = p.plan.toggles.map((t) => t.name);
    const rows = toRows(results, planOrder);
    // Budgets (src/budget): the same judgement `tiny report --check` makes from the records.
    const sizes = await toggleSizesFromRecords(
      await openRecordStore(cache),
      results.map((r) => ({
        toggle: r.toggle.name,
        ...(r.status === 'failed' || r.status === 'interrupted' || !r.record ? {} : { record: r.record }),
        ...(r.toggle.kind === 'flip' && r.toggle.flip[0] ? { option: r.toggle.flip[0] } : {}),
      })),
    );
    const budgets = checkBudgets({ budgets: p.config.budgets, base: p.base.version, results: sizes, justifications: justificationsOf(p.plan.selected) });
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
    // What the compiler cache did for the toggles built here (local hits, fetched from the remote).
    const built = results.filter((r) => r.status === 'built' && r.record?.ccache);
    if (built.length) {
      const total = built.reduce<CcacheStats>((a, r) => addStats(a, r.record!.ccache!.stats), { calls: 0, hits: 0, local_hits: 0, remote_hits: 0, misses: 0, remote_errors: 0 });
      const remote = p.setup.ccacheRemote ? ` (${total.remote_hits} from the remote ${redactUrl(p.setup.ccacheRemote)}${total.remote_errors ? `, ${total.remote_errors} remote errors` : ''})` : '';
      err(`tiny: ccache: ${total.hits} of ${total.calls} compilations were hits${remote}`);
    } else if (p.setup.ccacheOff && results.some((r) => r.status === 'built')) err('tiny: ccache: off (--no-ccache): nothing was looked up in it or added to it');
    if (opts.timings) err(`tiny: timings (seconds), in execution order; overhead = total - make\n${renderTable(timingsTable(rows), 'text').trimEnd()}`);
    const failures = renderFailures(rows);
    if (failures) err(failures.trimEnd());
    const verdict = renderBudgetCheck(budgets, { config: p.config.name, base: p.base.version });
    if (verdict)
      err(
        verdict
          .trimEnd()
          .split('\n')
          .map((l) => (l.startsWith(' ') ? l : `tiny: ${l}`))
          .join('\n'),
      );
    const counts = countStatus(rows);
    const bootsFailed = boot && !interrupted && !counts.interrupted ? await bootAfterBuild(p, results, boot, cache, err) : 0;
    if (interrupted || counts.interrupted) {
      err('tiny: interrupted: run `tiny build` again to resume (finished toggles are served from the store)');
      setExit(command, 130);
      return;
    }
    setExit(command, counts.failed || bootsFailed || budgetExitCode(budgets) ? EXIT.checkFailed : EXIT.ok);
  });
}

/** --boot: each toggle's kernel booted after the build, a line each on stderr; returns how many failed. */
async function bootAfterBuild(p: Parameters<typeof bootBuiltToggles>[0]['prepared'], results: ToggleResult[], boot: AfterBuildBoot, cache: string, err: (l: string) => void): Promise<number> {
  const what = boot.http === 'always' ? ', serving HTTP' : boot.http === 'auto' ? ', serving HTTP where the kernel has a card qemu emulates' : '';
  err(`tiny: booting the toggles built under qemu${what}`);
  const boots = await bootBuiltToggles({ prepared: p, results, boot, cacheDir: cache, onBoot: (b) => err(`tiny:   ${renderToggleBoot(b, boot)}`) });
  return boots.filter((b) => !b.passed).length;
}
