// `tiny plan --config NAME`: the toggles a build would make, their record keys, which are stored,
// their last build times, and N shards balanced by those times; or (--emit) the CI file that
// runs the shards on GitHub Actions, GitLab or Kubernetes. Parsing and rendering only: the work
// is in src/matrix/planfile.ts, shard.ts and emit/.

import { Option, type Command } from 'commander';
import { onlyToggles } from '../matrix/plan.js';
import { gatherPlanFacts, makePlanDocument, renderPlanText } from '../matrix/planfile.js';
import { prepareMatrix } from '../matrix/setup.js';
import { EMIT_TARGETS, type EmitOptions, type EmitTarget } from '../matrix/emit/common.js';
import { emitGithub } from '../matrix/emit/github.js';
import { emitGitlab } from '../matrix/emit/gitlab.js';
import { emitK8s } from '../matrix/emit/k8s.js';
import { RUNTIME_NAMES } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { TinyError } from '../util/diagnostics.js';
import { writeFileAtomic } from '../util/fs.js';
import { configRoot } from './build.js';
import { addQueueOption, collect, matrixOptions, positiveInt, writeOut } from './options.js';

export function registerPlanCommand(program: Command): void {
  const cmd = program
    .command('plan')
    .description('what `tiny build` would build: toggles, record keys, what is stored, last build times, and N balanced shards; or the CI file that runs them')
    .requiredOption('--config <name>', 'the build configuration: configs/<name>.yaml (or a path to a .yaml file)')
    .option('--tree <dir>', "a kernel tree (directory or tarball) to use as the base instead of the queue's")
    .option('--base <version>', 'the base version to use (one the queue claims)')
    .addOption(new Option('--runtime <runtime>', 'container runtime (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]))
    .option('--only <toggles>', 'plan only these toggles (as for tiny build --only)', collect)
    .option('--shards <n>', 'split the toggles into N shards (at most 256)', positiveInt('--shards'), 1)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--out <file>', 'write the plan (or the emitted file) here, atomically, instead of stdout')
    .addOption(new Option('--emit <engine>', 'write the CI file that runs the shards instead of the plan').choices([...EMIT_TARGETS]))
    .option('--image <ref>', 'with --emit: the image every job runs (the toolchain image with Node and tiny; see docs/scale.md)')
    .option('--pvc <name>', 'with --emit k8s: the PersistentVolumeClaim for the exports', 'tiny-records')
    .option('--workdir <dir>', 'with --emit k8s: where the project is inside the image', '/project')
    .option('--namespace <ns>', 'with --emit k8s: the namespace of the Jobs')
    .addHelpText(
      'after',
      `
Keys: a toggle's record key is known once its .config is (the config memo of an earlier run);
otherwise the plan says "key after Kconfig". Durations: the toggle's stored record, else the
last run's timing, else the newest record of the toggle (a store imported from other
machines); a toggle without one counts as the median; with none at all the shards are balanced
by count. Toggles sharing a patch selection (one build directory) stay in one shard unless
that unbalances it. The same inputs give the same plan.

Use the JSON plan on every machine: tiny build --plan plan.json --shard I/N.

--emit github|gitlab|k8s writes a GitHub Actions workflow, a GitLab pipeline or two Kubernetes
Jobs (an Indexed Job for the shards, one for the merge); docs/scale.md explains them.`,
    );
  addQueueOption(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const format = opts.json ? 'json' : (opts.format as string);
    const emit = opts.emit as EmitTarget | undefined;
    if (emit && !opts.image) throw new TinyError(`--emit ${emit} needs --image: the image every job runs`, 2, [], 'the toolchain image with Node and tiny added (docs/scale.md shows how to make one)');
    if (!emit && opts.image) throw new TinyError('--image goes with --emit', 2);
    const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
    const p = await prepareMatrix({ root: configRoot(), ...matrixOptions(opts), cacheDir: cacheDir(), missingImage: 'skip', onLog: (l) => err(`tiny: ${l}`) });
    const only = opts.only as string[] | undefined;
    const toggles = onlyToggles(p.plan, only);
    const doc = makePlanDocument(p, toggles, await gatherPlanFacts(p, toggles), { shards: opts.shards as number, ...(only ? { only } : {}) });

    let text: string;
    if (emit) {
      const o: EmitOptions = {
        config: opts.config as string,
        name: p.config.name,
        shards: opts.shards as number,
        image: opts.image as string,
        ...(only ? { only } : {}),
        ...(opts.tree ? { tree: opts.tree as string } : {}),
        ...(opts.base ? { base: opts.base as string } : {}),
        ...(opts.queue && opts.queue !== 'queue' ? { queue: opts.queue as string } : {}),
        command: ['tiny', ...process.argv.slice(2)].join(' '),
      };
      text =
        emit === 'github'
          ? emitGithub(o)
          : emit === 'gitlab'
            ? emitGitlab(o)
            : emitK8s({ ...o, plan: doc, pvc: opts.pvc as string, workdir: opts.workdir as string, ...(opts.namespace ? { namespace: opts.namespace as string } : {}) });
      err(
        `tiny: ${emit}: ${doc.shard_count} shard${doc.shard_count === 1 ? '' : 's'} of ${doc.config} (${doc.toggles.length} toggles${emit === 'k8s' ? `, the plan ${doc.plan_id.slice(0, 12)} inside the Job` : ', planned in the CI run'})`,
      );
    } else text = format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : renderPlanText(doc);

    if (opts.out) {
      await writeFileAtomic(opts.out as string, text);
      err(`tiny: wrote ${opts.out as string}`);
    } else writeOut(text);
  });
}
