// `tiny diff A B`: bloat-o-meter between two vmlinux files, two stored records, or two toggles
// of a configuration's latest run. Rendering only; the work is in src/diff/.

import { Option, type Command } from 'commander';
import type { BloatMode } from '../measure/bloat.js';
import { diffJson, diffSymbols, renderDiffMarkdown, renderDiffText, resolveSide, type ResolvedSide } from '../diff/index.js';
import { openRecordStore, type RecordStore } from '../store/index.js';
import { cacheDir } from '../util/cache.js';
import { addFormatOptions, outputFormat, writeOut } from './options.js';

function describe(s: ResolvedSide): string {
  const { side } = s;
  if (side.kind === 'file') return side.arg;
  return `${side.config} ${side.toggle} (${side.key!.slice(0, 12)})`;
}

/** `tiny diff ... | head`: a closed pipe ends the output quietly, as bloat-o-meter's SIGPIPE does. */
export function quietOnClosedPipe(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

export function registerDiffCommand(program: Command): void {
  const cmd = program
    .command('diff')
    .description("compare the symbol sizes of two kernels, as the kernel's scripts/bloat-o-meter does")
    .argument('<old>', 'a vmlinux (any ELF file), a record key or unique prefix, or a toggle of --config')
    .argument('<new>', 'the same, for the new kernel')
    .option('--rename-aware', 'match symbols across compiler suffixes (.isra, .constprop, .part, .cold, .lto_priv) and report renames')
    .addOption(new Option('-c', 'categorize by symbol type: Function (tT), Data (dDbB), RO Data (rR)').conflicts(['d', 't']))
    .addOption(new Option('-d', 'data symbols only (dDbBrR)').conflicts(['t']))
    .addOption(new Option('-t', 'function symbols only (tT)'))
    .option('-p, --prefix <prefix>', 'binutils prefix for cross builds, as bloat-o-meter -p (runs <prefix>nm)')
    .option('--config <name>', "let <old> and <new> name toggles of this configuration's latest `tiny build` run")
    .addHelpText(
      'after',
      `
<old> and <new> are each, tried in this order: a file (nm --size-sort reads it, as
bloat-o-meter does); with --config, a toggle of that configuration's latest run (base, queue,
all-off, flip:<patch>, without:<patch>); a record key, or a unique prefix of 4+ hex digits,
of the record store ($TINY_CACHE), whose stored symbol table is used.

The text output is bloat-o-meter's own: the summary line
  add/remove: A/R grow/shrink: G/S up/down: UP/-DOWN (NET)
then one line per changed symbol (old, new, delta; largest delta first), then
  Total: Before=B, After=A, chg +P%
with the same numbers as scripts/bloat-o-meter on the same files (-c, -d, -t as there).
Like bloat-o-meter, names lose their .NUMBER parts (n.0 -> n, foo.isra.0 -> foo.isra) and
generated symbols (__mod_*, __se_sys*, __addressable_*, linux_banner, vermagic) are left out.

--rename-aware pairs a symbol that disappeared with one that appeared under the same name
but other compiler suffixes (foo -> foo.constprop, foo.isra -> foo.part): one row
\`foo -> foo.constprop  old  new  delta\` instead of a remove and an add, and a
\`rename: N\` line after the summary line. Before, After and the net change are unchanged.

Exit status: 0 compared, 2 bad input (a file nm cannot read, an unknown or ambiguous key,
a failed record without a symbol table).`,
    );
  addFormatOptions(cmd);
  cmd.action(async (oldArg: string, newArg: string, opts: Record<string, unknown>) => {
    quietOnClosedPipe();
    const format = outputFormat(opts);
    const mode: BloatMode = opts.c ? 'c' : opts.d ? 'd' : opts.t ? 't' : 'default';
    const renameAware = opts.renameAware === true;
    let store: Promise<RecordStore> | undefined;
    const resolveOpts = {
      nm: `${(opts.prefix as string | undefined) ?? ''}nm`,
      store: () => (store ??= openRecordStore(cacheDir())),
      ...(opts.config !== undefined ? { config: opts.config as string } : {}),
    };
    const a = await resolveSide(oldArg, resolveOpts);
    const b = await resolveSide(newArg, resolveOpts);
    const sections = diffSymbols(a.symbols, b.symbols, { mode, renameAware });
    if (format === 'json') writeOut(JSON.stringify(diffJson(sections, a.side, b.side, { mode, renameAware }), null, 2));
    else if (format === 'md') writeOut(renderDiffMarkdown(sections, `Symbol sizes: ${describe(a)} -> ${describe(b)}`, renameAware));
    else process.stdout.write(renderDiffText(sections, renameAware));
  });
}
