// `tiny queue ...`: check, apply, list, import-quilt, export-quilt (refresh, rebase: queue-upkeep.ts).

import { seriesPatchOf } from '../pipeline/series.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { runCheckpatch } from '../merge/style.js';
import { queueCheckJson } from '../merge/json.js';
import type { BaseCheck } from '../merge/types.js';
import { resolveBases, resolveBasesForReading } from '../pipeline/bases.js';
import { baseContentFrom, checkSeriesOnBase, firstPathViolation, pathsReadBy } from '../pipeline/check.js';
import { selectForApply } from '../pipeline/selection.js';
import { loadQueue } from '../queue/load.js';
import { formatGuard } from '../queue/guards.js';
import { queueListJson } from '../queue/json.js';
import { exportQuilt, importQuilt } from '../queue/quilt.js';
import { renderApplyTimings } from '../report/apply-timings.js';
import { renderBaseCheck, renderMatrix } from '../report/check.js';
import { renderTable } from '../report/table.js';
import { registerUpkeepCommands } from './queue-upkeep.js';
import { applySeriesInto, openTreeStore } from '../tree/index.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { addBaseOptions, addFormatOptions, addQueueOption, collect, collectNames, outputFormat, queueDir, writeOut } from './options.js';

function setExit(program: Command, code: number): void {
  const root = program.parent?.parent ?? program.parent ?? program;
  const current = (root.getOptionValue('exitCode') as number | undefined) ?? 0;
  root.setOptionValue('exitCode', Math.max(current, code));
}

