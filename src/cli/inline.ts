// `tiny inline-cost --config NAME`: which header inline functions cost most across their
// copies. Argument parsing, the lock and rendering only: the work is in src/inline/.

import { Option, type Command } from 'commander';
import { prepareMatrix } from '../matrix/setup.js';
import { renderInlineReport, inlineJson } from '../inline/render.js';
import { runInlineCost } from '../inline/run.js';
import { withBuildLock } from '../store/index.js';
import { RUNTIME_NAMES } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { configRoot } from './build.js';
import { addFormatOptions, addQueueOption, outputFormat, writeOut, matrixOptions, positiveInt, ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP } from './options.js';

export function registerInlineCommand(program: Command): void {
  const cmd = program
    .command('inline-cost')
    .description('which header inline functions cost most across their copies (an "inline hunter")')
    .requiredOption('--config <name>', 'the build configuration: configs/<name>.yaml (or a path to a .yaml file)')
    .option('--tree <dir>', "a kernel tree (directory or tarball) to use as the base instead of the queue's")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--base <version>', 'the base version to use (one the queue claims)')
    .option('--toggle <name>', 'the toggle to measure (default: queue, or base when the queue has no options)')
    .option('--top <n>', 'show the N costliest functions', positiveInt('--top'), 30)
    .option('--min-copies <n>', 'fewest copies for a function to count', positiveInt('--min-copies'), 2)
    .addOption(new Option('--runtime <runtime>', 'container runtime (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]))
    .option('--jobs <n>', 'make -j N (default: the number of cores)', positiveInt('--jobs'))
    .addHelpText(
      'after',
      `
Builds the toggle once with CFLAGS_KERNEL="-Dalways_inline=__noinline__ -Wno-attributes":
2.6's compiler headers define \`inline\` as \`inline __attribute__((always_inline))\`, so every
inline function is then compiled out of line, and each object using a header inline holds
its own local copy. nm finds the copies (local text symbols named alike in several objects;
clone suffixes such as .constprop.0 are folded in; composite objects such as fs/ext2/ext2.o
are left out); only names defined inline in one of the tree's headers are ranked. Per
function: copies, bytes per copy, the total, and the header that defines it.

The measurement uses its own worktree and build directory in the cache (the normal builds
keep their incremental state), make -k (vmlinux need not link), and no patch: the queue and
the tree are untouched. The report is cached under the toggle's inputs.

Exit status: 0 reported, 1 the measurement build made no objects, 2 bad input.`,
    );
  addQueueOption(cmd);
  addFormatOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const format = outputFormat(opts);
    const cache = cacheDir();
    const err = (line: string) => process.stderr.write(`tiny: ${line}\n`);
    const report = await withBuildLock(
      cache,
      async () => {
        const p = await prepareMatrix({
          root: configRoot(),
          ...matrixOptions(opts),
          cacheDir: cache,
          onLog: err,
        });
        return runInlineCost(p, {
          ...(opts.toggle ? { toggle: opts.toggle as string } : {}),
          minCopies: opts.minCopies as number,
          onLog: err,
        });
      },
      { onWait: (pid) => err(`another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting for it to finish...`) },
    );
    const top = opts.top as number;
    if (format === 'json') writeOut(JSON.stringify(inlineJson(report, top), null, 2));
    else writeOut(renderInlineReport(report, format, top));
  });
}
