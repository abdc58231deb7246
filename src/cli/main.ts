// The tiny command line: parse arguments, dispatch to one file per verb, map errors to exit
// codes (0 ok, 1 a check failed or the disk is full, 2 bad usage or bad input).

import { Command, CommanderError } from 'commander';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError, formatDiagnostic } from '../util/diagnostics.js';
import { isNoSpace, looksLikeNoSpace, noSpaceError } from '../util/nospace.js';
import { TOOL_VERSION } from '../util/version.js';

type Register = (program: Command) => void;

/**
 * Every top-level command and the module that defines it, in the order `tiny --help` lists them.
 * Loaded on demand: a run loads only the module of the command it runs (all of them, 0.2 s,
 * against 0.1 s for `queue` alone), help and unknown commands load every one.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['queue', async () => (await import('./queue.js')).registerQueueCommands],
  ['toolchain', async () => (await import('./toolchain.js')).registerToolchainCommands],
  ['build', async () => (await import('./build.js')).registerBuildCommand],
  ['plan', async () => (await import('./plan.js')).registerPlanCommand],
  ['store', async () => (await import('./store.js')).registerStoreCommands],
  ['boot', async () => (await import('./boot.js')).registerBootCommand],
  ['rebuild', async () => (await import('./rebuild.js')).registerRebuildCommand],
  ['bisect', async () => (await import('./bisect.js')).registerBisectCommand],
  ['doctor', async () => (await import('./doctor.js')).registerDoctorCommand],
  ['report', async () => (await import('./report.js')).registerReportCommand],
  ['diff', async () => (await import('./diff.js')).registerDiffCommand],
  ['release', async () => (await import('./release.js')).registerReleaseCommand],
  ['inline-cost', async () => (await import('./inline.js')).registerInlineCommand],
  ['completion', async () => (await import('./completion.js')).registerCompletionCommand],
];

/** The program with every command, or only `only` (a top-level command name). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('tiny')
    .description(
      'Reproducible build orchestrator and patch-queue manager for small Linux kernels.\n' +
        'Applies a YAML patch queue to a kernel tree, checks every patch is mergeable,\n' +
        'builds each patch toggle in a toolchain container and records its size.',
    )
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const chosen = COMMANDS.filter(([name]) => only === undefined || name === only);
  for (const register of await Promise.all(chosen.map(([, load]) => load()))) register(program);
  return program;
}

/**
 * The one command module argv needs: its top-level command's (the root takes no option with a
 * value); undefined, every module: help, an unknown command, or `completion` (it describes all).
 */
function commandOf(argv: string[]): string | undefined {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first !== 'completion' && COMMANDS.some(([name]) => name === first) ? first : undefined;
}

/**
 * Writes to a closed pipe fail with EPIPE, emitted on the stream: `tiny ... | head -1` must end
 * quietly when head has what it wanted — exit 0, no trace, as bloat-o-meter and `tiny diff` do
 * (the reader decided it had enough). A full disk under a redirected stdout is said like any
 * full disk.
 */
function guardOutputStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT.ok);
      if (stream === process.stdout && isNoSpace(e)) {
        void noSpaceError(e, process.cwd()).then((t) => {
          process.stderr.write(`tiny: ${t.message}\n`);
          process.exit(t.exitCode);
        });
        return;
      }
      process.exit(3);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  guardOutputStreams();
  const program = await buildProgram(commandOf(argv));
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue('exitCode') as number | undefined) ?? EXIT.ok;
  } catch (e) {
    return reportError((await looksLikeNoSpace(e, cacheDir())) ? await noSpaceError(e, cacheDir()) : e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    // `tiny queue` without a subcommand: commander prints the usage to stderr (exitCode 1): bad usage.
    if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    return EXIT.badInput;
  }
  if (e instanceof TinyError) {
    for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    const errors = e.diagnostics.filter((d) => d.severity === 'error').length;
    if (e.diagnostics.length === 0 || errors === 0) process.stderr.write(`tiny: ${e.message}\n`);
    else process.stderr.write(`tiny: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`tiny: internal error: ${err?.stack ?? String(e)}\n`);
  return 3;
}
