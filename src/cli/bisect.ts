// tiny bisect: which commit (or which patch of the queue) made the kernel grow past a threshold.
//
//   tiny bisect --config NAME --repo DIR --good REF --bad REF --metric M --threshold +N[%]
//               [--queue [DIR] | --no-queue] [--runtime R] [--jobs N]
//   tiny bisect --queue [DIR] --config NAME --metric M --threshold +N[%] [--tree T]
//   tiny bisect --resume                  continue the last bisect (re-running the command does too)
//   tiny bisect step --state FILE         (hidden) git bisect run's script: exit 0 good, 1 bad, 125 skip
//
// Exit status: 0 a first bad commit/patch was found (and for commits, the revert confirmed it
// or could not be tried); 1 none found, or the revert did not bring the metric back under the
// threshold; 2 bad usage.

import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { resolveCommit, runBisectStep, startCommitBisect } from '../bisect/commits.js';
import { runQueueBisect } from '../bisect/queue.js';
import { readLatest, readState, statePath, type BisectParams, type CommitBisectParams, type QueueBisectParams } from '../bisect/state.js';
import { parseMetric, parseThreshold } from '../bisect/threshold.js';
import { configArgument } from '../kbuild/buildconfig.js';
import type { RuntimeName } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { TinyError } from '../util/diagnostics.js';
import { queueDir, setExit } from './options.js';

interface BisectOpts {
  config?: string;
  repo?: string;
  good?: string;
  bad?: string;
  metric: string;
  threshold?: string;
  queue?: string | boolean;
  tree?: string;
  allowOtherBase?: boolean;
  runtime?: RuntimeName;
  jobs?: string;
  resume?: boolean;
}

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };

/** argv that runs this very tiny (node + bin/tiny.js), for git bisect run. */
function tinyArgv(): string[] {
  return [process.execPath, resolve(process.argv[1] ?? 'bin/tiny.js')];
}

async function runParams(params: BisectParams, cmd: Command): Promise<void> {
  const cache = cacheDir();
  if (params.mode === 'commits') {
    const r = await startCommitBisect(params, { cacheDir: cache, tinyArgv: tinyArgv(), io });
    setExit(cmd, r.exitCode !== 0 ? r.exitCode : r.confirm?.under === false ? 1 : 0);
  } else {
    const r = await runQueueBisect(params, { cacheDir: cache, io });
    setExit(cmd, r.exitCode);
  }
}

export function registerBisectCommand(program: Command): void {
  const cmd = program
    .command('bisect')
    .description(
      'find the commit (or the patch of the queue) that made the kernel grow past a threshold\n\n' +
        'Over kernel commits (--repo, --good, --bad): git bisect run in a scratch clone in the cache\n' +
        '(your repository is never written to), each step built with the configuration (and the queue\n' +
        'with --queue) in one reused build directory and compared with the good point; a commit that\n' +
        'does not build, where the queue does not apply or that cannot be evaluated is skipped (a\n' +
        'bisect whose every step is skipped names no commit, exit 1). Prints the first bad commit,\n' +
        'its delta and symbol diff against its parent, then reverts it on the bad point and rebuilds.\n\n' +
        'Over the queue (--queue without --repo): the first patch in series order whose application\n' +
        'crosses the threshold against the bare base.\n\n' +
        'Every step is kept in a state file in the cache: re-run the same command, or --resume.\n\n' +
        'Exit status: 0 found (and confirmed), 1 not found or not confirmed, 2 bad usage.',
    )
    .option('--config <name>', 'build configuration (configs/NAME.yaml, or a path)')
    .option('--repo <dir>', 'git repository holding the kernel commits')
    .option('--good <ref>', 'a commit where the kernel is the expected size')
    .option('--bad <ref>', 'a later commit where it has grown')
    .option('--metric <metric>', 'dec | text | data | bss | vmlinux | bzImage | symbol:NAME', 'dec')
    .option('--threshold <growth>', 'growth vs the good point that counts: +N bytes, +NK, +NM, or +N%')
    .option('--queue [dir]', 'apply the queue at each step (commits), or bisect the queue itself (no --repo); default dir: $TINY_QUEUE, else the nearest queue/queue.yaml here or above')
    .option('--no-queue', 'bisect the bare commits (default for a commit bisect)')
    .option('--tree <dir>', 'queue bisect: the kernel tree (directory or tarball) instead of the queue base')
    .option('--allow-other-base', "with --tree: use a tree that is none of the queue's pinned bases (base.tree) as the base")
    .addOption(new Option('--runtime <runtime>', 'container runtime').choices(['podman', 'docker', 'host']))
    .option('-j, --jobs <n>', 'make -jN (default: the number of cores)')
    .option('--resume', 'continue the last bisect started (its parameters come from the state file)')
    .action(async (opts: BisectOpts, c: Command) => {
      const cache = cacheDir();
      if (opts.resume && !opts.repo && !opts.threshold) {
        const id = await readLatest(cache);
        const state = id ? await readState(statePath(cache, id)) : undefined;
        if (!state) throw new TinyError('no bisect to resume in this cache', 2, [], 'start one: tiny bisect --config ... --repo ... --good ... --bad ... --threshold ...');
        process.stdout.write(`resuming bisect ${state.id}\n`);
        await runParams(state.params, c);
        return;
      }
      if (!opts.config) throw new TinyError('--config is required', 2);
      if (!opts.threshold) throw new TinyError('--threshold is required (e.g. +12K or +2%)', 2);
      parseMetric(opts.metric);
      parseThreshold(opts.threshold);
      const jobs = opts.jobs ? Number(opts.jobs) : undefined;
      if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw new TinyError(`--jobs ${opts.jobs} is not a positive number`, 2);
      // A relative --config path is made absolute here, before anything changes directory: the
      // steps run inside the scratch clone, where it would name nothing.
      const common = {
        root: process.cwd(),
        config: configArgument(opts.config, process.cwd()),
        metric: opts.metric,
        threshold: opts.threshold,
        ...(opts.runtime ? { runtime: opts.runtime } : {}),
        ...(jobs ? { jobs } : {}),
      };
      if (opts.repo || opts.good || opts.bad) {
        if (!opts.repo || !opts.good || !opts.bad) throw new TinyError('a commit bisect needs --repo, --good and --bad', 2);
        const repo = resolve(opts.repo);
        const params: CommitBisectParams = {
          mode: 'commits',
          ...common,
          repo,
          goodRef: opts.good,
          badRef: opts.bad,
          good: await resolveCommit(repo, opts.good),
          bad: await resolveCommit(repo, opts.bad),
          queue: opts.queue ? queueDir(opts) : null,
        };
        await runParams(params, c);
        return;
      }
      if (!opts.queue) throw new TinyError('say what to bisect: --repo DIR --good REF --bad REF (kernel commits), or --queue [DIR] (the patches of the queue)', 2);
      const params: QueueBisectParams = {
        mode: 'queue',
        ...common,
        queue: queueDir(opts),
        ...(opts.tree ? { tree: resolve(opts.tree) } : {}),
        ...(opts.allowOtherBase ? { allowOtherBase: true } : {}),
      };
      await runParams(params, c);
    });

  cmd
    .command('step', { hidden: true })
    .description('git bisect run script: build and measure BISECT_HEAD; exit 0 good, 1 bad, 125 skip')
    .requiredOption('--state <file>', 'the bisect state file')
    .action(async (opts: { state: string }, c: Command) => {
      const code = await runBisectStep(resolve(opts.state), cacheDir(), io);
      setExit(c, code);
    });
}