export function registerQueueCommands(program: Command): void {
  const queue = program.command('queue').description('the patch queue: check, apply, list, quilt import/export');

  const check = queue
    .command('check')
    .description('check every patch applies: in order, alone and reversed; pairs, invasiveness, style')
    .addHelpText(
      'after',
      `
For every patch of the series (those meant for each base):
  in order   applied on top of every earlier patch (as quilt push -a does)
  alone      applied on the bare base with its declared depends
  reverse    reversed alone off the top of the full stack (could it be dropped?)
each as clean, offset N, fuzz N, or FAILS with the failing hunks. Pairs of patches touching
the same files: overlapping hunks, and whether swapping their order fails. Invasiveness:
files, hunks, lines; whether the patch declares its option in a Kconfig file and guards
every change with it. Style: trailing whitespace, Signed-off-by, checkpatch.pl (--checkpatch).
Several --tree/--base give a patch x base matrix.

Exit status: 0 all patches apply in order, 1 a patch fails in order, 2 bad input.`,
    )
    .option('--checkpatch', "also run the base tree's scripts/checkpatch.pl on each patch")
    .option('--no-pairs', 'skip the pairwise order-swap checks')
    .option('-v, --verbose', 'text and md: every patch in the table and every overlapping pair (default: the problems and a summary)');
  addQueueOption(check);
  addBaseOptions(check, true);
  addFormatOptions(check);
  check.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const format = outputFormat(opts);
    const q = await loadQueue(queueDir(opts));
    const store = await openTreeStore(cacheDir());
    const extraPaths = ['scripts/checkpatch.pl', 'scripts/spelling.txt', 'scripts/const_structs.checkpatch'];
    // A base not in the tree store yet is hashed in memory, not imported: the check reads only the files the queue names.
    const bases = await resolveBasesForReading(
      q,
      store,
      cacheDir(),
      {
        trees: opts.tree as string[] | undefined,
        versions: opts.base as string[] | undefined,
        allowOtherBase: Boolean(opts.allowOtherBase),
      },
      pathsReadBy(q.series, extraPaths),
    );
    const results: BaseCheck[] = [];
    for (const base of bases) {
      if ('files' in base) {
        const pin = { verified: 'matches the pinned base.tree', none: 'no base.tree pinned to verify it against', other: 'not a pinned base: --allow-other-base' }[base.pin];
        process.stderr.write(
          base.fromStore
            ? `tiny: ${base.version}: the files the queue names, as kept from ${base.origin} by an earlier check (tree ${base.tree.slice(0, 12)}, ${pin}; not imported)\n`
            : `tiny: ${base.version}: ${base.origin} read without importing it: tree ${base.tree.slice(0, 12)} hashed in memory (${pin}); the files the queue names kept\n`,
        );
      }
      const { check: result, content } = await checkSeriesOnBase(store, base, q.series, {
        pairs: opts.pairs !== false,
        extraPaths,
        ...('files' in base ? { content: baseContentFrom(base, q.series, extraPaths) } : {}),
      });
      const files = content.files;
      if (opts.checkpatch) {
        const issues = await runCheckpatch(
          (p) => files.get(p),
          q.series.map((p) => ({ name: p.name, text: p.text })),
        );
        if (!issues) process.stderr.write(`tiny: ${base.version} has no scripts/checkpatch.pl; --checkpatch skipped\n`);
        else for (const pc of result.patches) pc.style.push(...(issues.get(pc.name) ?? []));
      }
      results.push(result);
    }
    if (format === 'json') {
      writeOut(JSON.stringify(queueCheckJson(q.name, results), null, 2));
    } else {
      for (const r of results) writeOut(renderBaseCheck(r, format, { verbose: opts.verbose === true }));
      if (results.length > 1) writeOut((format === 'md' ? '### patch x base\n\n' : 'patch x base\n') + renderMatrix(results, format));
    }
    setExit(cmd, results.every((r) => r.ok) ? EXIT.ok : EXIT.checkFailed);
  });

  const apply = queue
    .command('apply')
    .description('apply the queue (or a selection) to a base with git, one commit per patch, and write the tree to --out')
    .requiredOption('--out <dir>', 'where to write the patched tree (a git worktree; created if absent)')
    .option('--only <names>', 'apply only these patches (comma-separated; their depends are added)', collectNames('--only'))
    .option('--select <symbols>', 'select patches by guards, as quilt guards(1) does (comma-separated symbols)', collect)
    .option('--force', 'when --out is a worktree made by an earlier apply: discard changes to its tracked files instead of refusing')
    .option('--timings', 'print where the time went (base, patch series, checkout) on stderr');
  addQueueOption(apply);
  addBaseOptions(apply, false);
  apply.action(async (opts: Record<string, unknown>) => {
    const started = Date.now();
    const q = await loadQueue(queueDir(opts));
    const store = await openTreeStore(cacheDir());
    const [base, ...more] = await resolveBases(q, store, cacheDir(), {
      trees: opts.tree as string[] | undefined,
      versions: opts.base as string[] | undefined,
      allowOtherBase: Boolean(opts.allowOtherBase),
    });
    if (!base || more.length) throw new TinyError('queue apply takes exactly one base', 2);
    const baseMs = Date.now() - started;
    const selection = selectForApply(q, base.version, {
      only: opts.only as string[] | undefined,
      symbols: opts.select as string[] | undefined,
    });
    for (const note of selection.notes) process.stderr.write(`tiny: ${note}\n`);
    // The path rule first, as `tiny queue check` applies it: the same refusal, the same file:line.
    const violation = await firstPathViolation(store, base.commit, selection.patches);
    if (violation) {
      throw new TinyError(`patch ${violation.patch.name} is refused on ${base.version}:\n  ${violation.lines.join('\n  ')}`, 1, [], violation.issues[0]!.hint);
    }
    const { series, failure, out, timings } = await applySeriesInto(store, base.commit, selection.patches.map(seriesPatchOf), resolve(opts.out as string), {
      force: Boolean(opts.force),
      forceHint: 'tiny queue apply --force',
    });
    if (failure) {
      throw new TinyError(
        `patch ${failure.name} does not apply on ${base.version}:\n  ${failure.hunks.join('\n  ') || failure.stderr.trim()}`,
        1,
        [],
        `run \`tiny queue check\` to see every patch's state; earlier patches applied fine`,
      );
    }
    process.stderr.write(`tiny: ${series.commits.length} patches applied on ${base.version}` + (out.reused ? ' (worktree reused)' : '') + '\n');
    if (opts.timings) process.stderr.write(`tiny: ${renderApplyTimings(baseMs, timings, Date.now() - started)}\n`);
    writeOut(out.path);
  });

  const list = queue.command('list').description('list the series: options, guards, depends, and whether --select picks each patch');
  list.option('--select <symbols>', 'guard symbols to evaluate (comma-separated)', collect);
  addQueueOption(list);
  addFormatOptions(list);
  list.action(async (opts: Record<string, unknown>) => {
    const q = await loadQueue(queueDir(opts));
    const sel = selectForApply(q, undefined, { symbols: (opts.select as string[] | undefined) ?? [] });
    const picked = new Set(sel.patches.map((p) => p.name));
    const format = outputFormat(opts);
    if (format === 'json') {
      writeOut(JSON.stringify(queueListJson(q, (opts.select as string[] | undefined) ?? [], picked), null, 2));
      return;
    }
    writeOut(
      renderTable(
        {
          // A queue of several bases says which each entry is for (per-base variants share a name).
          columns: [
            { header: 'patch' },
            ...(q.otherBases.length ? [{ header: 'bases' }] : []),
            { header: 'option' },
            { header: 'guards' },
            { header: 'depends' },
            { header: 'selected' },
            { header: 'summary' },
          ],
          rows: q.series.map((p) => [
            p.name,
            ...(q.otherBases.length ? [p.bases.join(',') || 'all'] : []),
            p.option ?? '-',
            p.guards.map(formatGuard).join(' ') || '-',
            p.depends.join(',') || '-',
            picked.has(p.name) ? 'yes' : 'no',
            p.summary ?? '',
          ]),
        },
        format === 'md' ? 'md' : 'text',
      ),
    );
  });

  queue
    .command('import-quilt')
    .description('turn a quilt series (series file + patches) into a queue')
    .argument('<dir>', 'directory holding the quilt `series` file and the patches (e.g. debian/patches)')
    .option('--out <dir>', 'queue directory to write', 'queue')
    .option('--base-version <version>', 'the base version to record in queue.yaml')
    .option('--base-source <path>', 'a base source (tree directory or tarball) to record in queue.yaml')
    .option('--force', 'overwrite an existing queue.yaml')
    .action(async (dir: string, opts: Record<string, unknown>) => {
      const r = await importQuilt(resolve(dir), resolve(opts.out as string), {
        force: Boolean(opts.force),
        ...(opts.baseVersion ? { base: { version: opts.baseVersion as string, sources: opts.baseSource ? [{ path: resolve(opts.baseSource as string) }] : [] } } : {}),
      });
      process.stderr.write(`tiny: imported ${r.count} patches\n`);
      writeOut(r.queueFile);
    });

  const exp = queue
    .command('export-quilt')
    .description('write the queue as a quilt series that `quilt push -a` applies')
    .requiredOption('--out <dir>', 'directory to write the series file and patches into')
    .option('--select <symbols>', 'export only the patches these guard symbols select', collect)
    .option('--base <version>', "the base the series is for (default: the queue's base): patches whose bases: leave it out are not written");
  addQueueOption(exp);
  exp.action(async (opts: Record<string, unknown>) => {
    const q = await loadQueue(queueDir(opts));
    const symbols = opts.select as string[] | undefined;
    const r = await exportQuilt(q, resolve(opts.out as string), { ...(symbols ? { symbols: new Set(symbols) } : {}), ...(opts.base ? { base: opts.base as string } : {}) });
    if (r.otherBases.length) {
      const others = [q.base, ...q.otherBases].map((b) => b.version).filter((v) => v !== r.base);
      process.stderr.write(`tiny: the series is for ${r.base}; left out, meant for other bases: ${r.otherBases.join(', ')} (export those with --base ${others.join(' or --base ')})\n`);
    }
    writeOut(resolve(opts.out as string, 'series'));
  });

  registerUpkeepCommands(queue);
}
