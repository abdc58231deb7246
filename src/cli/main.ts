// The tiny command line: parse arguments, dispatch to one file per verb, map errors to exit
// codes (0 ok, 1 a check failed, 2 bad usage or bad input).

import { Command, CommanderError } from 'commander';
import { EXIT, TinyError, formatDiagnostic } from '../util/diagnostics.js';
import { registerDiffCommand } from './diff.js';
import { registerBuildCommand } from './build.js';
import { registerBootCommand } from './boot.js';
import { registerBisectCommand } from './bisect.js';
import { registerDoctorCommand } from './doctor.js';
import { registerInlineCommand } from './inline.js';
import { registerQueueCommands } from './queue.js';
import { registerRebuildCommand } from './rebuild.js';
import { registerReleaseCommand } from './release.js';
import { registerPlanCommand } from './plan.js';
import { registerReportCommand } from './report.js';
import { registerStoreCommands } from './store.js';
import { registerToolchainCommands } from './toolchain.js';
import { TOOL_VERSION } from '../util/version.js';

export function buildProgram(): Command {
  const program = new Command('tiny')
    .description(
      'Reproducible build orchestrator and patch-queue manager for small Linux kernels.\n' +
        'Applies a YAML patch queue to a kernel tree, checks every patch is mergeable,\n' +
        'builds each patch toggle in a toolchain container and records its size.',
    )
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerQueueCommands(program);
  registerToolchainCommands(program);
  registerBuildCommand(program);
  registerPlanCommand(program);
  registerStoreCommands(program);
  registerBootCommand(program);
  registerRebuildCommand(program);
  registerBisectCommand(program);
  registerDoctorCommand(program);
  registerReportCommand(program);
  registerDiffCommand(program);
  registerReleaseCommand(program);
  registerInlineCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue('exitCode') as number | undefined) ?? EXIT.ok;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
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
